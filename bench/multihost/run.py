"""`make multihost`: the portal on two hosts of its own (Linux network namespaces), behind HAProxy (issue 16).

Two hosts, ``ustmh-a`` (198.18.0.2) and ``ustmh-b`` (198.18.0.3), each a network namespace joined by a veth pair to
the bridge ``ustmh0`` (198.18.0.1) in the root namespace; no default route anywhere, so traffic stays between the
test's own hosts and the root namespace. Each host runs a gunicorn node (A pinned to CPU 0, B to CPU 1), a Celery
worker and a beat. The root namespace runs HAProxy (HTTP on 127.0.0.1 to both nodes; PostgreSQL for the hosts on
the bridge address, to the shared server on 127.0.0.1), a Redis of the test's own, moto's S3 server and an SMTP
sink. Then, through the proxy or each node directly: the registration rush on one node and on two, sessions and
files across nodes, the look-up limit and the login lock-out across nodes, a staff job's progress, one beat, and
500 mails sent exactly once while one host is cut off.

Progress goes to stderr, one JSON line to stdout; the exit status is non-zero when any check fails (not for the
throughput ratio, which is printed). Every wait has a deadline, the whole run an alarm, and the namespaces, links and
servers are removed at the end, on failure and on SIGINT/SIGTERM; a killed run's leftovers are removed at the next
start.
"""


import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import checks, lock, net, servers
from .cluster import (
    ALARM_SECONDS,
    APPROVED,
    BASE_DIR,
    DB_NAME,
    LIMITS,
    MAILS,
    NODE_PORT,
    STUDENTS,
    Cluster,
    celery_queues,
    kill_recorded_servers,
    log,
    recreate_database,
    s3_objects,
    wait_for,
)
from .mail import beat_figures, beat_holder, log_clock, mail_run
from .rush import rush_runs


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")  # unwinds through every finally: the cleanup runs, the JSON line is printed


def _on_alarm(_signum, _frame):
    raise TimeoutError(f"the multi-host test took more than {ALARM_SECONDS}s")


def show_logs(tmp: Path) -> None:
    """The end of every server's and node's log, and the nodes' errors (a 500's traceback), on stderr."""
    for path in sorted(tmp.glob("*.log")):
        lines = path.read_text(errors="replace").splitlines()
        errors = [n for n, line in enumerate(lines) if "ERROR" in line or "Traceback" in line][:3]
        for n in errors:
            for line in lines[n:n + 25]:
                log(f"{path.name}:", line)
        for line in lines[-15:]:
            log(f"{path.name}:", line)


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


# --------------------------------------------------------------------------- main

CHECKS = {  # figure -> what it must be
    "overbooked": 0, "duplicates": 0, "over_credit_limit": 0, "errors_5xx": 0, "rush_not_2xx": 0,
    "default_routes": 0, "rush_one_on_a_alone": True, "rush_two_on_both": True,
    "login_status_a": 302, "session_on_b": True, "anonymous_refused_b": True, "upload_status_a": 302, "certificate_stored": True,
    "download_owner_b": 200, "download_same_bytes": True, "download_other_b": 404, "in_bucket": True,
    "on_local_disk": False,
    "lookup_refused_at": LIMITS["LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS"] + 1, "lookup_refused_on_other": True,
    "lockout_at": LIMITS["AXES_FAILURE_LIMIT"], "lockout_holds_a": True, "lockout_holds_b": True,
    "staff_login_a": 302, "job_started_a": True, "job_page_b": 200, "job_finished": True, "job_progress_seen_b": True,
    "mail_received_distinct": MAILS, "mail_sent_rows": MAILS, "mail_sent_rows_matching_received": MAILS,
    "mail_lost": 0, "mail_failed_rows": 0, "mail_ids_per_mail_max": 1,
    # the preconditions of "none lost": both workers sent before the cut, mail was left, the cut host left claims
    "mail_both_sent_before_cut": True, "mail_cut_mid_run": True, "mail_cut_host_left_claims": True,
    # one beat sends although two run (both alive at the cut, the other standing by), and the other takes over
    "beat_guard": "present", "beat_doubled_runs": 0, "beat_single_sender": True, "beats_alive_at_cut": True,
    "beat_standby_said_before_cut": True,
}


def failures(result: dict) -> list[str]:
    failed = [f"{name}={result.get(name)!r} (want {want!r})" for name, want in CHECKS.items() if result.get(name) != want]
    limit = (result.get("beat_lock_s") or 0) + LIMITS["MAIL_RELAY_INTERVAL_SECONDS"]
    if result.get("beat_takeover_s") is None or result["beat_takeover_s"] > limit:
        failed.append(f"beat_takeover_s={result.get('beat_takeover_s')!r} (want <= {limit})")
    return failed


