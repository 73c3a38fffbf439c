"""The outbox with a real broker: a Redis outage while lists are sent, and an SMTP failure with retry and backoff.

These run against real PostgreSQL and Redis (CI); the Celery app stops running tasks in-process, publishes
to Redis, and the tests play the worker by taking each message off the queue and running its task.
"""

import smtplib
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.utils import timezone

from core.errors import AlreadySent
from core.jobs.services import jobs_relay
from core.mail import mail_relay
from core.models import OutgoingMail, StaffJob
from core.tasks import run_staff_job_task, send_mail_task
from creditexchange import services
from creditexchange.models import PartnerList

from ..portal.brokers import broker, purge
from ..portal.brokers import work_off_queue as work_off
from .partner_list_helpers import build_scene, send

CLOSED_PORT = "redis://127.0.0.1:6390/0"
def _purge() -> None:
    purge(settings.REDIS_URL)


def work_off_queue() -> list[str]:
    """Play the Celery worker on the test settings' Redis (``tests/portal/brokers.py``)."""
    return work_off(settings.REDIS_URL)


@pytest.fixture
def real_broker(db):
    _purge()
    yield
    _purge()


@pytest.mark.postgres
@pytest.mark.redis
def test_with_redis_down_send_now_answers_fast_and_the_list_and_mail_go_out_once_redis_is_back(
    real_broker, registrar_client, django_capture_on_commit_callbacks
):
    scene = build_scene()
    data = {"partner": scene.hanbit.pk, "term": scene.term.pk, "kind": "applicants"}
    fingerprint = services.partner_list_preview(partner=scene.hanbit, term=scene.term, kind="applicants").fingerprint
    with broker(CLOSED_PORT):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = registrar_client.post(
                "/admin/creditexchange/partnerlist/send/", {**data, "confirm": "1", "fingerprint": fingerprint},
            )
        elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < 8, f"the request took {elapsed:.1f}s with the broker down"
    # The send is a background job: it waits, queued, for the broker; nothing is built or mailed yet.
    job = StaffJob.objects.get()
    assert response["Location"] == f"/staff/jobs/{job.pk}/"
    assert (job.kind, job.status, job.dispatched_at) == ("partner_list_send", "queued", None)
    assert not PartnerList.objects.exists()

    # Redis is back: the beat's job relay hands the job over, a worker builds the list and queues its mail.
    StaffJob.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with broker(settings.REDIS_URL):
        assert jobs_relay() == 1
        assert work_off_queue() == ["staffdesk.tasks.run_staff_job_task"]
        assert jobs_relay() == 0
    job.refresh_from_db()
    assert job.status == "done" and job.report["students"] == 3
    assert PartnerList.objects.filter(partner=scene.hanbit, kind="applicants").exists()
    rows = OutgoingMail.objects.filter(kind="partner_list")
    assert rows.count() == 2 and set(rows.values_list("status", flat=True)) == {OutgoingMail.Status.QUEUED}
    assert len(mail.outbox) == 0

    # The beat's mail relay hands the rows to the broker, a worker delivers them.
    rows.update(created_at=timezone.now() - timedelta(minutes=2))
    with broker(settings.REDIS_URL):
        # A duplicated job message (a redelivery, a second relay) finds the job claimed and does nothing.
        run_staff_job_task.delay(job.pk)
        assert work_off_queue() == ["staffdesk.tasks.run_staff_job_task"]
        assert PartnerList.objects.count() == 1 and rows.count() == 2
        assert mail_relay() == 2
        assert work_off_queue() == ["ustportal.tasks.send_mail_task"] * 2
        assert mail_relay() == 0
        # A duplicated delivery job (a redelivered message, a second relay) sends nothing.
        send_mail_task.delay(rows.first().pk)
        assert work_off_queue() == ["ustportal.tasks.send_mail_task"]

    assert sorted(m.to[0] for m in mail.outbox) == ["exchange@hanbit.example", "kim@hanbit.example"]
    assert all(len(m.attachments) == 2 for m in mail.outbox)
    assert set(rows.values_list("status", "attempts")) == {(OutgoingMail.Status.SENT, 1)}


@pytest.mark.postgres
@pytest.mark.redis
def test_an_smtp_failure_is_recorded_retried_with_growing_backoff_and_delivered_once(
    real_broker, scene, django_capture_on_commit_callbacks
):
    attempts = []
    original = locmem.EmailBackend.send_messages

    def flaky_smtp(self, messages):
        attempts.append(timezone.now())
        if len(attempts) <= 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return original(self, messages)

    with broker(settings.REDIS_URL), mock.patch.object(locmem.EmailBackend, "send_messages", flaky_smtp):
        with django_capture_on_commit_callbacks(execute=True):
            send(scene, scene.garam, PartnerList.Kind.REGISTRATIONS)
        row = OutgoingMail.objects.get(kind="partner_list")
        assert work_off_queue() == ["ustportal.tasks.send_mail_task"]

        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutgoingMail.Status.QUEUED, 1)
        assert "SMTPServerDisconnected" in row.last_error
        assert timedelta(seconds=55) < row.next_attempt_at - attempts[0] <= timedelta(minutes=1, seconds=5)
        OutgoingMail.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(minutes=5))
        assert mail_relay() == 0  # not due yet

        OutgoingMail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        assert mail_relay() == 1
        work_off_queue()
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutgoingMail.Status.QUEUED, 2)
        assert timedelta(minutes=1, seconds=55) < row.next_attempt_at - attempts[1] <= timedelta(minutes=2, seconds=5)

        OutgoingMail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        assert mail_relay() == 1
        work_off_queue()
        assert mail_relay() == 0
        send_mail_task.delay(row.pk)  # a duplicate job after success
        work_off_queue()

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutgoingMail.Status.SENT, 3, "")
    assert len(attempts) == 3
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["intl@garam.example"]
    assert sorted(name for name, _c, _t in mail.outbox[0].attachments) == [
        "2027-spring_garam_registrations.csv", "2027-spring_garam_registrations.xlsx"]


@pytest.mark.postgres
def test_two_jobs_for_the_same_list_at_the_same_instant_mail_once(transactional_db):
    scene = build_scene()
    barrier = threading.Barrier(2)
    outcomes = []

    def job():
        try:
            barrier.wait(timeout=10)
            outcomes.append(send(scene, scene.hanbit, PartnerList.Kind.FINAL).pk)
        except AlreadySent:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("refused") == 1
    assert PartnerList.objects.filter(partner=scene.hanbit, kind="final").count() == 1
    assert OutgoingMail.objects.filter(kind="partner_list").count() == 2  # one per coordinator, not four
