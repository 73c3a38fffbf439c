"""Fault tests (issue 12, finding 8): a stalled Redis costs a request about a second, and nothing is lost.

The test starts its own redis-server and pauses it with SIGSTOP: the server keeps accepting TCP connections
(the kernel completes the handshake) but never answers, which holds any client without a read timeout until
Redis comes back. These are fault tests: they assert a wall-clock bound, generous (< 5 s) so a slow CI machine
passes, and enough to prove that nothing waits for the 20 s the stall lasted in the report.
"""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from core.broker import broker_publish
from core.cache import cache_get, cache_set
from core.mail import mail_relay
from core.models import OutgoingMail
from core.ratelimit import LimitUnavailable, hit
from core.tasks import send_mail_task

from .brokers import OwnRedis, broker, work_off_queue

BOUND = 5.0  # seconds; each Redis call is set to give up after about 1 s

pytestmark = pytest.mark.redis


@pytest.fixture
def own_redis():
    server = OwnRedis(6391).start()
    yield server
    server.stop()


@pytest.mark.parametrize("connected_before", [True, False], ids=["open-connection", "new-connection"])
def test_a_stalled_broker_holds_the_application_about_a_second_and_the_relay_delivers_later(
    own_redis, application_data, django_capture_on_commit_callbacks, connected_before
):
    from creditexchange.services import application_submit

    with broker(own_redis.url):
        if connected_before:  # a web process that has published before holds a pooled connection
            assert broker_publish(send_mail_task, 0) is True
            work_off_queue(own_redis.url)
        own_redis.pause()
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            application = application_submit(**application_data)
        elapsed = time.monotonic() - started

    assert elapsed < BOUND, f"submitting took {elapsed:.1f}s with Redis stalled"
    print(f"submitting with Redis stalled took {elapsed:.2f}s")
    assert application.pk is not None
    row = OutgoingMail.objects.get()
    assert row.status == OutgoingMail.Status.QUEUED and len(mail.outbox) == 0

    own_redis.resume()
    OutgoingMail.objects.update(created_at=timezone.now() - timedelta(minutes=2))
    with broker(own_redis.url):
        assert mail_relay() == 1
        # A publish that timed out may still have reached Redis (written, never answered): then two jobs
        # wait for one mail, and the second finds it claimed and sends nothing.
        assert set(work_off_queue(own_redis.url)) == {"ustportal.tasks.send_mail_task"}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingMail.Status.SENT, 1) and len(mail.outbox) == 1


def test_a_stalled_cache_is_a_miss_and_a_rate_limit_refuses_to_guess_both_within_about_a_second(own_redis, settings, db):
    # The configured cache (its OPTIONS: the timeouts) on this test's own server.
    with override_settings(CACHES={"default": {**settings.CACHES["default"], "LOCATION": own_redis.url}}):
        _stalled_cache_calls(own_redis)


def _stalled_cache_calls(own_redis) -> None:
    cache_set("warm", "1", 60)
    assert cache_get("warm") == "1" and hit("stall-test", limit=5, window_seconds=60) is True
    own_redis.pause()

    started = time.monotonic()
    assert cache_get("warm") is None  # a page falls back to the database
    cache_set("warm", "2", 60)  # skipped, with a warning
    elapsed = time.monotonic() - started
    assert elapsed < BOUND, f"cache calls took {elapsed:.1f}s with Redis stalled"

    # A rate limit must hold, so it does not count a stalled Redis as "allowed": it refuses at once with a message the
    # form shows ("briefly unavailable"), caused by the redis timeout, instead of letting unlimited guesses through.
    started = time.monotonic()
    with pytest.raises(LimitUnavailable) as raised:
        hit("stall-test", limit=5, window_seconds=60)
    elapsed = time.monotonic() - started
    cause = type(raised.value.__cause__).__name__
    assert "Timeout" in cause or "Connection" in cause
    assert elapsed < BOUND, f"a rate-limit check took {elapsed:.1f}s with Redis stalled"

    own_redis.resume()
    assert hit("stall-test", limit=5, window_seconds=60) is True  # the pool recovers on its own
