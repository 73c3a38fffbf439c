"""gunicorn settings for the portal's web processes (README → Production); `make bench` runs with these too.

gthread workers: each process reads requests on many light threads and runs them on a small pool of its own
(core/admission.py): at most ADMISSION_CONCURRENCY at a time, ADMISSION_QUEUE waiting at most
ADMISSION_WAIT_SECONDS each, any other answered 503 + Retry-After at once, so an overloaded portal says "busy,
retrying" within a second instead of letting a click wait in a queue for tens of seconds. ``threads`` is larger
than the pool and its queue together, so every request a process has accepted is seen by the middleware at once
rather than waiting unseen in gunicorn's own thread queue. Every value can be overridden from the environment.
"""

import os

workers = int(os.environ.get("GUNICORN_WORKERS", "4"))  # about two per core
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "64"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
graceful_timeout = 30

# The admission pool of each worker process (read by ustportal/settings.py in the workers, which inherit this
# environment); an explicit environment variable wins.
os.environ.setdefault("ADMISSION_CONCURRENCY", "1")
os.environ.setdefault("ADMISSION_QUEUE", "48")
os.environ.setdefault("ADMISSION_WAIT_SECONDS", "1.0")
os.environ.setdefault("ADMISSION_RETRY_AFTER_SECONDS", "2")
