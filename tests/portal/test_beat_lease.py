"""One active beat however many run (ustportal/beat.py, issue 16): the Redis lease and the scheduler behind it."""

import uuid

import pytest
import redis
from django.conf import settings

from ustportal.beat import BeatLease, SingleActiveMixin

pytestmark = pytest.mark.redis


@pytest.fixture
def client():
    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.fixture
def key(client):
    name = f"test:beat:{uuid.uuid4().hex}"
    yield name
    client.delete(name)


def test_one_holder_at_a_time_and_a_holder_renews_its_own_lease(client, key):
    first, second = BeatLease(client, key=key, seconds=30), BeatLease(client, key=key, seconds=30)

    assert first.hold() and not second.hold()
    assert first.hold()  # renewed, not taken again
    assert first.holder() == first.token and 29_000 < client.pttl(key) <= 30_000


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew_or_free_it(client, key):
    first, second = BeatLease(client, key=key, seconds=30), BeatLease(client, key=key, seconds=30)
    assert first.hold()
    client.delete(key)  # the lease ran out while the first holder stalled (or its host was cut off)

    assert second.hold()
    assert not first.hold()  # it comes back: the lease is someone else's now
    first.release()
    assert second.holder() == second.token


def test_an_unreachable_redis_leads_nobody(key):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)

    assert not BeatLease(dead, key=key, seconds=30).hold()


class _Base:
    def __init__(self):
        self.sent = 0

    def tick(self):
        self.sent += 1  # Celery's Scheduler.tick sends what is due
        return 5.0

    def close(self):
        pass


class _Beat(SingleActiveMixin, _Base):
    def __init__(self, lease):
        super().__init__()
        self.lease, self.leads = lease, 0

    def on_lead(self):
        self.leads += 1


def test_only_the_beat_holding_the_lease_sends_and_the_other_takes_over_when_it_is_gone(client, key):
    a, b = _Beat(BeatLease(client, key=key, seconds=3)), _Beat(BeatLease(client, key=key, seconds=3))

    for _ in range(5):
        assert a.tick() == 1.0  # at least three ticks per lease, whatever the schedule says
        assert b.tick() == 1.0
    assert (a.sent, b.sent) == (5, 0) and (a.leading, b.leading) == (True, False)

    client.delete(key)  # a's host is cut off: its lease runs out
    b.tick()
    a.tick()
    assert (a.sent, b.sent) == (5, 1) and (a.leading, b.leading) == (False, True)
    assert b.leads == 1  # b read the schedule again on taking over


def test_a_standby_beat_says_once_that_it_stands_by_and_who_leads(client, key, caplog):
    a, b = _Beat(BeatLease(client, key=key, seconds=30)), _Beat(BeatLease(client, key=key, seconds=30))
    a.tick()

    with caplog.at_level("INFO", logger="ustportal.beat"):
        b.tick()
        b.tick()

    said = [r.getMessage() for r in caplog.records if "stands by" in r.getMessage()]
    assert said == [f"Beat {b.lease.token} stands by: {a.lease.token} leads."]  # once, not at every tick


def test_a_leader_that_closes_frees_the_lease_at_once(client, key):
    a, b = _Beat(BeatLease(client, key=key, seconds=30)), _Beat(BeatLease(client, key=key, seconds=30))
    a.tick()
    a.close()

    b.tick()
    assert b.sent == 1


def test_without_redis_the_one_beat_always_leads():
    beat = _Beat(None)

    assert beat.tick() == 5.0 and beat.sent == 1


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test alone (never the shared one), so it can be stopped under a leading beat."""
    import shutil
    import socket
    import subprocess  # noqa: S404 - a fixed local redis-server
    import time

    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server")
    for port in range(16440, 16450):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                break
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",  # noqa: S603, S607
                                "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield process, client
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=10)


def test_a_leader_whose_redis_goes_away_stops_sending_and_keeps_running(own_redis, key):
    process, client = own_redis
    beat = _Beat(BeatLease(client, key=key, seconds=3))
    assert beat.tick() == 1.0 and beat.leading

    process.terminate()
    process.wait(timeout=10)  # Redis is gone under a leading beat: it can neither renew nor say who holds the lease

    assert beat.tick() == 1.0  # a beat process that raised here would exit
    assert (beat.sent, beat.leading) == (1, False)


class _StallingBase(_Base):
    """Celery's tick: read the schedule (here: stall, as on a slow database), then send the due entry."""

    def __init__(self):
        super().__init__()
        self.stall = lambda: None
        self._dirty = set()

    def tick(self):
        self._dirty.add("relay")  # DatabaseScheduler.reserve: this entry's last run, to be written
        self.stall()
        self.apply_async(type("Entry", (), {"name": "relay"})())
        return 0

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent += 1


class _StallingBeat(SingleActiveMixin, _StallingBase):
    def __init__(self, lease):
        super().__init__()
        self.lease = lease


def test_a_leader_that_stalls_inside_a_tick_past_its_lease_sends_nothing_when_it_wakes(client, key):
    stalled, other = _StallingBeat(BeatLease(client, key=key, seconds=30)), BeatLease(client, key=key, seconds=30)

    def lease_taken_meanwhile():
        client.delete(key)  # the stall outlasted the lease ...
        assert other.hold()  # ... and the other beat took over (and sends this entry itself)

    stalled.stall = lease_taken_meanwhile
    stalled.tick()

    assert stalled.sent == 0 and not stalled.leading
    assert stalled._dirty == set()  # nor does it write a last run over the new leader's
    assert other.holder() == other.token
