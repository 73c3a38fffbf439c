"""Hit counts under concurrency: every distinct visit counts, a visitor's parallel requests count once.

PostgreSQL only: SQLite serialises writers, so lost updates cannot happen there.
"""

import queue
import threading

import pytest
from django.db import connection

from notices import services
from notices.models import Notice

from ..factories import NoticeFactory

VISITORS = 24


def _run_at_once(tasks, *, workers: int) -> list:
    """Run ``tasks`` on ``workers`` threads released together by a Barrier (as in the registration races).

    Each thread opens its own connection before the barrier and closes it at the end.
    """
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for task in tasks:
        pending.put(task)
    barrier = threading.Barrier(workers)
    outcomes: list = []
    lock = threading.Lock()

    def worker():
        try:
            connection.ensure_connection()
            barrier.wait(timeout=60)
            while True:
                try:
                    task = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcome = task()
                except Exception as exc:  # collected and asserted by the test
                    outcome = exc
                with lock:
                    outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return outcomes


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
