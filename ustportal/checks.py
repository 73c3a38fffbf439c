"""System checks for a portal that runs as several nodes (issue 16; docs/process-state.md).

Gunicorn nodes on two or more hosts behind HAProxy, Celery workers on several more: a student's requests alternate
between nodes, so rate limits, cooldowns, the cached windows and sessions must live where every node reads them
(Redis through the Django cache, or PostgreSQL). Without REDIS_URL the cache is a LocMemCache: right for the
one-process development mode (DEBUG on), wrong anywhere else, and nothing would fail loudly. These checks say so.
What must also be equal on every node (SECRET_KEY, DATABASE_URL, REDIS_URL, the file storage) cannot be seen from
one node; docs/process-state.md lists it.
"""

from django.conf import settings
from django.core import checks

# Cache backends whose entries another node cannot read, and where they are kept.
LOCAL_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache": "in this process's memory",
    "django.core.cache.backends.dummy.DummyCache": "nowhere (it keeps nothing)",
    "django.core.cache.backends.filebased.FileBasedCache": "on this host's disk",
}
LOCAL_SESSION_ENGINES = {"django.contrib.sessions.backends.file": "on this host's disk"}
CACHE_SESSION_ENGINES = ("django.contrib.sessions.backends.cache", "django.contrib.sessions.backends.cached_db")


def _local_cache(alias: str) -> str | None:
    """Where the cache ``alias`` keeps its entries when another node cannot read them; None when it is shared."""
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "")
    return LOCAL_CACHES.get(backend)


@checks.register(checks.Tags.caches)
def shared_state_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """With DEBUG off, warn about a cache or a session store that a second node would not share."""
    if settings.DEBUG:
        return []
    problems = []
    where = _local_cache("default")
    if where is not None:
        problems.append(checks.Warning(
            f"The cache ({settings.CACHES['default']['BACKEND']}) keeps its entries {where}: a second node would not "
            "share rate limits, cooldowns or the cached windows, so each node would allow its own attempts.",
            hint="Set REDIS_URL (the same on every node): the cache is then Redis. Without it the portal is the "
                 "one-process development mode (DEBUG=true).",
            id="ustportal.W201",
        ))
    engine = settings.SESSION_ENGINE
    where = LOCAL_SESSION_ENGINES.get(engine)
    if where is None and engine in CACHE_SESSION_ENGINES:
        where = _local_cache(settings.SESSION_CACHE_ALIAS)
    if where is not None:
        problems.append(checks.Warning(
            f"Sessions ({engine}) are kept {where}: a student signed in on one node would be signed out on the next.",
            hint="Use the database engine (Django's default) or a cache on Redis.",
            id="ustportal.W202",
        ))
    if not settings.EMAIL_URL:
        problems.append(checks.Warning(
            f"EMAIL_URL is unset: every mail is written as a file under {settings.MAIL_DIR} on the host of the worker "
            "that sends it, and reaches nobody.",
            hint="Set EMAIL_URL to the SMTP server (smtp+tls://user:password@host:587), the same on every worker host.",
            id="ustportal.W203",
        ))
    return problems
