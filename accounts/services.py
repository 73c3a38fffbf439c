"""Account services: temporary-ID numbers, password links, contact changes (SPEC §3.1)."""

import math
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError, InvalidLink, RateLimited
from core.mail import mail_queue
from core.ratelimit import cooldown, keyed_limit, retry_message

from .models import IdSequence, User

EMAIL_CHANGE_SALT = "accounts.email-change"
EMAIL_REPORT_SALT = "accounts.email-change-report"


class AlreadyReported(DomainError):
    """A "this wasn't me" link whose address is already back: a friendly answer, not an error page."""


def temporary_id_allocate(*, year: int) -> str:
    """Next temporary student ID for ``year``; call inside a transaction. The locked counter never goes back."""
    IdSequence.objects.get_or_create(year=year)
    sequence = IdSequence.objects.select_for_update().get(year=year)
    sequence.last_value += 1
    # A number that is already some account's user name (a home student's, say) is skipped, never shared.
    while User.objects.filter(username__iexact=settings.TEMP_ID_FORMAT.format(year=year, seq=sequence.last_value)).exists():
        sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return settings.TEMP_ID_FORMAT.format(year=year, seq=sequence.last_value)


def password_link_request(*, user: User, language: str | None = None) -> bool:
    """Mail a set-password link to the account's own address; False if one went out moments ago."""
    if not user.email:
        raise DomainError(_("This account has no e-mail address. Please contact the registrar's office."))
    if not cooldown(f"pwmail:{user.pk}", seconds=settings.PASSWORD_MAIL_COOLDOWN_SECONDS):
        return False
    mail_queue(kind="set_password", to=user.email, language=language or user.language, params={"user_id": user.pk})
    return True


def password_link_lookup(*, username: str, email: str, client_key: str) -> None:
    """First sign-in or a forgotten password: a link goes to the account's own address when both match.

    The answer is the same whether or not they match, so the form cannot be used to find out
    which student numbers or addresses exist; attempts are limited per client like the result
    look-up. Home students imported from the student information system start here.
    """
    # Keyed per lower-cased user name (tightly per address, and across addresses) with a looser per-address ceiling.
    verdict = keyed_limit(scope="pwlookup", address=client_key, key=unicodedata.normalize("NFKC", username).strip().upper().lower())
    if not verdict.allowed:
        reason = (_("Too many attempts for this user name.") if verdict.by_key
                  else _("Too many attempts from your connection."))
        raise RateLimited(f"{reason} {retry_message(verdict.retry_after)}")
    # Never for staff or superusers: a mailbox alone must not reset an admin's password (a superuser does that).
    user = User.objects.filter(
        username__iexact=username.strip(), email__iexact=email.strip(), is_active=True, is_staff=False, is_superuser=False
    ).first()
    if user is not None and user.email:
        password_link_request(user=user)


def profile_update(*, user: User, phone: str, language: str, display_name: str | None = None) -> User:
    user.phone = phone
    user.language = language
    fields = ["phone", "language"]
    if display_name is not None:
        user.display_name = display_name
        fields.append("display_name")
    user.full_clean(exclude=["password"])
    user.save(update_fields=fields)
    return user


def _reauthenticate(*, user: User, password: str) -> None:
    """Re-authentication for a sensitive change (ASVS V6): the current password, with failures limited per user.

    Once ``REAUTH_FAILURE_LIMIT`` wrong passwords fell in the window even the right one waits, so a
    borrowed session cannot be used to guess the password.
    """
    key = f"accounts:reauth-failures:{user.pk}"
    if (cache.get(key) or 0) >= settings.REAUTH_FAILURE_LIMIT:
        minutes = math.ceil(settings.REAUTH_FAILURE_WINDOW_SECONDS / 60)
        raise RateLimited(ngettext(
            "Too many wrong passwords. Please wait %(minutes)d minute and try again.",
            "Too many wrong passwords. Please wait %(minutes)d minutes and try again.", minutes,
        ) % {"minutes": minutes}, code="password")
    if not user.check_password(password):
        if not cache.add(key, 1, timeout=settings.REAUTH_FAILURE_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.REAUTH_FAILURE_WINDOW_SECONDS)
        raise DomainError(_("The password is not correct."), code="password")
    cache.delete(key)


