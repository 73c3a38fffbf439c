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
