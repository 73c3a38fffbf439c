"""Handing a task to the broker without ever holding a request hostage to it.

Every caller keeps its work in a table first (the mail outbox, a list's claim row), so a task
that never reaches the broker is not lost: a beat relay hands it over later. Publishing
therefore tries once, without kombu's retries, and after a failure this process skips the
broker for ``PAUSE_SECONDS``, so a request that queues ten mails, or a relay run over five
hundred rows, costs one failed connection instead of one each.
"""

import logging
import time

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

PAUSE_SECONDS = 10.0
# Per process: whether this process reaches the broker is its own (its host's network). For at most PAUSE_SECONDS a
# paused process leaves its work in the table for the relay's next beat tick: later, never lost or doubled.
_paused_until = 0.0


def broker_publish(task, *args) -> bool:
    """Queue ``task(*args)``; False (and nothing raised) when the broker is unreachable now or was a moment ago."""
    global _paused_until
    if time.monotonic() < _paused_until:
        logger.info("Broker paused after a failure; %s%s left for the relay.", task.name, args)
        return False
    try:
        task.apply_async(args, retry=False)
    except (OperationalError, OSError) as exc:
        _paused_until = time.monotonic() + PAUSE_SECONDS
        logger.warning("Broker unavailable (%s); %s%s left for the relay.", exc, task.name, args)
        return False
    return True


def broker_resume() -> None:
    """Forget an earlier failure (the relay calls it, so a recovered broker is used at once; tests too)."""
    global _paused_until
    _paused_until = 0.0
