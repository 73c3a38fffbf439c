"""Issuing, checking and revoking partner API keys (the rules, written once; the admin and the API call these)."""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Institution
from accounts.models import User
from core.errors import DomainError, InvalidTransition

from .models import KEY_PREFIX, ApiKey

LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key (no write per call)
# A whole key (prefix, dot, secret) anywhere in an address, the dot maybe percent-encoded.
WHOLE_KEY = re.compile(re.escape(KEY_PREFIX) + r"([0-9a-f]{8})(?:\.|%2[eE])[A-Za-z0-9_\-]+")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_issue(
    *, partner: Institution, name: str, expires_at: datetime | None, actor: User | None, at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``partner``; returns the row and the full key, which is shown once and never stored."""
    at = at or timezone.now()
    if partner.kind != Institution.Kind.PARTNER:
        raise DomainError(_("API keys are issued to partner universities only."))
    if expires_at is not None and expires_at <= at:
        raise DomainError(_("The expiry must be in the future."))
    with transaction.atomic():
        while True:
            prefix = KEY_PREFIX + secrets.token_hex(4)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        full = f"{prefix}.{secrets.token_urlsafe(32)}"
        row = ApiKey(
            partner=partner, name=name.strip(), prefix=prefix, secret_hash=_hash(full), created_at=at, created_by=actor,
            expires_at=expires_at or at + timedelta(days=settings.PARTNER_API_KEY_DAYS),
        )
        row.full_clean()
        row.save()
    return row, full


def api_key_check(*, key: str, at: datetime | None = None) -> ApiKey | None:
    """The active key ``key`` is, or None (unknown, wrong secret, expired and revoked look the same to the caller)."""
    at = at or timezone.now()
    prefix, dot, _secret = (key or "").partition(".")
    if not dot or not prefix.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    row = ApiKey.objects.select_related("partner").filter(prefix=prefix).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(key)) or not row.is_active(at):
        return None
    if row.last_used_at is None or row.last_used_at <= at - LAST_USED_EVERY:
        api_key_touch(key_id=row.pk, at=at)
        row.last_used_at = at
    return row


def api_key_touch(*, key_id: int, at: datetime) -> bool:
    """Note the key's use unless it was noted less than a minute ago; True if this call wrote it.

    A conditional update: calls at the same moment (each having read a stale value) write once between them.
    """
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=at - LAST_USED_EVERY)
    return ApiKey.objects.filter(stale, pk=key_id).update(last_used_at=at) == 1


def api_call_path(full_path: str) -> str:
    """The address as the call log keeps it: a key pasted into it by mistake is cut to its prefix (the secret is
    never stored; the prefix tells the office whose key to revoke), then cut to the column's length."""
    return WHOLE_KEY.sub(lambda match: f"{KEY_PREFIX}{match.group(1)}.…", full_path)[:300]


def api_key_revoke(*, key_id: int, actor: User, reason: str, at: datetime | None = None) -> ApiKey:
    """Revoke a key for good, with a reason; the next call with it gets 401."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the key is revoked."))
    with transaction.atomic():
        row = ApiKey.objects.select_for_update().get(pk=key_id)
        if row.revoked_at is not None:
            raise InvalidTransition(_("The key %(prefix)s was already revoked.") % {"prefix": row.prefix})
        row.revoked_at, row.revoked_by, row.revoke_reason = at, actor, reason
        row.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    return row
