"""Fixed-window counters in the shared cache (Redis in production, so several processes agree).

A look-up that guesses a secret (a birth date, whose e-mail goes with which user name) is limited three
ways at once (``keyed_limit``): tightly per address *and* key, loosely per address, and per key across
all addresses. One attacker behind a campus NAT then uses up only their own (address, key) budget, not
the whole campus's; a botnet still cannot try more than the per-key ceiling on one student.

Redis down or stalled: the counters must hold, so they do not go through ``core.cache`` (which turns a
failure into a miss). Within REDIS_SOCKET_TIMEOUT (about a second, the cache's OPTIONS in settings), never after
the length of the stall, the check raises ``LimitUnavailable`` — a ``RateLimited``, so the form shows "briefly
unavailable, try again in a minute" in the reader's language — and no guess is let through uncounted.
"""

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .errors import RateLimited


class LimitUnavailable(RateLimited):
    """The shared counters cannot be reached (Redis down or stalled): refused, nothing counted as allowed."""

    def __init__(self):
        super().__init__(_("This check is briefly unavailable, so nothing was done. Please try again in a minute."))


def _counters_unreachable(error: Exception) -> LimitUnavailable:
    logger.warning("Rate-limit counters unreachable; refusing: %s", error)
    return LimitUnavailable()


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until every counter that refused has started a new window
    refused: tuple[str, ...] = ()  # the keys over their limit
    by_key: bool = False  # keyed_limit: the per-key ceiling (attempts from every address) refused


def _cache_key(key: str) -> str:
    # Keys hold student numbers and user names: only a digest goes to the cache, and it is always a valid cache key.
    return "rl:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _count(key: str, window_seconds: int, now: float) -> tuple[int, int]:
    """Add one attempt under ``key``; the count in this window and the seconds left in it."""
    base = _cache_key(key)
    cache.add(f"{base}:t", now, timeout=window_seconds)
    if cache.add(base, 1, timeout=window_seconds):
        count = 1
    else:
        try:
            count = cache.incr(base)
        except ValueError:  # expired between add and incr
            cache.add(base, 1, timeout=window_seconds)
            count = 1
    started = cache.get(f"{base}:t") or now
    return count, max(1, math.ceil(started + window_seconds - now))


def hit_all(*, keys: Sequence[tuple[str, int, int]]) -> Verdict:
    """Count one attempt under every ``(key, limit, window_seconds)``; refused if any count is over its limit.

    Every counter is incremented even when an earlier one already refuses, so attempts made while
    refused still count (an attacker cannot wait inside one window and then burst the next).
    """
    now = time.time()
    refused, retry_after = [], 0
    for key, limit, window_seconds in keys:
        try:
            count, left = _count(key, window_seconds, now)
        except Exception as exc:  # redis-py raises several connection/timeout types
            raise _counters_unreachable(exc) from exc
        if count > limit:
            refused.append(key)
            retry_after = max(retry_after, left)
    return Verdict(allowed=not refused, retry_after=retry_after, refused=tuple(refused))


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt under ``key``; False once more than ``limit`` attempts fall in the window."""
    return hit_all(keys=[(key, limit, window_seconds)]).allowed


def cooldown(key: str, *, seconds: int) -> bool:
    """True (and start the cooldown) if ``key`` is not cooling down; False while it is."""
    try:
        return cache.add(f"cd:{key}", 1, timeout=seconds)
    except Exception as exc:
        raise _counters_unreachable(exc) from exc


def address_key(address: str) -> str:
    """The per-address part of a limit: an IPv4 address, or the /64 of an IPv6 one (one subscriber holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def keyed_limit(*, scope: str, address: str, key: str) -> Verdict:
    """One guess at ``key`` (a student, a user name) from ``address``, counted under the LOOKUP_RATE_* settings."""
    window = settings.LOOKUP_RATE_WINDOW_SECONDS
    address, per_key = address_key(address), f"{scope}:key:{key}"
    verdict = hit_all(keys=[
        (f"{scope}:address+key:{address}:{key}", settings.LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS, window),
        (f"{scope}:address:{address}", settings.LOOKUP_RATE_LIMIT, window),
        (per_key, settings.LOOKUP_RATE_LIMIT_PER_KEY, settings.LOOKUP_RATE_KEY_WINDOW_SECONDS),
    ])
    return replace(verdict, by_key=per_key in verdict.refused)


def retry_message(seconds: int) -> str:
    """“Please try again in 15 minutes.” (or hours, for the per-key ceiling's day)."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes <= 120:
        return ngettext(
            "Please try again in %(minutes)s minute.", "Please try again in %(minutes)s minutes.", minutes
        ) % {"minutes": minutes}
    hours = math.ceil(minutes / 60)
    return ngettext("Please try again in %(hours)s hour.", "Please try again in %(hours)s hours.", hours) % {"hours": hours}
