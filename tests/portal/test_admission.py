"""Admission control (issue 14, core/admission.py): a bounded queue per process, and beyond it a 503 at once with
Retry-After and a translated "busy, retrying in N s" that retries by itself."""

import threading
import time
from urllib.parse import urlencode

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from core.admission import AdmissionMiddleware

POOL = {"ADMISSION_CONCURRENCY": 1, "ADMISSION_QUEUE": 1, "ADMISSION_WAIT_SECONDS": 0.3, "ADMISSION_RETRY_AFTER_SECONDS": 3}


class Blocking:
    """A view that holds its pool thread until released, counting the requests that ran."""

    def __init__(self):
        self.release, self.started, self.ran = threading.Event(), threading.Event(), []

    def __call__(self, request):
        self.ran.append(threading.current_thread().name)
        self.started.set()
        assert self.release.wait(5)
        return HttpResponse("ok")


def _in_thread(call, request, outcome: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: outcome.append(call(request)))
    thread.start()
    return thread


def test_without_a_pool_every_request_runs_in_its_own_thread():
    seen = []
    middleware = AdmissionMiddleware(lambda request: seen.append(threading.current_thread()) or HttpResponse("ok"))
    assert middleware(RequestFactory().get("/")).status_code == 200
    assert seen == [threading.current_thread()]


@override_settings(**POOL)
def test_a_request_beyond_the_queue_is_answered_503_at_once_with_retry_after_in_korean():
    view = Blocking()
    middleware = AdmissionMiddleware(view)
    outcomes, waiting = [], []
    running = _in_thread(middleware, RequestFactory().get("/a"), outcomes)
    assert view.started.wait(5)
    queued = _in_thread(middleware, RequestFactory().get("/b"), waiting)
    time.sleep(0.05)  # /b waits in the queue now

    started = time.monotonic()
    response = middleware(RequestFactory().get("/c", HTTP_ACCEPT_LANGUAGE="ko"))
    assert time.monotonic() - started < 0.2  # at once, not after the wait
    view.release.set()
    running.join(5)
    queued.join(5)

    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert '<html lang="ko">' in body and "포털 접속이 많습니다" in body
    assert '<span data-busy-seconds>3</span>초 후 다시 시도합니다' in body
    assert "js/busy-retry.js" in body and "<script>" not in body  # CSP: no inline script
    assert [r.status_code for r in outcomes] == [200]
    assert view.ran[0].startswith("admission-")  # the view ran on the pool, not on the request's thread


@override_settings(**POOL)
def test_a_queued_request_that_waited_too_long_is_answered_503_in_english_and_never_runs():
    view = Blocking()
    middleware = AdmissionMiddleware(view)
    outcomes = []
    running = _in_thread(middleware, RequestFactory().get("/a"), outcomes)
    assert view.started.wait(5)

    started = time.monotonic()
    response = middleware(RequestFactory().get("/b", HTTP_ACCEPT_LANGUAGE="en", HTTP_HX_REQUEST="true"))
    waited = time.monotonic() - started
    view.release.set()
    running.join(5)
    time.sleep(0.1)

    assert 0.25 < waited < 1.0
    assert response.status_code == 503 and response["Retry-After"] == "3" and response["Content-Language"] == "en"
    # htmx gets only the note; static/js/busy-retry.js shows it beside the element and sends the request again.
    assert response.content.decode().startswith('<p class="busy-note')
    assert "The portal is busy; retrying in <span data-busy-seconds>3</span> s." in response.content.decode()
    assert len(view.ran) == 1  # the request that gave up never ran later


@override_settings(**POOL, ADMISSION_EXEMPT=["/healthz"])
def test_the_health_check_is_never_queued():
    view = Blocking()
    middleware = AdmissionMiddleware(view)
    outcomes = []
    running = _in_thread(middleware, RequestFactory().get("/a"), outcomes)
    assert view.started.wait(5)
    health = AdmissionMiddleware(lambda request: HttpResponse("healthy"))
    health.pool = middleware.pool  # the same, busy pool
    response = health(RequestFactory().get("/healthz"))
    view.release.set()
    running.join(5)
    assert response.status_code == 200


