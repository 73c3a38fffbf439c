"""Review R2 (issue 12, finding 8): the load balancer's /healthz probe is a Redis use too: with Redis paused it
answers 503 within the same bound as a request (about a second per Redis check), not after kombu's retry sleep."""

import time

import pytest
from django.test import override_settings

from .brokers import OwnRedis

pytestmark = pytest.mark.redis


@pytest.fixture
def own_redis():
    server = OwnRedis(6397).start()
    yield server
    server.stop()


def test_healthz_with_redis_stalled_answers_503_within_about_two_seconds(own_redis, client, db, settings):
    cache = {**settings.CACHES["default"], "LOCATION": own_redis.url}
    if "Redis" not in cache["BACKEND"]:
        pytest.skip("needs REDIS_URL (the cache's timeouts)")
    with override_settings(CACHES={"default": cache}, REDIS_URL=own_redis.url, CELERY_BROKER_URL=own_redis.url):
        assert client.get("/healthz").json()["broker"] == "ok"
        own_redis.pause()
        started = time.monotonic()
        response = client.get("/healthz")
        elapsed = time.monotonic() - started
        own_redis.resume()

    assert response.status_code == 503 and response.json()["broker"].startswith("error")
    assert elapsed < 2.6, f"/healthz took {elapsed:.1f}s with Redis stalled"
