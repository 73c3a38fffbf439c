"""One active Celery beat, however many are started (issue 16: beat may run on two hosts for availability).

``SingleBeatScheduler`` is django-celery-beat's ``DatabaseScheduler`` behind a lease in Redis: a beat sends due
tasks only while it holds the key ``BEAT_LOCK_KEY``, set with ``SET NX PX`` to a token of its own and renewed on
every tick (a Lua compare-and-renew, so a beat never renews or frees a lease another one took over). The lease lasts
``BEAT_LOCK_SECONDS``; a beat ticks at least three times per lease, so a live leader never loses it, and when the
leader's host dies or is cut off, another beat takes over within one lease. A beat that finds its lease gone — it
stalled longer than the lease and another took over — sends nothing more until it wins the lease again; the lease
is asked again right before each send too, so a stall inside a tick (between its check and the send) sends nothing.

On taking over, a beat reloads the schedule from the database, where ``CELERY_BEAT_SYNC_EVERY = 1`` has the leader
write each entry's last run as soon as it sends it: the new leader does not send again what the old one just sent.
The edge left is a leader cut off between sending a task and writing its last run; every scheduled task is
idempotent for that reason (each claims its rows: mails, lists, releases, jobs), so a second send does nothing.

Without Redis (the embedded default) there is nothing to share and one beat is the only one: it always leads.
If Redis is unreachable, no beat leads — the broker is the same Redis, so nothing could be sent anyway.
"""

import logging
import os
import socket
import uuid

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class BeatLease:
    """A lease in Redis that one holder at a time keeps by renewing it; ``hold()`` takes or renews it."""

    def __init__(self, client, *, key: str, seconds: float):
        self.client, self.key, self.milliseconds = client, key, int(seconds * 1000)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"

    def hold(self) -> bool:
        """True while this holder has the lease (taken now, or renewed); False when another holds it."""
        try:
            if self.client.eval(_RENEW, 1, self.key, self.token, self.milliseconds):
                return True
            return bool(self.client.set(self.key, self.token, nx=True, px=self.milliseconds))
        except redis.RedisError as exc:
            logger.warning("Beat lease unreadable (%s): not leading.", exc)
            return False

    def release(self) -> None:
        try:
            self.client.eval(_RELEASE, 1, self.key, self.token)
        except redis.RedisError:
            pass  # it expires by itself

    def holder(self) -> str | None:
        """Who holds the lease now, for the log; None when nobody does or Redis cannot say (never raises: it is
        asked just after ``hold()`` failed, often because Redis is down, and an exception would end the beat)."""
        try:
            value = self.client.get(self.key)
        except redis.RedisError:
            return None
        return value.decode() if value else None


class SingleActiveMixin:
    """A Celery scheduler that ticks (sends due tasks) only while it holds ``self.lease``; see the module."""

    lease: BeatLease | None = None
    leading = False
    standing_by = False  # said once in the log, so that a standby beat is seen to be alive and not sending

    def tick(self, *args, **kwargs):
        wait = max(self.lease.milliseconds / 3000, 0.5) if self.lease else None
        if self.lease is not None and not self.lease.hold():
            if self.leading:
                logger.warning("Beat %s lost the lease to %s: no longer sending.", self.lease.token, self.lease.holder())
            elif not self.standing_by:
                logger.info("Beat %s stands by: %s leads.", self.lease.token, self.lease.holder())
            self.leading, self.standing_by = False, True
            return wait
        if not self.leading:
            self.leading, self.standing_by = True, False
            self.on_lead()
        interval = super().tick(*args, **kwargs)
        return interval if wait is None else min(interval, wait)

    def apply_async(self, entry, *args, **kwargs):
        """Ask for the lease again just before sending: the check at the start of the tick does not cover a leader
        that stalled inside it (a slow schedule read from the database) until another beat took over. Such a beat
        sends nothing, and forgets the last run it reserved (the new leader writes its own)."""
        if self.lease is not None and not self.lease.hold():
            logger.warning("Beat %s lost the lease before sending %s: not sent; %s leads.", self.lease.token,
                           entry.name, self.lease.holder())
            self.leading = False
            getattr(self, "_dirty", set()).discard(entry.name)
            return None
        return super().apply_async(entry, *args, **kwargs)

    def on_lead(self) -> None:
        """Just took the lease: read the schedule again, as the previous leader left it."""
        logger.info("Beat %s leads.", self.lease.token if self.lease else "(single)")

    def close(self) -> None:
        if self.lease is not None and self.leading:
            self.lease.release()
        super().close()


def beat_lease() -> BeatLease | None:
    if not settings.REDIS_URL:
        return None
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
                                  socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT)
    return BeatLease(client, key=settings.BEAT_LOCK_KEY, seconds=settings.BEAT_LOCK_SECONDS)


class SingleBeatScheduler(SingleActiveMixin, DatabaseScheduler):
    """django-celery-beat's scheduler, sending only while this beat holds the Redis lease."""

    def __init__(self, *args, **kwargs):
        self.lease = beat_lease()
        super().__init__(*args, **kwargs)

    def on_lead(self) -> None:
        super().on_lead()
        self._initial_read = True  # DatabaseScheduler.schedule reads every entry (and its last run) again
        self._heap = None  # and Scheduler.tick orders them again
