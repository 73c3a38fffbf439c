"""The files under deploy/ (issue 16): HAProxy and nginx accept their configurations, the systemd units run what
this repository ships with the environment file, and deploy/env.example lists exactly what the settings read.

A check that needs a program (haproxy, nginx, systemd-analyze) skips when it is missing on a developer's machine
and fails under CI, whose .ci/run installs them.
"""

import ast
import configparser
import datetime
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
APP = "/srv/ustportal/app"  # where the units expect the checkout (and its .venv)
ENV_FILE = "/etc/ustportal/env"
CERT = "/etc/haproxy/certs/portal.example.ac.kr.pem"
NGINX_CERT, NGINX_KEY = "/etc/ssl/certs/portal.example.ac.kr.crt", "/etc/ssl/private/portal.example.ac.kr.key"
LONG_RUNNING = {
    "ustportal-web.service": "gunicorn",
    "ustportal-worker.service": "celery",
    "ustportal-worker-staff.service": "celery",
    "ustportal-beat.service": "celery",
}


def program(name: str) -> str:
    found = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing (.ci/run installs it)")
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return found


def self_signed_pem(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for portal.example.ac.kr (the configurations' paths do not exist here)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        subprocess.run(  # noqa: S603 - a fixed argument list
            [program("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=portal.example.ac.kr"],
            check=True, capture_output=True,
        )
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.example.ac.kr")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(private.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("portal.example.ac.kr")]), critical=False)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption(),
    ))
    return cert, key


# --- HAProxy and nginx ------------------------------------------------------------------------------------------


def haproxy_config(tmp_path: Path) -> tuple[Path, str]:
    cert, key = self_signed_pem(tmp_path)
    pem = tmp_path / "portal.pem"
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    text = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    assert CERT in text
    return pem, text.replace(CERT, str(pem))


def test_haproxy_accepts_its_configuration(tmp_path):
    haproxy = program("haproxy")
    _pem, text = haproxy_config(tmp_path)
    config = tmp_path / "haproxy.cfg"
    config.write_text(text)

    result = subprocess.run([haproxy, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)  # noqa: S603

    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout + result.stderr


def test_haproxy_probes_ready_and_retries_only_a_connection_that_failed():
    text = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]

    assert "option httpchk GET /healthz/ready" in lines
    assert "http-check expect status 200" in lines
    assert "balance leastconn" in lines
    assert "option forwardfor" in lines
    assert "http-request set-header X-Forwarded-Proto https" in lines
    # Only conn-failure: "empty-response", "response-timeout" or a status would send again a request that reached
    # a node (a POST registering a student for a course).
    assert [line for line in lines if line.startswith("retry-on")] == ["retry-on conn-failure"]
    assert any(line.startswith("stats socket /run/") for line in lines)
    # The body limit: the largest upload and a margin, as nginx's client_max_body_size.
    from django.conf import settings

    from notices.services import ATTACHMENT_MAX_BYTES

    limit = int(re.search(r"http-request deny deny_status 413 if \{ req.hdr_val\(content-length\) gt (\d+) \}", text).group(1))
    largest = max(settings.AFFILIATION_UPLOAD_MAX_BYTES, ATTACHMENT_MAX_BYTES)
    assert largest < limit <= largest + 4 * 1024 * 1024
    # The probe's Host is one the portal answers to (ALLOWED_HOSTS of deploy/env.example), or Django says 400.
    host = re.search(r"http-check send .*hdr Host (\S+)", text).group(1)
    assert host in env_example()["ALLOWED_HOSTS"].split(",")


