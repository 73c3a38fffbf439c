"""Issue 12, review R3 (PostgreSQL): undoing an offerings import puts old slots back under registered students with
the same locks as any other offering change, so a registration in flight is seen before the old slots return."""

import threading
import time as clock
from unittest import mock

import pytest

from core.errors import DomainError
from core.models import BulkAction
from creditexchange import services
from creditexchange.models import CourseRegistration, TimeSlot
from creditexchange.services import registrations

from .test_offering_change_races import _in_thread, scene  # noqa: F401 - the fixture

MON, TUE = TimeSlot.Weekday.MON, TimeSlot.Weekday.TUE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_import_undo_during_a_registration_sees_the_new_registration(scene, registrar):  # noqa: F811
    """The import had moved B from Monday to Tuesday 09:00; the student holds B and is registering for A (Monday
    09:00, fine with B on Tuesday). Undoing the import meanwhile would put B back on Monday, onto A."""
    b = scene["b"]
    action = BulkAction.objects.create(
        kind="creditexchange.offerings_import", actor=registrar, scope=f"term:{b.term_id}",
        changes=[{"object": "creditexchange.courseoffering", "id": b.pk, "label": "MAT201-01",
                  "before": {"time_slots": "Mon 09:00-10:30"}, "after": {"time_slots": "Tue 09:00-10:30"}}],
    )
    checked, outcome = threading.Event(), {}
    check = registrations._registration_sql  # issue 14: the seat and the rules, before the commit

    def slow_check(**kwargs):
        result = check(**kwargs)
        checked.set()
        clock.sleep(1.5)  # the undo reads the registered students meanwhile
        return result

    with mock.patch.object(registrations, "_registration_sql", slow_check):
        student = _in_thread(
            lambda: services.registration_submit(student=scene["student"], offering_id=scene["a"].pk), outcome, "register")
        assert checked.wait(10)
        undo = _in_thread(
            lambda: services.offerings_import_undo(action=action, actor=registrar, reason="wrong file"), outcome, "undo")
        student.join(20)
        undo.join(20)

    assert isinstance(outcome["register"], CourseRegistration), outcome["register"]
    assert isinstance(outcome["undo"], DomainError), outcome["undo"]  # the old slots would break the timetable
    assert list(TimeSlot.objects.filter(offering=b).values_list("weekday", flat=True)) == [TUE]