def email_change_request(*, user: User, new_email: str, password: str) -> None:
    """Mail a confirmation link to the *new* address once the current password is given; nothing changes yet."""
    _reauthenticate(user=user, password=password)
    new_email = new_email.strip()
    if new_email.lower() == (user.email or "").lower():
        raise DomainError(_("That is already your e-mail address."))
    if not cooldown(f"emailchange:{user.pk}", seconds=60):
        raise RateLimited(_("A confirmation link was sent a moment ago. Please wait a minute before asking again."))
    with transaction.atomic():
        mail_queue(
            kind="email_change", to=new_email, language=user.language,
            params={"user_id": user.pk, "new_email": new_email},
        )


def _email_change_stamp(user: User) -> str:
    return user.email_changed_at.isoformat() if user.email_changed_at else ""


def _password_stamp(user: User) -> str:
    # A keyed digest of the password hash (the payload is readable): a new password voids pending links.
    return salted_hmac(EMAIL_CHANGE_SALT, user.password or "").hexdigest()[:32]


def email_change_token(*, user: User, new_email: str) -> str:
    # The current address and the time of the last change are part of the payload, so a link stops
    # working once any change is made, also when the address is later changed back; and the password, so the
    # owner who changes it (someone else knew it and asked for the change) also voids the link.
    return signing.dumps(
        {"u": user.pk, "new": new_email, "old": user.email, "c": _email_change_stamp(user), "p": _password_stamp(user)},
        salt=EMAIL_CHANGE_SALT,
    )


def _email_change_payload(token: str) -> dict:
    max_age = settings.EMAIL_CHANGE_LINK_MAX_AGE_HOURS * 3600
    try:
        return signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidLink(_("This confirmation link has expired. Please request the change again.")) from exc
    except signing.BadSignature as exc:
        raise InvalidLink(_("This confirmation link is not valid.")) from exc


def _email_change_current(user: User | None, payload: dict) -> None:
    if (user is None or user.email != payload["old"] or _email_change_stamp(user) != payload.get("c", "")
            or not constant_time_compare(_password_stamp(user), payload.get("p", ""))):
        raise InvalidLink(_("This confirmation link has already been used or is out of date."))


def email_change_check(*, token: str) -> str:
    """The new address a confirmation link would set, if it still works; changes nothing (the page's GET)."""
    payload = _email_change_payload(token)
    _email_change_current(User.objects.filter(pk=payload["u"]).first(), payload)
    return payload["new"]


def email_change_confirm(*, token: str) -> User:
    """Set the new address (the link's POST), record it in the user's trail and tell the *old* address (finding 4)."""
    payload = _email_change_payload(token)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=payload["u"]).first()
        _email_change_current(user, payload)
        old_email = user.email
        user.email = payload["new"]
        user.email_changed_at = timezone.now()
        user.save(update_fields=["email", "email_changed_at"])
        security_trail_record(user=user, message=f"E-mail address changed from {old_email} to {user.email}.")
        if old_email:
            mail_queue(
                kind="email_change_notice", to=old_email, language=user.language,
                params={"user_id": user.pk, "new_email": user.email, "changed_at": user.email_changed_at.isoformat()},
            )
    return user


def security_trail_record(*, user: User, message: str, actor: User | None = None) -> None:
    """One line in the account's security trail: the admin's history of that user (``LogEntry``), no new table.

    Kept in English like the admin's own entries; the registrar reads it under the user's "History".
    """
    LogEntry.objects.log_actions(
        user_id=(actor or user).pk, queryset=[user], action_flag=CHANGE, change_message=message, single_object=True
    )


def email_change_report_token(*, user_id: int, old_email: str, new_email: str, changed_at: str) -> str:
    """The signed "this wasn't me" link in the notice to the old address; built when the mail renders, never stored."""
    return signing.dumps({"u": user_id, "old": old_email, "new": new_email, "at": changed_at}, salt=EMAIL_REPORT_SALT)


