"""Review R2 (issue 12, finding 6): a 5xx that is about the portal's connection to its relay, not about the mail
(the greeting refused, HELO refused, "authentication required", "must issue STARTTLS first"), must not fail every
queued mail at once: like a refused login (535) it is retried, and the mail goes once the configuration is fixed."""

import smtplib
from datetime import timedelta

import pytest
from django.utils import timezone

from core.mail import mail_deliver, smtp_failure_is_permanent
from core.models import OutgoingMail


@pytest.mark.parametrize("error", [
    smtplib.SMTPConnectError(554, b"5.7.1 no SMTP service for your address"),
    smtplib.SMTPHeloError(550, b"5.7.1 HELO refused"),
    smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", "no-reply@portal.example"),
    smtplib.SMTPSenderRefused(530, b"5.7.0 Must issue a STARTTLS command first", "no-reply@portal.example"),
    smtplib.SMTPDataError(530, b"5.7.0 Authentication required"),
])
def test_a_refusal_of_the_portals_connection_is_retried(error):
    assert smtp_failure_is_permanent(error) is False


def test_a_mail_refused_at_the_greeting_stays_queued_for_a_retry(db, monkeypatch):
    mail = OutgoingMail.objects.create(kind="set_password", to="a@b.example", params={"user_id": 0},
                                       next_attempt_at=timezone.now() - timedelta(seconds=1))

    def refuse(*args, **kwargs):
        raise smtplib.SMTPConnectError(554, b"5.7.1 no SMTP service for your address")

    monkeypatch.setattr("core.mail._message", refuse)
    mail_deliver(mail_id=mail.pk)

    mail.refresh_from_db()
    assert mail.status == OutgoingMail.Status.QUEUED and mail.next_attempt_at is not None
    assert "554" in mail.last_error
