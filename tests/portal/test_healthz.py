import html

from django.core.mail import EmailMessage, get_connection

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_it_reports_database_and_cache_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["cache"] == "ok"


def test_it_reports_an_unreachable_broker_without_failing(client, db, settings):
    # Production settings derive the Celery broker from REDIS_URL; override both as a deployment would.
    settings.REDIS_URL = UNREACHABLE_REDIS
    settings.CELERY_BROKER_URL = UNREACHABLE_REDIS

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["broker"].startswith("error: ")
    assert (body["status"], body["database"], body["cache"]) == ("ok", "ok", "ok")


def test_it_answers_503_when_the_cache_does_not_work(client, db, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["cache"].startswith("error: ")
    assert body["database"] == "ok"


def test_it_hides_the_local_mailbox_when_debug_is_off(client, db, settings):
    settings.DEBUG = False

    assert client.get("/dev/mailbox/").status_code == 404


def test_it_lists_mail_written_to_disk_in_the_local_mailbox_when_debug_is_on(client, db, settings):
    settings.DEBUG = True
    connection = get_connection("core.mailbox.EmlFileBackend")
    EmailMessage(
        subject="Mailbox probe", body="Open https://portal.example/x", to=["probe@partner.example"],
        connection=connection,
    ).send()
    assert len(list(settings.MAIL_DIR.glob("*.eml"))) == 1

    response = client.get("/dev/mailbox/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "Mailbox probe" in text
    assert "probe@partner.example" in text
    assert '<a href="https://portal.example/x"' in text  # links in the body are clickable
