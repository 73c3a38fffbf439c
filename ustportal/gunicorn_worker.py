"""gunicorn's threaded worker, sharing the connections fairly among the worker processes (``gunicorn.conf.py``).

Why: every worker process waits on the same listening socket and the one that happens to be on a CPU takes the
new connections. ``make bench`` saw 64 keep-alive connections split 8/13/19/24 over four workers, and once 1/63;
each process runs one request at a time (core/admission.py), so the students on the crowded process waited two
or three times as long as the others (p95) while other processes had nothing to do, and at worst one process
answered "busy" while three were idle.

How: each worker publishes, in a small table shared by the processes (created by the master before it forks),
how many connections it holds, with a heartbeat. A worker holding more than ``FAIR_SLACK`` connections above the
least-loaded live worker leaves a new connection to the others for ``FAIR_PAUSE_SECONDS`` (it stops polling the
listening socket; its own connections are served as before), then looks again. A worker whose heartbeat is older
than ``FAIR_STALE_SECONDS`` (killed, stopped) is not counted, and the least-loaded worker always accepts, so a
connection is never left unaccepted for long: at most one pause per look while another worker takes it. A
worker process alone, or this table full, accepts as gunicorn does.
"""

import multiprocessing
import os
import time
from multiprocessing.sharedctypes import RawArray

from gunicorn.workers.gthread import ThreadWorker

from .draining import mark_stopping

FAIR_SLACK = 1
FAIR_PAUSE_SECONDS = 0.002
FAIR_STALE_SECONDS = 2.0
SLOTS = 256
_FIELDS = 3  # pid, open connections, heartbeat (ms of the system's monotonic clock, the same in every process)

# Created at import, i.e. in the master when it loads the worker class, before any worker is forked; shared
# (anonymous shared memory) with every worker it forks. Per process: per host by design, it balances connections
# among one host's workers (HAProxy balances the hosts); no outcome depends on it.
_table = RawArray("q", SLOTS * _FIELDS)
_claim = multiprocessing.Lock()  # shared too: two workers forked at once never claim the same row


def _now_ms() -> int:
    return int(time.monotonic() * 1000)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim_row(pid: int, table=_table) -> int | None:
    """The row of the table this process writes: a free one, or one of a process that no longer exists."""
    with _claim:
        for row in range(SLOTS):
            owner = table[row * _FIELDS]
            if owner == 0 or owner == pid or not _alive(owner):
                table[row * _FIELDS:row * _FIELDS + _FIELDS] = [pid, 0, _now_ms()]
                return row
    return None


def should_wait(own_row: int, own_connections: int, table=_table, now_ms: int | None = None) -> bool:
    """Whether a worker holding ``own_connections`` leaves the next connection to a less-loaded live worker."""
    now_ms = _now_ms() if now_ms is None else now_ms
    stale = FAIR_STALE_SECONDS * 1000
    others = [
        table[row * _FIELDS + 1] for row in range(SLOTS)
        if row != own_row and table[row * _FIELDS] and now_ms - table[row * _FIELDS + 2] <= stale
    ]
    return bool(others) and own_connections > min(others) + FAIR_SLACK


class FairThreadWorker(ThreadWorker):
    """``gthread`` that accepts a connection only when no live worker holds markedly fewer (module docstring)."""

    def init_process(self):
        self._row = _claim_row(os.getpid())
        self._pause_until = 0.0
        super().init_process()

    def handle_exit(self, sig, frame):
        # SIGTERM, gunicorn's graceful stop: requests still read on kept-alive connections (gunicorn lingers on
        # them for a moment) find /healthz/ready "draining" (ustportal/draining.py).
        mark_stopping()
        super().handle_exit(sig, frame)

    def _publish(self) -> None:
        if self._row is not None:
            base = self._row * _FIELDS
            _table[base + 1], _table[base + 2] = self.nr_conns, _now_ms()

    def accept(self, listener):
        if self._row is not None and should_wait(self._row, self.nr_conns):
            self._pause_until = time.monotonic() + FAIR_PAUSE_SECONDS
            self.set_accept_enabled(False)
            return
        super().accept(listener)
        self._publish()

    def set_accept_enabled(self, enabled):
        if enabled and time.monotonic() < self._pause_until:
            return  # run() asks again on its next turn, at the latest when the pause is over
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout):
        self._publish()
        pause = self._pause_until - time.monotonic()
        super().wait_for_and_dispatch_events(min(timeout, pause) if pause > 0 else timeout)
