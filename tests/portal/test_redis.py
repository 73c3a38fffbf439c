import pytest

from core.ratelimit import hit


@pytest.mark.redis
def test_healthz_reports_a_reachable_broker_and_cache(client, db):
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.redis
def test_rate_limits_are_shared_through_redis(db):
    from django.core.cache import caches

    assert type(caches["default"]).__name__ == "RedisCache"
    assert [hit("shared", limit=2, window_seconds=60) for _ in range(3)] == [True, True, False]
