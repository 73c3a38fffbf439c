"""The outbox against a real SMTP server (issue 12, findings 6 and 7): what arrives on the wire.

One Message-ID per mail for every attempt; a permanent (5xx) refusal is not retried, a temporary (4xx)
one is; attachments arrive byte for byte as stored (base64), with their type and their Korean names.
"""

import hashlib
import smtplib
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from core.mail import mail_deliver, smtp_failure_is_permanent
from core.models import OutgoingMail
from creditexchange.models import PartnerList, PartnerListFile

from ..creditexchange.partner_list_helpers import build_scene, send


@pytest.fixture
def queued_mail(submitted_application):
    return OutgoingMail.objects.create(
        kind="application_confirmation", to=submitted_application.email, language="en",
        params={"application_id": submitted_application.pk}, next_attempt_at=timezone.now(),
    )


def _due(row: OutgoingMail) -> None:
    OutgoingMail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_every_attempt_of_a_mail_carries_its_one_message_id_on_the_portals_domain(smtp_server, queued_mail, settings):
    settings.DEFAULT_FROM_EMAIL = "UST Portal <no-reply@portal.example>"
    fresh = OutgoingMail.objects.create(kind="x", to="a@b.example", next_attempt_at=timezone.now())
    assert fresh.message_id.endswith("@portal.example>") and fresh.message_id != queued_mail.message_id
    smtp_server.replies = [("DATA", "451 4.3.0 Mailbox busy, try again later")]

    assert mail_deliver(mail_id=queued_mail.pk) is False  # read in full by the server, then refused for now
    _due(queued_mail)
    assert mail_deliver(mail_id=queued_mail.pk) is True

    received = smtp_server.messages()
    assert len(received) == 2
    assert {m["Message-ID"] for m in received} == {queued_mail.message_id}
    assert socket.getfqdn() not in queued_mail.message_id
    queued_mail.refresh_from_db()
    assert (queued_mail.status, queued_mail.attempts) == (OutgoingMail.Status.SENT, 2)


def test_a_message_id_setting_names_the_domain(settings, db):
    settings.MAIL_MESSAGE_ID_DOMAIN = "mail.ust.example"
    row = OutgoingMail.objects.create(kind="x", to="a@b.example")
    assert row.message_id.startswith("<") and row.message_id.endswith("@mail.ust.example>")


@pytest.mark.parametrize(
    ("stage", "reply"),
    [
        ("DATA", "550 5.7.1 Message rejected as spam"),
        ("RCPT", "550 5.1.1 No such user here"),
        ("MAIL", "553 5.1.8 Sender address rejected"),
        ("DATA", "554 5.6.0 Message content rejected"),
    ],
)
def test_a_permanent_refusal_fails_the_mail_at_once_with_the_reason(smtp_server, queued_mail, settings, stage, reply):
    settings.MAIL_MAX_ATTEMPTS = 5
    smtp_server.replies = [(stage, reply)]

    assert mail_deliver(mail_id=queued_mail.pk) is False

    queued_mail.refresh_from_db()
    assert (queued_mail.status, queued_mail.attempts, queued_mail.next_attempt_at) == (OutgoingMail.Status.FAILED, 1, None)
    assert reply.split(" ", 1)[0] in queued_mail.last_error and reply.split(" ", 2)[2] in queued_mail.last_error
    _due(queued_mail)
    assert mail_deliver(mail_id=queued_mail.pk) is False  # nothing to claim: a failed mail waits for staff
    assert queued_mail.attempts == 1


@pytest.mark.parametrize(("stage", "reply"), [("DATA", "451 4.3.0 Try again later"), ("RCPT", "450 4.2.1 Mailbox busy")])
def test_a_temporary_refusal_is_retried_with_backoff(smtp_server, queued_mail, stage, reply):
    smtp_server.replies = [(stage, reply)]

    assert mail_deliver(mail_id=queued_mail.pk) is False

    queued_mail.refresh_from_db()
    assert (queued_mail.status, queued_mail.attempts) == (OutgoingMail.Status.QUEUED, 1)
    assert queued_mail.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert reply.split(" ", 1)[0] in queued_mail.last_error
    _due(queued_mail)
    assert mail_deliver(mail_id=queued_mail.pk) is True


def test_an_unreachable_smtp_server_is_retried(queued_mail, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # discard port: refused
    assert mail_deliver(mail_id=queued_mail.pk) is False
    queued_mail.refresh_from_db()
    assert queued_mail.status == OutgoingMail.Status.QUEUED and queued_mail.next_attempt_at > timezone.now()


# A field with a bare CR, a CRLF and a lone LF, Korean text and a Korean file name: what line-ending
# normalisation in transit (7bit/8bit/quoted-printable text parts) would change.
AWKWARD_CSV = '학번,이름,비고\r\nH001,김하늘,"첫 줄\r둘째 줄"\r\nH002,이바다,"하나\n둘"\n'.encode()


def _stored_files(scene) -> list[PartnerListFile]:
    partner_list = send(scene, scene.garam, PartnerList.Kind.REGISTRATIONS)
    awkward = PartnerListFile.objects.create(
        partner_list=partner_list, filename="2027-봄_가람대학교_명단.csv", content_type="text/csv",
        content=AWKWARD_CSV, sha256=hashlib.sha256(AWKWARD_CSV).hexdigest(), size=len(AWKWARD_CSV),
    )
    row = OutgoingMail.objects.get(kind="partner_list")
    row.attachments = [*row.attachments, {"kind": "partner_list_file", "id": awkward.pk}]
    row.save(update_fields=["attachments"])
    return list(PartnerListFile.objects.filter(partner_list=partner_list))


def test_attachments_arrive_byte_for_byte_as_stored(smtp_server, db):
    files = _stored_files(build_scene())
    assert {f.filename.rsplit(".", 1)[1] for f in files} == {"csv", "xlsx"} and len(files) == 3
    row = OutgoingMail.objects.get(kind="partner_list")

    assert mail_deliver(mail_id=row.pk) is True

    (message,) = smtp_server.messages()
    parts = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(parts) == {f.filename for f in files}
    for stored in files:
        part = parts[stored.filename]
        received = part.get_payload(decode=True)
        assert hashlib.sha256(received).hexdigest() == stored.sha256 == hashlib.sha256(bytes(stored.content)).hexdigest()
        assert part.get_content_type() == stored.content_type
        assert part["Content-Transfer-Encoding"] == "base64"
    assert parts["2027-봄_가람대학교_명단.csv"].get_payload(decode=True) == AWKWARD_CSV


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPDataError(550, b"5.7.1 rejected"), True),
        (smtplib.SMTPSenderRefused(553, b"5.1.8 bad sender", "a@b.example"), True),
        (smtplib.SMTPRecipientsRefused({"a@b.example": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b.example": (550, b"no"), "c@d.example": (452, b"full")}), False),
        (smtplib.SMTPDataError(451, b"4.3.0 later"), False),
        (smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), False),  # the portal's configuration
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (TimeoutError("timed out"), False),
        (ValueError("the account's e-mail address is no longer the one this mail was queued for"), False),
    ],
)
def test_which_failures_are_permanent(error, permanent):
    assert smtp_failure_is_permanent(error) is permanent
