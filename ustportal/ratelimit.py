"""Fixed-window counters in the shared cache (Redis in production, so several processes agree)."""

from django.core.cache import cache


def hit(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt under ``key``; False once more than ``limit`` attempts fall in the window."""
    cache_key = f"rl:{key}"
    if cache.add(cache_key, 1, timeout=window_seconds):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window_seconds)
        return True
    return count <= limit


def cooldown(key: str, *, seconds: int) -> bool:
    """True (and start the cooldown) if ``key`` is not cooling down; False while it is."""
    return cache.add(f"cd:{key}", 1, timeout=seconds)