def _email_change_report_payload(token: str) -> dict:
    max_age = timedelta(days=settings.EMAIL_CHANGE_REPORT_MAX_AGE_DAYS)
    expired = InvalidLink(_("This link has expired. Please contact the registrar's office about your account."))
    try:
        payload = signing.loads(token, salt=EMAIL_REPORT_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise expired from exc
    except signing.BadSignature as exc:
        raise InvalidLink(_("This link is not valid.")) from exc
    if timezone.now() - datetime.fromisoformat(payload["at"]) > max_age:  # counted from the change, not the mail
        raise expired
    return payload


REPORT_TRAIL_PREFIX = "E-mail change to "  # the trail line of a report (email_change_report)


def _reported_since(user: User, payload: dict) -> bool:
    """An owner's report was acted on after this link's change: it undid the link's change, so the link is spent.

    Otherwise an intruder who changed the address twice keeps the notice of the second change (it went to
    their first address) and, after the owner took the account back, takes it once more with that link.
    """
    from django.contrib.contenttypes.models import ContentType

    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk),
        change_message__startswith=REPORT_TRAIL_PREFIX, action_time__gt=datetime.fromisoformat(payload["at"]),
    ).exists()


def _spent_report_link() -> InvalidLink:
    return InvalidLink(_("This link no longer works: the account was already taken back. "
                         "Please contact the registrar's office about your account."))


def email_change_report_check(*, token: str) -> dict:
    """What a "this wasn't me" link would undo (the page's GET); changes nothing."""
    payload = _email_change_report_payload(token)
    user = _report_target(User.objects.filter(pk=payload["u"]).first(), payload)
    return {"old_email": payload["old"], "changed_at": datetime.fromisoformat(payload["at"]), "staff": _is_staff(user)}


def _report_target(user: User | None, payload: dict) -> User:
    """The account a "this wasn't me" link may still take back, or the reason it may not."""
    if user is None:
        raise InvalidLink(_("This link is not valid."))
    if user.email.lower() == payload["old"].lower():
        raise AlreadyReported(_("The account already uses {email} again. Nothing else to do.").format(email=payload["old"]))
    if _reported_since(user, payload):
        raise _spent_report_link()
    return user


def _is_staff(user: User) -> bool:
    return user.is_staff or user.is_superuser


def email_change_report(*, token: str) -> User:
    """"This wasn't me": whoever reads the old address takes the account back.

    The old address is restored; the password becomes unusable, which ends every session of the account
    (each one carries the password's session hash) including the intruder's; second-factor devices the
    intruder may have added are removed; a set-password link goes to the restored address; and the
    account's security trail records it. Pending e-mail change links die with the new change time.
    """
    from django_otp import devices_for_user

    payload = _email_change_report_payload(token)
    with transaction.atomic():
        user = _report_target(User.objects.select_for_update().filter(pk=payload["u"]).first(), payload)
        intruder_email = user.email
        user.email = payload["old"]
        user.email_changed_at = timezone.now()
        user.set_unusable_password()
        user.save(update_fields=["email", "email_changed_at", "password"])
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        # A staff password is never set from a mailbox (a recycled old address would get a staff account): a superuser resets it.
        staff = _is_staff(user)
        security_trail_record(user=user, message=(
            f"{REPORT_TRAIL_PREFIX}{intruder_email} reported from {payload['old']} as not made by the owner: "
            "address restored, password disabled, sessions ended, second-factor devices removed, "
            + ("no set-password link (staff: a superuser sets the password)." if staff else "set-password link mailed.")
        ))
        if not staff:
            mail_queue(kind="set_password", to=user.email, language=user.language, params={"user_id": user.pk})
    return user


def lockout_wait_minutes(*, username: str | None, ip_address: str | None) -> int:
    """Whole minutes until django-axes lets this user name try again from this address (at least 1)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off() or timedelta(0)
    latest = AccessAttempt.objects.filter(username=username, ip_address=ip_address).aggregate(at=Max("attempt_time"))["at"]
    remaining = (latest + cool_off - timezone.now()) if latest else cool_off
    return max(1, math.ceil(remaining.total_seconds() / 60))


def lockout_reset(*, attempts) -> int:
    """Lift the lock-outs of the given django-axes attempts (the admin action); returns how many records went."""
    from axes.utils import reset

    return sum(reset(ip=attempt.ip_address, username=attempt.username) for attempt in attempts)
