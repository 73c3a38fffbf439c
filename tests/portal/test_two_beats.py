"""Two real ``celery beat`` processes on one schedule (issue 16): one sends, the other takes over when it dies.

Each beat is a subprocess on the test database and Redis, with a 2-second lease and a one-second test entry whose
messages go to a queue of this test alone; the beats' own logs say which one sent what.
"""

import os
import subprocess  # noqa: S404 - this interpreter's celery, fixed arguments
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from .brokers import Child, purge

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
SENT = "Sending due task two-beats-tick"


class Beat(Child):
    def __init__(self, *, name: str, key: str, log: Path, workdir: Path):
        db = connection.settings_dict
        env = {
            **os.environ, "SECRET_KEY": settings.SECRET_KEY, "DEBUG": "false", "REDIS_URL": settings.REDIS_URL,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "BEAT_LOCK_KEY": key, "BEAT_LOCK_SECONDS": "2", "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = db["PASSWORD"]
        self.name, self.log = name, log
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "celery", "-A", "ustportal", "beat", "-l", "INFO", "--pidfile=",
             "-s", str(workdir / f"{name}.schedule")],
            cwd=settings.BASE_DIR, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )

    def sent(self) -> int:
        return self.log.read_text(errors="replace").count(SENT)



def _wait_until(predicate, *, timeout: float, what: str, beats) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {b.name}\n{b.log.read_text(errors='replace')[-2000:]}" for b in beats)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def test_two_beats_send_each_run_once_and_the_survivor_takes_over(transactional_db, tmp_path):
    queue, key = f"two-beats-{uuid.uuid4().hex[:8]}", f"test:beat:{uuid.uuid4().hex}"
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="two-beats-tick", task="ustportal.tasks.relay_queued_mail_task",
                                interval=every_second, queue=queue)
    client = redis.Redis.from_url(settings.REDIS_URL)
    beats = []
    try:
        beats = [Beat(name=n, key=key, log=tmp_path / f"{n}.log", workdir=tmp_path) for n in ("beat-a", "beat-b")]
        _wait_until(lambda: sum(b.sent() for b in beats) >= 6, timeout=60, what="six runs", beats=beats)
        counts = sorted(b.sent() for b in beats)
        assert counts[0] == 0, f"both beats sent: {counts}"
        leader = next(b for b in beats if b.sent())
        survivor = next(b for b in beats if b is not leader)

        leader.kill()  # its host dies: the lease runs out within two seconds
        _wait_until(lambda: survivor.sent() >= 3, timeout=30, what="the survivor to take over", beats=beats)
        assert client.llen(queue) == leader.sent() + survivor.sent()  # every run logged was sent, none twice
    finally:
        for beat in beats:
            beat.stop()
        purge(settings.REDIS_URL, queue)
        client.delete(key)
