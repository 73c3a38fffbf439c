"""Hit counts under concurrency: every distinct visit counts, a visitor's parallel requests count once.

PostgreSQL only: SQLite serialises writers, so lost updates cannot happen there.
"""

import pytest

from notices import services
from notices.models import Notice

from ..concurrency import run_at_once as _run_at_once
from ..factories import NoticeFactory

VISITORS = 24


@pytest.mark.postgres
def test_concurrent_distinct_visitors_add_exactly_their_number(transactional_db):
    notice = NoticeFactory(hit_count=100)
    tasks = [
        (lambda n=n: services.notice_hit(notice_id=notice.pk, visitor=f"visitor-{n}"))
        for n in range(VISITORS)
    ]

    outcomes = _run_at_once(tasks, workers=VISITORS)

    assert outcomes == [True] * VISITORS
    assert Notice.objects.get(pk=notice.pk).hit_count == 100 + VISITORS


@pytest.mark.postgres
def test_one_visitor_pressing_reload_in_parallel_counts_once(transactional_db):
    notice = NoticeFactory()
    tasks = [lambda: services.notice_hit(notice_id=notice.pk, visitor="same") for _ in range(VISITORS)]

    outcomes = _run_at_once(tasks, workers=VISITORS)

    assert sorted(outcomes) == [False] * (VISITORS - 1) + [True]
    assert Notice.objects.get(pk=notice.pk).hit_count == 1
