"""One multi-host run at a time on this machine: an exclusive lock taken before any cleanup or setup.

The run's names are fixed (namespaces ``ustmh-*``, the bridge ``ustmh0`` at 198.18.0.1) and a run removes every
leftover carrying the prefix when it starts, so a second run beside a live one would tear the first one's network
down. A second run therefore waits for the lock (bounded) and then fails, saying who holds it; it never touches the
other run's namespaces. The lock is ``flock`` on a file, so the kernel drops it when its holder dies, even by SIGKILL:
a killed run never blocks the next, which then removes its leftovers as before.

The file is at a fixed path in /tmp, not in ``$TMPDIR``: the names it guards are machine-wide, and two sessions with
different temp dirs must still see one lock.
"""

import fcntl
import os
import time
from pathlib import Path

# Machine-wide on purpose (see above); opened without following a link.
LOCK_PATH = Path("/tmp/ustmh.lock")  # nosec B108
WAIT_SECONDS = float(os.environ.get("MULTIHOST_LOCK_WAIT_SECONDS", 300))


class Busy(Exception):
    """Another run holds the lock and did not release it in time."""


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
    except OSError:
        return "unknown"


def acquire(path: Path | None = None, *, wait: float | None = None, every: float = 0.5, log=None) -> int:
    """The lock's file descriptor, held until ``release`` (or the process's end); ``Busy`` after ``wait`` seconds."""
    path = path or LOCK_PATH
    wait = WAIT_SECONDS if wait is None else wait
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    deadline, told = time.monotonic() + wait, False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another multi-host run (pid {_holder(fd)}) holds {path}; waited {wait:.0f}s "
                        "(MULTIHOST_LOCK_WAIT_SECONDS). Its namespaces were left alone.") from None
                if log and not told:
                    log(f"another multi-host run (pid {_holder(fd)}) holds {path}: waiting up to {wait:.0f}s")
                    told = True
                time.sleep(every)
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return fd


def release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor drops the flock
