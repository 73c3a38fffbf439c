"""The root namespace's servers for the multi-host test: HAProxy, the test's own Redis, moto's S3 and an SMTP sink.

The shared PostgreSQL and Redis listen on 127.0.0.1 only and stay as they are: the hosts reach PostgreSQL through
HAProxy's TCP frontend on the bridge address, and get a Redis of their own (started here, bound to the bridge
address, nothing saved) rather than the shared one.
"""

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HAPROXY = "/usr/sbin/haproxy"  # Debian's package


def haproxy_config(*, http_port: int, nodes: dict[str, str], node_port: int, bridge: str, stats_socket: Path,
                   pg_port: int = 5432) -> str:
    """HTTP on 127.0.0.1:``http_port`` balanced over the nodes (health: GET /healthz/ready, as deploy/haproxy/haproxy.cfg), PostgreSQL for the hosts."""
    servers = "\n".join(
        f"    server {name} {address}:{node_port} check inter 1s fall 3 rise 2" for name, address in nodes.items()
    )
    return f"""global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin
    log stderr format short local0 warning

defaults
    log global
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 3s

frontend portal
    mode http
    bind 127.0.0.1:{http_port}
    option forwardfor
    default_backend nodes

backend nodes
    mode http
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz/ready hdr Host 127.0.0.1
    http-check expect status 200
{servers}

frontend postgresql
    mode tcp
    bind {bridge}:{pg_port}
    timeout client 30m
    default_backend postgresql

backend postgresql
    mode tcp
    timeout server 30m
    server shared 127.0.0.1:{pg_port}
"""


def haproxy_command(socket_path: Path, command: str) -> str:
    """One command on HAProxy's runtime API (e.g. ``disable server nodes/b``)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(socket_path))
        s.sendall(command.encode() + b"\n")
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


def haproxy_stats(socket_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    """(proxy, server) -> HAProxy's counters (``show stat``: status, scur, hrsp_5xx, chkdown…)."""
    out = haproxy_command(socket_path, "show stat")
    header, *rows = out.splitlines()
    columns = header.lstrip("# ").split(",")
    stats = {}
    for row in rows:
        values = dict(zip(columns, row.split(","), strict=False))
        if values.get("pxname") and values.get("svname"):
            stats[(values["pxname"], values["svname"])] = values
    return stats


def haproxy_servers_up(socket_path: Path) -> dict[str, str]:
    """server name -> status (UP, DOWN, MAINT…) of the nodes backend."""
    return {server: values.get("status", "") for (proxy, server), values in haproxy_stats(socket_path).items()
            if proxy == "nodes" and server not in ("FRONTEND", "BACKEND")}


def wait_port(host: str, port: int, *, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with status {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start(command: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
    """A server in its own process group (so that stopping it stops its children), output to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                start_new_session=True)


def start_redis(bridge: str, port: int, log: Path) -> subprocess.Popen:
    proc = start(["redis-server", "--bind", bridge, "--port", str(port), "--save", "", "--appendonly", "no",
                  "--protected-mode", "no", "--daemonize", "no"], log)
    wait_port(bridge, port, timeout=10, proc=proc)
    return proc


def start_moto(bridge: str, port: int, log: Path) -> subprocess.Popen:
    proc = start([sys.executable, "-m", "moto.server", "-H", bridge, "-p", str(port)], log)
    wait_port(bridge, port, timeout=30, proc=proc)
    return proc


def create_bucket(endpoint: str, bucket: str, *, key: str, secret: str, region: str) -> None:
    client = s3_client(endpoint, key=key, secret=secret, region=region)
    client.create_bucket(Bucket=bucket)


def s3_client(endpoint: str, *, key: str, secret: str, region: str):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name=region, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                                          connect_timeout=3, read_timeout=10))


class SmtpSink:
    """An SMTP server (aiosmtpd, in a thread of this process) that keeps every message's Message-ID, recipients and
    the address it came from (which host's worker sent it), in the order they arrived."""

    def __init__(self, host: str, port: int, reply_delay: float = 0.02):
        import asyncio

        from aiosmtpd.controller import Controller

        self.reply_delay = reply_delay  # a worker spends its claims' time here, as with a real relay
        # While set, a message from this address gets no answer (counted in ``holding``) until it is unset: the
        # host about to be cut off is then surely holding a claim when its link goes down (mail.py).
        self.hold_from: str | None = None
        self.holding = 0

        self.lock = threading.Lock()
        self.messages: list[tuple[str, tuple[str, ...], str]] = []  # (Message-ID, envelope recipients, peer address)
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
                from email.parser import BytesHeaderParser

                headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
                with sink.lock:
                    sink.messages.append(((headers.get("Message-ID") or "").strip(), tuple(envelope.rcpt_tos),
                                          str((session.peer or ("",))[0])))
                peer = str((session.peer or ("",))[0])
                if sink.hold_from is not None and peer == sink.hold_from:
                    with sink.lock:
                        sink.holding += 1
                    for _ in range(1200):  # bounded: 60 s at most
                        if sink.hold_from != peer:
                            break
                        await asyncio.sleep(0.05)
                await asyncio.sleep(sink.reply_delay)
                return "250 OK"

        self.controller = Controller(Handler(), hostname=host, port=port, ready_timeout=10)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
        return False

    def received(self) -> list[tuple[str, tuple[str, ...], str]]:
        with self.lock:
            return list(self.messages)
