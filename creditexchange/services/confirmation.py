"""Confirming an application's e-mail address (SPEC §3.1, seed 000 §1.a): the mailed link, its check, its re-send."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidLink, InvalidTransition, RateLimited

from ..models import TemporaryIdApplication
from .applications import CONFIRM_SALT, _lock, _queue_confirmation, _record

Status = TemporaryIdApplication.Status


def application_resend_confirmation(*, application_id: int, at: datetime | None = None) -> TemporaryIdApplication:
    """Send the confirmation mail again, to the address on the application; rate-limited."""
    at = at or timezone.now()
    with transaction.atomic():
        application = _lock(application_id)
        if application.status != Status.SUBMITTED:
            raise InvalidTransition(_("This application's e-mail address is already confirmed; no mail is needed."))
        cooldown = timedelta(seconds=settings.TEMP_ID_RESEND_COOLDOWN_SECONDS)
        if application.confirmation_sent_at and at < application.confirmation_sent_at + cooldown:
            wait = application.confirmation_sent_at + cooldown - at
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            raise RateLimited(
                _("A confirmation mail was sent a moment ago. You can ask again in %(minutes)s minute(s).")
                % {"minutes": minutes}
            )
        if application.confirmation_resends >= settings.TEMP_ID_RESEND_MAX:
            raise RateLimited(
                _("The confirmation mail has been re-sent %(count)s times. Please contact the registrar's office.")
                % {"count": application.confirmation_resends}
            )
        application.confirmation_resends += 1
        application.confirmation_sent_at = at
        application.save(update_fields=["confirmation_resends", "confirmation_sent_at"])
        _queue_confirmation(application)
    return application


def _confirmation_value(token: str) -> tuple[str, str, bool]:
    """(application pk, nonce, expired) of a correctly signed confirmation token; a bad signature is refused."""
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    try:
        value = signer.unsign(token)
    except signing.BadSignature as exc:
        raise InvalidLink(
            _("This confirmation link is not valid. Please use the link exactly as it was mailed."), code="bad"
        ) from exc
    try:
        signer.unsign(token, max_age=timedelta(hours=settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS))
        expired = False
    except signing.SignatureExpired:
        expired = True
    pk, _sep, nonce = value.partition(":")
    return pk, nonce, expired


def _confirmable(application: TemporaryIdApplication | None, *, nonce: str, expired: bool) -> bool:
    """False if the link was already used; raises if it cannot confirm (gone, expired, closed)."""
    if application is None or application.confirmation_nonce != nonce:
        raise InvalidLink(
            _("This application no longer exists. Unconfirmed applications are deleted after a few days; please apply again."),
            code="gone",
        )
    if application.confirmed_at is not None:
        return False
    if application.status != Status.SUBMITTED:
        raise InvalidLink(
            _("This application was closed before its e-mail address was confirmed. Check its result on the look-up page."),
            code="closed",
        )
    if expired:
        raise InvalidLink(
            _("This confirmation link has expired. Use “Re-send confirmation mail” to get a new one."), code="expired"
        )
    return True


def application_confirm_check(*, token: str) -> TemporaryIdApplication:
    """What a confirmation link would do, without doing it (a GET or HEAD, e.g. a mail preview or a link scanner).

    Returns the application (``confirmed_at`` set if the link was already used) or raises ``InvalidLink``.
    """
    pk, nonce, expired = _confirmation_value(token)
    application = TemporaryIdApplication.objects.select_related("term").filter(pk=pk).first()
    _confirmable(application, nonce=nonce, expired=expired)
    return application


def application_expired_link_resendable(*, token: str) -> int | None:
    """The application behind an expired but genuine confirmation link that may still get a new one; else None.

    Lets the expired-link page offer "send me a new link" without the applicant typing the form again.
    """
    try:
        pk, nonce, expired = _confirmation_value(token)
    except InvalidLink:
        return None
    if not expired or not pk.isdigit():
        return None
    return (
        TemporaryIdApplication.objects.filter(
            pk=int(pk), confirmation_nonce=nonce, status=Status.SUBMITTED, confirmed_at__isnull=True
        ).values_list("pk", flat=True).first()
    )


def application_confirm(*, token: str, at: datetime | None = None) -> TemporaryIdApplication:
    """Seed 000 §1.a: pressing the button behind the mailed link completes the application. The link works once."""
    pk, nonce, expired = _confirmation_value(token)
    with transaction.atomic():
        application = TemporaryIdApplication.objects.select_for_update().filter(pk=pk).first()
        if not _confirmable(application, nonce=nonce, expired=expired):
            raise InvalidLink(_("This link has already been used. Your e-mail address is confirmed."), code="used")
        application.status = Status.CONFIRMED
        application.confirmed_at = at or timezone.now()
        application.save(update_fields=["status", "confirmed_at"])
        _record(application, from_status=Status.SUBMITTED)
    return application
