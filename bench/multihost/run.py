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
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from . import checks, net, servers

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
DB_NAME = os.environ.get("MULTIHOST_DB", "ustportal_h1mh")
STUDENTS = int(os.environ.get("MULTIHOST_STUDENTS", 1500))
DURATION = os.environ.get("MULTIHOST_DURATION", "10s")
MAILS = int(os.environ.get("MULTIHOST_MAILS", 500))
CUT_AFTER = MAILS // 5  # mails received before one host is cut off
APPROVED = 40  # applications the staff job issues IDs for
NODE_PORT = 8000
REDIS_PORT = 6379  # on the bridge address: the shared Redis binds 127.0.0.1 only
ALARM_SECONDS = int(os.environ.get("MULTIHOST_ALARM_SECONDS", 480))
STATE_FILE = Path(tempfile.gettempdir()) / "ustmh-root-pids"  # the root namespace's servers of a run, for the next
BUCKET, S3_KEY, S3_SECRET, S3_REGION = "ustmh-files", "multihost", "multihost-secret", "us-east-1"
LIMITS = {"LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS": 4, "AXES_FAILURE_LIMIT": 3, "MAIL_STALE_CLAIM_SECONDS": 15,
          "MAIL_RELAY_INTERVAL_SECONDS": 5, "BEAT_LOCK_SECONDS": 10, "EMAIL_TIMEOUT": 5}


def log(*parts) -> None:
    print("[multihost]", *parts, file=sys.stderr, flush=True)


class Failed(Exception):
    pass


class Interrupted(Exception):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")  # unwinds through every finally: the cleanup runs, the JSON line is printed


def _on_alarm(_signum, _frame):
    raise TimeoutError(f"the multi-host test took more than {ALARM_SECONDS}s")


