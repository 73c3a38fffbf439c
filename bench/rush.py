"""The 09:00 course-registration rush, measured against gunicorn on PostgreSQL + Redis (`make bench`).

Steps: recreate the database ``ustportal_bench`` and migrate it; seed one term with an open
registration window, N students holding an issued temporary ID (each with a ready logged-in
session) and a set of published offerings whose time slots never clash; start gunicorn;
run wrk on ``GET /credit-exchange/ping`` (the baseline: what any authenticated request costs)
and then on ``POST /credit-exchange/courses/<id>/register/`` (htmx) with a random student and
offering per request, every connection starting at the same instant; then, every offering
full, the same click again (the "full" refusal), and the same with four times the connections
(the overload: the admission queue answers 503 beyond its bound); stop gunicorn; check the
database for overbooked offerings, duplicate registrations and students over the credit limit.

Progress goes to stderr; stdout gets exactly one JSON line. The exit status is non-zero when
an offering is overbooked, a registration is duplicated, a request answered 5xx, or the
measurement itself is invalid (requests not authenticated, CSRF refused).
Everything stays on the loopback interface.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DB_NAME = "ustportal_bench"
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"

STUDENTS = int(os.environ.get("BENCH_STUDENTS", 3000))
OFFERINGS = 20  # 5 weekdays x 4 blocks: every offering has its own slot, so none clash
CAPACITY = 30
CREDITS = 3  # credit_limit 12 (the default) -> at most 4 offerings per student
WORKERS = 4  # gunicorn.conf.py's default (GUNICORN_WORKERS)
THREADS, CONNECTIONS = 2, 64
OVERLOAD_CONNECTIONS = 4 * CONNECTIONS  # four times what the server serves without a busy answer
DURATION = os.environ.get("BENCH_DURATION", "10s")
FOREIGN_CPU_WARN = 0.25  # cores used by other processes during a run before the figures are flagged
CSRF_SECRET = "benchCsrfSecret0123456789abcdefX"  # 32 chars: Django accepts the unmasked secret
assert len(CSRF_SECRET) == 32

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",  # the portal's settings plus the ping page (bench/urls.py)
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "SECRET_KEY": "bench-only",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "127.0.0.1",
    "CONN_MAX_AGE": "60",
    "LOG_LEVEL": "WARNING",
}

BLOCKS = [(dtime(9, 0), dtime(10, 15)), (dtime(10, 30), dtime(11, 45)), (dtime(13, 0), dtime(14, 15)),
          (dtime(14, 30), dtime(15, 45))]


def log(*parts) -> None:
    print("[bench]", *parts, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- database


def recreate_database(name: str = DB_NAME) -> None:
    """Drop (closing its connections) and create the database ``name`` (the benchmark's own, or the multi-host test's)."""
    import psycopg2

    conn = psycopg2.connect(PG_ADMIN_DSN)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def migrate(env: dict) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True
    )


def setup_django() -> None:
    os.environ.update(BENCH_ENV)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def seed() -> tuple[list[int], list[str], list[int]]:
    """One term, its open registration window, offerings and students; returns offering ids, session keys and the
    students' user ids (in the same order as their sessions)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from academics.models import Campus, Institution, Term, TermWindow
    from accounts.models import TemporaryStudentId, User
    from creditexchange.models import CourseOffering, TemporaryIdApplication, TimeSlot

    now = timezone.now()
    with transaction.atomic():
        term = Term.objects.create(year=2027, season=Term.Season.FALL)  # credit_limit: default 12
        TermWindow.objects.create(
            term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
        )
        host = Institution.objects.create(code="bench-host", kind=Institution.Kind.HOST, name_ko="벤치대학교",
                                          name_en="Bench University")
        partner = Institution.objects.create(code="bench-partner", name_ko="파트너대학교", name_en="Partner University")
        campus = Campus.objects.create(institution=host, code="bench-seoul", name_ko="서울캠퍼스",
                                       name_en="Seoul Campus", is_main=True)

        offerings = CourseOffering.objects.bulk_create([
            CourseOffering(
                term=term, code=f"BEN{100 + i}", section="01", title_ko=f"벤치마크 과목 {i}",
                title_en=f"Benchmark course {i}", credits=CREDITS, capacity=CAPACITY, campus=campus,
                instructor="Bench", location=f"R{100 + i}", open_to_exchange=True, published_at=now,
            )
            for i in range(OFFERINGS)
        ])
        TimeSlot.objects.bulk_create([
            TimeSlot(offering=o, weekday=i % 5, starts_at=BLOCKS[i // 5][0], ends_at=BLOCKS[i // 5][1])
            for i, o in enumerate(offerings)
        ])

        password = make_password("bench-password-not-secret")  # hashed once, shared: login is not measured
        users = User.objects.bulk_create([
            User(username=f"T2027{n:05d}", kind="exchange", email=f"student{n}@partner.example", password=password,
                 display_name=f"Student {n}", language="en")
            for n in range(STUDENTS)
        ], batch_size=1000)
        ids = TemporaryStudentId.objects.bulk_create([
            TemporaryStudentId(student_id=u.username, partner=partner, home_student_number=f"2024{n:05d}", user=u)
            for n, u in enumerate(users)
        ], batch_size=1000)
        TemporaryIdApplication.objects.bulk_create([
            TemporaryIdApplication(
                term=term, partner=partner, home_student_number=tid.home_student_number, name_latin=f"STUDENT {n}",
                date_of_birth=date(2003, 1, 1), email=f"student{n}@partner.example", phone="010-0000-0000",
                home_department="Computer Science", degree_level=TemporaryIdApplication.DegreeLevel.BACHELOR,
                consent_at=now, status=TemporaryIdApplication.Status.ISSUED, issued_at=now, temporary_id=tid,
            )
            for n, tid in enumerate(ids)
        ], batch_size=1000)

        store = SessionStore()
        expire = now + timedelta(days=1)
        sessions = []
        for u in users:
            data = {
                "_auth_user_id": str(u.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": u.get_session_auth_hash(),
            }
            sessions.append(Session(session_key=get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789"),
                                    session_data=store.encode(data), expire_date=expire))
        Session.objects.bulk_create(sessions, batch_size=1000)

    from django.core.cache import cache
    from django.db import connection

    cache.clear()  # the bench's own Redis database
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return [o.pk for o in offerings], [s.session_key for s in sessions], [u.pk for u in users]


def database_checks() -> dict:
    from django.db import connection
    from django.db.models import Count, F, Q, Sum

    from creditexchange.models import CourseOffering, CourseRegistration

    connection.close()  # fresh connection: read what gunicorn committed
    registered = Q(registrations__status=CourseRegistration.Status.REGISTERED)
    offerings = CourseOffering.objects.annotate(n=Count("registrations", filter=registered))
    active = CourseRegistration.objects.filter(status=CourseRegistration.Status.REGISTERED)
    over_credit = (
        active.values("student").annotate(credits=Sum("offering__credits")).filter(credits__gt=F("term__credit_limit"))
    )
    return {
        "overbooked": offerings.filter(n__gt=F("capacity")).count() + offerings.exclude(seats_taken=F("n")).count(),
        "duplicates": active.values("student", "offering").annotate(c=Count("id")).filter(c__gt=1).count(),
        "seats": CourseOffering.objects.aggregate(s=Sum("capacity"))["s"] or 0,
        "seats_filled": active.count(),
        "over_credit_limit": over_credit.count(),
        "students_registered": active.values("student").distinct().count(),
    }


# --------------------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict, port: int, logfile) -> subprocess.Popen:
    """The production settings (gunicorn.conf.py: gthread workers and the admission pool), on a loopback port."""
    return subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "ustportal.wsgi", "--config", str(BASE_DIR / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}"],
        cwd=BASE_DIR, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True,
    )


def stop_gunicorn(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # graceful: in-flight requests finish
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def http(port: int, path: str, *, method: str = "GET", session: str = "", csrf: bool = False) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method, data=b"" if method == "POST" else None)
    cookies = []
    if session:
        cookies.append(f"sessionid={session}")
    if csrf:
        cookies.append(f"csrftoken={CSRF_SECRET}")
        request.add_header("X-CSRFToken", CSRF_SECRET)
    if cookies:
        request.add_header("Cookie", "; ".join(cookies))

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def wait_healthy(proc: subprocess.Popen, port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}")
        try:
            if http(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz with 200 in time")


# --------------------------------------------------------------------------- CPU accounting


def _proc_ticks() -> dict[int, tuple[str, int, int]]:
    """pid -> (cmdline, parent pid, user+system ticks) for every process we can read."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(entry)] = (cmdline, int(fields[1]), int(fields[11]) + int(fields[12]))
    return out


def _system_ticks() -> tuple[int, int]:
    """(busy ticks of all CPUs, steal ticks) from /proc/stat."""
    with open("/proc/stat") as f:
        user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in f.readline().split()[1:9])
    return user + nice + system + irq + softirq, steal


class CpuMeter:
    """How much CPU the bench's own processes (gunicorn, its PostgreSQL backends, wrk, and this one, where the
    waitlist run's releases run) used during a run, and how much went elsewhere: a busy neighbour makes the figures
    meaningless, so it is reported."""

    def __init__(self, gunicorn_pid: int):
        self.gunicorn_pid = gunicorn_pid

    def _ours(self, procs) -> dict[int, int]:
        return {
            pid: ticks for pid, (cmd, ppid, ticks) in procs.items()
            if pid == self.gunicorn_pid or ppid == self.gunicorn_pid or f" {DB_NAME} " in cmd
        }

    def __enter__(self):
        self.t0, self.children0 = time.monotonic(), os.times()
        self.busy0, self.steal0 = _system_ticks()
        self.ours0 = self._ours(_proc_ticks())
        return self

    def __exit__(self, *exc):
        hz, elapsed, children = os.sysconf("SC_CLK_TCK"), time.monotonic() - self.t0, os.times()
        busy, steal = _system_ticks()
        ours = sum(t - self.ours0.get(pid, 0) for pid, t in self._ours(_proc_ticks()).items()) / hz
        ours += (children.children_user + children.children_system
                 - self.children0.children_user - self.children0.children_system)  # wrk, reaped by now
        ours += children.user + children.system - self.children0.user - self.children0.system  # the waitlist's releases
        total = (busy - self.busy0) / hz
        self.ours = ours / elapsed
        self.foreign = max(total - ours, 0.0) / elapsed
        self.steal = (steal - self.steal0) / hz / elapsed
        return False


# --------------------------------------------------------------------------- wrk

LUA = r"""
-- generated by bench/rush.py; one Lua state per wrk thread, plus the main one (setup/done)
local MODE = "%(mode)s"
local SESSIONS_FILE = "%(sessions_file)s"
local CSRF = "%(csrf)s"
local OFFERINGS = {%(offerings)s}
local TERM = "%(term)s"
local DROPS_FILE = "%(drops_file)s"

local threads = {}
local sessions = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  for line in io.lines(SESSIONS_FILE) do sessions[#sessions + 1] = line end
  drops = {}
  if MODE == "drop" then
    for line in io.lines(DROPS_FILE) do
      local session, registration, offering = line:match("(%%S+) (%%S+) (%%S+)")
      drops[#drops + 1] = {session, registration, offering}
    end
  end
  s2xx, s3xx, s4xx, s5xx, s503 = 0, 0, 0, 0, 0
end

function request()
  local headers = {}
  headers["Cookie"] = "sessionid=" .. sessions[math.random(#sessions)] .. "; csrftoken=" .. CSRF
  if MODE == "basket" then  -- the basket's one click (a plain form post: the basket page answers)
    headers["X-CSRFToken"] = CSRF
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/credit-exchange/basket/register/", headers, "term=" .. TERM)
  end
  if MODE == "drop" then  -- a registered student drops one of their courses (htmx row)
    local drop = drops[math.random(#drops)]
    headers["Cookie"] = "sessionid=" .. drop[1] .. "; csrftoken=" .. CSRF
    headers["HX-Request"] = "true"
    headers["X-CSRFToken"] = CSRF
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    return wrk.format("POST", "/credit-exchange/registrations/" .. drop[2] .. "/drop/", headers, "offering=" .. drop[3])
  end
  if MODE ~= "ping" then
    headers["HX-Request"] = "true"
    headers["X-CSRFToken"] = CSRF
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local offering = OFFERINGS[math.random(#OFFERINGS)]
    return wrk.format("POST", "/credit-exchange/courses/" .. offering .. "/register/", headers, "")
  end
  return wrk.format("GET", "/credit-exchange/ping", headers)
end

function response(status, headers, body)
  if status == 503 then s503 = s503 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  elseif status >= 300 then s3xx = s3xx + 1
  else s2xx = s2xx + 1 end
end

function done(summary, latency, requests)
  local c = {s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, s503 = 0}
  for _, t in ipairs(threads) do
    for k, _ in pairs(c) do c[k] = c[k] + (t:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    '{"mode": "%%s", "requests": %%d, "rps": %%.2f, "p50_ms": %%.2f, "p95_ms": %%.2f, "p99_ms": %%.2f, ' ..
    '"max_ms": %%.2f, "errors_5xx": %%d, "status_503": %%d, "status_2xx": %%d, "status_3xx": %%d, ' ..
    '"status_4xx": %%d, "socket_errors": {"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}}\n',
    MODE, summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    c.s5xx, c.s503, c.s2xx, c.s3xx, c.s4xx, e.connect, e.read, e.write, e.timeout))
end
"""


def run_wrk(tmp: Path, port: int, gunicorn_pid: int, mode: str, offering_ids: list[int], duration: str = DURATION,
            connections: int = CONNECTIONS, term_id: int = 0) -> dict:
    """``mode``: ping (GET), register, full or overload (all three the htmx Register POST), basket (the basket's
    Register-all POST) or drop (a registered student's htmx Drop, from ``drops.txt``)."""
    script = tmp / f"{mode}.lua"
    script.write_text(LUA % {
        "mode": mode, "sessions_file": tmp / "sessions.txt", "csrf": CSRF_SECRET,
        "offerings": ", ".join(str(pk) for pk in offering_ids), "term": term_id, "drops_file": tmp / "drops.txt",
    })
    time.sleep(1)  # the previous run's connections are closed and forgotten by every worker (see gunicorn_worker)
    command = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{duration}", "--timeout", "10s", "-s", str(script),
               f"http://127.0.0.1:{port}"]
    with CpuMeter(gunicorn_pid) as cpu:
        out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    for line in out.splitlines():
        log(f"wrk[{mode}]", line)
    result = json.loads(next(line for line in reversed(out.splitlines()) if line.startswith("{")))
    result["cpu_cores"] = {"bench": round(cpu.ours, 2), "other": round(cpu.foreign, 2), "steal": round(cpu.steal, 2)}
    log(f"wrk[{mode}] cpu (cores of {os.cpu_count()}): {json.dumps(result['cpu_cores'])}")
    if cpu.foreign > FOREIGN_CPU_WARN or cpu.steal > FOREIGN_CPU_WARN:
        log(f"WARNING: other processes (or the hypervisor) took {cpu.foreign:.2f} (+{cpu.steal:.2f} steal) cores "
            f"during the {mode} run: the figures are not representative; run again on a quiet machine")
    return result


# --------------------------------------------------------------------------- main


def main() -> int:
    started = time.monotonic()
    if not shutil.which("wrk"):
        log("wrk is not installed (Debian: apt-get install wrk)")
        return 2
    env = {**os.environ, **BENCH_ENV}

    log(f"recreating database {DB_NAME} and migrating")
    recreate_database()
    migrate(env)
    setup_django()
    t0 = time.monotonic()
    offering_ids, session_keys, user_ids = seed()
    log(f"seeded {len(session_keys)} students with sessions and {len(offering_ids)} offerings "
        f"({len(offering_ids) * CAPACITY} seats) in {time.monotonic() - t0:.1f}s")

    from django.db import connection

    connection.close()  # nothing of ours stays open while gunicorn serves
    gunicorn = None
    failed_run = False
    runs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ustportal-bench-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "sessions.txt").write_text("\n".join(session_keys) + "\n")
        try:
            port = free_port()
            with open(tmp / "gunicorn.log", "wb") as gunicorn_log:
                gunicorn = start_gunicorn(env, port, gunicorn_log)
                try:
                    wait_healthy(gunicorn, port)
                    # preflight: the session is accepted and CSRF passes (POST to ping changes nothing)
                    status, body = http(port, "/credit-exchange/ping", session=session_keys[0])
                    if status != 200 or json.loads(body).get("user") != "T202700000":
                        raise RuntimeError(f"seeded session not accepted: GET ping -> {status} {body!r}")
                    status, _ = http(port, "/credit-exchange/ping", method="POST", session=session_keys[0], csrf=True)
                    if status != 200:
                        raise RuntimeError(f"CSRF not accepted: POST ping -> {status}")
                    log(f"gunicorn ({WORKERS} gthread workers, gunicorn.conf.py) ready on 127.0.0.1:{port}")

                    run_wrk(tmp, port, gunicorn.pid, "ping", offering_ids, duration="2s")  # warm-up, not counted
                    runs["ping"] = run_wrk(tmp, port, gunicorn.pid, "ping", offering_ids)
                    runs["register"] = run_wrk(tmp, port, gunicorn.pid, "register", offering_ids)
                    fill_every_offering()  # whatever seats the rush left: now every click is refused as full
                    runs["full"] = run_wrk(tmp, port, gunicorn.pid, "full", offering_ids)
                    runs["overload"] = run_wrk(tmp, port, gunicorn.pid, "overload", offering_ids,
                                               connections=OVERLOAD_CONNECTIONS)
                    rush_checks = database_checks()
                    term_id = basket_setup(offering_ids, user_ids)
                    runs["basket"] = run_wrk(tmp, port, gunicorn.pid, "basket", offering_ids, term_id=term_id)
                    basket_checks = database_checks()
                    drops = waitlist_setup(term_id, offering_ids, dict(zip(user_ids, session_keys, strict=True)))
                    (tmp / "drops.txt").write_text("".join(f"{d} {r} {o}\n" for d, r, o in drops))
                    with ReleasesDuring(term_id) as releases:
                        runs["waitlist"] = run_wrk(tmp, port, gunicorn.pid, "drop", offering_ids, term_id=term_id)
                except BaseException:
                    failed_run = True
                    raise
                finally:
                    stop_gunicorn(gunicorn)
                    gunicorn = None
                    if failed_run or any(run["errors_5xx"] for run in runs.values()):
                        for line in (tmp / "gunicorn.log").read_text(errors="replace").splitlines()[-40:]:
                            log("gunicorn:", line)
        finally:
            stop_gunicorn(gunicorn)

    checks = database_checks()
    waitlist = waitlist_checks(releases)
    log("database after the rush:", json.dumps(rush_checks))
    log("database after the basket rush:", json.dumps(basket_checks))
    log("database after the waitlist releases:", json.dumps(checks), json.dumps(waitlist))
    result = summary(runs, rush_checks, basket_checks, {**waitlist, "overbooked_end": checks["overbooked"],
                                                        "duplicates_end": checks["duplicates"]})
    log(f"total runtime {time.monotonic() - started:.1f}s")
    print(json.dumps(result), flush=True)

    invalid = []
    for run in runs.values():
        if run["status_3xx"] or run["status_4xx"]:
            invalid.append(f"{run['mode']}: {run['status_3xx']} redirects, {run['status_4xx']} 4xx")
    if invalid:
        log("INVALID measurement, not every request was an authenticated 2xx:", "; ".join(invalid))
    failed = (result["overbooked"] or result["duplicates"] or result["errors_5xx"] or result["over_credit_limit"]
              or result["overload_errors_5xx"] or runs["ping"]["errors_5xx"] or runs["ping"]["status_503"]
              or result["basket_overbooked"] or result["basket_duplicates"] or result["basket_over_credit_limit"]
              or result["basket_errors_5xx"] or result["waitlist_overbooked"] or result["waitlist_skipped"]
              or result["waitlist_doubled"] or result["waitlist_errors_5xx"] or result["waitlist_release_errors"])
    if failed:
        log("FAILED: overbooked, duplicate registrations, over the credit limit, 5xx answers (or 503 below overload), "
            "or a waitlist place skipped or doubled")
    return 1 if failed or invalid else 0


BASKET_SIZE = 4  # 4 x 3 credits: the credit limit exactly
WAITLIST_PER_OFFERING = 40
RELEASE_EVERY = 0.5  # seconds between release instants during the waitlist run
RELEASE_WORKERS = 2  # each instant released by this many threads at once (a beat that fires twice)


def basket_setup(offering_ids: list[int], user_ids: list[int]) -> int:
    """Back to the opening instant for the basket rush: no registrations, every offering's seats free again, and
    every student a basket of four offerings (their own slots: nothing clashes). Returns the term's id."""
    import random

    from django.db import connection, transaction

    from creditexchange.models import BasketItem, CourseOffering, CourseRegistration, RegistrationEvent

    rng = random.Random(14)
    with transaction.atomic():
        RegistrationEvent.objects.all().delete()
        CourseRegistration.objects.all().delete()
        CourseOffering.objects.update(seats_taken=0, capacity=CAPACITY, waiting=0)
        term_id = CourseOffering.objects.values_list("term_id", flat=True).first()
        BasketItem.objects.bulk_create([
            BasketItem(student_id=user, term_id=term_id, offering_id=offering)
            for user in user_ids for offering in rng.sample(offering_ids, BASKET_SIZE)
        ], batch_size=5000)
    connection.close()
    log(f"basket rush: {len(user_ids)} baskets of {BASKET_SIZE}, {len(offering_ids) * CAPACITY} seats free")
    return term_id


def waitlist_setup(term_id: int, offering_ids: list[int], sessions: dict[int, str]) -> list[tuple[str, int, int]]:
    """Every offering full with a waitlist of students not registered for it (at most WAITLIST_MAX_PER_STUDENT each),
    the change window open now (drops are allowed only there); returns (session, registration, offering) of every
    registration, for the drops."""
    import random

    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from academics.models import TermWindow
    from creditexchange.models import CourseOffering, CourseRegistration, WaitlistEntry

    rng = random.Random(15)
    now = timezone.now()
    registered = list(CourseRegistration.objects.filter(status="registered").values_list("pk", "student_id", "offering_id"))
    holding = {(student, offering) for _pk, student, offering in registered}
    waits: dict[int, int] = {}
    students = list(sessions)
    with transaction.atomic():
        CourseOffering.objects.update(capacity=F("seats_taken"))
        TermWindow.objects.create(term_id=term_id, kind=TermWindow.Kind.CHANGE, starts_at=now - timedelta(minutes=1),
                                  ends_at=now + timedelta(hours=1))  # its save() drops the cached windows
        entries = []
        for offering in offering_ids:
            chosen = []
            for student in rng.sample(students, len(students)):
                if (student, offering) not in holding and waits.get(student, 0) < settings.WAITLIST_MAX_PER_STUDENT:
                    chosen.append(student)
                    waits[student] = waits.get(student, 0) + 1
                if len(chosen) == WAITLIST_PER_OFFERING:
                    break
            entries += [WaitlistEntry(student_id=student, term_id=term_id, offering_id=offering, sequence=n + 1)
                        for n, student in enumerate(chosen)]
            CourseOffering.objects.filter(pk=offering).update(waiting=len(chosen))
        WaitlistEntry.objects.bulk_create(entries)
    connection.close()
    time.sleep(2.5)  # the web processes keep the term's windows two seconds (core.cache_prefetch)
    log(f"waitlist: {len(entries)} students waiting for {len(offering_ids)} full offerings, {len(registered)} "
        f"registrations to drop, a release every {RELEASE_EVERY} s by {RELEASE_WORKERS} workers at once")
    return [(sessions[student], pk, offering) for pk, student, offering in registered]


class ReleasesDuring:
    """While the drops run: a release instant every RELEASE_EVERY seconds, each done by RELEASE_WORKERS threads at
    once (``waitlist_release`` is safe to run twice at once), then one last release after the drops."""

    def __init__(self, term_id: int):
        import threading

        self.term_id, self.stop, self.done, self.errors = term_id, threading.Event(), set(), []
        self.threads = [threading.Thread(target=self._run, name=f"release-{n}") for n in range(RELEASE_WORKERS)]

    def _release(self, instant) -> None:
        from academics.models import Term
        from creditexchange.services.waitlist import waitlist_release

        try:
            if waitlist_release(term=Term.objects.get(pk=self.term_id), scheduled_for=instant) is not None:
                self.done.add(instant)
        except Exception as exc:  # reported in the JSON line: must be none
            self.errors.append(repr(exc))

    def _run(self) -> None:
        from django.db import connection

        try:
            step = 0
            while not self.stop.wait(RELEASE_EVERY):
                step += 1
                self._release(self.base + timedelta(seconds=step * RELEASE_EVERY))
        finally:
            connection.close()

    def __enter__(self):
        from django.utils import timezone

        self.base = timezone.now().replace(microsecond=0)
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        from django.db import connection
        from django.utils import timezone

        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)
        self._release(timezone.now() + timedelta(seconds=1))  # the seats the last drops freed
        connection.close()
        return False


def waitlist_checks(releases: ReleasesDuring) -> dict:
    """Nobody skipped (a student still waiting, never passed over in a release that registered someone after
    them), nobody doubled (registered twice from the waitlist), and the counters right (seats taken = registered
    rows, waiting = active entries)."""
    from django.db import connection
    from django.db.models import Count, Exists, F, OuterRef, Q, Subquery

    from creditexchange.models import CourseOffering, CourseRegistration, WaitlistEntry, WaitlistEvent

    connection.close()
    for error in releases.errors[:5]:
        log("release error:", error)
    registered_events = WaitlistEvent.objects.filter(to_status="registered", release__isnull=False)
    skipped = 0
    for event in registered_events.select_related("entry"):
        earlier = WaitlistEntry.objects.filter(offering_id=event.entry.offering_id, sequence__lt=event.entry.sequence,
                                               status="waiting")
        passed_over = WaitlistEvent.objects.filter(entry=OuterRef("pk"), release_id=event.release_id,
                                                   from_status="waiting", to_status="waiting")
        skipped += earlier.exclude(Exists(passed_over)).count()
    doubled = registered_events.values("entry").annotate(n=Count("id")).filter(n__gt=1).count()
    active = Q(registrations__status=CourseRegistration.Status.REGISTERED)
    waiting = WaitlistEntry.objects.filter(offering=OuterRef("pk"), status__in=("waiting", "offered")).values("offering")
    offerings = CourseOffering.objects.annotate(
        n=Count("registrations", filter=active),
        w=Subquery(waiting.annotate(c=Count("pk")).values("c")[:1]),
    )
    miscounted = sum(1 for o in offerings if o.waiting != (o.w or 0))
    return {
        "releases": len(releases.done),
        "release_errors": len(releases.errors),
        "registered": registered_events.count(),
        "passed_over": WaitlistEvent.objects.filter(from_status="waiting", to_status="waiting").count(),
        "still_waiting": WaitlistEntry.objects.filter(status="waiting").count(),
        "skipped": skipped,
        "doubled": doubled,
        "overbooked": offerings.filter(n__gt=F("capacity")).count() + offerings.exclude(seats_taken=F("n")).count()
        + miscounted,
    }


def fill_every_offering() -> None:
    """Capacity down to the seats taken, straight in the database (a click reads the row fresh every time)."""
    import psycopg2

    conn = psycopg2.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB_NAME}")
    try:
        with conn, conn.cursor() as cur:
            cur.execute("UPDATE creditexchange_courseoffering SET capacity = seats_taken")
    finally:
        conn.close()


def summary(runs: dict[str, dict], checks: dict, basket_checks: dict, waitlist: dict) -> dict:
    """The JSON line: the rush's figures as before, then the "full" refusal's, the overload's, the basket rush's and
    the waitlist releases'."""
    ping, rush, full, overload = runs["ping"], runs["register"], runs["full"], runs["overload"]
    basket, drops = runs["basket"], runs["waitlist"]

    def ratio(run):
        return round(run["rps"] / ping["rps"], 2) if ping["rps"] else 0.0

    return {
        "register_rps": round(rush["rps"], 1),
        "baseline_rps": round(ping["rps"], 1),
        "ratio": ratio(rush),
        "p50_ms": round(rush["p50_ms"], 1),
        "p95_ms": round(rush["p95_ms"], 1),
        "p99_ms": round(rush["p99_ms"], 1),
        "requests": rush["requests"],
        "errors_5xx": rush["errors_5xx"] + rush["status_503"] + full["errors_5xx"] + full["status_503"],
        "overbooked": checks["overbooked"],
        "duplicates": checks["duplicates"],
        "over_credit_limit": checks["over_credit_limit"],
        "seats": checks["seats"],
        "seats_filled": checks["seats_filled"],
        "full_rps": round(full["rps"], 1),
        "full_ratio": ratio(full),
        "full_p95_ms": round(full["p95_ms"], 1),
        "overload_connections": OVERLOAD_CONNECTIONS,
        "overload_rps": round(overload["rps"], 1),
        "overload_2xx_rps": round(overload["rps"] * overload["status_2xx"] / overload["requests"], 1)
        if overload["requests"] else 0.0,
        "overload_max_ms": round(overload["max_ms"], 1),
        "overload_p99_ms": round(overload["p99_ms"], 1),
        "overload_503_share": round(overload["status_503"] / overload["requests"], 3) if overload["requests"] else 0.0,
        "overload_errors_5xx": overload["errors_5xx"],
        "overload_timeouts": overload["socket_errors"]["timeout"],
        "basket_rps": round(basket["rps"], 1),
        "basket_p95_ms": round(basket["p95_ms"], 1),
        "basket_errors_5xx": basket["errors_5xx"],
        "basket_busy_503": basket["status_503"],  # the admission queue's answer to a heavy page: the page retries
        "basket_overbooked": basket_checks["overbooked"],
        "basket_duplicates": basket_checks["duplicates"],
        "basket_over_credit_limit": basket_checks["over_credit_limit"],
        "basket_seats_filled": basket_checks["seats_filled"],
        "waitlist_drop_rps": round(drops["rps"], 1),
        "waitlist_drop_p95_ms": round(drops["p95_ms"], 1),
        "waitlist_errors_5xx": drops["errors_5xx"],
        "waitlist_busy_503": drops["status_503"],
        "waitlist_releases": waitlist["releases"],
        "waitlist_release_errors": waitlist["release_errors"],
        "waitlist_registered": waitlist["registered"],
        "waitlist_passed_over": waitlist["passed_over"],
        "waitlist_still_waiting": waitlist["still_waiting"],
        "waitlist_skipped": waitlist["skipped"],
        "waitlist_doubled": waitlist["doubled"] + waitlist["duplicates_end"],
        "waitlist_overbooked": waitlist["overbooked"] + waitlist["overbooked_end"],
    }


if __name__ == "__main__":
    sys.exit(main())
