"""Hit counts (SPEC §3.4): one per visitor per half hour, never lost, never blocking a page."""

import re
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from notices import services
from notices.models import Notice

from ..factories import NoticeFactory, UserFactory


def _hits(notice: Notice) -> int:
    notice.refresh_from_db()
    return notice.hit_count


def _shown(response) -> int:
    return int(re.search(r'id="notice-hits">(\d+)<', response.content.decode()).group(1))


def test_a_visitor_counts_once_however_often_they_reload(db):
    notice = NoticeFactory(hit_count=10)
    visitor = Client(REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Firefox")

    first = visitor.get(f"/notices/{notice.pk}/")
    second = visitor.get(f"/notices/{notice.pk}/")

    assert _hits(notice) == 11
    assert _shown(first) == 11 and _shown(second) == 11


def test_different_visitors_each_count(db):
    notice = NoticeFactory()

    Client(REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Firefox").get(f"/notices/{notice.pk}/")
    Client(REMOTE_ADDR="10.0.0.2", HTTP_USER_AGENT="Firefox").get(f"/notices/{notice.pk}/")
    Client(REMOTE_ADDR="10.0.0.1", HTTP_USER_AGENT="Safari").get(f"/notices/{notice.pk}/")

    assert _hits(notice) == 3


def test_a_logged_in_reader_counts_once_from_any_address(db):
    notice = NoticeFactory()
    reader = UserFactory()
    for address in ("10.0.0.1", "10.0.0.2"):
        client = Client(REMOTE_ADDR=address)
        client.force_login(reader)
        client.get(f"/notices/{notice.pk}/")

    assert _hits(notice) == 1


def test_each_notice_is_counted_separately(db):
    first, second = NoticeFactory(), NoticeFactory()
    visitor = Client()

    visitor.get(f"/notices/{first.pk}/")
    visitor.get(f"/notices/{second.pk}/")

    assert (_hits(first), _hits(second)) == (1, 1)


def test_the_same_visitor_counts_again_after_the_dedupe_window(db, settings):
    settings.NOTICE_HIT_DEDUPE_SECONDS = 1
    notice = NoticeFactory()

    assert services.notice_hit(notice_id=notice.pk, visitor="v1") is True
    assert services.notice_hit(notice_id=notice.pk, visitor="v1") is False
    time.sleep(1.2)
    assert services.notice_hit(notice_id=notice.pk, visitor="v1") is True
    assert _hits(notice) == 2


def test_the_default_dedupe_window_is_half_an_hour():
    assert services.HIT_DEDUPE_SECONDS == 30 * 60


def test_a_head_request_or_a_list_view_does_not_count(db):
    notice = NoticeFactory()

    Client().head(f"/notices/{notice.pk}/")
    Client().get("/notices/")
    Client().get("/")

    assert _hits(notice) == 0


def test_drafts_and_scheduled_notices_are_never_counted(db):
    draft = NoticeFactory(published_at=None)
    later = NoticeFactory(published_at=timezone.now() + timedelta(hours=1))

    assert services.notice_hit(notice_id=draft.pk, visitor="v") is False
    assert services.notice_hit(notice_id=later.pk, visitor="v") is False
    assert (_hits(draft), _hits(later)) == (0, 0)


def test_the_page_still_opens_and_counts_while_the_cache_is_down(db, monkeypatch, caplog):
    notice = NoticeFactory()

    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", unreachable)

    response = Client().get(f"/notices/{notice.pk}/")

    assert response.status_code == 200
    assert _hits(notice) == 1
    assert "without de-duplication" in caplog.text


def test_no_raw_address_is_kept_in_the_cache(db, monkeypatch):
    notice = NoticeFactory()
    keys = []
    real_add = cache.add
    monkeypatch.setattr(cache, "add", lambda key, *a, **kw: keys.append(key) or real_add(key, *a, **kw))

    Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT="Mozilla/5.0").get(f"/notices/{notice.pk}/")

    assert len(keys) == 1
    assert keys[0].startswith(f"notice-hit:v1:{notice.pk}:")
    assert "203.0.113.77" not in keys[0] and "Mozilla" not in keys[0]


@pytest.mark.redis
def test_dedupe_holds_across_processes_with_redis(db):
    """With Redis the slot is one SET NX shared by every web process."""
    notice = NoticeFactory()

    assert services.notice_hit(notice_id=notice.pk, visitor="shared") is True
    assert cache.get(f"notice-hit:v1:{notice.pk}:shared") == 1
    assert services.notice_hit(notice_id=notice.pk, visitor="shared") is False
