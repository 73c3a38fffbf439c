"""The load balancer's two probes (issue 16, deploy/README.md): /healthz/live (the process answers) and
/healthz/ready (send it requests: database and cache work, not draining); /healthz is "ready" under its old name."""

import pytest
from django.test import override_settings

from ustportal import draining, views

from ..factories import UserFactory

READY_PATHS = ["/healthz/ready", "/healthz"]


def _broker(settings) -> str:
    return "ok" if settings.REDIS_URL else "in-process"  # the suite runs with and without Redis


def _down():
    raise ConnectionError("connection refused")


@pytest.fixture
def drain_file(tmp_path, settings):
    settings.DRAIN_FILE = str(tmp_path / "drain")
    return tmp_path / "drain"


@pytest.fixture
def stopping(monkeypatch):
    monkeypatch.setattr(draining, "_stopping", False)
    return draining


@pytest.mark.parametrize("path", READY_PATHS)
def test_ready_answers_200_with_each_check_when_the_database_and_cache_work(client, db, settings, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok", "broker": _broker(settings)}


@pytest.mark.parametrize("path", READY_PATHS)
def test_ready_answers_503_when_the_database_is_down(client, db, settings, monkeypatch, path):
    monkeypatch.setattr(views, "_database", _down)

    response = client.get(path)

    assert response.status_code == 503
    assert response.json() == {
        "status": "error", "database": "error: ConnectionError", "cache": "ok", "broker": _broker(settings),
    }


def test_ready_names_the_failure_but_never_its_message(client, db, monkeypatch):
    monkeypatch.setattr(views, "_cache", _down)

    body = client.get("/healthz/ready").json()

    assert (body["status"], body["database"], body["cache"]) == ("error", "ok", "error: ConnectionError")
    assert "refused" not in str(body)  # a driver's message can hold a host name or a user name


@pytest.mark.parametrize("path", READY_PATHS)
def test_ready_answers_503_draining_while_the_drain_file_exists_and_live_stays_200(client, db, drain_file, path):
    assert client.get(path).status_code == 200

    drain_file.touch()
    response = client.get(path)
    live = client.get("/healthz/live")
    drain_file.unlink()
    after = client.get(path)

    assert response.status_code == 503
    assert response.json() == {"status": "draining"}
    assert "no-cache" in response["Cache-Control"]
    assert (live.status_code, live.json()) == (200, {"status": "alive"})
    assert after.status_code == 200


def test_a_draining_node_touches_no_dependency(client, db, drain_file, monkeypatch, django_assert_num_queries):
    drain_file.touch()
    monkeypatch.setattr(views, "_cache", _down)

    with django_assert_num_queries(0):
        response = client.get("/healthz/ready")

    assert response.json() == {"status": "draining"}


def test_without_a_drain_file_setting_nothing_drains(client, db, settings, tmp_path, monkeypatch):
    settings.DRAIN_FILE = ""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drain").touch()

    assert client.get("/healthz/ready").status_code == 200


def test_after_sigterm_the_process_is_draining_but_alive(client, db, stopping):
    from ustportal.gunicorn_worker import FairThreadWorker

    worker = FairThreadWorker.__new__(FairThreadWorker)  # only what gunicorn's SIGTERM handler touches
    worker.alive = True
    worker.method_queue = type("Queue", (), {"defer": lambda self, call: None})()
    assert client.get("/healthz/ready").status_code == 200

    worker.handle_exit(15, None)

    assert worker.alive is False  # gunicorn's own graceful stop still happens
    ready = client.get("/healthz/ready")
    assert (ready.status_code, ready.json()) == (503, {"status": "draining"})
    assert client.get("/healthz/live").status_code == 200


def test_live_touches_no_dependency(client, db, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(views, "_database", _down)
    monkeypatch.setattr(views, "_cache", _down)
    monkeypatch.setattr(views, "_broker", _down)

    with django_assert_num_queries(0):
        response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {"status": "alive"}


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready", "/healthz"])
def test_the_probes_are_plain_http_without_a_redirect(client, db, settings, path):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(path).status_code == 200
    assert client.get(path + "x").status_code == 301  # the exemption is for these paths only


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready"])
def test_the_probes_are_never_queued(settings, path):
    from django.test import RequestFactory

    from core.admission import AdmissionMiddleware

    with override_settings(ADMISSION_CONCURRENCY=1, ADMISSION_QUEUE=0, ADMISSION_WAIT_SECONDS=0.05):
        middleware = AdmissionMiddleware(lambda request: "ran in the request's own thread")
        assert middleware.pool is not None

        assert middleware(RequestFactory().get(path)) == "ran in the request's own thread"


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready"])
def test_a_staff_session_that_owes_its_second_factor_still_gets_the_probe(client, db, settings, path):
    settings.OTP_REQUIRED_FOR_STAFF = True
    client.force_login(UserFactory(username="probe-staff", is_staff=True))

    response = client.get(path)

    assert response.status_code == 200
    assert "probe-staff" not in response.content.decode()


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready"])
def test_the_probes_carry_no_personal_data_for_a_signed_in_student(client, db, path):
    student = UserFactory(username="T202699999", email="student@example.org", first_name="Minji")
    client.force_login(student)

    body = client.get(path).content.decode()

    for word in ("T202699999", "student@example.org", "Minji"):
        assert word not in body


@pytest.mark.parametrize("path", ["/healthzx", "/healthz/readyx", "/healthz/live/anything", "/healthz-admin/"])
def test_only_the_three_probe_addresses_skip_the_queue(settings, path):
    # Review h5: a prefix exemption let any address starting "/healthz" (a 404 page, which loads the visitor's
    # session) run in gunicorn's reading thread, outside the admission pool and its database-connection budget.
    import threading

    from django.test import RequestFactory

    from core.admission import AdmissionMiddleware

    with override_settings(ADMISSION_CONCURRENCY=1, ADMISSION_QUEUE=4, ADMISSION_WAIT_SECONDS=5):
        middleware = AdmissionMiddleware(lambda request: threading.current_thread().name)

        assert middleware(RequestFactory().get(path)).startswith("admission-")


def _probe_in_its_own_thread(path: str) -> tuple[int, bool]:
    """(status, whether that thread still holds a database connection), as a gunicorn reading thread would."""
    import threading

    from django.db import connection
    from django.test import Client

    seen = {}

    def run():
        try:
            seen["status"] = Client().get(path).status_code
            seen["open"] = connection.connection is not None
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return seen["status"], seen["open"]


@pytest.mark.parametrize("path", READY_PATHS)
def test_a_probe_keeps_no_database_connection_in_the_thread_that_read_it(transactional_db, monkeypatch, path):
    # Review h5: the probes skip the admission pool, so they run on any of gunicorn's threads (64 per process);
    # with CONN_MAX_AGE each such thread kept its own connection, beyond the pool's budget for max_connections.
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database; run this on PostgreSQL")
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)

    assert _probe_in_its_own_thread(path) == (200, False)


class _CountingLock:
    def __init__(self, lock):
        self.lock, self.entered = lock, 0

    def __enter__(self):
        self.lock.acquire()
        self.entered += 1

    def __exit__(self, *exc):
        self.lock.release()


def test_probes_arriving_together_share_one_check(db, monkeypatch):
    # Review h5: anyone can ask /healthz/ready through the proxy; a flood of it must not become a flood of database
    # connections and Redis round trips (the probes skip the admission pool): concurrent probes share one check.
    import threading
    import time

    from django.test import RequestFactory

    started, release, calls = threading.Event(), threading.Event(), []

    def slow_database():
        calls.append(1)
        started.set()
        assert release.wait(30)

    monkeypatch.setattr(views, "_database", slow_database)
    lock = _CountingLock(getattr(views, "_flight_lock", threading.Lock()))
    monkeypatch.setattr(views, "_flight_lock", lock, raising=False)
    statuses = []

    def probe():
        statuses.append(views.healthz_ready(RequestFactory().get("/healthz/ready")).status_code)

    first = threading.Thread(target=probe)
    first.start()
    assert started.wait(30)
    others = [threading.Thread(target=probe) for _ in range(5)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 10  # a bound, not a measurement: every probe has looked for the running check
    while lock.entered < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(30)

    assert statuses == [200] * 6
    assert len(calls) == 1


@pytest.mark.parametrize("path", ["/healthz/live", "/healthz/ready", "/healthz"])
def test_a_probe_sets_no_cookie_and_writes_no_session_or_access_log_row(client, db, path):
    # Review h5: HAProxy probes every node every 2 s: a session row or an access-log row per probe would fill tables.
    from django.contrib.sessions.models import Session

    from core.models import PersonalDataAccess

    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 200
    assert not response.cookies
    assert Session.objects.count() == 0
    assert PersonalDataAccess.objects.count() == 0