def wait_for(what: str, predicate, *, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise Failed(f"{what}: not within {timeout:.0f}s")


# --------------------------------------------------------------------------- leftovers and cleanup


def kill_recorded_servers() -> None:
    """The root namespace's servers a killed run left (recorded by pid; killed only if still one of ours)."""
    if not STATE_FILE.exists():
        return
    for line in STATE_FILE.read_text().split():
        if not line.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{line}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if net.bridge_address() in cmdline or "ustmh" in cmdline:
            try:
                os.killpg(int(line), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    STATE_FILE.unlink(missing_ok=True)


def stop(proc: subprocess.Popen | None, grace: float = 5) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


# --------------------------------------------------------------------------- database


def recreate_database() -> None:
    import psycopg2

    conn = psycopg2.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        conn.close()


# --------------------------------------------------------------------------- the run


class Cluster:
    """Everything the run starts, stopped in reverse order by ``close()``."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.hosts = net.plan()
        self.bridge = net.bridge_address()
        self.root_servers: list[subprocess.Popen] = []
        self.node_procs: dict[str, list[subprocess.Popen]] = {h.name: [] for h in self.hosts}
        self.sink = None
        self.built = False

    def record(self, proc: subprocess.Popen) -> subprocess.Popen:
        self.root_servers.append(proc)
        STATE_FILE.write_text("\n".join(str(p.pid) for p in self.root_servers) + "\n")
        return proc

    def build(self) -> None:
        net.build(self.hosts)
        self.built = True
        log("network:", ", ".join(f"{h.netns} {h.address}" for h in self.hosts), f"bridge {net.BRIDGE} {self.bridge}")
        self.http_port = servers.free_port("127.0.0.1")
        self.moto_port = servers.free_port(self.bridge)
        self.smtp_port = servers.free_port(self.bridge)
        self.record(servers.start_redis(self.bridge, REDIS_PORT, self.tmp / "redis.log"))
        self.record(servers.start_moto(self.bridge, self.moto_port, self.tmp / "moto.log"))
        self.endpoint = f"http://{self.bridge}:{self.moto_port}"
        servers.create_bucket(self.endpoint, BUCKET, key=S3_KEY, secret=S3_SECRET, region=S3_REGION)
        self.sink = servers.SmtpSink(self.bridge, self.smtp_port).__enter__()
        self.haproxy_socket = self.tmp / "haproxy.sock"
        config = self.tmp / "haproxy.cfg"
        config.write_text(servers.haproxy_config(
            http_port=self.http_port, nodes={h.name: h.address for h in self.hosts}, node_port=NODE_PORT,
            bridge=self.bridge, stats_socket=self.haproxy_socket))
        check = subprocess.run([servers.HAPROXY, "-c", "-f", str(config)], capture_output=True, text=True, timeout=20)
        if check.returncode != 0:
            raise Failed(f"haproxy refused its configuration: {check.stdout} {check.stderr}")
        proxy = self.record(servers.start([servers.HAPROXY, "-db", "-f", str(config)], self.tmp / "haproxy.log"))
        servers.wait_port("127.0.0.1", self.http_port, timeout=10, proc=proxy)
        servers.wait_port(self.bridge, 5432, timeout=10, proc=proxy)
        log(f"HAProxy on 127.0.0.1:{self.http_port}, Redis {self.bridge}:{REDIS_PORT}, S3 {self.endpoint}, "
            f"SMTP {self.bridge}:{self.smtp_port}")

    def env(self, *, root: bool = False, host: net.Host | None = None) -> dict:
        database_host = "127.0.0.1" if root else self.bridge
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.multihost.settings",
            "DATABASE_URL": f"postgres://postgres@{database_host}:5432/{DB_NAME}",
            "REDIS_URL": f"redis://{self.bridge}:{REDIS_PORT}/0",
            "SECRET_KEY": "multihost-only-not-secret-but-long-enough-0123456789",
            "DEBUG": "false",
            "ALLOWED_HOSTS": ",".join(["127.0.0.1", *(h.address for h in self.hosts)]),
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
            "SECURE_COOKIES": "false",
            "OTP_REQUIRED_FOR_STAFF": "false",
            "NUM_PROXIES": "1",  # HAProxy; a request straight to a node has no X-Forwarded-For: its peer counts
            "PORTAL_BASE_URL": f"http://127.0.0.1:{self.http_port}",
            "EMAIL_URL": f"smtp://{self.bridge}:{self.smtp_port}",
            "FILE_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": S3_REGION,
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "MEDIA_ROOT": str(self.tmp / f"media-{host.name if host else 'root'}"),
            "GUNICORN_WORKERS": "2",  # per node: each node has one CPU
            **{name: str(value) for name, value in LIMITS.items()},
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        return env

    def media_dirs(self) -> list[Path]:
        return [self.tmp / f"media-{h.name}" for h in self.hosts]

    def start_nodes(self, queues: str) -> None:
        for cpu, host in enumerate(self.hosts):
            env = self.env(host=host)
            procs = self.node_procs[host.name]
            procs.append(servers.start(net.in_netns(host, [
                str(VENV_BIN / "gunicorn"), "ustportal.wsgi", "--config", str(BASE_DIR / "gunicorn.conf.py"),
                "--bind", f"{host.address}:{NODE_PORT}"], cpu=cpu), self.tmp / f"gunicorn-{host.name}.log", env))
            procs.append(servers.start(net.in_netns(host, [
                str(VENV_BIN / "celery"), "-A", "ustportal", "worker", "-Q", queues, "--concurrency", "2",
                "--hostname", f"w-{host.name}@{host.netns}", "--loglevel", "info", "--without-gossip",
                "--without-mingle"]), self.tmp / f"worker-{host.name}.log", env))
            procs.append(servers.start(net.in_netns(host, [
                str(VENV_BIN / "celery"), "-A", "ustportal", "beat", "--loglevel", "info",
                "--pidfile", str(self.tmp / f"beat-{host.name}.pid")]), self.tmp / f"beat-{host.name}.log", env))

    def proxy_states(self) -> dict[str, str]:
        return servers.haproxy_servers_up(self.haproxy_socket)

    def proxy(self, command: str) -> None:
        servers.haproxy_command(self.haproxy_socket, command)

    def close(self) -> None:
        for procs in self.node_procs.values():
            for proc in reversed(procs):
                stop(proc)
        for host in self.hosts:
            net.kill_netns_processes(host.netns)
        if self.sink is not None:
            self.sink.__exit__(None, None, None)
        for proc in reversed(self.root_servers):
            stop(proc)
        STATE_FILE.unlink(missing_ok=True)
        removed = net.remove_ours()
        log("removed:", " ".join(removed) or "nothing")


def setup_django(env: dict) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def celery_queues() -> str:
    """The lead's queues (default, mail, staff) once settings route tasks to them; Celery's own default before."""
    from django.conf import settings

    return "default,mail,staff" if getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery") != "celery" else "celery"


def s3_objects(cluster: Cluster) -> dict[str, bytes]:
    client = servers.s3_client(cluster.endpoint, key=S3_KEY, secret=S3_SECRET, region=S3_REGION)
    objects = {}
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        objects[item["Key"]] = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
    return objects


# --------------------------------------------------------------------------- the rush


def run_wrk(cluster: Cluster, mode: str, seeded, duration: str) -> dict:
    from bench import rush

    script = cluster.tmp / f"{mode}.lua"
    script.write_text(rush.LUA % {
        "mode": mode, "sessions_file": cluster.tmp / "sessions.txt", "csrf": rush.CSRF_SECRET,
        "offerings": ", ".join(str(pk) for pk in seeded.offering_ids), "term": seeded.term_id,
        "drops_file": cluster.tmp / "drops.txt",
    })
    command = ["wrk", "-t2", "-c64", f"-d{duration}", "--timeout", "10s", "-s", str(script),
               f"http://127.0.0.1:{cluster.http_port}"]
    with CpuMeter(cluster) as cpu:
        out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    result = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
    result["cpu_cores"] = cpu.figures
    log(f"wrk[{mode}]", json.dumps(result))
    return result


class CpuMeter:
    """Cores used during a run: by the whole machine, by the test's own processes (everything in the hosts'
    namespaces, HAProxy, the test database's PostgreSQL backends, wrk) and by anything else (another session's
    work makes the figures unrepresentative; it is printed, not hidden)."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def _ours(self) -> dict[int, int]:
        from bench import rush

        pids = {pid for host in self.cluster.hosts for pid in net.netns_pids(host.netns)}
        pids |= {proc.pid for proc in self.cluster.root_servers}
        return {pid: ticks for pid, (cmd, _ppid, ticks) in rush._proc_ticks().items()
                if pid in pids or f" {DB_NAME} " in cmd}

    def __enter__(self):
        from bench import rush

        self.t0, self.children0 = time.monotonic(), os.times()
        self.busy0, _steal = rush._system_ticks()
        self.ours0 = self._ours()
        return self

    def __exit__(self, *exc):
        from bench import rush

        hz, elapsed, children = os.sysconf("SC_CLK_TCK"), time.monotonic() - self.t0, os.times()
        busy, _steal = rush._system_ticks()
        ours = sum(t - self.ours0.get(pid, 0) for pid, t in self._ours().items()) / hz
        ours += children.children_user + children.children_system - self.children0.children_user \
            - self.children0.children_system  # wrk
        total = (busy - self.busy0) / hz
        self.figures = {"machine": round(total / elapsed, 2), "ours": round(ours / elapsed, 2),
                        "other": round(max(total - ours, 0.0) / elapsed, 2)}
        return False


def reset_registrations() -> None:
    from django.db import connection, transaction

    from bench import rush
    from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent

    with transaction.atomic():
        RegistrationEvent.objects.all().delete()
        CourseRegistration.objects.all().delete()
        CourseOffering.objects.update(seats_taken=0, capacity=rush.CAPACITY, waiting=0)
    connection.close()
    time.sleep(2.5)  # the web processes keep a term's windows and counts two seconds (core.cache_prefetch)


def rush_runs(cluster: Cluster, seeded) -> dict:
    """The registration rush through HAProxy: node A alone (B disabled in the proxy), then both nodes."""
    from bench import rush

    assert rush.CSRF_SECRET
    (cluster.tmp / "sessions.txt").write_text("\n".join(seeded.session_keys) + "\n")
    run_wrk(cluster, "ping", seeded, "2s")  # warm-up of both nodes, not counted
    cluster.proxy("disable server nodes/b")
    time.sleep(1)
    one = run_wrk(cluster, "register", seeded, DURATION)
    one_checks = rush.database_checks()
    reset_registrations()
    cluster.proxy("enable server nodes/b")
    wait_for("node b back in the proxy", lambda: cluster.proxy_states().get("b") == "UP", timeout=15)
    two = run_wrk(cluster, "register", seeded, DURATION)
    two_checks = rush.database_checks()
    log("database after the one-node rush:", json.dumps(one_checks), "after the two-node rush:", json.dumps(two_checks))
    ratio = round(two["rps"] / one["rps"], 2) if one["rps"] else 0.0
    return {
        "rush_one_rps": round(one["rps"], 1), "rush_two_rps": round(two["rps"], 1), "rush_ratio": ratio,
        "rush_one_p95_ms": round(one["p95_ms"], 1), "rush_two_p95_ms": round(two["p95_ms"], 1),
        "rush_one_cpu": one["cpu_cores"], "rush_two_cpu": two["cpu_cores"],
        "overbooked": one_checks["overbooked"] + two_checks["overbooked"],
        "duplicates": one_checks["duplicates"] + two_checks["duplicates"],
        "over_credit_limit": one_checks["over_credit_limit"] + two_checks["over_credit_limit"],
        "seats_filled": [one_checks["seats_filled"], two_checks["seats_filled"]],
        "errors_5xx": one["errors_5xx"] + two["errors_5xx"],
        "busy_503": one["status_503"] + two["status_503"],
        "rush_not_2xx": one["status_3xx"] + one["status_4xx"] + two["status_3xx"] + two["status_4xx"],
    }


# --------------------------------------------------------------------------- beat and mail

BEAT_SEND = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d+).*Sending due task relay-queued-mail")