def test_nginx_accepts_its_configuration(tmp_path):
    nginx = program("nginx")
    cert, key = self_signed_pem(tmp_path)
    text = (DEPLOY / "nginx" / "ustportal.conf").read_text()
    assert NGINX_CERT in text and NGINX_KEY in text
    site = tmp_path / "ustportal.conf"
    site.write_text(text.replace(NGINX_CERT, str(cert)).replace(NGINX_KEY, str(key)))
    temp = "\n".join(f"    {kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}\n    include {site};\n}}\n"
    )

    result = subprocess.run(  # noqa: S603 - a fixed argument list
        [nginx, "-t", "-c", str(wrapper), "-e", str(tmp_path / "error.log")], capture_output=True, text=True, timeout=30,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "[warn]" not in result.stderr


def test_nginx_sets_the_forwarded_headers_and_takes_the_largest_upload():
    text = (DEPLOY / "nginx" / "ustportal.conf").read_text()
    from django.conf import settings

    from notices.services import ATTACHMENT_MAX_BYTES

    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert len(re.findall(r"^\s*server \d+\.\d+\.\d+\.\d+:\d+", text, re.M)) == 2
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    largest = max(settings.AFFILIATION_UPLOAD_MAX_BYTES, ATTACHMENT_MAX_BYTES)
    assert largest < megabytes * 1024 * 1024 <= largest + 4 * 1024 * 1024  # a margin for the other fields, no more


# --- systemd ----------------------------------------------------------------------------------------------------


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((UNITS / name).read_text())
    return parser


def test_the_units_are_the_five_the_readme_names():
    assert sorted(path.name for path in UNITS.glob("*.service")) == sorted([*LONG_RUNNING, "ustportal-migrate.service"])


@pytest.mark.parametrize(("name", "runs"), [*LONG_RUNNING.items(), ("ustportal-migrate.service", "python")])
def test_each_unit_runs_the_checkouts_program_as_ustportal_with_the_environment_file_and_hardening(name, runs):
    service = unit(name)["Service"]

    command = shlex.split(service["ExecStart"])
    assert command[0] == f"{APP}/.venv/bin/{runs}"
    assert service["WorkingDirectory"] == APP
    assert service["EnvironmentFile"] == ENV_FILE
    assert (service["User"], service["Group"]) == ("ustportal", "ustportal")
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "yes"
    assert service["CapabilityBoundingSet"] == ""


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_each_long_running_unit_restarts_on_failure_stops_gracefully_and_starts_at_boot(name):
    parsed = unit(name)

    assert set(parsed.sections()) == {"Unit", "Service", "Install"}
    assert parsed["Service"]["Restart"] == "on-failure"
    assert parsed["Service"]["KillSignal"] == "SIGTERM"
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


def test_the_migrate_unit_runs_once_when_started_and_never_at_boot():
    parsed = unit("ustportal-migrate.service")

    assert set(parsed.sections()) == {"Unit", "Service"}  # no [Install]: every host booting would migrate at once
    assert parsed["Service"]["Type"] == "oneshot"
    assert shlex.split(parsed["Service"]["ExecStart"])[1:] == ["manage.py", "migrate", "--noinput"]


def test_the_workers_split_the_queues_so_a_long_staff_job_never_delays_a_mail():
    def queues(name):
        command = shlex.split(unit(name)["Service"]["ExecStart"])
        return command[command.index("worker") - 2:command.index("worker") + 1], command[command.index("-Q") + 1]

    assert queues("ustportal-worker.service") == (["-A", "ustportal", "worker"], "default,mail")
    assert queues("ustportal-worker-staff.service") == (["-A", "ustportal", "worker"], "staff")
    assert shlex.split(unit("ustportal-beat.service")["Service"]["ExecStart"])[1:4] == ["-A", "ustportal", "beat"]


def _gunicorn_graceful_timeout() -> int:
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    return next(
        node.value.value for node in tree.body
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ["graceful_timeout"]
    )


def _seconds(value: str) -> int:
    return int(value.removesuffix("s"))


def test_the_web_unit_drains_longer_than_the_proxy_needs_then_waits_longer_than_gunicorn():
    service = unit("ustportal-web.service")["Service"]
    haproxy = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    checks = re.search(r"default-server .*", haproxy).group(0).split()

    assert shlex.split(service["ExecStart"])[1:] == ["-c", "gunicorn.conf.py", "ustportal.wsgi"]
    assert service["Type"] == "notify"  # gunicorn tells systemd when it listens: a rolling restart waits for it
    assert service["KillMode"] == "mixed"  # SIGTERM to the master, which stops its workers gracefully
    assert _seconds(service["TimeoutStopSec"]) > _gunicorn_graceful_timeout()
    drain_file = service["Environment"].removeprefix("DRAIN_FILE=")
    assert drain_file.startswith(f"/run/{service['RuntimeDirectory']}/")  # gone when the unit stops: a start is ready
    stop = shlex.split(service["ExecStop"])
    assert stop[:2] == ["/bin/sh", "-c"] and 'touch "$DRAIN_FILE"' in stop[2]
    drain_seconds = int(re.search(r"sleep (\d+)", stop[2]).group(1))
    inter, fall = _seconds(checks[checks.index("inter") + 1]), int(checks[checks.index("fall") + 1])
    assert drain_seconds > inter * fall  # HAProxy has seen `fall` failed probes before gunicorn is told to stop


@pytest.mark.parametrize(("main_pid", "drains"), [("4242", True), (None, False)])
def test_the_web_units_stop_creates_the_drain_file_unless_gunicorn_has_already_gone(tmp_path, main_pid, drains):
    script = shlex.split(unit("ustportal-web.service")["Service"]["ExecStop"])[2]
    env = {"PATH": os.defpath, "DRAIN_FILE": str(tmp_path / "drain")} | ({"MAINPID": main_pid} if main_pid else {})

    result = subprocess.run(  # noqa: S603 - the unit's own script, without its wait
        ["/bin/sh", "-c", re.sub(r"sleep \d+", "sleep 0", script)], env=env, capture_output=True, timeout=10,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "drain").exists() is drains


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    analyze = program("systemd-analyze")
    venv = ROOT / ".venv" / "bin"
    if not all((venv / name).exists() for name in ("gunicorn", "celery", "python")):
        pytest.skip("needs the checkout's .venv (make install)")
    copies = []
    for path in sorted(UNITS.glob("*.service")):  # the programs at this checkout's paths, which exist here
        copy = tmp_path / path.name
        copy.write_text(path.read_text().replace(APP, str(ROOT)))
        copies.append(str(copy))

    result = subprocess.run([analyze, "verify", *copies], capture_output=True, text=True, timeout=60)  # noqa: S603

    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if str(tmp_path) in line or "ustportal" in line] == []


