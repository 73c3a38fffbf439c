"""The multi-host test's cluster: the hosts' network, the root namespace's servers, the nodes, and their cleanup."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import net, servers

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VENV_BIN = Path(sys.executable).parent
DB_NAME = os.environ.get("MULTIHOST_DB", "ustportal_multihost")
STUDENTS = int(os.environ.get("MULTIHOST_STUDENTS", 1500))
DURATION = os.environ.get("MULTIHOST_DURATION", "10s")
MAILS = int(os.environ.get("MULTIHOST_MAILS", 500))
CUT_AFTER = MAILS // 5  # mails received before one host is cut off
APPROVED = 150  # applications the staff job issues IDs for: enough for its page to show it running
NODE_PORT = 8000
ALARM_SECONDS = int(os.environ.get("MULTIHOST_ALARM_SECONDS", 480))
STATE_FILE = Path(tempfile.gettempdir()) / "ustmh-root-pids"  # the root namespace's servers of a run, for the next
BUCKET, S3_KEY, S3_SECRET, S3_REGION = "ustmh-files", "multihost", "multihost-secret", "us-east-1"
LIMITS = {"LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS": 4, "AXES_FAILURE_LIMIT": 3, "MAIL_STALE_CLAIM_SECONDS": 15,
          "MAIL_RELAY_INTERVAL_SECONDS": 5, "BEAT_LOCK_SECONDS": 10, "EMAIL_TIMEOUT": 5}


def log(*parts) -> None:
    print("[multihost]", *parts, file=sys.stderr, flush=True)


class Failed(Exception):
    pass


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
    from bench.rush import recreate_database as recreate  # the benchmark's, on this run's database

    recreate(DB_NAME)


# --------------------------------------------------------------------------- the run


class Cluster:
    """Everything the run starts, stopped in reverse order by ``close()``."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.hosts = net.plan()
        self.bridge = net.bridge_address()
        self.root_servers: list[subprocess.Popen] = []
        self.node_procs: dict[str, list[subprocess.Popen]] = {h.name: [] for h in self.hosts}
        self.named: dict[tuple[str, str], subprocess.Popen] = {}  # (host, "gunicorn" | "worker" | "beat")
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
        self.redis_port = servers.free_port(self.bridge)  # any free one: a shared Redis on *:6379 stays untouched
        self.record(servers.start_redis(self.bridge, self.redis_port, self.tmp / "redis.log"))
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
        log(f"HAProxy on 127.0.0.1:{self.http_port}, Redis {self.bridge}:{self.redis_port}, S3 {self.endpoint}, "
            f"SMTP {self.bridge}:{self.smtp_port}")

    def env(self, *, root: bool = False, host: net.Host | None = None) -> dict:
        database_host = "127.0.0.1" if root else self.bridge
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.multihost.settings",
            "DATABASE_URL": f"postgres://postgres@{database_host}:5432/{DB_NAME}",
            "REDIS_URL": f"redis://{self.bridge}:{self.redis_port}/0",
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
            self.named.update({(host.name, kind): proc for kind, proc in zip(("gunicorn", "worker", "beat"), procs,
                                                                             strict=True)})

    def alive(self, kind: str) -> dict[str, bool]:
        """host name -> whether its ``kind`` process (gunicorn, worker, beat) is still running."""
        return {h.name: (proc := self.named.get((h.name, kind))) is not None and proc.poll() is None
                for h in self.hosts}

    def proxy_stats(self) -> dict[tuple[str, str], dict[str, str]]:
        return servers.haproxy_stats(self.haproxy_socket)

    def proxy_states(self) -> dict[str, str]:
        return servers.haproxy_servers_up(self.haproxy_socket)

    def proxy(self, command: str) -> None:
        servers.haproxy_command(self.haproxy_socket, command)

    def close(self) -> None:
        """Stop everything, then remove the namespaces and links. A step that fails (a process that will not die, a
        sink that will not stop) is logged and the next one runs: the namespaces go whatever happened before."""
        steps = [lambda p=proc: stop(p) for procs in self.node_procs.values() for proc in reversed(procs)]
        steps += [lambda n=host.netns: net.kill_netns_processes(n) for host in self.hosts]
        if self.sink is not None:
            steps.append(lambda: self.sink.__exit__(None, None, None))
        steps += [lambda p=proc: stop(p) for proc in reversed(self.root_servers)]
        try:
            for step in steps:
                try:
                    step()
                except Exception as exc:  # noqa: BLE001 - cleanup goes on: the namespaces must go in any case
                    log("cleanup step failed, going on:", f"{type(exc).__name__}: {exc}")
        finally:
            STATE_FILE.unlink(missing_ok=True)
            removed = net.remove_ours()
            log("removed:", " ".join(removed) or "nothing")


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

