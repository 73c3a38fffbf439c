"""Enrolling the second factor is bound to the staff member's address on record (no trust on first use).

The password alone does not let anyone register an authenticator app: the setup page also wants a
one-time *enrolment code* mailed to the account's e-mail address.

How the code works (nothing secret is stored for it):

* "Send the code" (a POST; opening the page changes nothing) throws away any earlier unconfirmed
  device, creates a fresh unconfirmed ``TOTPDevice`` with a new random key and queues the mail with
  ids only (``user_id``, ``device_id``).
* The code is *derived*, never stored: the first 8 digits of an HMAC-SHA256 under ``SECRET_KEY``
  (``salted_hmac``) over the user's id, the device's id and key, and the address on record. The mail
  builder computes it at send time; the confirmation computes it again and compares in constant time.
* It is valid for ``TWO_FACTOR_ENROLMENT_CODE_MINUTES`` (30) from the device's ``created_at`` and works
  once: it belongs to that one unconfirmed device, which either becomes the confirmed device or is
  replaced (new key, new id, new code) by the next "send". Changing the address, rotating the secret
  key or a superuser removing the device all void it.
* Wrong codes use the device's own django-otp throttle (a growing wait), and after
  ``TWO_FACTOR_ENROLMENT_MAX_WRONG`` (5) the enrolment is thrown away: a new code must be mailed.
  Sending is limited per account (one a minute, ``TWO_FACTOR_ENROLMENT_SENDS_PER_HOUR`` an hour).
* The key (QR code) is shown only in the session that asked for the code, so someone who holds the
  password never sees the key of an enrolment the owner will finish.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.mail import mail_queue
from core.ratelimit import hit_all, retry_message

from .twofactor import SecondFactorRefused, _throttled, has_app, totp_setup_confirm

SESSION_KEY = "two_factor_enrolment_device"
MAIL_KIND = "two_factor_enrolment"
CODE_DIGITS = 8
START_AGAIN = frozenset({"no_code", "expired", "too_many"})  # refusals after which a new code must be sent


class EnrolmentRefused(SecondFactorRefused):
    pass


def enrolment_code(device: TOTPDevice) -> str:
    """The 8-digit code for this unconfirmed device and the owner's current address (derived, never stored)."""
    value = f"{device.user_id}|{device.pk}|{device.key}|{(device.user.email or '').strip().lower()}"
    digest = salted_hmac("accounts.enrolment.code", value, algorithm="sha256").digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def enrolment_expires_at(device: TOTPDevice) -> datetime:
    return device.created_at + timedelta(minutes=settings.TWO_FACTOR_ENROLMENT_CODE_MINUTES)


def enrolment_pending(*, user, device_id) -> TOTPDevice | None:
    """The unconfirmed device this session asked a code for, while that code is still valid (reads only)."""
    if not isinstance(device_id, int):
        return None
    device = TOTPDevice.objects.filter(pk=device_id, user=user, confirmed=False).first()
    return device if device is not None and timezone.now() < enrolment_expires_at(device) else None


def _no_address() -> EnrolmentRefused:
    return EnrolmentRefused(_(
        "Your account has no e-mail address on record, so you cannot set up the second factor yourself: "
        "ask a superuser to add your address to your account, then open this page again."
    ), code="no_email")


def enrolment_code_send(*, user) -> TOTPDevice:
    """Start an enrolment: a fresh unconfirmed device, and its code mailed to the address on record."""
    if has_app(user):
        raise EnrolmentRefused(_("You already have an authenticator app. Remove it first to set up a new one."),
                               code="enrolled")
    if not (user.email or "").strip():
        raise _no_address()
    verdict = hit_all(keys=[
        (f"2fa-enrol:minute:{user.pk}", 1, settings.TWO_FACTOR_ENROLMENT_RESEND_SECONDS),
        (f"2fa-enrol:hour:{user.pk}", settings.TWO_FACTOR_ENROLMENT_SENDS_PER_HOUR, 3600),
    ])
    if not verdict.allowed:
        raise EnrolmentRefused(
            _("An enrolment code was sent a moment ago; check your mailbox.") + " " + retry_message(verdict.retry_after),
            code="throttled",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
        mail_queue(kind=MAIL_KIND, to=user.email, language=user.language,
                   params={"user_id": user.pk, "device_id": device.pk})
    return device


def _check_code(*, user, device_id, code: str) -> TOTPDevice:
    """The pending device if ``code`` is its mailed code; every refusal leaves the device unconfirmed."""
    refusal = None
    with transaction.atomic():
        device = None
        if isinstance(device_id, int):
            device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        if device is None:
            raise EnrolmentRefused(_("First have the enrolment code sent to your e-mail address."), code="no_code")
        if timezone.now() >= enrolment_expires_at(device):
            device.delete()
            refusal = EnrolmentRefused(_("The enrolment code has expired. Have a new one sent."), code="expired")
        else:
            allowed, info = device.verify_is_allowed()
            digits = "".join(ch for ch in code if ch not in " -")
            if not allowed:
                refusal = EnrolmentRefused(_throttled(info or {}).message, code="throttled")
            elif digits.isascii() and constant_time_compare(digits, enrolment_code(device)):
                device.throttle_reset()  # the owner's mailbox answered: the app code gets its own tries
                return device
            elif device.throttling_failure_count + 1 >= settings.TWO_FACTOR_ENROLMENT_MAX_WRONG:
                device.delete()
                refusal = EnrolmentRefused(_("Too many wrong enrolment codes. Have a new one sent."), code="too_many")
            else:
                device.throttle_increment()
                refusal = EnrolmentRefused(
                    _("That enrolment code is not right. Enter the 8-digit code from the e-mail."), code="wrong_code")
    raise refusal  # outside the transaction, so the count and the deletion stay


def enrolment_confirm(*, user, device_id, code: str, token: str) -> tuple[TOTPDevice, list[str]]:
    """The mailed code, then the app's first code: the device is confirmed and the recovery codes made."""
    device = _check_code(user=user, device_id=device_id, code=code)
    codes = totp_setup_confirm(user=user, device=device, token=token)
    device.refresh_from_db()
    return device, codes


def enrolment_mail_context(*, user_id: int, device_id: int, to: str) -> dict:
    """What the mail needs, computed at send time; refuses an address the account has left or a spent enrolment."""
    device = TOTPDevice.objects.select_related("user").filter(pk=device_id, user_id=user_id, confirmed=False).first()
    if device is None:
        raise ValueError("the enrolment this code was for is finished or was replaced")
    if (device.user.email or "").strip().lower() != to.strip().lower():
        raise ValueError("the account's e-mail address is no longer the one this mail was queued for")
    expires_at = enrolment_expires_at(device)
    if timezone.now() >= expires_at:
        raise ValueError("the enrolment code has expired before the mail could be sent")
    code = enrolment_code(device)
    return {
        "user": device.user, "code": f"{code[:4]} {code[4:]}", "expires_at": expires_at,
        "minutes": settings.TWO_FACTOR_ENROLMENT_CODE_MINUTES,
    }
