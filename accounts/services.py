"""Account services: temporary-ID numbers, password links, contact changes (SPEC §3.1)."""

import unicodedata

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ustportal.errors import DomainError, InvalidLink, RateLimited
from ustportal.mail import mail_queue
from ustportal.ratelimit import cooldown, keyed_limit, retry_message

from .models import IdSequence, User

EMAIL_CHANGE_SALT = "accounts.email-change"


def temporary_id_allocate(*, year: int) -> str:
    """Next temporary student ID for ``year``; call inside a transaction. The locked counter never goes back."""
    IdSequence.objects.get_or_create(year=year)
    sequence = IdSequence.objects.select_for_update().get(year=year)
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
    # A number that is already some account's user name (a home student's, say) is skipped, never shared.
    while User.objects.filter(username__iexact=settings.TEMP_ID_FORMAT.format(year=year, seq=sequence.last_value)).exists():
        sequence.last_value += 1


def password_link_lookup(*, username: str, email: str, client_key: str) -> None:
    """First sign-in or a forgotten password: a link goes to the account's own address when both match.

    The answer is the same whether or not they match, so the form cannot be used to find out
    which student numbers or addresses exist; attempts are limited per client like the result
    look-up. Home students imported from the student information system start here.
    """
    # Keyed per lower-cased user name (tightly per address, and across addresses) with a looser per-address ceiling.
    verdict = keyed_limit(scope="pwlookup", address=client_key, key=unicodedata.normalize("NFKC", username).strip().lower())
    if not verdict.allowed:
        reason = (_("Too many attempts for this user name.") if verdict.by_key
                  else _("Too many attempts from your connection."))
        raise RateLimited(f"{reason} {retry_message(verdict.retry_after)}")
    user = User.objects.filter(username__iexact=username.strip(), email__iexact=email.strip(), is_active=True).first()
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


def email_change_request(*, user: User, new_email: str) -> None:
    """Mail a confirmation link to the *new* address; the account changes only when it is clicked."""
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


def email_change_token(*, user: User, new_email: str) -> str:
    # The current address and the time of the last change are part of the payload, so a link stops
    # working once any change is made, also when the address is later changed back.
    return signing.dumps(
        {"u": user.pk, "new": new_email, "old": user.email, "c": _email_change_stamp(user)}, salt=EMAIL_CHANGE_SALT
    )


def email_change_confirm(*, token: str) -> User:
    max_age = settings.EMAIL_CHANGE_LINK_MAX_AGE_HOURS * 3600
    try:
        payload = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidLink(_("This confirmation link has expired. Please request the change again.")) from exc
    except signing.BadSignature as exc:
        raise InvalidLink(_("This confirmation link is not valid.")) from exc
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=payload["u"]).first()
        if user is None or user.email != payload["old"] or _email_change_stamp(user) != payload.get("c", ""):
            raise InvalidLink(_("This confirmation link has already been used or is out of date."))
        user.email = payload["new"]
        user.email_changed_at = timezone.now()
        user.save(update_fields=["email", "email_changed_at"])
    return user
