"""500 mails through the outbox with one host cut off mid-run, and the beats (one sends; the other takes over)."""

import re
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from . import net
from .cluster import CUT_AFTER, MAILS, Cluster, Failed, log, wait_for

LOG_TIME = r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d+).*"
BEAT_SEND = re.compile(LOG_TIME + "Sending due task relay-queued-mail")
BEAT_STANDS_BY = re.compile(LOG_TIME + "Beat .* stands by")


def log_clock() -> datetime:
    """Now, as the Celery logs write it: naive, in the portal's time zone (CELERY_TIMEZONE = TIME_ZONE)."""
    from django.conf import settings

    return datetime.now(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def log_times(path: Path, pattern: re.Pattern) -> list[datetime]:
    """The times of a Celery log's lines that match ``pattern`` (its first two groups: the time and milliseconds)."""
    times = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        match = pattern.match(line)
        if match:
            times.append(datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(
                microsecond=int(match.group(2)) * 1000))
    return times


def beat_sends(path: Path) -> list[datetime]:
    return log_times(path, BEAT_SEND)


def beat_holder(cluster: Cluster) -> net.Host:
    """The host whose beat sent the schedule's last run (with the single-beat guard, the lock's holder)."""
    latest = {h.name: max(beat_sends(cluster.tmp / f"beat-{h.name}.log"), default=datetime.min) for h in cluster.hosts}
    name = max(latest, key=lambda n: latest[n])
    return next(h for h in cluster.hosts if h.name == name)


def beat_figures(cluster: Cluster, cut_host: net.Host, cut_at: datetime, interval: float,
                 alive_at_cut: dict[str, bool]) -> dict:
    """Each due run sent once (no two sends of the short-interval entry closer than half its interval, both beats'
    logs merged) before the cut; after it, the other host's beat sends within the lock time plus one interval.

    With its preconditions, so that "one sender" cannot pass because only one beat ran: both beats were running when
    the leader's host was cut off, and the other one had said that it stands by (ustportal/beat.py)."""
    from django.conf import settings

    lock = getattr(settings, "BEAT_LOCK_SECONDS", None)
    sends = {h.name: beat_sends(cluster.tmp / f"beat-{h.name}.log") for h in cluster.hosts}
    before = sorted(t for times in sends.values() for t in times if t < cut_at)
    gaps = [(b - a).total_seconds() for a, b in zip(before, before[1:], strict=False)]
    doubled = sum(1 for gap in gaps if gap < interval / 2)
    senders = sorted(n for n, times in sends.items() if any(t < cut_at for t in times))
    survivor = next(h for h in cluster.hosts if h is not cut_host)
    after = [t for t in sends[survivor.name] if t > cut_at]
    takeover = round((after[0] - cut_at).total_seconds(), 1) if after else None
    standby = [t for t in log_times(cluster.tmp / f"beat-{survivor.name}.log", BEAT_STANDS_BY) if t < cut_at]
    return {
        "beat_guard": "present" if lock is not None else "missing",
        "beat_runs_before_cut": len(before),
        "beat_senders_before_cut": senders,
        "beat_single_sender": senders == [cut_host.name],  # the leader, whose host was cut off
        "beat_doubled_runs": doubled,
        "beat_takeover_s": takeover,
        "beat_lock_s": lock,
        "beats_alive_at_cut": all(alive_at_cut.get(h.name) for h in cluster.hosts),
        "beat_standby_said_before_cut": bool(standby),
    }


def ids_by_recipient(received: list[tuple], recipients: set[str]) -> dict[str, set[str]]:
    """The distinct Message-IDs each of ``recipients`` received: one each when every re-send kept its mail's ID."""
    found: dict[str, set[str]] = {}
    for message_id, to, *_peer in received:
        for address in to:
            if address in recipients:
                found.setdefault(address, set()).add(message_id)
    return found


def senders(received: list[tuple], ids: set[str], hosts: list[net.Host]) -> dict[str, int]:
    """host name -> how many of our mails (by Message-ID) arrived from that host's address."""
    by_address = {h.address: h.name for h in hosts}
    counts = {h.name: 0 for h in hosts}
    for message_id, _to, peer in received:
        if message_id in ids and peer in by_address:
            counts[by_address[peer]] += 1
    return counts


def mail_run(cluster: Cluster, seeded, cut_host: net.Host) -> tuple[dict, datetime, dict[str, bool]]:
    """MAILS mails through the outbox, sent by both workers; ``cut_host`` cut off once CUT_AFTER have arrived.

    With the preconditions that make "none lost" mean something: before the cut both hosts' workers had sent mail
    (the sink sees each message's peer address), mail was still unsent at the cut, and some of the cut host's claims
    were left in flight (rows claimed twice: by the cut worker, then, once stale, by the other)."""
    from django.db import transaction

    from accounts.models import User
    from core.mail import mail_queue
    from core.models import OutgoingMail

    users = list(User.objects.filter(pk__in=seeded.user_ids[:MAILS]).only("pk", "email"))
    started = time.monotonic()
    with transaction.atomic():
        mails = [mail_queue(kind="set_password", to=u.email, language="en", params={"user_id": u.pk}) for u in users]
    ids = {m.message_id for m in mails}
    pks = [m.pk for m in mails]

    def ours_received() -> list[str]:
        return [mid for mid, _to, _peer in cluster.sink.received() if mid in ids]

    wait_for(f"{CUT_AFTER} mails received", lambda: len(ours_received()) >= CUT_AFTER, timeout=60, every=0.05)
    cluster.sink.hold_from = cut_host.address  # its next message gets no answer: a claim surely in flight at the cut
    try:
        wait_for(f"{cut_host.netns} to hold a mail in flight", lambda: cluster.sink.holding > 0, timeout=20, every=0.01)
    except Failed as exc:
        log(str(exc))  # the precondition check below then fails the run with its reason
    net.cut(cut_host)
    cluster.sink.hold_from = None
    cut_at = log_clock()
    at_cut = cluster.sink.received()
    alive = cluster.alive("beat")
    in_flight = OutgoingMail.objects.filter(pk__in=pks, status=OutgoingMail.Status.SENDING).count()
    received_at_cut = {mid for mid, _to, _peer in at_cut if mid in ids}
    log(f"cut off {cut_host.netns} after {len(received_at_cut)} mails ({in_flight} being sent)")

    def all_sent() -> bool:
        sent = OutgoingMail.objects.filter(pk__in=pks, status=OutgoingMail.Status.SENT).count()
        return sent == len(pks) and len(set(ours_received())) == len(ids)

    try:
        wait_for("every mail sent and received", all_sent, timeout=150, every=0.5)
    except Failed as exc:
        log(str(exc))
    everything = cluster.sink.received()
    received = ours_received()
    rows = OutgoingMail.objects.filter(pk__in=pks)
    sent_rows = rows.filter(status=OutgoingMail.Status.SENT)
    received_set = set(received)
    recipients = {u.email for u in users}
    ids_per_recipient = ids_by_recipient(everything, recipients)
    before = senders(at_cut, ids, cluster.hosts)
    after = senders(everything[len(at_cut):], ids, cluster.hosts)
    return {
        "mail_queued": len(pks),
        "mail_received_distinct": len(received_set),
        "mail_duplicate_deliveries": len(received) - len(received_set),
        "mail_sent_rows": sent_rows.count(),
        "mail_sent_rows_matching_received": sum(1 for mid in sent_rows.values_list("message_id", flat=True)
                                                if mid in received_set),
        "mail_lost": len(ids - received_set),
        "mail_ids_per_mail_max": max((len(v) for v in ids_per_recipient.values()), default=0),
        "mail_failed_rows": rows.filter(status=OutgoingMail.Status.FAILED).count(),
        "mail_seconds": round(time.monotonic() - started, 1),
        "mail_cut_host": cut_host.netns,
        "mail_senders_before_cut": before,
        "mail_senders_after_cut": after,
        "mail_both_sent_before_cut": all(before.values()),
        "mail_unsent_at_cut": len(ids - received_at_cut),
        "mail_cut_mid_run": len(ids - received_at_cut) > 0,
        "mail_in_flight_at_cut": in_flight,
        "mail_claimed_twice": rows.filter(attempts__gte=2).count(),
        "mail_cut_host_left_claims": rows.filter(attempts__gte=2).exists(),
    }, cut_at, alive
