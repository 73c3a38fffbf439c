"""Cache reads and writes that never fail a request: the cache only saves queries.

Redis is the cache and the broker in production. When it is unreachable, a read is a miss and a
write is skipped (with a warning), so pages fall back to the database instead of answering 500.
Counters that must hold (rate limits) use the cache directly and do not come through here.

``cache_prefetch`` reads several keys in one round trip for a block of code (the 09:00 click reads three);
inside it, ``cache_get`` of those keys answers from what was read, and writes and deletes keep that copy right.
The copy is per thread and per block (a context variable), never shared between requests. With ``local_seconds``
it also keeps what it read in this process for that long and asks Redis only for what it does not hold: another
process's write or delete is then seen at most that late (this process's own, at once). Only keys whose
staleness for a second or two is harmless come through there (the click's: windows, whose rule the registration
SQL checks again, a "yes" to eligibility, the row's shown static part).
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.cache import cache

logger = logging.getLogger(__name__)

_MISS = object()
# Per process: one request's prefetched keys (a context variable, reset when its block ends), never another's.
_prefetched: ContextVar[dict | None] = ContextVar("core_cache_prefetched", default=None)
LOCAL_MAX_KEYS = 20_000  # the process-local copies are dropped all at once past this many
# Per process: copies of the click's keys for ``local_seconds`` (2 s, CLICK_CACHE_LOCAL_SECONDS); another node's
# write is seen that much later at most: the registration SQL checks the window again; the rest is only shown.
_local: dict[str, tuple[float, object]] = {}  # key -> (monotonic expiry, value)


def cache_local_clear() -> None:
    _local.clear()


def cache_get(key: str):
    prefetched = _prefetched.get()
    if prefetched is not None and key in prefetched:
        value = prefetched[key]
        return None if value is _MISS else value
    try:
        return cache.get(key)
    except Exception:  # redis-py raises several connection/timeout types
        logger.warning("Cache unreachable; reading %s from the database.", key, exc_info=True)
        return None


def cache_get_many(keys: list[str]) -> dict:
    """The keys found, in one round trip; an outage is a miss of all of them."""
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("Cache unreachable; reading %s from the database.", keys, exc_info=True)
        return {}


@contextmanager
def cache_prefetch(keys: list[str], *, local_seconds: float | dict[str, float] = 0, known: dict | None = None) -> Iterator[dict]:
    """Read ``keys`` at once; within the block ``cache_get`` of one of them asks the cache no more (a miss stays
    a miss until ``cache_set`` fills it). ``local_seconds`` (one figure, or one per key): see the module's
    docstring. ``known``: values the caller has just read from the database, answered for their keys in the block
    without asking the cache (nothing is written to it)."""
    found, now = dict(known or {}), time.monotonic()
    seconds = local_seconds if isinstance(local_seconds, dict) else dict.fromkeys(keys, local_seconds)
    for key in keys:
        held = _local.get(key) if seconds.get(key) and key not in found else None
        if held is not None and held[0] > now:
            found[key] = held[1]
    missing = [key for key in keys if key not in found]
    if missing:
        fetched = cache_get_many(missing)
        found.update(fetched)
        kept = {key: (now + seconds[key], value) for key, value in fetched.items() if seconds.get(key)}
        if kept:
            if len(_local) > LOCAL_MAX_KEYS:
                _local.clear()
            _local.update(kept)
    outer = _prefetched.get() or {}
    token = _prefetched.set({**outer, **{key: found.get(key, _MISS) for key in [*keys, *found]}})
    try:
        yield found
    finally:
        _prefetched.reset(token)


def cache_set(key: str, value, timeout: int) -> None:
    _local.pop(key, None)
    prefetched = _prefetched.get()
    if prefetched is not None and key in prefetched:
        prefetched[key] = value
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("Cache unreachable; %s not cached.", key, exc_info=True)


def cache_forget(keys: list[str]) -> None:
    for key in keys:
        _local.pop(key, None)
    prefetched = _prefetched.get()
    if prefetched is not None:
        prefetched.update({key: _MISS for key in keys if key in prefetched})
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("Cache unreachable; %s not cleared (they expire on their own).", keys, exc_info=True)