@pytest.mark.parametrize(("fields", "retries"), [
    ({"csrfmiddlewaretoken": "token123", "next": "/credit-exchange/courses/?q=a&b"}, True),
    ({"csrfmiddlewaretoken": "token123", "username": "T1", "password": "secret"}, False),
])
@override_settings(**{**POOL, "ADMISSION_QUEUE": 0})
def test_a_plain_form_post_gets_a_page_that_sends_it_again_without_a_password(fields, retries):
    view = Blocking()
    middleware = AdmissionMiddleware(view)
    outcomes = []
    running = _in_thread(middleware, RequestFactory().get("/a"), outcomes)
    assert view.started.wait(5)
    response = middleware(RequestFactory().post(
        "/credit-exchange/courses/7/register/", urlencode(fields), content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    ))
    view.release.set()
    running.join(5)

    body = response.content.decode()
    assert response.status_code == 503 and len(view.ran) == 1  # refused at once: no queue
    assert '<form method="post" action="/credit-exchange/courses/7/register/" data-busy-form>' in body
    assert '<input type="hidden" name="csrfmiddlewaretoken" value="token123">' in body
    assert "secret" not in body
    if retries:
        assert 'value="/credit-exchange/courses/?q=a&amp;b"' in body
        assert "The portal is busy; retrying in" in body and "data-busy-manual" not in body
    else:
        assert "data-busy-manual" in body and "Please try again in a few seconds." in body


class _TricklingBody:
    """A client's request body arriving slowly, read as gunicorn's body reader does (``read(n)`` returns n bytes
    unless the body ends): half of it at once, the rest once ``rest`` is set."""

    def __init__(self):
        self.data, self.first_sent, self.rest = b"xxxxx", threading.Event(), threading.Event()

    def read(self, size=-1):
        while (size < 0 or len(self.data) < size) and not self.rest.is_set():
            self.first_sent.set()
            assert self.rest.wait(5)
            self.data += b"yyyyy"
        size = len(self.data) if size < 0 else size
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    readline = read


@override_settings(**{**POOL, "ADMISSION_QUEUE": 0, "ADMISSION_WAIT_SECONDS": 5})
def test_a_slowly_sent_body_is_read_before_the_request_takes_a_pool_thread():
    # Review h5: HAProxy passes a body on as it arrives, and Django reads it in the view's thread; a client sending
    # a form (or a 20 MiB upload) a few bytes at a time held a pool thread meanwhile: a handful of such clients took
    # every node's ADMISSION_CONCURRENCY and every other student got "busy". Reading it is the request's own thread's
    # work, like reading its headers.
    from django.core.handlers.wsgi import LimitedStream

    middleware = AdmissionMiddleware(lambda request: HttpResponse(request.body or b"page"))
    upload = RequestFactory().generic("POST", "/upload", data=b"", content_type="application/octet-stream")
    trickle = _TricklingBody()
    upload.META["CONTENT_LENGTH"] = "10"
    upload._stream = LimitedStream(trickle, 10)
    outcomes = []
    sending = _in_thread(middleware, upload, outcomes)
    assert trickle.first_sent.wait(5)  # the client is still sending

    other = middleware(RequestFactory().get("/other"))
    trickle.rest.set()
    sending.join(5)

    assert (other.status_code, other.content) == (200, b"page")
    assert (outcomes[0].status_code, outcomes[0].content) == (200, b"xxxxxyyyyy")


@override_settings(**POOL)
def test_a_form_and_an_upload_read_before_queueing_reach_the_view_whole():
    from django.core.files.uploadedfile import SimpleUploadedFile

    def view(request):
        upload = request.FILES["plan"]
        return HttpResponse(f"{request.POST['name']}:{upload.name}:{len(upload.read())}")

    middleware = AdmissionMiddleware(view)
    content = b"%PDF-1.4 " + b"x" * (600 * 1024)  # beyond what is kept in memory: read back from a temporary file
    request = RequestFactory().post("/upload", {"name": "Minji", "plan": SimpleUploadedFile("plan.pdf", content)})

    response = middleware(request)

    assert response.content.decode() == f"Minji:plan.pdf:{len(content)}"