# --- deploy/env.example and the settings ------------------------------------------------------------------------


def env_example() -> dict[str, str]:
    """NAME=value lines, and `# NAME=value` ones (a variable production leaves unset, with its reason)."""
    values = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        match = re.match(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            value = match.group(2).split("  (", 1)[0].strip()
            values[match.group(1)] = value[1:-1] if value[:1] == value[-1:] == '"' and len(value) > 1 else value
    return values


def read_by_the_portal() -> set[str]:
    """Every variable ustportal/settings.py reads (env.<type>("NAME") and env("NAME")) and gunicorn.conf.py reads."""
    names = set()
    for node in ast.walk(ast.parse((ROOT / "ustportal" / "settings.py").read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            if (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
            ):
                names.add(node.args[0].value)
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    names |= set(re.findall(r"os\.environ(?:\.get|\.setdefault)?[(\[]\s*[\"']([A-Z0-9_]+)[\"']", gunicorn))
    return names


def test_env_example_lists_every_variable_the_portal_reads_and_no_other():
    listed, read = set(env_example()), read_by_the_portal()

    assert read - listed == set(), "read by the settings but missing from deploy/env.example"
    assert listed - read == set(), "in deploy/env.example but read by nothing"
    assert len(read) > 80  # the parser found the settings' calls


def test_env_example_holds_placeholders_only():
    values = env_example()

    assert values["SECRET_KEY"] == "change-me"  # the placeholder the settings refuse
    for name, value in values.items():
        if "://" in value and "@" in value:
            assert ":change-me@" in value, name  # a URL's password is the placeholder
    assert values["DEBUG"] == "false" and values["NUM_PROXIES"] == "1" and values["BEHIND_TLS_PROXY"] == "true"


def test_a_database_host_that_vanishes_costs_a_connection_seconds_not_the_kernels_two_minutes():
    # Review h5: without connect_timeout, a new connection to a PostgreSQL host that stopped answering (no "refused":
    # a dead host, a dropped route) waits for the kernel's SYN retries, about two minutes: every probe (a fresh
    # connection each, /healthz/ready) and every request reconnecting after CONN_MAX_AGE hangs that long.
    import environ

    options = environ.Env.db_url_config(env_example()["DATABASE_URL"]).get("OPTIONS", {})
    haproxy = (DEPLOY / "haproxy" / "haproxy.cfg").read_text()
    check_timeout = _seconds(re.search(r"timeout check (\S+)", haproxy).group(1))

    assert 0 < int(options.get("connect_timeout", 0)) < check_timeout  # the probe answers 503 before HAProxy gives up


def test_the_deploy_check_is_clean_with_the_production_environment_of_env_example(tmp_path):
    import sys

    from django.core.management.utils import get_random_secret_key

    commented = {  # the `# NAME=` lines stay unset, as in production
        match.group(1) for match in re.finditer(r"^#\s*([A-Z][A-Z0-9_]*)=", (DEPLOY / "env.example").read_text(), re.M)
    }
    env = {key: value for key, value in os.environ.items() if key not in read_by_the_portal()}
    env.update({key: value for key, value in env_example().items() if key not in commented})
    env.update(
        SECRET_KEY=get_random_secret_key(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        ENV_FILE=str(tmp_path / "no.env"),
    )

    result = subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- the settings the proxy relies on -----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(None, "None"), ("false", "None"), ("true", "('HTTP_X_FORWARDED_PROTO', 'https')")])
def test_x_forwarded_proto_is_trusted_only_when_behind_tls_proxy_says_so(tmp_path, value, expected):
    import sys

    env = {key: val for key, val in os.environ.items() if key not in read_by_the_portal()}
    env.update(DEBUG="true", ENV_FILE=str(tmp_path / "no.env"), DJANGO_SETTINGS_MODULE="ustportal.settings")
    if value is not None:
        env["BEHIND_TLS_PROXY"] = value

    result = subprocess.run(  # noqa: S603 - a fixed argument list
        [sys.executable, "-c", "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )

    assert result.stdout.strip() == expected, result.stderr


@pytest.mark.django_db
def test_a_clients_own_x_forwarded_proto_counts_only_behind_the_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    settings.SECURE_PROXY_SSL_HEADER = None  # gunicorn facing clients: the header is theirs
    assert client.get("/notices/", HTTP_X_FORWARDED_PROTO="https").status_code == 301
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # the proxy sets it on every request
    assert client.get("/notices/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert client.get("/notices/", HTTP_X_FORWARDED_PROTO="http").status_code == 301
