import os
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation

from academics.models import TermWindow
from accounts.roles import ensure_roles
from core.broker import broker_resume
from core.files import file_store_resume
from creditexchange.models import TemporaryIdApplication
from ustportal.celery import app as celery_app

from .factories import (
    ApplicationFactory,
    InstitutionFactory,
    TermFactory,
    TermWindowFactory,
    UserFactory,
)

IN_CI = bool(os.environ.get("CI"))


def pytest_runtest_setup(item):
    # PostgreSQL-only tests (row locks) never silently pass on SQLite in CI.
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        message = "needs PostgreSQL (set DATABASE_URL=postgres://...)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        message = "needs Redis (set REDIS_URL=redis://...)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):  # noqa: F811 - the pytest-django fixture
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MAIL_DIR = tmp_path / "mail"
    settings.MEDIA_ROOT = tmp_path / "media"  # never the checkout's media/ (the retention run sweeps what no row names)
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.OTP_REQUIRED_FOR_STAFF = False  # tests that need the second factor turn it on themselves
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    cache.clear()
    _forget_memos()
    broker_resume()
    file_store_resume()
    # Service tests read messages in English; requests pick their own language in the middleware.
    translation.activate("en")
    yield
    translation.deactivate()
    cache.clear()
    _forget_memos()


def _forget_memos() -> None:
    """What a process keeps besides the cache (issue 14): its copies of cache keys and its rendered rows."""
    from core.cache import cache_local_clear
    from creditexchange import views_courses
    from creditexchange.templatetags import offering_rows

    cache_local_clear()
    views_courses._rows.clear()
    offering_rows._cells.clear()


@pytest.fixture
def partner(db):
    return InstitutionFactory(code="hanbit", name_ko="한빛대학교", name_en="Hanbit University")


@pytest.fixture
def inactive_partner(db):
    return InstitutionFactory(code="nuri", name_ko="누리대학교", name_en="Nuri University", agreement_active=False)


@pytest.fixture
def open_term(db):
    """A term whose temporary-ID application window is open now."""
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(
        term=term, kind=TermWindow.Kind.APPLICATION,
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() + timedelta(days=30),
    )
    return term


@pytest.fixture
def closed_term(db):
    term = TermFactory(year=2026, season="fall")
    TermWindowFactory(
        term=term, kind=TermWindow.Kind.APPLICATION,
        starts_at=timezone.now() - timedelta(days=60), ends_at=timezone.now() - timedelta(days=30),
    )
    return term


@pytest.fixture
def application_data(open_term, partner):
    return {
        "term": open_term, "partner": partner, "home_student_number": "20241234", "name_ko": "김하늘",
        "name_latin": "KIM HANEUL", "date_of_birth": date(2004, 4, 4), "email": "haneul@hanbit.example",
        "phone": "010-2222-3333", "home_department": "컴퓨터공학과", "degree_level": "bachelor",
        "consent": True, "language": "ko",
    }


@pytest.fixture
def submitted_application(open_term, partner):
    return ApplicationFactory(term=open_term, partner=partner, confirmation_sent_at=timezone.now())


@pytest.fixture
def confirmed_application(open_term, partner):
    return ApplicationFactory(
        term=open_term, partner=partner, status=TemporaryIdApplication.Status.CONFIRMED, confirmed_at=timezone.now()
    )


@pytest.fixture
def approved_application(open_term, partner, registrar):
    return ApplicationFactory(
        term=open_term, partner=partner, status=TemporaryIdApplication.Status.APPROVED,
        confirmed_at=timezone.now(), decided_at=timezone.now(), decided_by=registrar,
    )


@pytest.fixture
def registrar(db):
    from django.contrib.auth.models import Group

    ensure_roles()
    user = UserFactory(username="registrar", is_staff=True)
    user.groups.add(Group.objects.get(name="registrar"))
    return user


@pytest.fixture
def registrar_client(client, registrar):
    client.force_login(registrar)
    return client


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client