def log_clock() -> datetime:
    """Now, as the Celery logs write it: naive, in the portal's time zone (CELERY_TIMEZONE = TIME_ZONE)."""
    from django.conf import settings

    return datetime.now(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def beat_sends(path: Path) -> list[datetime]:
    sends = []
    for line in path.read_text(errors="replace").splitlines() if path.exists() else []:
        match = BEAT_SEND.match(line)
        if match:
            sends.append(datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(
                microsecond=int(match.group(2)) * 1000))
    return sends


def beat_holder(cluster: Cluster) -> net.Host:
    """The host whose beat sent the schedule's last run (with the single-beat guard, the lock's holder)."""
    latest = {h.name: max(beat_sends(cluster.tmp / f"beat-{h.name}.log"), default=datetime.min) for h in cluster.hosts}
    name = max(latest, key=lambda n: latest[n])
    return next(h for h in cluster.hosts if h.name == name)


def beat_figures(cluster: Cluster, cut_host: net.Host, cut_at: datetime, interval: float) -> dict:
    """Each due run sent once (no two sends of the short-interval entry closer than half its interval, both beats'
    logs merged) before the cut; after it, the other host's beat sends within the lock time plus one interval."""
    from django.conf import settings

    lock = getattr(settings, "BEAT_LOCK_SECONDS", None)
    sends = {h.name: beat_sends(cluster.tmp / f"beat-{h.name}.log") for h in cluster.hosts}
    before = sorted(t for times in sends.values() for t in times if t < cut_at)
    gaps = [(b - a).total_seconds() for a, b in zip(before, before[1:], strict=False)]
    doubled = sum(1 for gap in gaps if gap < interval / 2)
    survivor = next(h for h in cluster.hosts if h is not cut_host)
    after = [t for t in sends[survivor.name] if t > cut_at]
    takeover = round((after[0] - cut_at).total_seconds(), 1) if after else None
    return {
        "beat_guard": "present" if lock is not None else "pending",
        "beat_runs_before_cut": len(before),
        "beat_senders_before_cut": sorted(n for n, times in sends.items() if any(t < cut_at for t in times)),
        "beat_doubled_runs": doubled,
        "beat_takeover_s": takeover,
        "beat_lock_s": lock,
    }


def ids_by_recipient(received: list[tuple[str, tuple[str, ...]]], recipients: set[str]) -> dict[str, set[str]]:
    """The distinct Message-IDs each of ``recipients`` received: one each when every re-send kept its mail's ID."""
    found: dict[str, set[str]] = {}
    for message_id, to in received:
        for address in to:
            if address in recipients:
                found.setdefault(address, set()).add(message_id)
    return found


def mail_run(cluster: Cluster, seeded, cut_host: net.Host) -> tuple[dict, datetime]:
    """MAILS mails through the outbox, sent by both workers; ``cut_host`` cut off once CUT_AFTER have arrived."""
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
        return [mid for mid, _to in cluster.sink.received() if mid in ids]

    wait_for(f"{CUT_AFTER} mails received", lambda: len(ours_received()) >= CUT_AFTER, timeout=60, every=0.05)
    net.cut(cut_host)
    cut_at = log_clock()
    log(f"cut off {cut_host.netns} after {len(ours_received())} mails")

    def all_sent() -> bool:
        sent = OutgoingMail.objects.filter(pk__in=pks, status=OutgoingMail.Status.SENT).count()
        return sent == len(pks) and len(set(ours_received())) == len(ids)

    try:
        wait_for("every mail sent and received", all_sent, timeout=150, every=0.5)
    except Failed as exc:
        log(str(exc))
    received = ours_received()
    rows = OutgoingMail.objects.filter(pk__in=pks)
    sent_rows = rows.filter(status=OutgoingMail.Status.SENT)
    received_set = set(received)
    recipients = {u.email for u in users}
    ids_per_recipient = ids_by_recipient(cluster.sink.received(), recipients)
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
    }, cut_at


