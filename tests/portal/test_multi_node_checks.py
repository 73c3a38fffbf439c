"""The system check (issue 16): with DEBUG off, a cache or session store a second node would not share is warned about.

The check only reads settings (no Redis is contacted), so these run without Redis; each case's settings are undone
before the test's own clean-up clears the real cache.
"""

import pytest
from django.core import checks
from django.test import override_settings

from ustportal.checks import shared_state_check

REDIS = {"BACKEND": "core.redis_cache.RedisCache", "LOCATION": "redis://127.0.0.1:6399/0"}
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
PRODUCTION = {"DEBUG": False, "CACHES": {"default": REDIS}, "SESSION_ENGINE": "django.contrib.sessions.backends.db",
              "EMAIL_URL": "smtp://198.18.0.1:2525"}


def _messages(**changes) -> list[checks.CheckMessage]:
    with override_settings(**{**PRODUCTION, **changes}):
        return shared_state_check()


def _ids(**changes) -> list[str]:
    return sorted(message.id for message in _messages(**changes))


def test_it_is_quiet_with_redis_and_database_sessions():
    assert _ids() == []


@pytest.mark.parametrize("backend", [
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
])
def test_it_warns_about_a_cache_only_this_node_reads(backend, tmp_path):
    messages = _messages(CACHES={"default": {"BACKEND": backend, "LOCATION": str(tmp_path)}})
    assert [(m.id, m.level) for m in messages] == [("ustportal.W201", checks.WARNING)]
    assert backend in messages[0].msg and "REDIS_URL" in messages[0].hint


def test_it_says_nothing_in_the_one_process_development_mode():
    assert _ids(DEBUG=True, CACHES={"default": LOCMEM}, SESSION_ENGINE="django.contrib.sessions.backends.file") == []


@pytest.mark.parametrize(("engine", "caches", "alias", "expected"), [
    ("django.contrib.sessions.backends.cache", {"default": REDIS}, "default", []),
    ("django.contrib.sessions.backends.cached_db", {"default": REDIS}, "default", []),
    ("django.contrib.sessions.backends.signed_cookies", {"default": REDIS}, "default", []),
    ("django.contrib.sessions.backends.file", {"default": REDIS}, "default", ["ustportal.W202"]),
    ("django.contrib.sessions.backends.cache", {"default": REDIS, "sessions": LOCMEM}, "sessions", ["ustportal.W202"]),
    # cached_db: a node's own copy would still answer for a session another node ended (a sign-out).
    ("django.contrib.sessions.backends.cached_db", {"default": REDIS, "sessions": LOCMEM}, "sessions", ["ustportal.W202"]),
])
def test_it_warns_about_sessions_only_this_node_reads(engine, caches, alias, expected):
    assert _ids(SESSION_ENGINE=engine, CACHES=caches, SESSION_CACHE_ALIAS=alias) == expected


def test_both_warnings_with_the_embedded_default_cache_and_cached_sessions():
    assert _ids(CACHES={"default": LOCMEM}, SESSION_ENGINE="django.contrib.sessions.backends.cache") == [
        "ustportal.W201", "ustportal.W202",
    ]


def test_the_check_runs_with_the_cache_checks():
    with override_settings(**{**PRODUCTION, "CACHES": {"default": LOCMEM}}):
        ids = [m.id for m in checks.run_checks(tags=[checks.Tags.caches])]
    assert "ustportal.W201" in ids


def test_the_shipped_settings_keep_sessions_in_the_database(settings):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_it_warns_that_without_an_smtp_server_mail_stays_on_the_sending_hosts_disk():
    messages = _messages(EMAIL_URL="")
    assert [(m.id, m.level) for m in messages] == [("ustportal.W203", checks.WARNING)]
    assert "EMAIL_URL" in messages[0].msg and "reaches nobody" in messages[0].msg
