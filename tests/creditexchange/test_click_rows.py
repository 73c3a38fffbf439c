"""Issue 14: the Register click's row is rendered once per distinct input (the "full" row thousands of students get
at 09:00), with each request's own CSRF token put into its forms (the waitlist's Join, Register, Drop)."""

import re
from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from academics.models import TermWindow
from creditexchange import views_courses

from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, TimeSlotFactory, issued_student

pytestmark = pytest.mark.django_db


@pytest.fixture
def term(db):
    term = TermFactory(year=2027, season="spring", credit_limit=3)
    now = timezone.now()
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    return term


def _client(term) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(issued_student(term))
    return client


def _click(client, offering) -> str:
    return client.post(f"/credit-exchange/courses/{offering.pk}/register/", HTTP_HX_REQUEST="true").content.decode()


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_two_students_refused_a_full_course_get_the_same_row_rendered_once_each_with_their_token(term):
    full = CourseOfferingFactory(term=term, code="CSE101", capacity=0)
    first, second = _client(term), _client(term)

    one = first.post(f"/credit-exchange/courses/{full.pk}/register/", HTTP_HX_REQUEST="true")
    other = second.post(f"/credit-exchange/courses/{full.pk}/register/", HTTP_HX_REQUEST="true")

    assert f"{full} is full." in one.content.decode()
    assert [t.name for t in one.templates][0] == "creditexchange/_offering_row.html"
    assert other.templates == []  # kept from the first
    assert len(views_courses._rows) == 1
    tokens = [TOKEN.search(r.content.decode()).group(1) for r in (one, other)]  # the waitlist's Join form
    assert tokens[0] != tokens[1] and views_courses.CSRF_SLOT not in one.content.decode()
    assert TOKEN.sub("", one.content.decode()) == TOKEN.sub("", other.content.decode())
    # Each token is good for its own student: joining the waitlist with it passes the CSRF check.
    csrf_client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    csrf_client.cookies = second.cookies
    response = csrf_client.post(f"/credit-exchange/courses/{full.pk}/waitlist/", {"csrfmiddlewaretoken": tokens[1]})
    assert response.status_code != 403


def test_a_row_with_a_form_is_rendered_for_each_student_with_their_own_token(term):
    held = CourseOfferingFactory(term=term, code="MAT201", credits=3)
    TimeSlotFactory(offering=held, weekday=1, starts_at=time(9), ends_at=time(10))
    course = CourseOfferingFactory(term=term, code="CSE101", credits=3, capacity=30)  # the credit limit refuses it
    first, second = _client(term), _client(term)
    _click(first, held)
    _click(second, held)

    rows = [_click(client, course) for client in (first, second)]

    assert all("would bring you to 6 credits" in row for row in rows)
    tokens = [TOKEN.search(row).group(1) for row in rows]
    assert tokens[0] != tokens[1]  # the Register button's form is each student's own
    kept = list(views_courses._rows.values())
    assert any(views_courses.CSRF_SLOT in row for row in kept)
    assert not any(token in row for token in tokens for row in kept)


def test_the_kept_row_follows_the_seats_and_the_language(term):
    full = CourseOfferingFactory(term=term, code="CSE101", capacity=1)
    full.seats_taken = 1
    full.save()
    client = _client(term)
    assert "0 / 1" in _click(client, full)

    type(full).objects.filter(pk=full.pk).update(capacity=2, seats_taken=2)
    english = _click(client, full)
    assert "0 / 2" in english and ">Full<" in english
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    assert ">마감<" in _click(client, full)