def refuse(reason: str) -> int:
    """The machine cannot run the test: a failure (never a skip), said on stderr and in the JSON line."""
    log(f"FAILED: {reason}")
    print(json.dumps({"ok": False, "failed_checks": [reason]}), flush=True)
    return 2


def main() -> int:
    started = time.monotonic()
    for tool in ("ip", "wrk", "redis-server", "taskset", servers.HAPROXY):
        if not shutil.which(tool):
            return refuse(f"{tool} is missing (Debian: apt-get install iproute2 wrk redis-server util-linux haproxy)")
    try:  # before the probe, the leftovers' removal and the setup: a live run's namespaces are never touched
        held = lock.acquire(log=log)
    except lock.Busy as exc:
        return refuse(str(exc))
    try:
        return _run(started)
    finally:
        lock.release(held)  # after the cleanup (in _run's finally): the next run finds nothing of ours


def _run(started: float) -> int:
    """The run itself, with the lock held."""
    try:
        net.check_permitted()
    except PermissionError as exc:
        return refuse(str(exc))
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(ALARM_SECONDS)
    kill_recorded_servers()
    leftovers = net.remove_ours()
    if leftovers:
        log("removed a previous run's leftovers:", " ".join(leftovers))
    tmp = Path(tempfile.mkdtemp(prefix="ustmh-"))
    cluster = Cluster(tmp)
    result: dict = {"hosts": len(cluster.hosts), "cpus": os.cpu_count()}
    error = ""
    try:
        cluster.build()
        result["default_routes"] = sum(len(net.default_routes(h)) for h in cluster.hosts)
        log(f"database {DB_NAME}: recreate and migrate")
        recreate_database()
        root_env = cluster.env(root=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=root_env,
                       check=True, timeout=240)
        setup_django(root_env)
        from . import seed

        seeded = seed.seed(students=STUDENTS, approved=APPROVED)
        from django.db import connection

        connection.close()
        log(f"seeded {len(seeded.session_keys)} students, {len(seeded.offering_ids)} offerings")
        queues = celery_queues()
        cluster.start_nodes(queues)
        wait_for("both nodes up in HAProxy", lambda: set(cluster.proxy_states().values()) == {"UP"}, timeout=90,
                 every=0.5)
        log(f"nodes up (workers on queues {queues}) after {time.monotonic() - started:.0f}s")
        a, b = (f"http://{h.address}:{NODE_PORT}" for h in cluster.hosts)
        result.update(checks.sessions_and_files(a, b, seeded, lambda: s3_objects(cluster), cluster.media_dirs()))
        result.update(checks.lookup_limit(a, b, seeded, LIMITS["LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS"]))
        result.update(checks.lockout(a, b, seeded, LIMITS["AXES_FAILURE_LIMIT"]))
        result.update(checks.staff_job(a, b, seeded))
        log("cross-node checks:", json.dumps(result))
        result.update(rush_runs(cluster, seeded))
        cut_host = beat_holder(cluster)
        mail, cut_at, beats_alive = mail_run(cluster, seeded, cut_host)
        result.update(mail)
        time.sleep(LIMITS["BEAT_LOCK_SECONDS"] + LIMITS["MAIL_RELAY_INTERVAL_SECONDS"]
                   - min(LIMITS["BEAT_LOCK_SECONDS"], (log_clock() - cut_at).total_seconds()))
        result.update(beat_figures(cluster, cut_host, cut_at, LIMITS["MAIL_RELAY_INTERVAL_SECONDS"], beats_alive))
    except Exception as exc:  # any failure (a check's, a server's, a signal, the alarm) is reported in the JSON line
        error = f"{type(exc).__name__}: {exc}"
        log("ERROR:", error)
    finally:
        signal.alarm(0)
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second signal must not cut the cleanup short
            signal.signal(signum, signal.SIG_IGN)
        try:
            if error or failures(result) or os.environ.get("MULTIHOST_SHOW_LOGS"):
                show_logs(tmp)
        finally:
            cluster.close()
            if not os.environ.get("MULTIHOST_KEEP_LOGS"):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                log("logs kept in", tmp)
    result["seconds"] = round(time.monotonic() - started, 1)
    failed = failures(result)
    if error:
        failed.insert(0, error)
    result["failed_checks"] = failed
    result["ok"] = not failed
    print(json.dumps(result), flush=True)
    if failed:
        log("FAILED:", "; ".join(failed))
    return 1 if failed else 0
