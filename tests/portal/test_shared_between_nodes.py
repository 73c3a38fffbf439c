"""Two nodes agree (issue 16): what a student does on one node counts on the next one.

``other_node()`` runs a block as another gunicorn or Celery process would: its own cache client (its own Redis
connections; ``caches.create_connection`` builds what a fresh process builds) and none of this process's memos
(copies of cache keys, rendered rows, the broker pause). What is shared through Redis needs a real Redis (the
``redis`` mark): a LocMemCache is one process's memory, and two of its clients in one test process would agree
for the wrong reason. What is shared through the database runs everywhere.
"""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.cache import caches
from django.utils import timezone

from academics.models import TermWindow
from academics.selectors import term_windows
from core import broker
from core import cache as core_cache
from core.ratelimit import cooldown, hit, keyed_limit
from creditexchange import views_courses
from creditexchange.templatetags import offering_rows

from ..factories import TermFactory, TermWindowFactory, UserFactory
from ..partnerapi.helpers import auth, build_api_scene

PASSWORD = "correct-horse-battery"


@contextmanager
def other_node():
    memos = (core_cache._local, views_courses._rows, offering_rows._cells)
    saved, paused = [dict(memo) for memo in memos], broker._paused_until
    for memo in memos:
        memo.clear()
    broker._paused_until = 0.0
    mine, node = caches["default"], caches.create_connection("default")
    caches["default"] = node
    try:
        yield node
    finally:
        caches["default"] = mine
        node.close()
        for memo, copy in zip(memos, saved, strict=True):
            memo.clear()
            memo.update(copy)
        broker._paused_until = paused


def test_the_other_node_has_its_own_cache_client_and_none_of_this_process_s_memos():
    core_cache._local["k"] = (0.0, "mine")
    mine = caches["default"]
    with other_node() as node:
        assert caches["default"] is node and node is not mine
        assert core_cache._local == {}
    assert caches["default"] is mine and core_cache._local == {"k": (0.0, "mine")}


@pytest.mark.redis
def test_a_rate_limit_counts_the_attempts_made_on_every_node(settings):
    settings.LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS = 2
    first = keyed_limit(scope="lookup", address="198.51.100.7", key="20241234")
    with other_node():
        second = keyed_limit(scope="lookup", address="198.51.100.7", key="20241234")
        third = keyed_limit(scope="lookup", address="198.51.100.7", key="20241234")
    fourth = keyed_limit(scope="lookup", address="198.51.100.7", key="20241234")
    assert [first.allowed, second.allowed, third.allowed, fourth.allowed] == [True, True, False, False]
    assert fourth.retry_after > 0


@pytest.mark.redis
def test_counters_and_cooldowns_started_on_one_node_hold_on_the_other():
    assert hit("shared-counter", limit=1, window_seconds=60) is True
    assert cooldown("pwmail:7", seconds=60) is True
    with other_node():
        assert hit("shared-counter", limit=1, window_seconds=60) is False
        assert cooldown("pwmail:7", seconds=60) is False


@pytest.mark.redis
def test_the_partner_api_throttle_counts_one_key_on_every_node(client, db, settings):
    settings.PARTNER_API_RATE = "2/hour"
    scene = build_api_scene()
    url = "/api/v1/applications/"
    assert client.get(url, **auth(scene.hanbit_key)).status_code == 200
    with other_node():
        assert client.get(url, **auth(scene.hanbit_key)).status_code == 200
        assert client.get(url, **auth(scene.hanbit_key)).status_code == 429
    assert client.get(url, **auth(scene.hanbit_key)).status_code == 429


@pytest.mark.redis
def test_a_window_changed_on_one_node_is_seen_by_the_other_at_once(db):
    term = TermFactory(year=2027, season="spring")
    window = TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION)
    with other_node():
        assert term_windows(term_id=term.pk)[TermWindow.Kind.REGISTRATION].ends_at == window.ends_at  # now cached
    window.ends_at = timezone.now() - timedelta(minutes=1)  # the registrar closes it early, on this node
    window.save()
    with other_node():
        assert term_windows(term_id=term.pk)[TermWindow.Kind.REGISTRATION].ends_at == window.ends_at


def test_a_sign_in_lock_out_on_one_node_holds_on_the_other(client, db, settings):
    settings.AXES_FAILURE_LIMIT = 3
    UserFactory(username="s2027001", password=PASSWORD)
    form = {"username": "s2027001", "password": "wrong-password-123"}
    statuses = [client.post("/accounts/login/", form, REMOTE_ADDR="203.0.113.7").status_code for _ in range(2)]
    with other_node():
        statuses.append(client.post("/accounts/login/", form, REMOTE_ADDR="203.0.113.7").status_code)
        right = client.post("/accounts/login/", {**form, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert statuses == [200, 200, 429] and right.status_code == 429
    assert AccessAttempt.objects.get(username="s2027001").failures_since_start == 3  # the lock is a database row


def test_a_session_signed_in_on_one_node_is_valid_on_the_other(client, db):
    UserFactory(username="s2027002", password=PASSWORD)
    signed_in = client.post("/accounts/login/", {"username": "s2027002", "password": PASSWORD})
    assert signed_in.status_code == 302
    with other_node():
        assert client.get("/accounts/profile/").status_code == 200
        client.post("/accounts/logout/")
    assert client.get("/accounts/profile/").status_code == 302  # signed out there: signed out here
