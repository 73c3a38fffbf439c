"""Issue 14: the registration in plain SQL (``registrations._registration_sql``) decides exactly as the Python rules
(``_require_window``, ``_plan_rows``, ``_check_plan``) do, on SQLite and on PostgreSQL alike (the suite runs on
both), and a refusal says why in the rules' own words."""

import random
from datetime import time, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from academics.models import TermWindow
from core.errors import CourseFull, DomainError, NotEligible, WindowClosed
from creditexchange import services
from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent
from creditexchange.services import registrations

from ..factories import (
    CourseOfferingFactory,
    CourseRegistrationFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    UserFactory,
    issued_student,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def term():
    term = TermFactory(year=2027, season="spring", credit_limit=9)
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=timezone.now() - timedelta(hours=1),
                      ends_at=timezone.now() + timedelta(days=3))
    return term


def _offering(term, code, *, credits=3, slots=((0, 9, 10),), **fields):
    offering = CourseOfferingFactory(term=term, code=code, credits=credits, **fields)
    for weekday, start, end in slots:
        TimeSlotFactory(offering=offering, weekday=weekday, starts_at=time(start), ends_at=time(end))
    return offering


def _holding(student, *offerings):
    for offering in offerings:
        CourseRegistrationFactory(student=student, offering=offering)
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=offering.seats_taken + 1)


def _refusal(call) -> DomainError | None:
    try:
        call()
    except DomainError as exc:
        return exc
    return None


def test_a_registration_writes_the_row_and_its_event_and_counts_the_seat(term):
    student, offering = issued_student(term), _offering(term, "CSE101", capacity=5)
    CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=2)

    registration = services.registration_submit(student=student, offering_id=offering.pk)

    stored = CourseRegistration.objects.get()
    assert registration.pk == stored.pk and registration.offering.seats_taken == 3
    assert (stored.student, stored.offering_id, stored.term_id, stored.status) == (student, offering.pk, term.pk, "registered")
    assert abs(stored.registered_at - timezone.now()) < timedelta(seconds=10)
    event = RegistrationEvent.objects.get()
    assert (event.registration, event.from_status, event.to_status, event.actor, event.reason) == (stored, "", "registered", student, "")
    assert CourseOffering.objects.get(pk=offering.pk).seats_taken == 3


def test_staff_register_outside_the_windows_with_their_reason_as_the_event(term):
    TermWindow.objects.filter(term=term).update(ends_at=timezone.now() - timedelta(minutes=1))
    student, offering, staff = issued_student(term), _offering(term, "CSE101"), UserFactory(is_staff=True)

    assert isinstance(_refusal(lambda: services.registration_submit(student=student, offering_id=offering.pk)), WindowClosed)
    services.registration_submit(student=student, offering_id=offering.pk, actor=staff, reason="  late approval ")

    event = RegistrationEvent.objects.get()
    assert (event.actor, event.reason) == (staff, "late approval")


@pytest.mark.parametrize("case", ["duplicate", "limit", "clash", "no ID"])
def test_each_refusal_says_why_in_the_rules_words_and_leaves_nothing_behind(term, case):
    student = issued_student(term) if case != "no ID" else UserFactory()
    held = _offering(term, "MAT201", credits=6 if case == "limit" else 3, slots=((1, 9, 10),))
    target = _offering(term, "CSE101", slots=((1, 9, 10),) if case == "clash" else ((2, 9, 10),), capacity=40)
    if case != "no ID":
        _holding(student, held)
    if case == "duplicate":
        _holding(student, target)
    if case == "limit":
        term.credit_limit = 8
        term.save()
    before = CourseOffering.objects.get(pk=target.pk).seats_taken

    refusal = _refusal(lambda: services.registration_submit(student=student, offering_id=target.pk))

    expected = {
        "duplicate": (f"You are already registered for {target}.", "duplicate"),
        "limit": (f"{target} would bring you to 9 credits; the limit for {term} is 8.", "limit"),
        "clash": (f"{target} overlaps {held} on Tue 09:00–10:00.", "clash"),
        "no ID": (f"You need a temporary student ID issued for {term} to register for its courses.", ""),
    }[case]
    assert isinstance(refusal, NotEligible), refusal
    assert (str(refusal.message), refusal.code) == expected
    assert CourseOffering.objects.get(pk=target.pk).seats_taken == before  # the seat taken in SQL was given back
    assert CourseRegistration.objects.filter(offering=target).count() == (1 if case == "duplicate" else 0)


