"""Per-request cost of a course registration, in-process (`make bench-inprocess`): where the rush's CPU goes.

The rush (`bench/rush.py`) is CPU-bound, so its ratio is the ratio of CPU per request. This
script measures that directly, without gunicorn or wrk: it seeds the same bench database,
then calls the WSGI handler through Django's test client, one request at a time, and reads
the CPU time of this process (the web worker's share; PostgreSQL's own time is not in it)
and the wall time (which is). It prints one JSON line:

    {"ping_cpu_ms", "ping_wall_ms", "ping_queries",
     "success_cpu_ms", "success_wall_ms", "success_queries",
     "full_cpu_ms", "full_wall_ms", "full_queries",
     "stranger_cpu_ms", "stranger_wall_ms", "stranger_queries", "requests"}

`success` is a registration that takes a seat; `full` is the refusal of a full course the student
holds already (as measured before issue 14); `stranger` the refusal of a full course they do not hold,
which dominates the rush once the seats are gone (the student has the catalogue open, so eligibility
is already cached).

`BENCH_PROFILE=success` (or `full`, `stranger`, `ping`) also runs that path once more under cProfile and prints its
functions by cumulative time, per request, to stderr (the profile tables in bench/README.md).
"""

import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rush  # noqa: E402  (the same database, environment and seed)

CLIENTS = 200
ROUNDS = 4  # offerings per student on the success path (the credit limit allows 4 x 3 credits)


def _measure(call, items) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for item in items:
        response = call(*item)
        assert response.status_code == 200, response.status_code
    return (time.process_time() - cpu) / len(items) * 1000, (time.perf_counter() - wall) / len(items) * 1000


def _profile(name: str, call, items, lines: int = 45) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU only: waiting for PostgreSQL or Redis is not counted
    profiler.enable()
    for item in items:
        call(*item)
    profiler.disable()
    if os.environ.get("BENCH_PROFILE_OUT"):
        profiler.dump_stats(os.environ["BENCH_PROFILE_OUT"])  # for pstats' print_callees
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = stats.total_tt / len(items) * 1000
    stats.sort_stats("cumulative").print_stats(lines)
    rush.log(f"profile of {len(items)} {name} requests: {total:.2f} ms per request under the profiler")
    for line in out.getvalue().splitlines():
        print(line, file=sys.stderr)


def main() -> int:
    env = {**rush.os.environ, **rush.BENCH_ENV}
    rush.log(f"recreating database {rush.DB_NAME} and migrating")
    rush.recreate_database()
    rush.migrate(env)
    rush.setup_django()
    offering_ids, _sessions, _users = rush.seed()

    from django.db import connection
    from django.db.models import F
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent

    def reset(capacity: int) -> None:
        RegistrationEvent.objects.all().delete()
        CourseRegistration.objects.all().delete()
        CourseOffering.objects.update(seats_taken=0, capacity=capacity)

    clients = []
    for user in User.objects.filter(temporary_id__isnull=False).order_by("pk")[:CLIENTS]:
        client = Client(HTTP_HX_REQUEST="true", HTTP_HOST="127.0.0.1")
        client.force_login(user)
        client.get("/credit-exchange/courses/")  # the catalogue is open before the click, as at 09:00
        clients.append(client)
    offerings = offering_ids[:ROUNDS]
    # The 09:00 refusal: a full course the student does not hold (capacity 0 stays 0 through reset()).
    CourseOffering.objects.filter(pk__in=offering_ids[ROUNDS:2 * ROUNDS]).update(capacity=0)
    strangers = [(c, o) for o in offering_ids[ROUNDS:2 * ROUNDS] for c in clients]

    def ping(client):
        return client.get("/credit-exchange/ping")

    def register(client, offering_id):
        return client.post(f"/credit-exchange/courses/{offering_id}/register/")

    def queries(call, *args) -> int:
        with CaptureQueriesContext(connection) as captured:
            call(*args)
        return len(captured.captured_queries)

    figures = {}
    for _warm_up_then_measure in range(2):
        reset(capacity=len(clients))
        figures["ping_cpu_ms"], figures["ping_wall_ms"] = _measure(ping, [(c,) for c in clients] * 2)
        figures["success_cpu_ms"], figures["success_wall_ms"] = _measure(
            register, [(c, o) for o in offerings for c in clients]
        )
        CourseOffering.objects.update(capacity=F("seats_taken"))
        figures["full_cpu_ms"], figures["full_wall_ms"] = _measure(register, [(c, o) for o in offerings for c in clients])
        figures["stranger_cpu_ms"], figures["stranger_wall_ms"] = _measure(register, strangers)
    profile = os.environ.get("BENCH_PROFILE", "")
    if profile:
        reset(capacity=len(clients))
        success = [(c, o) for o in offerings for c in clients]
        if profile == "ping":
            _profile("ping", ping, [(c,) for c in clients] * 2)
        elif profile == "success":
            _profile("success", register, success)
        elif profile == "stranger":
            CourseOffering.objects.update(capacity=F("seats_taken"))
            _profile("stranger", register, strangers)
        else:
            for item in success:
                register(*item)
            CourseOffering.objects.update(capacity=F("seats_taken"))
            _profile("full", register, success)
    figures["ping_queries"] = queries(ping, clients[0])
    reset(capacity=len(clients))
    figures["success_queries"] = queries(register, clients[0], offerings[0])
    CourseOffering.objects.update(capacity=F("seats_taken"))
    figures["full_queries"] = queries(register, clients[1], offerings[0])
    figures["stranger_queries"] = queries(register, clients[1], offering_ids[ROUNDS])
    figures["requests"] = len(clients) * (2 + 3 * len(offerings))
    connection.close()
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in sorted(figures.items())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
