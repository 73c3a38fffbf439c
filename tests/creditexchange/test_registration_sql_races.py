"""Issue 14 under concurrency (PostgreSQL): the registration's plain SQL (lock, seat, the rules' insert) and the
click that refuses a full course without a transaction keep every invariant when requests collide."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from academics.models import TermWindow
from core.errors import CourseFull, NotEligible
from creditexchange import services
from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent

from ..concurrency import run_at_once
from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, TimeSlotFactory, issued_student

Status = CourseRegistration.Status


@pytest.fixture
def term(transactional_db):
    term = TermFactory(year=2027, season="spring", credit_limit=6)
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=timezone.now() - timedelta(hours=1),
                      ends_at=timezone.now() + timedelta(days=3))
    return term


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_student_clicking_four_courses_at_once_stays_within_the_credit_limit(term):
    student = issued_student(term)
    courses = []
    for weekday in range(4):  # no clash: only the limit (6 credits = two 3-credit courses) can refuse
        course = CourseOfferingFactory(term=term, code=f"C{weekday}01", credits=3, capacity=30)
        TimeSlotFactory(offering=course, weekday=weekday, starts_at=time(9), ends_at=time(10))
        courses.append(course)
    tasks = [lambda c=c: services.registration_submit(student=student, offering_id=c.pk) for c in courses] * 2

    outcomes = run_at_once(tasks, workers=8)

    registered = CourseRegistration.objects.filter(student=student, status=Status.REGISTERED)
    assert registered.count() == 2 and len([o for o in outcomes if isinstance(o, CourseRegistration)]) == 2
    refusals = [o for o in outcomes if isinstance(o, Exception)]
    assert {type(e) for e in refusals} == {NotEligible}, refusals
    assert {e.code for e in refusals} <= {"limit", "duplicate"}
    assert sum(CourseOffering.objects.values_list("seats_taken", flat=True)) == 2  # every refused seat given back
    assert RegistrationEvent.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_forty_clicks_on_the_last_three_seats_over_http_fill_them_exactly(term):
    course = CourseOfferingFactory(term=term, code="CSE101", capacity=3)
    TimeSlotFactory(offering=course, weekday=2, starts_at=time(9), ends_at=time(10))
    clients = []
    for _ in range(40):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(issued_student(term))
        clients.append(client)
    url = f"/credit-exchange/courses/{course.pk}/register/"

    outcomes = run_at_once([lambda c=c: c.post(url, HTTP_HX_REQUEST="true") for c in clients], workers=20)

    assert [getattr(o, "status_code", o) for o in outcomes] == [200] * 40
    bodies = [o.content.decode() for o in outcomes]
    assert sum(f"Registered for {course}." in b for b in bodies) == 3
    assert sum(f"{course} is full." in b for b in bodies) == 37
    offering = CourseOffering.objects.get(pk=course.pk)
    assert offering.seats_taken == 3 == CourseRegistration.objects.filter(offering=course, status=Status.REGISTERED).count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_clicks_while_a_student_joins_the_waitlist_never_take_the_seat_it_is_owed(term):
    """A seat frees while the waitlist has a student: the clicks that read the row before the join may pass the
    click's check, but the seat UPDATE (waiting = 0) refuses them all."""
    course = CourseOfferingFactory(term=term, code="CSE101", capacity=1)
    CourseOffering.objects.filter(pk=course.pk).update(waiting=1)  # someone waits: the free seat is theirs
    students = [issued_student(term) for _ in range(10)]
    stale = CourseOffering.objects.select_related("term").get(pk=course.pk)
    stale.waiting = 0  # as read a moment before the student joined
    tasks = [lambda s=s: services.registration_submit(student=s, offering_id=course.pk, offering=stale) for s in students]

    outcomes = run_at_once(tasks, workers=10)

    assert all(isinstance(o, CourseFull) for o in outcomes), outcomes
    assert CourseOffering.objects.get(pk=course.pk).seats_taken == 0 and not CourseRegistration.objects.exists()
