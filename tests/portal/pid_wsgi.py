"""A WSGI app that answers its worker process's pid, after a few milliseconds of work (test_gunicorn_fair_worker)."""

import os
import time


def app(environ, start_response):
    end = time.process_time() + 0.003  # busy, as a request is: a busy worker is slower to accept
    while time.process_time() < end:
        pass
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
