"""Issue 12, finding 4 under concurrency (PostgreSQL): a staff change of an offering's slots and a student's
registration at the same moment never leave an unnoticed clash. Each test pauses one transaction at the worst
moment (after it wrote, before it commits) and runs the other against it."""

import threading
import time as clock
from datetime import time, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from academics.models import TermWindow
from core.errors import NotEligible
from creditexchange import services
from creditexchange.models import CourseOffering, CourseRegistration, TimeSlot
from creditexchange.services import offering_change, registrations

from ..factories import (
    CourseOfferingFactory,
    CourseRegistrationFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    issued_student,
)

MON, TUE = TimeSlot.Weekday.MON, TimeSlot.Weekday.TUE


@pytest.fixture
def scene(transactional_db):
    """A (Mon 09:00) and B (Tue 09:00); the student holds B and registration is open."""
    term = TermFactory(year=2027, season="spring", credit_limit=12)
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=timezone.now() - timedelta(hours=1),
                      ends_at=timezone.now() + timedelta(days=3))
    a = CourseOfferingFactory(term=term, code="CSE101")
    b = CourseOfferingFactory(term=term, code="MAT201")
    TimeSlotFactory(offering=a, weekday=MON, starts_at=time(9), ends_at=time(10, 30))
    TimeSlotFactory(offering=b, weekday=TUE, starts_at=time(9), ends_at=time(10, 30))
    student = issued_student(term)
    CourseRegistrationFactory(student=student, offering=b)
    CourseOffering.objects.filter(pk=b.pk).update(seats_taken=1)
    return {"a": a, "b": b, "student": student}


def _in_thread(target, outcome: dict, key: str):
    def run():
        try:
            outcome[key] = target()
        except Exception as exc:  # asserted by the test
            outcome[key] = exc
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_registration_during_a_slot_change_sees_the_new_slot(scene):
    """The change of A (to Tue, clashing with B) has written and not committed; the student registers for A."""
    written, outcome = threading.Event(), {}
    notify = offering_change.offering_change_notify

    def slow_notify(**kwargs):
        result = notify(**kwargs)
        written.set()
        clock.sleep(1.5)  # the registration reaches the offering's row lock meanwhile
        return result

    with mock.patch.object(offering_change, "offering_change_notify", slow_notify):
        changer = _in_thread(
            lambda: services.offering_save(offering=CourseOffering.objects.get(pk=scene["a"].pk),
                                           slots=[(TUE, time(9, 30), time(11))]), outcome, "change")
        assert written.wait(10)
        student = _in_thread(
            lambda: services.registration_submit(student=scene["student"], offering_id=scene["a"].pk), outcome, "register")
        changer.join(20)
        student.join(20)

    assert isinstance(outcome["change"], CourseOffering), outcome["change"]
    assert isinstance(outcome["register"], NotEligible) and "MAT201-01" in str(outcome["register"])
    assert not CourseRegistration.objects.filter(offering=scene["a"]).exists()
    assert CourseOffering.objects.get(pk=scene["a"].pk).seats_taken == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slot_change_during_a_registration_sees_the_new_registration(scene):
    """The student's registration for A has passed its checks and not committed; staff move B onto Monday 09:00."""
    checked, outcome = threading.Event(), {}
    check = registrations._registration_sql  # issue 14: the seat and the rules, before the commit

    def slow_check(**kwargs):
        result = check(**kwargs)
        checked.set()
        clock.sleep(1.5)  # the change reads the registered students meanwhile
        return result

    with mock.patch.object(registrations, "_registration_sql", slow_check):
        student = _in_thread(
            lambda: services.registration_submit(student=scene["student"], offering_id=scene["a"].pk), outcome, "register")
        assert checked.wait(10)
        changer = _in_thread(
            lambda: services.offering_save(offering=CourseOffering.objects.get(pk=scene["b"].pk),
                                           slots=[(MON, time(10), time(11))]), outcome, "change")
        student.join(20)
        changer.join(20)

    assert isinstance(outcome["register"], CourseRegistration), outcome["register"]
    # The change waited for the registration, saw the clash and asks for confirmation: nothing saved.
    assert isinstance(outcome["change"], services.OfferingChangeUnconfirmed), outcome["change"]
    assert outcome["change"].preview.affected[0].clashes[0]["other_label"] == "CSE101-01"
    assert list(TimeSlot.objects.filter(offering=scene["b"]).values_list("weekday", flat=True)) == [TUE]
