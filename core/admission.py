"""Admission control (issue 14): a bounded queue in front of Django in each web process, and a quick "busy" beyond it.

What "bounded queue" means here, for gunicorn's ``gthread`` worker (``gunicorn.conf.py``): the worker's threads
only accept and read requests; this middleware runs the rest of the middleware chain and the view on a pool of
``ADMISSION_CONCURRENCY`` threads of this process (each keeps its own persistent database connection, so a
process holds that many, not one per gunicorn thread). A request waits for a pool thread at most
``ADMISSION_WAIT_SECONDS``, and at most ``ADMISSION_QUEUE`` requests wait at once; any other request is answered
at once with HTTP 503, ``Retry-After: ADMISSION_RETRY_AFTER_SECONDS`` and a short page in the visitor's language
("busy, retrying in N s") that retries by itself (``static/js/busy-retry.js``: htmx requests and plain form posts).
The longest a request can wait before it runs is therefore the wait limit, whatever the load.

A request's body is read in the thread that read its headers, before the request queues (``_spool_body``): HAProxy
passes a body on as it arrives, so a client sending a form or an upload a few bytes at a time would otherwise hold
a pool thread as long as it liked, and a handful of such clients would leave every student "busy". gunicorn's
threads are many; the pool's are few and only run requests that have fully arrived.

``ADMISSION_CONCURRENCY = 0`` (the default: ``runserver``, the tests) turns the pool off and every request runs as
before in the thread that read it. The paths in ``ADMISSION_EXEMPT`` (the load balancer's health checks), exactly
those and not what starts with them, are never queued: anything else run outside the pool (a 404 page loads the
visitor's session) would use a database connection beyond the pool's budget.
"""

import os
import queue
import tempfile
import threading
from concurrent.futures import Future

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import close_old_connections
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import format_html

# Never written back into a page: a form with one of these is not sent again by itself (the login page, say).
# The CSRF token is: it is the visitor's own, from the page they sent, and the form needs it.
SECRET_FIELDS = ("password",)


class _Pool:
    """``size`` threads running submitted calls; ``submit`` refuses (None) when ``size`` run and ``limit`` wait."""

    def __init__(self, size: int, limit: int):
        self.size, self.limit, self.taken, self.lock = size, max(limit, 0), 0, threading.Lock()
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.pid = None

    def _start(self) -> None:
        # Started by the first request of each process: threads started before a fork (gunicorn's preload_app)
        # do not exist in the forked worker.
        self.pid, self.taken, self.jobs = os.getpid(), 0, queue.SimpleQueue()
        for n in range(self.size):
            threading.Thread(target=self._run, args=(self.jobs,), name=f"admission-{n}", daemon=True).start()

    def submit(self, call, *args) -> Future | None:
        with self.lock:
            if self.pid != os.getpid():
                self._start()
            if self.taken >= self.size + self.limit:
                return None
            self.taken += 1  # running or waiting, until a pool thread is done with it
        future: Future = Future()
        self.jobs.put((future, call, args))
        return future

    def _run(self, jobs: queue.SimpleQueue) -> None:
        while True:
            future, call, args = jobs.get()
            try:
                if future.set_running_or_notify_cancel():  # else it gave up waiting: answered 503 already
                    self._call(future, call, args)
            finally:
                with self.lock:
                    self.taken -= 1

    @staticmethod
    def _call(future: Future, call, args) -> None:
        # A pool thread is a request thread: the per-request connection care Django gives its own threads.
        close_old_connections()
        try:
            future.set_result(call(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting request thread
            future.set_exception(exc)
        finally:
            close_old_connections()


SPOOL_IN_MEMORY_BYTES = 256 * 1024  # a form stays in memory; an upload's bytes go to a temporary file
SPOOL_CHUNK_BYTES = 64 * 1024


def _spool_body(request):
    """Reads the request's whole body now (module docstring) and gives Django a copy to read; None without a body.

    A client that stops sending leaves this reading thread waiting, as it would for its headers, and the proxy's
    client timeout ends it. A body cut short reads short, as it would have from the connection.
    """
    stream = getattr(request, "_stream", None)
    if not getattr(stream, "limit", 0) or getattr(request, "_read_started", False):
        return None
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES, dir=settings.FILE_UPLOAD_TEMP_DIR)
    try:
        while chunk := stream.read(SPOOL_CHUNK_BYTES):
            spool.write(chunk)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    request._stream = LimitedStream(spool, size)
    return spool


# Per process: the busy note by (language, seconds), all it depends on: every node renders the same text.
_htmx_bodies: dict[tuple[str, int], str] = {}


def busy_response(request, seconds: int) -> HttpResponse:
    """503 with Retry-After and "busy, retrying in N s" in the visitor's language (no session is read for it)."""
    language = translation.get_language_from_request(request)
    if request.headers.get("HX-Request"):
        body = _htmx_bodies.get((language, seconds))
        if body is None:
            # htmx sends the element's request again itself: nothing of this request goes into the note
            body = _htmx_bodies[(language, seconds)] = _render(None, language, "core/_busy.html", seconds)
        return _busy(body, language, seconds)
    return _busy(_render(request, language, "core/busy.html", seconds), language, seconds)


def _render(request, language: str, template: str, seconds: int) -> str:
    fields, complete, post = [], True, request is not None and request.method == "POST"
    if post and request.content_type == "application/x-www-form-urlencoded":
        for name, values in request.POST.lists():
            if any(secret in name.lower() for secret in SECRET_FIELDS):
                complete = False
                continue
            fields += [(name, value) for value in values]
    elif post:
        complete = False  # a file upload cannot be sent again from here
    context = {
        "seconds": seconds, "seconds_html": format_html("<span data-busy-seconds>{}</span>", seconds), "fields": fields,
        "retry": complete, "post": post, "action": request.get_full_path() if request is not None else "",
    }
    with translation.override(language):
        return render_to_string(template, context)


def _busy(body: str, language: str, seconds: int) -> HttpResponse:
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    response["Content-Language"] = language
    return response


class AdmissionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.concurrency = getattr(settings, "ADMISSION_CONCURRENCY", 0)
        self.wait = getattr(settings, "ADMISSION_WAIT_SECONDS", 1.0)
        self.retry_after = getattr(settings, "ADMISSION_RETRY_AFTER_SECONDS", 2)
        self.exempt = frozenset(getattr(settings, "ADMISSION_EXEMPT", ()))
        self.pool = _Pool(self.concurrency, getattr(settings, "ADMISSION_QUEUE", 32)) if self.concurrency else None

    def __call__(self, request):
        if self.pool is None or request.path_info in self.exempt:
            return self.get_response(request)
        spool = _spool_body(request)
        try:
            return self._admit(request)
        finally:
            if spool is not None:
                spool.close()

    def _admit(self, request):
        future = self.pool.submit(self.get_response, request)
        if future is None:
            return busy_response(request, self.retry_after)  # the queue is full: at once
        try:
            return future.result(timeout=self.wait)
        except TimeoutError:
            if future.cancel():
                return busy_response(request, self.retry_after)  # waited long enough, never started
            return future.result()  # it started meanwhile: let it finish
