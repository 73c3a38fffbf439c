"""gunicorn settings for the portal's web processes (README → Production); `make bench` runs with these too.

gthread workers: each process reads requests on many light threads and runs them on a small pool of its own
(core/admission.py): at most ADMISSION_CONCURRENCY at a time, ADMISSION_QUEUE waiting at most
ADMISSION_WAIT_SECONDS each, any other answered 503 + Retry-After at once, so an overloaded portal says "busy,
retrying" within a second instead of letting a click wait in a queue for tens of seconds. ``threads`` is larger
than the pool and its queue together, so every request a process has accepted is seen by the middleware at once
rather than waiting unseen in gunicorn's own thread queue. The worker class is gthread's, sharing the connections
evenly among the processes (ustportal/gunicorn_worker.py: otherwise the process that happens to be on a CPU takes
most of a burst of new connections, and its students wait longest). Every value can be overridden from the
environment.
"""

import os

workers = int(os.environ.get("GUNICORN_WORKERS", "4"))  # about two per core
worker_class = "ustportal.gunicorn_worker.FairThreadWorker"  # gthread, sharing connections fairly
threads = int(os.environ.get("GUNICORN_THREADS", "64"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# SIGTERM (systemd's stop): the master closes the listening socket, each worker finishes what it holds for at most
# this long (deploy/systemd/ustportal-web.service waits longer, TimeoutStopSec) and answers /healthz/ready
# "draining" meanwhile (ustportal/draining.py).
graceful_timeout = 30
# The address(es) to listen on, comma-separated; a node behind HAProxy on another host listens on its own LAN
# address (deploy/env.example). Unset: gunicorn's default (127.0.0.1:8000); a --bind on the command line wins.
if os.environ.get("GUNICORN_BIND"):
    bind = os.environ["GUNICORN_BIND"].split(",")

# The admission pool of each worker process (read by ustportal/settings.py in the workers, which inherit this
# environment); an explicit environment variable wins.
os.environ.setdefault("ADMISSION_CONCURRENCY", "1")
os.environ.setdefault("ADMISSION_QUEUE", "48")
os.environ.setdefault("ADMISSION_WAIT_SECONDS", "1.0")
os.environ.setdefault("ADMISSION_RETRY_AFTER_SECONDS", "2")


def post_worker_init(worker):
    """Once the portal is loaded in a worker: its modules, templates and settings (tens of thousands of objects that
    live as long as the process) leave the cyclic garbage collector's generations (``gc.freeze``), and a collection
    starts after more allocations than Python's default 700, so that a request does not pay for scanning them
    again and again. Nothing is kept longer: reference counting still frees every request's objects at once; only
    reference cycles wait for a collection. ``GUNICORN_GC_THRESHOLD`` ("0" keeps Python's defaults) can change it.
    """
    import gc

    threshold = os.environ.get("GUNICORN_GC_THRESHOLD", "10000,50,100")
    gc.collect()
    gc.freeze()
    if threshold != "0":
        gc.set_threshold(*(int(part) for part in threshold.split(",")))
