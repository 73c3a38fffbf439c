"""Test helpers for a real broker: point Celery at a Redis, your own Redis server to stall, play the worker."""

import os
import signal
import subprocess  # noqa: S404 - starts this test's own redis-server
import threading
import time
from contextlib import contextmanager

from kombu import Connection

from ustportal.celery import app as celery_app

QUEUE = "celery"


@contextmanager
def broker(url: str, *, queue: str | None = None):
    """Publish for real (not eagerly) to ``url``, every task into one queue (``queue``, or ``QUEUE``) whatever its
    route in production (test_celery_queues.py checks those); restore the Django settings' values afterwards."""
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = url
    celery_app.conf.task_default_queue = queue or QUEUE
    celery_app.conf.task_routes = {}
    _drop_pools()
    try:
        yield
    finally:
        for name in ("broker_url", "task_default_queue", "task_routes"):
            celery_app.conf.changes.pop(name, None)
        _drop_pools()


def _drop_pools() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.amqp.__dict__.pop("queues", None)  # cached from task_default_queue
    celery_app.amqp.__dict__.pop("router", None)
    celery_app.amqp._rtable = None  # the routes, read again from task_routes


def purge(url: str, queue: str = QUEUE) -> None:
    with Connection(url) as conn:
        conn.SimpleQueue(queue).clear()


def work_off_queue(url: str, queue: str = QUEUE) -> list[str]:
    """Play the Celery worker: run every task waiting in ``queue`` at ``url``, once each, and acknowledge it."""
    ran = []
    with Connection(url) as conn:
        simple = conn.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(timeout=1)
            except simple.Empty:
                break
            args, kwargs, _embed = message.decode()
            name = message.headers["task"]
            message.ack()
            celery_app.tasks[name](*args, **kwargs)
            ran.append(name)
        simple.close()
    return ran


class OwnRedis:
    """A redis-server of this test alone (helper rules: ports 6391–6395), which the test may pause (SIGSTOP).

    A paused server still completes TCP handshakes (the kernel does), but never answers: the stall that
    holds a client without a read timeout forever.
    """

    def __init__(self, port: int):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> "OwnRedis":
        self.process = subprocess.Popen(  # noqa: S603, S607 - Debian's redis-server, fixed arguments
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with Connection(self.url, connect_timeout=0.5) as conn:
                    conn.ensure_connection(max_retries=1)
                return self
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def pause(self, *, for_seconds: float = 20.0) -> None:
        """SIGSTOP, and SIGCONT after ``for_seconds`` (the stall of the report), so a client without a timeout
        shows up as a slow call the test can measure instead of a test that hangs forever."""
        os.kill(self.process.pid, signal.SIGSTOP)
        self._timer = threading.Timer(for_seconds, self.resume)
        self._timer.daemon = True
        self._timer.start()

    def resume(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)


class Child:
    """A subprocess of a test (a celery worker or beat): ``kill`` is its host dying, ``stop`` a clean shutdown."""

    process: subprocess.Popen

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
