import threading
from concurrent.futures import Future

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from academics.selectors import term_timeline
from core.mailbox import read_mailbox
from notices.selectors import latest_notices

from .draining import is_draining


def home(request):
    """The current terms' timelines with what is open now and a countdown, the quick links and the latest notices."""
    return render(request, "home.html", {"timeline": term_timeline(), "latest_notices": latest_notices(limit=5)})


def admin_moved(request, app_label: str, model: str, rest: str = "") -> HttpResponseRedirect:
    """An admin page of a model that moved to the kernel (issue 13): the same page under /admin/core/, same query.

    A 302, not a 301: browsers keep a 301 for good, and an admin address is no promise to keep. The admin itself
    then sends an anonymous visitor to its login page, as it did at the old address.
    """
    admin_root = reverse("admin:index")
    old, new = f"{admin_root}{app_label}/", f"{admin_root}core/"
    return HttpResponseRedirect(new + request.get_full_path().removeprefix(old))


def _check(probe) -> str:
    try:
        probe()
    except Exception as exc:  # a health probe reports every failure instead of raising it
        return f"error: {type(exc).__name__}"
    return "ok"


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("healthz", "1", timeout=5)
    if cache.get("healthz") != "1":
        raise RuntimeError("cache read-back failed")


def _broker() -> None:
    from .celery import app

    # The configured URL, read now: what the workers and the mail relay will use. One try within the transport's
    # timeouts (REDIS_SOCKET_TIMEOUT): a retry would sleep 2 s first and a stalled Redis cost the probe 4 s.
    with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
        conn.ensure_connection(max_retries=0)


@never_cache
def healthz_live(request):
    """Alive: this process answers requests. Touches nothing else (no database, cache or broker), so a shared
    dependency's outage never makes every node look dead at once and get restarted for it."""
    return JsonResponse({"status": "alive"})


# Per process: per process by design, the checks a /healthz/ready running now in this process is making, shared by
# the probes that arrive meanwhile (_ready_checks); each node answers its own probe.
_flight_lock = threading.Lock()
_flight: Future | None = None


def _ready_checks() -> dict[str, str]:
    """The database, cache and broker checks, made once for all the probes that arrive while they run.

    The probes skip the admission pool (core/admission.py), so they run on any of gunicorn's reading threads, and
    anyone can ask for /healthz/ready through the proxy. Two rules keep that cheap: probes arriving together share
    one check (a flood of them is one database query and one Redis round trip at a time per process, not one per
    thread); and the check closes its database connection, which would otherwise stay open in that reading thread
    for CONN_MAX_AGE, beyond the pool's budget (GUNICORN_WORKERS x ADMISSION_CONCURRENCY per node) that the
    database's max_connections is sized for. A fresh connection also shows the database still takes new ones.
    """
    global _flight
    with _flight_lock:
        flight, leader = (_flight, False) if _flight is not None else (Future(), True)
        if leader:
            _flight = flight
    if not leader:
        return flight.result()
    try:
        checks = {"database": _check(_database), "cache": _check(_cache)}
        checks["broker"] = _check(_broker) if settings.REDIS_URL else "in-process"
        flight.set_result(checks)
    except BaseException as exc:
        flight.set_exception(exc)
        raise
    finally:
        with _flight_lock:
            _flight = None
        if not connection.in_atomic_block:  # a test's transaction (ATOMIC_REQUESTS is off) stays open
            connection.close()
    return checks


@never_cache
def healthz_ready(request):
    """Ready for new requests: not draining, and the database and cache work; the load balancer's probe.

    A draining node answers 503 at once and touches nothing: HAProxy takes it out, and the requests it still
    holds finish. The broker is checked and reported but does not make a node unready: mail waits in the outbox
    (core.mail) and the relay sends it once Redis is back, so pages keep working; and every node shares one broker,
    so failing the check for it would take all of them out together (README → Reliability).
    """
    if is_draining(settings.DRAIN_FILE):
        return JsonResponse({"status": "draining"}, status=503)
    checks = _ready_checks()
    healthy = checks["database"] == "ok" and checks["cache"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def mailbox(request):
    """DEBUG-only view of the locally kept mail, so the whole journey works without an SMTP server."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "mailbox.html", {"messages_list": read_mailbox()})