# --------------------------------------------------------------------------- main

CHECKS = {  # figure -> what it must be
    "overbooked": 0, "duplicates": 0, "over_credit_limit": 0, "errors_5xx": 0, "rush_not_2xx": 0,
    "login_status_a": 302, "session_on_b": True, "upload_status_a": 302, "certificate_stored": True,
    "download_owner_b": 200, "download_same_bytes": True, "download_other_b": 404, "in_bucket": True,
    "on_local_disk": False,
    "lookup_refused_at": LIMITS["LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS"] + 1,
    "lockout_at": LIMITS["AXES_FAILURE_LIMIT"], "lockout_holds_a": True, "lockout_holds_b": True,
    "staff_login_a": 302, "job_started_a": True, "job_page_b": 200, "job_finished": True, "job_progress_seen_b": True,
    "mail_received_distinct": MAILS, "mail_sent_rows": MAILS, "mail_sent_rows_matching_received": MAILS,
    "mail_lost": 0, "mail_failed_rows": 0, "mail_ids_per_mail_max": 1,
}
BEAT_CHECKS = {"beat_doubled_runs": 0}  # and beat_takeover_s within the lock time plus an interval


def failures(result: dict) -> list[str]:
    failed = [f"{name}={result.get(name)!r} (want {want!r})" for name, want in CHECKS.items() if result.get(name) != want]
    if result.get("beat_guard") == "present":
        failed += [f"{n}={result.get(n)!r} (want {w!r})" for n, w in BEAT_CHECKS.items() if result.get(n) != w]
        limit = (result.get("beat_lock_s") or 0) + 2 * LIMITS["MAIL_RELAY_INTERVAL_SECONDS"]
        if result.get("beat_takeover_s") is None or result["beat_takeover_s"] > limit:
            failed.append(f"beat_takeover_s={result.get('beat_takeover_s')!r} (want <= {limit})")
    return failed


