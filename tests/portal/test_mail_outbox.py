from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from core import mail as outbox
from core.models import OutgoingMail
from core.tasks import relay_queued_mail_task, send_mail_task


@pytest.fixture
def queued_mail(submitted_application):
    return OutgoingMail.objects.create(
        kind="application_confirmation", to=submitted_application.email, language="en",
        params={"application_id": submitted_application.pk}, next_attempt_at=timezone.now(),
    )


def test_a_duplicated_task_sends_once(queued_mail):
    send_mail_task(queued_mail.pk)
    send_mail_task(queued_mail.pk)

    assert len(mail.outbox) == 1
    queued_mail.refresh_from_db()
    assert queued_mail.status == OutgoingMail.Status.SENT
    assert queued_mail.attempts == 1
    assert queued_mail.subject.startswith("[UST Portal]")


def test_a_broker_outage_keeps_the_mail_for_the_relay(application_data, django_capture_on_commit_callbacks):
    from creditexchange.services import application_submit

    with mock.patch("core.tasks.send_mail_task.apply_async", side_effect=ConnectionRefusedError("redis down")):
        with django_capture_on_commit_callbacks(execute=True):
            application = application_submit(**application_data)
    assert application.pk is not None
    row = OutgoingMail.objects.get()
    assert row.status == OutgoingMail.Status.QUEUED and len(mail.outbox) == 0

    OutgoingMail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    assert relay_queued_mail_task() == 1
    assert relay_queued_mail_task() == 0
    assert len(mail.outbox) == 1


def test_an_smtp_failure_is_recorded_and_retried_with_backoff(queued_mail, settings):
    settings.MAIL_MAX_ATTEMPTS = 2
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")):
        send_mail_task(queued_mail.pk)
    queued_mail.refresh_from_db()
    assert queued_mail.status == OutgoingMail.Status.QUEUED
    assert "SMTP down" in queued_mail.last_error
    assert queued_mail.next_attempt_at > timezone.now()

    # Not due yet: the relay leaves it alone.
    OutgoingMail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert relay_queued_mail_task() == 0

    OutgoingMail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("SMTP down")):
        relay_queued_mail_task()
    queued_mail.refresh_from_db()
    assert queued_mail.status == OutgoingMail.Status.FAILED
    assert queued_mail.attempts == 2

    outbox.mail_resend(mail=queued_mail)
    queued_mail.refresh_from_db()
    assert queued_mail.status == OutgoingMail.Status.QUEUED and queued_mail.attempts == 0


def test_a_crashed_claim_is_released_after_a_while(queued_mail):
    OutgoingMail.objects.filter(pk=queued_mail.pk).update(
        status=OutgoingMail.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=11),
        created_at=timezone.now() - timedelta(minutes=11),
    )
    relay_queued_mail_task()
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Confirm your temporary student ID application"), ("ko", "임시학번")],
)
def test_mail_is_written_in_the_recipients_language(queued_mail, language, expected):
    OutgoingMail.objects.filter(pk=queued_mail.pk).update(language=language)
    send_mail_task(queued_mail.pk)
    message = mail.outbox[0]
    assert expected in message.subject
    html = message.alternatives[0][0]
    assert "/credit-exchange/apply/confirm/" in html and "/credit-exchange/apply/confirm/" in message.body


def _queued_mails(submitted_application, count: int) -> list[OutgoingMail]:
    return [
        OutgoingMail.objects.create(
            kind="application_confirmation", to=submitted_application.email, language="en",
            params={"application_id": submitted_application.pk}, next_attempt_at=timezone.now(),
            created_at=timezone.now(),
        )
        for _ in range(count)
    ]


def test_a_request_queueing_several_mails_tries_a_down_broker_once(submitted_application, django_capture_on_commit_callbacks):
    down = mock.patch("core.tasks.send_mail_task.apply_async", side_effect=ConnectionRefusedError("redis down"))
    with down as publish, django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            outbox.mail_queue(kind="application_confirmation", to="a@b.example", language="en",
                              params={"application_id": submitted_application.pk})

    assert publish.call_count == 1
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED).count() == 5
    assert len(mail.outbox) == 0


def test_the_relay_tries_the_broker_afresh_and_stops_at_the_first_failure(submitted_application):
    _queued_mails(submitted_application, 4)
    OutgoingMail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with mock.patch("core.tasks.send_mail_task.apply_async", side_effect=ConnectionRefusedError("down")):
        assert outbox.mail_dispatch(mail_id=OutgoingMail.objects.first().pk) is False  # this process saw it fail

    calls = []

    def flaky(args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise ConnectionRefusedError("down again")

    with mock.patch("core.tasks.send_mail_task.apply_async", side_effect=flaky):
        assert relay_queued_mail_task() == 1

    assert len(calls) == 2  # the first went through, the second failed, the other two were not tried


def test_text_mail_keeps_what_was_typed_and_the_html_part_escapes_it(submitted_application):
    from creditexchange.models import TemporaryIdApplication

    TemporaryIdApplication.objects.filter(pk=submitted_application.pk).update(
        status="rejected", rejection_reason="Documents from O'Brien & Co. <missing>"
    )
    row = OutgoingMail.objects.create(
        kind="application_rejected", to=submitted_application.email, language="en",
        params={"application_id": submitted_application.pk}, next_attempt_at=timezone.now(),
    )

    send_mail_task(row.pk)

    message = mail.outbox[-1]
    assert "Documents from O'Brien & Co. <missing>" in message.body
    html_part = message.alternatives[0][0]
    assert "O&#x27;Brien &amp; Co. &lt;missing&gt;" in html_part and "<missing>" not in html_part


@pytest.mark.parametrize(("language", "sender"), [("en", "UST Portal"), ("ko", "UST 포털")])
def test_it_writes_the_html_part_and_the_sender_name_in_the_recipients_language(queued_mail, settings, language, sender):
    settings.DEFAULT_FROM_EMAIL = "Whatever Name <no-reply@portal.example>"
    queued_mail.language = language
    queued_mail.save(update_fields=["language"])

    send_mail_task(queued_mail.pk)

    message = mail.outbox[0]
    assert f'<html lang="{language}">' in message.alternatives[0][0]
    assert message.from_email == f"{sender} <no-reply@portal.example>"
    assert "no-reply@portal.example" in message.message()["From"]
