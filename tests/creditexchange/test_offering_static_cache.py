"""Issue 14: the Register click shows the offering's department, campus and slots from the cache
(``selectors.offering_static``) and its own columns from the row it reads fresh. Every edit path shows at once:
the admin's change form and its slot inline, the import, ``offering_save``, a department's or campus's new name, a
slot written directly, a new department for the offering; publishing and withdrawing change the row itself."""

import html
from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from academics.models import TermWindow
from core.cache import cache_get
from creditexchange import selectors, services
from creditexchange.models import CourseOffering, TimeSlot

from ..factories import (
    CourseOfferingFactory,
    DepartmentFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    host_campus,
    issued_student,
)
from .test_offering_change_admin import URL as ADMIN_CHANGE_URL
from .test_offering_change_admin import _form
from .test_offerings_import import _import_csv
from .test_offerings_import import _row as _file_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(db):
    term = TermFactory(year=2027, season="spring")
    now = timezone.now()
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    return term


@pytest.fixture
def offering(term):
    """Full, so that a click changes nothing and shows the row; its static part is cached by a first click."""
    department = DepartmentFactory(code="cse", campus=host_campus("main"), name_en="Computer Science")
    offering = CourseOfferingFactory(term=term, code="CSE101", section="01", title_en="Data Structures", capacity=0,
                                     department=department, campus=department.campus)
    TimeSlotFactory(offering=offering, weekday=0, starts_at=time(9), ends_at=time(10, 30))
    return offering


@pytest.fixture
def student_client(term):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(issued_student(term))
    return client


def _row(client, offering) -> str:
    response = client.post(f"/credit-exchange/courses/{offering.pk}/register/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def cached(student_client, offering):
    row = _row(student_client, offering)
    assert "Mon 09:00–10:30" in row and "Computer Science" in row
    assert cache_get(selectors.offering_static_key(offering.pk)) is not None
    return offering


def test_the_admin_slot_inline_shows_at_once(registrar_client, student_client, cached):
    data = _form(cached, [(2, time(13), time(14, 30))])
    assert registrar_client.post(ADMIN_CHANGE_URL.format(cached.pk), {**data, "title_en": "Algorithms"}).status_code == 302

    row = _row(student_client, cached)
    assert "Wed 13:00–14:30" in row and "Mon 09:00" not in row
    assert "Algorithms" in row  # the offering's own column, read fresh


def test_the_import_shows_at_once(student_client, cached, term):
    report = _import_csv(term, _file_row(capacity="0", slots="Fri 15:00-16:00"))
    assert not report.errors, report.errors

    assert "Fri 15:00–16:00" in _row(student_client, cached)


def test_offering_save_shows_at_once(student_client, cached):
    services.offering_save(offering=CourseOffering.objects.get(pk=cached.pk), slots=[(4, time(8), time(9))])

    assert "Fri 08:00–09:00" in _row(student_client, cached)


def test_a_slot_written_directly_shows_at_once(student_client, cached):
    TimeSlot.objects.create(offering=cached, weekday=5, starts_at=time(11), ends_at=time(12))  # as the demo loader does

    assert "Sat 11:00–12:00" in _row(student_client, cached)


def test_a_new_department_or_campus_name_shows_at_once(student_client, cached):
    department = cached.department
    department.name_en = "Computing"
    department.save()
    assert "Computing" in _row(student_client, cached)

    campus = cached.campus
    campus.name_en = "Riverside Campus"
    campus.save()
    assert "Riverside Campus" in _row(student_client, cached)


def test_another_department_for_the_offering_shows_at_once_even_without_a_signal(student_client, cached):
    other = DepartmentFactory(code="math", campus=cached.campus, name_en="Mathematics")
    CourseOffering.objects.filter(pk=cached.pk).update(department=other)  # a bulk write: no signal, the id tells

    row = _row(student_client, cached)
    assert "Mathematics" in row and "Computer Science" not in row


def test_withdrawing_and_publishing_change_the_row_the_click_reads(student_client, cached):
    services.offerings_unpublish(offerings=[cached])
    assert "not open for registration by exchange students" in _row(student_client, cached)

    CourseOffering.objects.filter(pk=cached.pk).update(published_at=timezone.now())
    assert "is full" in _row(student_client, cached)
