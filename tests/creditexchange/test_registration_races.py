"""Registration under concurrency (SPEC §3.2): the 09:00 rush must never overbook or double-book.

PostgreSQL only: SQLite serialises writers, so these races cannot happen there.
"""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from academics.models import TermWindow
from core.errors import CourseFull, InvalidTransition, NotEligible
from creditexchange import services
from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent

from ..concurrency import run_at_once as _run_at_once
from ..factories import (
    CourseOfferingFactory,
    InstitutionFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    issued_student,
)

Status = CourseRegistration.Status
# Connections left for the test's own connection, pytest-django and anything else on the server.
CONNECTION_HEADROOM = 20
POOL_LIMIT = 60


def _max_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        return int(cursor.fetchone()[0])


@pytest.fixture
def term(transactional_db):
    term = TermFactory(year=2027, season="spring", credit_limit=12)
    TermWindowFactory(
        term=term, kind=TermWindow.Kind.REGISTRATION,
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(days=3),
    )
    return term


def _register(student, offering):
    return lambda: services.registration_submit(student=student, offering_id=offering.pk)


def _successes(outcomes) -> list[CourseRegistration]:
    return [o for o in outcomes if isinstance(o, CourseRegistration)]


def _errors(outcomes) -> list[Exception]:
    return [o for o in outcomes if isinstance(o, Exception)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_fills_a_30_seat_course_exactly_when_200_students_rush_it(term):
    partner = InstitutionFactory()
    students = [issued_student(term, partner=partner) for _ in range(200)]
    offering = CourseOfferingFactory(term=term, code="RUSH101", capacity=30)
    TimeSlotFactory(offering=offering)

    # 200 simultaneous connections need max_connections well above 200. PostgreSQL's default is 100, so
    # in that case the 200 registrations (still 200 different students, submitted as fast as possible)
    # run through a pool of at most 60 threads that all start together at a Barrier; the races on the
    # seat counter are the same, only fewer of them are in flight at any instant.
    available = _max_connections() - CONNECTION_HEADROOM
    workers = len(students) if available >= len(students) else min(POOL_LIMIT, available)
    assert workers >= 10, "too few PostgreSQL connections to race anything"

    outcomes = _run_at_once([_register(student, offering) for student in students], workers=workers)

    assert len(outcomes) == 200
    errors = _errors(outcomes)
    assert len(_successes(outcomes)) == 30
    assert len(errors) == 170
    assert {type(e) for e in errors} == {CourseFull}
    offering.refresh_from_db()
    assert offering.seats_taken == 30
    assert CourseRegistration.objects.filter(offering=offering, status=Status.REGISTERED).count() == 30
    assert CourseRegistration.objects.values("student").distinct().count() == 30
    assert RegistrationEvent.objects.filter(to_status=Status.REGISTERED).count() == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_student_clicking_six_times_at_once_gets_one_registration(term):
    student = issued_student(term)
    offering = CourseOfferingFactory(term=term, code="ONCE101", capacity=30)

    outcomes = _run_at_once([_register(student, offering) for _ in range(6)], workers=6)

    assert len(_successes(outcomes)) == 1
    errors = _errors(outcomes)
    assert len(errors) == 5
    assert all(isinstance(e, NotEligible) and "already registered" in str(e.message) for e in errors), errors
    assert CourseRegistration.objects.filter(student=student, status=Status.REGISTERED).count() == 1
    offering.refresh_from_db()
    assert offering.seats_taken == 1
    assert RegistrationEvent.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_student_registering_for_two_overlapping_courses_at_once_gets_one(term):
    student = issued_student(term)
    morning = CourseOfferingFactory(term=term, code="AM101", capacity=30)
    TimeSlotFactory(offering=morning, weekday=0, starts_at=time(9, 0), ends_at=time(10, 30))
    clash = CourseOfferingFactory(term=term, code="AM102", capacity=30)
    TimeSlotFactory(offering=clash, weekday=0, starts_at=time(10, 0), ends_at=time(11, 0))
    tasks = [_register(student, morning), _register(student, clash)] * 3

    outcomes = _run_at_once(tasks, workers=6)

    assert len(_successes(outcomes)) == 1
    errors = _errors(outcomes)
    assert len(errors) == 5
    assert {type(e) for e in errors} == {NotEligible}, errors
    assert CourseRegistration.objects.filter(student=student, status=Status.REGISTERED).count() == 1
    seats = dict(CourseOffering.objects.values_list("code", "seats_taken"))
    assert sum(seats.values()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_dropping_the_same_registration_six_times_at_once_frees_one_seat(term):
    now = timezone.now()
    TermWindowFactory(term=term, kind=TermWindow.Kind.CHANGE, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3))
    student, neighbour = issued_student(term), issued_student(term)
    offering = CourseOfferingFactory(term=term, code="DROP101", capacity=30)
    registration = services.registration_submit(student=student, offering_id=offering.pk)
    services.registration_submit(student=neighbour, offering_id=offering.pk)
    drop = lambda: services.registration_drop(student=student, registration_id=registration.pk)  # noqa: E731

    outcomes = _run_at_once([drop] * 6, workers=6)

    assert len(_successes(outcomes)) == 1
    assert {type(e) for e in _errors(outcomes)} == {InvalidTransition}
    offering.refresh_from_db()
    assert offering.seats_taken == 1
    registration.refresh_from_db()
    assert registration.status == Status.DROPPED
    assert RegistrationEvent.objects.filter(registration=registration, to_status=Status.DROPPED).count() == 1
