"""Review h4 (issue 15), PostgreSQL: two sheets opened on the same empty grade save at once; one wins, the other is
told the grade changed since it opened the sheet (``grade_set(expected=)`` is checked under the lock)."""

import pytest

from creditexchange.models import Grade, GradeEvent
from creditexchange.services.grades import GradeChanged, grade_set

from ..concurrency import run_at_once
from ..factories import UserFactory
from .grades_helpers import graded_term, registered

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_stale_sheets_saving_one_grade_at_once_one_wins_the_other_is_refused(transactional_db):
    registration = registered(graded_term(), code="CSE100")
    staff = [UserFactory(is_staff=True) for _ in range(4)]
    values = ["A+", "B0", "C0", "P"]
    outcomes = run_at_once(
        [lambda who=who, value=value: grade_set(actor=who, registration_id=registration.pk, value=value, expected="")
         for who, value in zip(staff, values, strict=True)],
        workers=4,
    )
    refused = [o for o in outcomes if isinstance(o, GradeChanged)]
    saved = [o for o in outcomes if isinstance(o, Grade)]
    assert len(saved) == 1 and len(refused) == 3, outcomes
    assert GradeEvent.objects.count() == 1
    assert Grade.objects.get().value == saved[0].value


@pytest.mark.parametrize("attempt", range(3))
def test_a_staff_drop_while_a_grade_is_saved_ends_consistent_and_never_in_an_error(transactional_db, attempt):
    """grade_set locks the term's grades, then the registration; the drop locks the registration: whichever is first,
    the other sees its result (a grade saved before the drop stays; after the drop, the grade is refused)."""
    from core.errors import DomainError
    from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent
    from creditexchange.services import registration_drop

    registration = registered(graded_term(), code="CSE100")
    CourseOffering.objects.filter(pk=registration.offering_id).update(seats_taken=1)
    registrar = UserFactory(is_staff=True)
    outcomes = run_at_once([
        lambda: grade_set(actor=registrar, registration_id=registration.pk, value="A0"),
        lambda: registration_drop(student=registration.student, registration_id=registration.pk, actor=registrar,
                                  reason="late drop"),
    ], workers=2)
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, DomainError)]
    assert unexpected == []
    assert CourseRegistration.objects.get(pk=registration.pk).status == CourseRegistration.Status.DROPPED
    grade = Grade.objects.filter(registration=registration).first()
    if grade is not None:  # saved first: its event precedes the drop's
        dropped_at = RegistrationEvent.objects.get(registration=registration).created_at
        assert GradeEvent.objects.get(grade=grade).created_at <= dropped_at
    else:
        assert any(isinstance(o, DomainError) for o in outcomes)