def main() -> int:
    started = time.monotonic()
    for tool in ("ip", "wrk", "redis-server", "taskset", servers.HAPROXY):
        if not shutil.which(tool):
            log(f"{tool} is missing (Debian: apt-get install iproute2 wrk redis-server util-linux haproxy)")
            return 2
    try:
        net.check_permitted()
    except PermissionError as exc:
        log(f"FAILED: {exc}")
        return 2
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
        mail, cut_at = mail_run(cluster, seeded, cut_host)
        result.update(mail)
        time.sleep(LIMITS["BEAT_LOCK_SECONDS"] + LIMITS["MAIL_RELAY_INTERVAL_SECONDS"]
                   - min(LIMITS["BEAT_LOCK_SECONDS"], (log_clock() - cut_at).total_seconds()))
        result.update(beat_figures(cluster, cut_host, cut_at, LIMITS["MAIL_RELAY_INTERVAL_SECONDS"]))
    except Exception as exc:  # any failure (a check's, a server's, a signal, the alarm) is reported in the JSON line
        error = f"{type(exc).__name__}: {exc}"
        log("ERROR:", error)
    finally:
        signal.alarm(0)
        try:
            if error or os.environ.get("MULTIHOST_SHOW_LOGS"):
                for name in sorted(p.name for p in tmp.glob("*.log")):
                    for line in (tmp / name).read_text(errors="replace").splitlines()[-15:]:
                        log(f"{name}:", line)
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
