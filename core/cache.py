"""Cache reads and writes that never fail a request: the cache only saves queries.

Redis is the cache and the broker in production. When it is unreachable, a read is a miss and a
write is skipped (with a warning), so pages fall back to the database instead of answering 500.
Counters that must hold (rate limits) use the cache directly and do not come through here.
"""

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # redis-py raises several connection/timeout types
        logger.warning("Cache unreachable; reading %s from the database.", key, exc_info=True)
        return None


def cache_set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:
        logger.warning("Cache unreachable; %s not cached.", key, exc_info=True)


def cache_forget(keys: list[str]) -> None:
    try:
        cache.delete_many(keys)
    except Exception:
        logger.warning("Cache unreachable; %s not cleared (they expire on their own).", keys, exc_info=True)
