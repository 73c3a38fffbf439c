"""Running work on many threads at the same instant, each with its own database connection (PostgreSQL races)."""

import queue
import threading

from django.db import connection
from django.utils import translation


def run_at_once(tasks, *, workers: int) -> list:
    """Run ``tasks`` on ``workers`` threads released together by a Barrier; return each outcome or exception.

    Every thread opens its own Django connection before the barrier (connections are per thread) and
    closes it at the end, so the tasks hit the database at the same instant.
    """
    pending: queue.SimpleQueue = queue.SimpleQueue()
    for task in tasks:
        pending.put(task)
    barrier = threading.Barrier(workers)
    outcomes: list = []
    lock = threading.Lock()

    def worker():
        translation.activate("en")  # translations are per thread too
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
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    return outcomes
