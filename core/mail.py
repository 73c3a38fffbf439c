"""Mail outbox services: queue a message with the change that causes it, deliver it once."""

import logging
import smtplib
from datetime import timedelta
from email import encoders
from email.headerregistry import Address
from email.mime.base import MIMEBase
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .broker import broker_publish, broker_resume
from .bulk import bulk_record, change, fingerprint, preview_check
from .models import OutgoingMail

logger = logging.getLogger(__name__)

RELAY_GRACE = timedelta(seconds=30)


def mail_queue(
    *, kind: str, to: str, language: str, params: dict | None = None, attachments: list[dict] | None = None
) -> OutgoingMail:
    """Record a mail and hand it to the broker once the surrounding transaction commits.

    ``attachments`` are references (see ``core.emails.ATTACHMENTS``), resolved when the mail is sent.
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


def stale_claim() -> timedelta:
    """How long a "sending" row may stay claimed before it counts as abandoned (its worker died).

    Beyond the task's hard time limit no worker can still be sending it (the limit kills the process, and
    EMAIL_TIMEOUT bounds each SMTP step), so releasing it then cannot race a live attempt; a minute's margin.
    """
    return timedelta(seconds=settings.MAIL_STALE_CLAIM_SECONDS)


class OutboxMessage(EmailMultiAlternatives):
    """A mail whose every attachment goes as base64, so the bytes received are the bytes stored (issue 12, finding 7).

    Django sends a text/* attachment as a text part (7bit/8bit/quoted-printable), whose line endings are
    rewritten in transit: a bare CR inside a CSV field arrived as CRLF. base64 carries every byte as is; the
    type stays (text/csv is still text/csv) and Django names the file in RFC 2231 (``filename*=utf-8''…``), so
    a Korean name survives. ``attachments`` keep Django's (name, content, type) form for tests and the mailbox.
    """

    def _create_mime_attachment(self, content, mimetype):
        basetype, _slash, subtype = (mimetype or "application/octet-stream").partition("/")
        if basetype == "message":
            return super()._create_mime_attachment(content, mimetype)
        # attach() decodes UTF-8 text to str; encoding it again gives back exactly the stored bytes.
        part = MIMEBase(basetype, subtype or "octet-stream")
        part.set_payload(content.encode("utf-8") if isinstance(content, str) else content)
        encoders.encode_base64(part)
        return part


def _message(mail: OutgoingMail) -> tuple[str, EmailMultiAlternatives]:
    from .emails import render_attachments, render_mail

    subject, text, html = render_mail(mail)
    message = OutboxMessage(
        subject=subject, body=text, to=[mail.to], from_email=mail_sender(mail.language),
        headers={"Message-ID": mail.message_id},  # the same on every attempt: receivers de-duplicate on it
    )
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in render_attachments(mail):
        message.attach(filename, content, mimetype)
    return subject, message


CONNECTION_REFUSALS = (smtplib.SMTPAuthenticationError, smtplib.SMTPConnectError, smtplib.SMTPHeloError)


def smtp_failure_is_permanent(exc: BaseException) -> bool:
    """A 5xx answer about this message (sender, recipient, content): sending it again gets the same answer.

    4xx answers, dropped connections and timeouts are temporary and retried. A refusal of the portal's connection
    rather than of the mail — a refused login (535), the greeting or HELO refused, 530 "authentication required" or
    "STARTTLS first" — is the portal's configuration, so it is retried too: the mail goes once that is fixed.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in exc.recipients.values()]
    elif isinstance(exc, CONNECTION_REFUSALS) or getattr(exc, "smtp_code", None) == 530:
        return False
    elif isinstance(exc, smtplib.SMTPResponseException):
        codes = [exc.smtp_code]
    else:
        return False
    return bool(codes) and all(500 <= code <= 599 for code in codes)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "; ".join(f"{to}: {code} {_text(reply)}" for to, (code, reply) in exc.recipients.items())
    elif isinstance(exc, smtplib.SMTPResponseException):
        detail = f"{exc.smtp_code} {_text(exc.smtp_error)}"
    else:
        detail = str(exc)
    return f"{type(exc).__name__}: {detail}"[:2000]


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _record_failure(mail: OutgoingMail, exc: BaseException) -> None:
    permanent = smtp_failure_is_permanent(exc)
    give_up = permanent or mail.attempts >= settings.MAIL_MAX_ATTEMPTS
    mail.status = OutgoingMail.Status.FAILED if give_up else OutgoingMail.Status.QUEUED
    mail.last_error = _error_text(exc)
    mail.next_attempt_at = None if give_up else timezone.now() + _backoff(mail.attempts)
    mail.save(update_fields=["status", "last_error", "next_attempt_at"])
    logger.warning("Mail %s failed (attempt %s%s): %s", mail.pk, mail.attempts, ", permanent" if permanent else "", exc)


def mail_deliver(*, mail_id: int) -> bool:
    """Send one queued mail; a duplicate or retried job finds nothing to claim and sends nothing.

    At least once, not exactly once: if the worker dies after the SMTP server has the message but before the
    row says SENT, the row stays "sending" until ``stale_claim()`` has passed and the relay sends it again,
    with the same Message-ID. A permanent (5xx) refusal fails the mail at once; anything else is retried with
    backoff up to MAIL_MAX_ATTEMPTS.
    """
    now = timezone.now()
    claimed = OutgoingMail.objects.filter(pk=mail_id, status=OutgoingMail.Status.QUEUED).update(
        status=OutgoingMail.Status.SENDING, attempts=F("attempts") + 1, claimed_at=now
    )
    if claimed != 1:
        return False
    mail = OutgoingMail.objects.get(pk=mail_id)
    try:
        subject, message = _message(mail)
        message.send()
    except Exception as exc:  # SMTP and rendering failures alike are recorded, then retried or failed.
        _record_failure(mail, exc)
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
    OutgoingMail.objects.filter(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - stale_claim()).update(
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


def _resend_state(mails) -> list:
    return [[m.pk, m.status, m.attempts, m.to] for m in mails]


def mail_resend_preview(*, queryset) -> dict:
    """What "Re-send selected mail" would do: every selected mail not being sent goes again (a failed or queued one
    as itself, with its Message-ID; a sent one as a new copy with its own); mail in "sending" is left alone."""
    again = list(queryset.exclude(status=OutgoingMail.Status.SENDING).order_by("pk"))
    return {
        "again": again, "copied": [m for m in again if m.status == OutgoingMail.Status.SENT],
        "left": queryset.count() - len(again), "fingerprint": fingerprint(_resend_state(again)),
    }


def mail_resend_selected(*, queryset, expected: str, actor) -> int:
    """Staff's confirmed re-send of the previewed mail (``StalePreview`` if it changed since), recorded.

    A failed or queued mail is tried again as the same row with the same Message-ID (it may have arrived once; the
    recipient's mail system can tell). A *sent* mail re-sent on purpose is a new mail: a copy with a new Message-ID,
    because a mail system that holds the first id may hide a second one with it; its links are built afresh.
    """
    with transaction.atomic():
        again = list(queryset.exclude(status=OutgoingMail.Status.SENDING).select_for_update().order_by("pk"))
        preview_check(expected=expected, current=_resend_state(again))
        changes, copied = [], []
        for mail in again:
            if mail.status == OutgoingMail.Status.SENT:
                copy = mail_queue(kind=mail.kind, to=mail.to, language=mail.language, params=mail.params,
                                  attachments=mail.attachments)
                copied.append(mail.pk)
                changes.append(change(copy, before=None, after={"status": copy.status},
                                      label=f"{mail.kind} → {mail.to} {copy.message_id} (copy of #{mail.pk})"))
                continue
            mail_resend(mail=mail)
            changes.append(change(mail, before={"status": mail.status, "attempts": mail.attempts},
                                  after={"status": OutgoingMail.Status.QUEUED, "attempts": 0},
                                  label=f"{mail.kind} → {mail.to} {mail.message_id}"))
        if again:
            bulk_record(
                kind="ustportal.mail_resend", actor=actor, scope=f"{len(again)} mail", changes=changes,
                inputs={"ids": [m.pk for m in again], "copied": copied, "fingerprint": expected},
                summary=ngettext("%(count)d mail sent again.", "%(count)d mails sent again.", len(again))
                % {"count": len(again)},
            )
    return len(again)


def mail_stuck(queryset, *, now=None):
    """The mail of ``queryset`` still "sending" past ``stale_claim()``: its worker died, maybe after the SMTP
    server had it; nobody is sending it now (the task's hard time limit is shorter)."""
    now = now or timezone.now()
    return queryset.filter(status=OutgoingMail.Status.SENDING, claimed_at__lt=now - stale_claim())


def _send_again_state(mails) -> list:
    return [[m.pk, m.status, m.attempts, m.claimed_at] for m in mails]


def mail_send_again_preview(*, queryset) -> dict:
    """What "send again" would do with the selected mail: the stuck ones go again, the rest are left alone."""
    stuck = list(mail_stuck(queryset).order_by("pk"))
    return {
        "mails": stuck, "left": queryset.count() - len(stuck), "fingerprint": fingerprint(_send_again_state(stuck)),
        "minutes": int(stale_claim().total_seconds() // 60),
    }


def mail_send_again(*, queryset, expected: str, actor) -> int:
    """Staff's "mark as not sent and send again" for stuck mail, with the SAME Message-ID (the recipient may get
    it twice and can tell it is one mail); refuses (``StalePreview``) if the stuck set changed since the preview.
    Recorded in the staff action log; it cannot be undone (a mail that went cannot be recalled)."""
    with transaction.atomic():
        stuck = list(mail_stuck(queryset.select_for_update()).order_by("pk"))
        preview_check(expected=expected, current=_send_again_state(stuck))
        changes = []
        for mail in stuck:
            changes.append(change(mail, label=f"{mail.kind} → {mail.to} {mail.message_id}",
                                  before={"status": mail.status, "attempts": mail.attempts},
                                  after={"status": OutgoingMail.Status.QUEUED, "attempts": 0}))
            OutgoingMail.objects.filter(pk=mail.pk).update(
                status=OutgoingMail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
            )
            transaction.on_commit(lambda pk=mail.pk: mail_dispatch(mail_id=pk))
        if stuck:
            bulk_record(
                kind="ustportal.mail_send_again", actor=actor, scope=f"{len(stuck)} mail", changes=changes,
                inputs={"ids": [m.pk for m in stuck], "fingerprint": expected},
                summary=ngettext("%(count)d stuck mail sent again.", "%(count)d stuck mails sent again.",
                                 len(stuck)) % {"count": len(stuck)},
            )
    return len(stuck)
