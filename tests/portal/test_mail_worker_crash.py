"""A real Celery worker killed mid-send (issue 12, finding 6): at least once, with one Message-ID.

The SMTP server (in this process) reads the whole message and then keeps the worker waiting for its
answer; the test kills the worker with SIGKILL at that moment, so the server has the mail but the row never
says SENT. The row stays "sending" (staff see it, with when it was claimed) until the stale claim has
passed; the relay then queues it again and a new worker sends it. The recipient gets it twice, with the
same Message-ID, on which mail systems and archives de-duplicate. Runs on PostgreSQL (the worker is another
process and needs the same database) and Redis (the real broker).
"""

import os
import subprocess  # noqa: S404 - starts this project's own Celery worker
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.mail import mail_queue, mail_relay, stale_claim
from core.models import OutgoingMail

from .brokers import Child, broker, purge

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class Worker(Child):
    """``celery worker`` in a subprocess on the test database, a queue of its own, and the test's SMTP server."""

    def __init__(self, *, queue: str, smtp_port: int, log: Path):
        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": settings.REDIS_URL, "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "EMAIL_TIMEOUT": "30",
            "CELERY_TASK_ALWAYS_EAGER": "false", "SECRET_KEY": settings.SECRET_KEY, "DEBUG": "false",
        }
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = db["PASSWORD"]
        self.log = log
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
            [sys.executable, "-m", "celery", "-A", "ustportal", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{queue}-{uuid.uuid4().hex[:6]}@localhost", "--without-heartbeat", "--without-gossip",
             "--without-mingle", "-l", "INFO"],
            cwd=settings.BASE_DIR, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )
        self._wait_for(" ready.", timeout=60)

    def _wait_for(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"the worker did not say {text!r}:\n{self.log.read_text(errors='replace')[-3000:]}")



def _wait_until(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_after_the_server_has_the_mail_leads_to_a_second_delivery_with_the_same_message_id(
    transactional_db, submitted_application, smtp_server, tmp_path
):
    queue = f"crash-test-{uuid.uuid4().hex[:8]}"
    smtp_server.hold_after_data.set()  # read the message, then keep the worker waiting for the answer
    workers = []
    try:
        workers.append(Worker(queue=queue, smtp_port=smtp_server.port, log=tmp_path / "worker1.log"))
        with broker(settings.REDIS_URL, queue=queue):
            row = mail_queue(kind="application_confirmation", to=submitted_application.email, language="en",
                             params={"application_id": submitted_application.pk})  # autocommit: published now
        assert smtp_server.data_event.wait(timeout=60), "the worker never sent the message"
        workers[0].kill()  # dies after the server has the mail, before the row says SENT
        smtp_server.hold_after_data.clear()
        smtp_server.release()

        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutgoingMail.Status.SENDING, 1)  # what staff see meanwhile
        assert row.claimed_at is not None
        with broker(settings.REDIS_URL, queue=queue):
            assert mail_relay() == 0  # the claim is not stale yet: a live worker might still be sending

        # After the stale claim the relay queues it again; a new worker sends it.
        OutgoingMail.objects.filter(pk=row.pk).update(
            claimed_at=timezone.now() - stale_claim() - timedelta(seconds=1),
            created_at=timezone.now() - timedelta(minutes=5),
        )
        workers.append(Worker(queue=queue, smtp_port=smtp_server.port, log=tmp_path / "worker2.log"))
        with broker(settings.REDIS_URL, queue=queue):
            assert mail_relay() == 1
        _wait_until(lambda: OutgoingMail.objects.get(pk=row.pk).status == OutgoingMail.Status.SENT,
                    timeout=60, what="the second worker to send the mail")
    finally:
        for worker in workers:
            worker.stop()
        purge(settings.REDIS_URL, queue)

    row.refresh_from_db()
    assert row.attempts == 2
    received = smtp_server.messages()
    assert len(received) == 2, "at least once: the recipient gets the mail again"
    assert [m["Message-ID"] for m in received] == [row.message_id, row.message_id]
    assert all(m["To"] == submitted_application.email for m in received)
