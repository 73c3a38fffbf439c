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
