"""The real portal behind the shipped HAProxy configuration (issue 16, deploy/README.md).

Two gunicorn nodes of this checkout (gunicorn.conf.py, the proxy settings of deploy/env.example: NUM_PROXIES=1,
BEHIND_TLS_PROXY, SECURE_SSL_REDIRECT) and Debian's HAProxy running deploy/haproxy/haproxy.cfg with only its
addresses, certificate and socket paths replaced. They show that the headers HAProxy sends are the ones the portal
reads, that a draining node is taken out, and that a node told to stop loses no request.
"""

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_deploy_files import CERT, DEPLOY, NGINX_CERT, NGINX_KEY, ROOT, program, read_by_the_portal, self_signed_pem

HOST = "portal.example.ac.kr"
UP, DOWN = "2", "0"  # HAProxy's srv_op_state


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds  # a bound, not a measurement
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {seconds:.0f} s: {what}")
        time.sleep(0.1)


class Cluster:
    def __init__(self, directory: Path):
        self.dir = directory
        self.ports: dict[str, int] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.drain: dict[str, Path] = {}

    # --- starting and stopping ---

    def start(self) -> "Cluster":
        self.haproxy_binary = program("haproxy")
        try:
            for name in ("node1", "node2"):
                self._start_node(name)
            for name in self.ports:
                wait_until(lambda name=name: self._direct(name, "/healthz/ready")[0] == 200, f"{name} ready")
            self._start_haproxy()
            wait_until(lambda: self.states() == {"node1": UP, "node2": UP}, "HAProxy sees both nodes up")
        except BaseException:
            self.stop()
            raise
        return self

    def _start_node(self, name: str) -> None:
        port = self.ports[name] = free_port()
        self.drain[name] = self.dir / f"{name}.drain"
        env = {key: value for key, value in os.environ.items() if key not in read_by_the_portal()}
        env.update(
            SECRET_KEY="deploy-proxy-test-key-0123456789-0123456789-0123456789", DEBUG="false",
            ENV_FILE=str(self.dir / "no.env"), DATABASE_URL=f"sqlite:///{self.dir / 'portal.sqlite3'}",
            ALLOWED_HOSTS=HOST, NUM_PROXIES="1", BEHIND_TLS_PROXY="true", SECURE_SSL_REDIRECT="true",
            DRAIN_FILE=str(self.drain[name]), NODE=name,
            GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", GUNICORN_THREADS="8",
        )
        log = (self.dir / f"{name}.log").open("wb")
        self.processes[name] = subprocess.Popen(  # noqa: S603 - this checkout's gunicorn, fixed arguments
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tests.portal.proxy_wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _start_haproxy(self) -> None:
        cert, key = self_signed_pem(self.dir)
        self.cafile = cert
        pem = self.dir / "portal.pem"
        pem.write_bytes(cert.read_bytes() + key.read_bytes())
        self.socket = self.dir / "admin.sock"
        self.http_port, self.https_port = free_port(), free_port()
        text = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
        for old, new in [
            ("    daemon\n", ""), ("    chroot /var/lib/haproxy\n", ""), ("    user haproxy\n", ""), ("    group haproxy\n", ""),
            ("log /dev/log local0", "log stderr format raw local0"),
            ("maxconn 20000", "maxconn 1000"),  # a test machine's open-file limit
            ("stats socket /run/haproxy/admin.sock", f"stats socket {self.socket}"),
            ("bind :80\n", f"bind 127.0.0.1:{self.http_port}\n"),
            ("bind :443 ", f"bind 127.0.0.1:{self.https_port} "),
            (CERT, str(pem)),
            ("10.0.1.11:8000", f"127.0.0.1:{self.ports['node1']}"),
            ("10.0.1.12:8000", f"127.0.0.1:{self.ports['node2']}"),
        ]:
            assert old in text, old
            text = text.replace(old, new)
        config = self.dir / "haproxy.cfg"
        config.write_text(text)
        log = (self.dir / "haproxy.log").open("wb")
        self.processes["haproxy"] = subprocess.Popen(  # noqa: S603 - Debian's haproxy, fixed arguments
            [self.haproxy_binary, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_until(self.socket.exists, "HAProxy's stats socket")

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    # --- asking ---

    def states(self) -> dict[str, str]:
        """HAProxy's view of the checked servers: name -> srv_op_state."""
        try:
            answer = self.admin("show servers state web")
        except OSError:
            return {}
        rows = [line.split() for line in answer.splitlines() if line[:1].isdigit() and len(line.split()) > 5]
        return {row[3]: row[5] for row in rows if not row[3].endswith("-failopen")}

    def redispatches(self) -> int:
        rows = [line.split(",") for line in self.admin("show stat").splitlines()]
        header = rows[0]
        column = header.index("wredis")
        return next(int(row[column] or 0) for row in rows[1:] if row[:2] == ["web", "BACKEND"])

    def admin(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX) as admin:
            admin.settimeout(5)
            admin.connect(str(self.socket))
            admin.sendall(command.encode() + b"\n")
            data = b""
            while chunk := admin.recv(65536):
                data += chunk
        return data.decode()

    def get(self, path: str, headers: dict | None = None, scheme: str = "https", method: str = "GET"):
        """(status, headers, body) through HAProxy, on a new client connection."""
        if scheme == "https":
            context = ssl.create_default_context(cafile=str(self.cafile))
            context.check_hostname = False  # the certificate names the portal, the test connects to 127.0.0.1
            connection = http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=15, context=context)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=15)
        try:
            connection.request(method, path, headers={"Host": HOST, **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def whoami(self) -> dict:
        status, _headers, body = self.get("/_whoami")
        assert status == 200, (status, body)
        return json.loads(body)

    def _direct(self, name: str, path: str):
        connection = http.client.HTTPConnection("127.0.0.1", self.ports[name], timeout=5)
        try:
            connection.request("GET", path, headers={"Host": HOST})
            response = connection.getresponse()
            return response.status, response.read()
        except OSError:
            return None, b""
        finally:
            connection.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("cluster")).start()
    yield running
    running.stop()


def test_the_portal_takes_the_clients_address_from_haproxy_and_sees_https(cluster):
    # What a client writes itself is ignored: the proxy appends the address it saw, replaces the scheme.
    status, _headers, body = cluster.get("/_whoami", {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"})
    seen = json.loads(body)

    assert seen["client_ip"] == "127.0.0.1"
    assert seen["secure"] is True


def test_plain_http_goes_to_https_but_the_probes_answer_there(cluster):
    status, headers, _body = cluster.get("/notices/?page=2", scheme="http")

    assert (status, headers["location"]) == (301, f"https://{HOST}/notices/?page=2")
    for path in ("/healthz/ready", "/healthz/live", "/healthz"):
        status, _headers, body = cluster.get(path, scheme="http")
        assert status == 200, (path, body)
    assert json.loads(cluster.get("/healthz/ready")[2])["status"] == "ok"


def test_haproxy_refuses_a_body_larger_than_the_largest_upload_before_it_reaches_a_node(cluster):
    status, _headers, _body = cluster.get("/notices/", {"Content-Length": str(30 * 1024 * 1024)}, method="POST")

    assert status == 413


def test_a_draining_node_is_taken_out_and_with_no_node_ready_the_portal_still_answers(cluster):
    try:
        cluster.drain["node1"].touch()
        wait_until(lambda: cluster.states().get("node1") == DOWN, "node1 taken out")

        assert {cluster.whoami()["node"] for _ in range(8)} == {"node2"}

        cluster.drain["node2"].touch()  # now no node is ready: the fail-open lines take over
        wait_until(lambda: cluster.states().get("node2") == DOWN, "node2 taken out")

        assert {cluster.whoami()["node"] for _ in range(8)} <= {"node1", "node2"}
    finally:
        for drain in cluster.drain.values():
            drain.unlink(missing_ok=True)
    wait_until(lambda: cluster.states() == {"node1": UP, "node2": UP}, "both nodes back after `rise` good probes")


def test_a_node_told_to_stop_answers_draining_to_a_kept_alive_probe_and_no_request_is_lost(tmp_path):
    cluster = Cluster(tmp_path).start()
    try:
        probe = http.client.HTTPConnection("127.0.0.1", cluster.ports["node2"], timeout=5)  # kept alive
        probe.request("GET", "/healthz/ready", headers={"Host": HOST})
        first = probe.getresponse()
        assert (first.status, json.loads(first.read())["status"]) == (200, "ok")

        # HAProxy keeps counting node2 in while it stops (as it does for a few seconds after an undrained stop):
        # every request it sends there finds the socket closed and must go to node1.
        cluster.admin("disable health web/node2")
        os.kill(cluster.processes["node2"].pid, signal.SIGTERM)  # systemd's stop: gunicorn's graceful shutdown
        answers = []
        for _ in range(100):  # bounded: about 5 s
            try:
                probe.request("GET", "/healthz/ready", headers={"Host": HOST})
                response = probe.getresponse()
                answers.append((response.status, response.read()))
            except (OSError, http.client.HTTPException) as exc:
                answers.append(type(exc).__name__)
                break
            if answers[-1][0] != 200:
                break
            time.sleep(0.05)
        probe.close()
        statuses = [cluster.get("/_whoami")[0] for _ in range(40)]
        retried = cluster.redispatches()
        cluster.admin("enable health web/node2")
        wait_until(lambda: cluster.states().get("node2") == DOWN, "node2 taken out after it stopped")
        cluster.processes["node2"].wait(timeout=40)
    finally:
        cluster.stop()

    assert answers[-1] == (503, b'{"status": "draining"}'), answers
    assert statuses == [200] * 40
    assert retried > 0  # requests did find node2's socket closed, and went to node1 (retry-on conn-failure)
    assert cluster.processes["node2"].returncode == 0


def test_clients_sending_their_bodies_slowly_leave_every_other_student_served(cluster):
    # Review h5: HAProxy passes a body on as it arrives; one such client per node used to hold the node's only
    # admission thread (ADMISSION_CONCURRENCY=1) and everyone else got "busy" (core/admission.py _spool_body).
    context = ssl.create_default_context(cafile=str(cluster.cafile))
    context.check_hostname = False
    slow = []
    try:
        for _ in range(2):  # leastconn: one on each node
            sock = context.wrap_socket(socket.create_connection(("127.0.0.1", cluster.https_port), timeout=15))
            sock.sendall(
                f"POST /notices/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Referer: https://{HOST}/\r\nCookie: csrftoken={'a' * 32}\r\n"  # so the CSRF check reads the form
                "Content-Length: 1000\r\n\r\nq=a".encode()
            )
            slow.append(sock)
        time.sleep(0.5)  # not a measurement: lets HAProxy hand both requests to the nodes

        # A page the portal answers without its tables (this cluster's database is not migrated): its 404.
        statuses = [cluster.get("/no-such-page/")[0] for _ in range(6)]
    finally:
        for sock in slow:
            sock.close()

    assert statuses == [404] * 6  # answered, not "busy" (503)


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def test_behind_nginx_too_the_portal_takes_the_clients_address_and_sees_https(tmp_path):
    # Review h5: the nginx alternative appends to the client's X-Forwarded-For ($proxy_add_x_forwarded_for); with
    # NUM_PROXIES=1 the portal must take the entry nginx wrote, never one the client did; the scheme is nginx's.
    nginx = program("nginx")
    node = Cluster(tmp_path)
    node._start_node("node1")
    try:
        wait_until(lambda: node._direct("node1", "/healthz/ready")[0] == 200, "node1 ready")
        cert, key = self_signed_pem(tmp_path)
        http_port, https_port = free_port(), free_port()
        text = (DEPLOY / "nginx" / "ustportal.conf").read_text()
        for old, new in [
            (NGINX_CERT, str(cert)), (NGINX_KEY, str(key)),
            ("    listen 80;\n    listen [::]:80;\n", f"    listen 127.0.0.1:{http_port};\n"),
            ("    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n"),
            ("server 10.0.1.11:8000", f"server 127.0.0.1:{node.ports['node1']}"),
            ("    server 10.0.1.12:8000 max_fails=2 fail_timeout=10s;\n", ""),
        ]:
            assert old in text, old
            text = text.replace(old, new)
        site = tmp_path / "ustportal.conf"
        site.write_text(text)
        temp = "\n".join(f"    {kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        wrapper = tmp_path / "nginx.conf"
        wrapper.write_text(
            f"daemon off;\npid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
            f"http {{\n    access_log off;\n{temp}\n    include {site};\n}}\n"
        )
        node.processes["nginx"] = subprocess.Popen(  # noqa: S603 - Debian's nginx, fixed arguments
            [nginx, "-c", str(wrapper), "-e", str(tmp_path / "error.log")], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _port_open(https_port), "nginx listens")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        connection = http.client.HTTPSConnection("127.0.0.1", https_port, timeout=15, context=context)
        connection.request("GET", "/_whoami", headers={
            "Host": HOST, "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http",
        })
        response = connection.getresponse()
        seen = json.loads(response.read())
        connection.close()
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=15)
        plain.request("GET", "/healthz/ready", headers={"Host": HOST, "X-Forwarded-Proto": "https"})
        probe = plain.getresponse()
        probe_status, servers = probe.status, {response.getheader("Server"), probe.getheader("Server")}
        plain.close()
    finally:
        node.stop()

    assert (response.status, seen["client_ip"], seen["secure"]) == (200, "127.0.0.1", True)
    assert probe_status == 200  # the probe over plain HTTP, not redirected, whatever the client claims
    assert servers == {"nginx"}  # no version for a scanner to match against known flaws


def test_haproxy_holds_a_slowly_sent_form_until_it_has_arrived(cluster):
    # Review h5: a form sent a few bytes at a time is HAProxy's to wait for (option http-buffer-request, within
    # `timeout http-request`), not a node's: no gunicorn thread or server slot (maxconn) is held meanwhile.
    context = ssl.create_default_context(cafile=str(cluster.cafile))
    context.check_hostname = False
    sock = context.wrap_socket(socket.create_connection(("127.0.0.1", cluster.https_port), timeout=15))
    try:
        sock.sendall(
            f"POST /notices/ HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000\r\n\r\nq=a".encode()
        )
        time.sleep(0.5)  # not a measurement: time enough for HAProxy to pass the request on, if it were to

        rows = [line.split(",") for line in cluster.admin("show stat").splitlines()]
        header = rows[0]
        held = {row[1]: int(row[header.index("scur")] or 0) for row in rows[1:] if row[:1] == ["web"]}
    finally:
        sock.close()

    assert held["BACKEND"] == 0, held
