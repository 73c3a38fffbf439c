"""The web processes share the connections fairly (ustportal/gunicorn_worker.py): the rule, and real gunicorn."""

import collections
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.sharedctypes import RawArray
from pathlib import Path

import pytest

from ustportal import gunicorn_worker as fair

ROOT = Path(__file__).resolve().parents[2]


def _table(*rows):
    table = RawArray("q", fair.SLOTS * fair._FIELDS)
    for n, row in enumerate(rows):
        table[n * fair._FIELDS:(n + 1) * fair._FIELDS] = list(row)
    return table


NOW = 1_000_000


class TestTheRule:
    def test_a_worker_with_more_than_the_slack_above_the_least_loaded_one_waits(self):
        table = _table((101, 0, NOW), (102, 10, NOW), (103, 5, NOW))

        assert fair.should_wait(1, 10, table, NOW) is True
        assert fair.should_wait(0, 0, table, NOW) is False
        assert fair.should_wait(2, 5, table, NOW) is True  # 5 > 0 + 1

    def test_within_the_slack_it_accepts(self):
        table = _table((101, 4, NOW), (102, 5, NOW))

        assert fair.should_wait(1, 4 + fair.FAIR_SLACK, table, NOW) is False
        assert fair.should_wait(1, 5 + fair.FAIR_SLACK, table, NOW) is True

    def test_a_worker_whose_heartbeat_is_stale_does_not_count(self):
        stale = NOW - int(fair.FAIR_STALE_SECONDS * 1000) - 1
        table = _table((101, 0, stale), (102, 30, NOW))

        assert fair.should_wait(1, 30, table, NOW) is False

    def test_a_worker_alone_always_accepts(self):
        assert fair.should_wait(0, 500, _table((101, 500, NOW)), NOW) is False

    def test_a_row_is_claimed_once_and_taken_back_from_a_process_that_is_gone(self):
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        table = _table((os.getppid(), 3, NOW), (gone.pid, 9, NOW))

        row = fair._claim_row(os.getpid(), table)

        assert row == 1  # row 0 is the live parent's; row 1's process has exited
        assert list(table[3:6])[:2] == [os.getpid(), 0]
        assert fair._claim_row(os.getpid(), table) == 1  # its own row again, the live parent's stays its own


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ask(port: int, sock: socket.socket | None = None) -> tuple[socket.socket, str]:
    sock = sock or socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < int(
        data.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0] if b"Content-Length: " in data else 1
    ):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return sock, data.split(b"\r\n\r\n", 1)[1].decode()


@pytest.fixture
def server():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "tests.portal.pid_wsgi:app", "-k", "ustportal.gunicorn_worker.FairThreadWorker",
         "-w", "3", "--threads", "16", "--keep-alive", "30", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):  # bounded: 20 s
            try:
                _ask(port)[0].close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start: {process.stderr.read().decode() if process.poll() is not None else ''}")
        time.sleep(0.5)  # every worker has run its loop once and published its row
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_many_connections_opened_at_once_are_shared_evenly_by_the_worker_processes(server):
    with ThreadPoolExecutor(max_workers=48) as pool:
        answers = list(pool.map(lambda _: _ask(server), range(48)))
    try:
        # Each kept-alive connection stays with the process that accepted it: ask each once more to be sure.
        pids = [_ask(server, sock)[1] for sock, _pid in answers]
    finally:
        for sock, _pid in answers:
            sock.close()
    per_process = collections.Counter(pids)

    assert len(per_process) == 3, per_process
    assert max(per_process.values()) - min(per_process.values()) <= 4, per_process


def test_a_worker_freezes_what_it_loaded_and_collects_less_often(monkeypatch):
    import gc
    import runpy

    monkeypatch.setenv("GUNICORN_GC_THRESHOLD", "12345,11,22")
    for key in ("ADMISSION_CONCURRENCY", "ADMISSION_QUEUE", "ADMISSION_WAIT_SECONDS", "ADMISSION_RETRY_AFTER_SECONDS"):
        monkeypatch.delenv(key, raising=False)  # the file sets them for its workers: put back after the test
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    before = gc.get_threshold()
    try:
        config["post_worker_init"](None)

        assert gc.get_threshold() == (12345, 11, 22)
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    assert config["worker_class"] == "ustportal.gunicorn_worker.FairThreadWorker"
