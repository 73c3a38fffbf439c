"""Mail outbox services: queue a message with the change that causes it, deliver it once."""

import logging
from datetime import timedelta
from email.headerregistry import Address
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .broker import broker_publish, broker_resume
from .models import OutgoingMail

logger = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
RELAY_GRACE = timedelta(seconds=30)


def mail_queue(
    *, kind: str, to: str, language: str, params: dict | None = None, attachments: list[dict] | None = None
) -> OutgoingMail:
    """Record a mail and hand it to the broker once the surrounding transaction commits.

    ``attachments`` are references (see ``ustportal.emails.ATTACHMENTS``), resolved when the mail is sent.
    """
    mail = OutgoingMail.objects.create(
        kind=kind, to=to, language=language or settings.LANGUAGE_CODE, params=params or {},
        attachments=attachments or [], next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: mail_dispatch(mail_id=mail.pk))
    return mail


def mail_dispatch(*, mail_id: int) -> bool:
    """Give the broker a delivery job; if it is down the relay picks the row up later."""
    from .tasks import send_mail_task

    return broker_publish(send_mail_task, mail_id)


def mail_sender(language: str) -> str:
    """DEFAULT_FROM_EMAIL's address under the portal's name in the recipient's language ("UST 포털 <…>")."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    with translation.override(language or settings.LANGUAGE_CODE):
        name = str(_("UST Portal"))
    return str(Address(display_name=name, addr_spec=address)) if address else settings.DEFAULT_FROM_EMAIL


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def mail_deliver(*, mail_id: int) -> bool:
    """Send one queued mail; a duplicate or retried job finds nothing to claim and sends nothing."""
    from .emails import render_attachments, render_mail

    now = timezone.now()
    claimed = OutgoingMail.objects.filter(pk=mail_id, status=OutgoingMail.Status.QUEUED).update(
        status=OutgoingMail.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if claimed != 1:
        return False
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        subject, text, html = render_mail(mail)
        message = EmailMultiAlternatives(subject=subject, body=text, to=[mail.to], from_email=mail_sender(mail.language))
        message.attach_alternative(html, "text/html")
        for filename, content, mimetype in render_attachments(mail):
            message.attach(filename, content, mimetype)
        message.send()
    except Exception as exc:  # SMTP and rendering failures alike are recorded, then retried or failed.
        give_up = mail.attempts >= settings.MAIL_MAX_ATTEMPTS
        mail.status = OutgoingMail.Status.FAILED if give_up else OutgoingMail.Status.QUEUED
        mail.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        mail.next_attempt_at = None if give_up else timezone.now() + _backoff(mail.attempts)
        mail.save(update_fields=["status", "last_error", "next_attempt_at"])
        logger.warning("Mail %s failed (attempt %s): %s", mail.pk, mail.attempts, exc)
        return False
    mail.status = OutgoingMail.Status.SENT
    mail.subject = subject[:255]
    mail.sent_at = timezone.now()
    mail.last_error = ""
    mail.save(update_fields=["status", "subject", "sent_at", "last_error"])
    return True


def mail_relay() -> int:
    """Re-dispatch mail the broker never delivered (outage, crash, retry due); returns how many went to the broker."""
    broker_resume()  # the relay is a fresh attempt: try the broker again even if this process saw it fail
    now = timezone.now()
    OutgoingMail.objects.filter(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - STALE_CLAIM).update(
        status=OutgoingMail.Status.QUEUED
    )
    due = list(
        OutgoingMail.objects.filter(
            status=OutgoingMail.Status.QUEUED, next_attempt_at__lte=now, created_at__lt=now - RELAY_GRACE
        ).values_list("pk", flat=True)[:500]
    )
    handed_over = 0
    for mail_id in due:
        if not mail_dispatch(mail_id=mail_id):
            break  # still down: the rest wait for the next run
        handed_over += 1
    return handed_over


def mail_resend(*, mail: OutgoingMail) -> None:
    """Staff re-send of a failed (or sent) mail: a fresh try with the attempt count reset."""
    with transaction.atomic():
        OutgoingMail.objects.filter(pk=mail.pk).exclude(status=OutgoingMail.Status.SENDING).update(
            status=OutgoingMail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
        transaction.on_commit(lambda: mail_dispatch(mail_id=mail.pk))