def test_a_seat_kept_for_the_waitlist_is_refused_by_the_sql_even_when_the_row_read_said_free(term):
    student, offering = issued_student(term), _offering(term, "CSE101", capacity=5)
    stale = CourseOffering.objects.select_related("term").get(pk=offering.pk)  # read before a student joined the waitlist
    CourseOffering.objects.filter(pk=offering.pk).update(waiting=1)

    refusal = _refusal(lambda: services.registration_submit(student=student, offering_id=offering.pk, offering=stale))

    assert isinstance(refusal, CourseFull)
    assert str(refusal.message) == f"{offering} has a waitlist: a freed seat goes to the next student on it at the next release time."
    assert not CourseRegistration.objects.exists() and CourseOffering.objects.get(pk=offering.pk).seats_taken == 0


def test_a_seat_taken_since_the_row_was_read_is_refused_as_full(term):
    student, offering = issued_student(term), _offering(term, "CSE101", capacity=1)
    stale = CourseOffering.objects.select_related("term").get(pk=offering.pk)
    _holding(issued_student(term), offering)

    refusal = _refusal(lambda: services.registration_submit(student=student, offering_id=offering.pk, offering=stale))

    assert isinstance(refusal, CourseFull) and str(refusal.message) == f"{offering} is full."
    assert CourseOffering.objects.get(pk=offering.pk).seats_taken == 1


def test_a_window_closed_in_the_database_but_open_in_a_stale_cache_is_refused_by_the_sql(term, monkeypatch):
    student, offering = issued_student(term), _offering(term, "CSE101")
    open_windows = registrations.term_windows(term_id=term.pk)
    monkeypatch.setattr(registrations, "term_windows", lambda term_id: open_windows)  # the cache still says open
    TermWindow.objects.filter(term=term).update(ends_at=timezone.now() - timedelta(seconds=1))

    at = timezone.now()
    with transaction.atomic():
        registration_id, seats = registrations._registration_sql(
            student=student, offering=CourseOffering.objects.get(pk=offering.pk), actor=None, reason="", at=at,
            on_behalf=False, now=at,
        )
        transaction.set_rollback(True)
    assert registration_id is None and seats == 1  # the seat was taken, the insert refused: the caller rolls back


def _random_scene(term, rng: random.Random):
    """A student holding up to four courses of random credits and slots, and a target course."""
    student = issued_student(term)
    slots = lambda: tuple(  # noqa: E731
        (rng.randrange(3), start, start + rng.choice((1, 2))) for start in rng.sample(range(8, 18), rng.randrange(1, 3))
    )
    held = [_offering(term, f"H{rng.randrange(10**6)}", credits=rng.randrange(1, 4), slots=slots()) for _ in range(rng.randrange(5))]
    for offering in held:
        _holding(student, offering)
    if held and rng.random() < 0.15:
        return student, rng.choice(held)  # a duplicate
    return student, _offering(term, f"T{rng.randrange(10**6)}", credits=rng.randrange(1, 4), slots=slots())


@pytest.mark.parametrize("seed", range(40))
def test_the_sql_registers_exactly_when_the_python_rules_allow(term, seed):
    """The same random plans through both: the SQL's verdict and the rules' verdict agree, on this database."""
    rng = random.Random(seed)
    student, target = _random_scene(term, rng)
    CourseOffering.objects.filter(pk=target.pk).update(capacity=100)
    target = CourseOffering.objects.select_related("term").get(pk=target.pk)

    python_refusal = _refusal(lambda: registrations._check_plan(
        student=student, offering=target, rows=registrations._plan_rows(student=student, offering=target)))
    at = timezone.now()
    with transaction.atomic():
        registration_id, _seats = registrations._registration_sql(
            student=student, offering=target, actor=None, reason="", at=at, on_behalf=False, now=at)
        transaction.set_rollback(True)

    assert (registration_id is not None) == (python_refusal is None), (connection.vendor, python_refusal)
    refusal = _refusal(lambda: services.registration_submit(student=student, offering_id=target.pk))
    assert (refusal is None) == (python_refusal is None)
    if refusal is not None:
        assert (str(refusal.message), refusal.code) == (str(python_refusal.message), python_refusal.code)
