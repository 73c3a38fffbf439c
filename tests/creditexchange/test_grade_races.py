"""Grades under concurrency (issue 15): staff saving one grade at once, making the term final while a save runs.

PostgreSQL only: SQLite serialises writers. Every save and the lock take the term's ``TermGrades`` row first.
"""

import time

import pytest

from creditexchange.models import Grade, GradeEvent, TermGrades, TermGradesEvent
from creditexchange.services import grades as grade_services
from creditexchange.services.grades import GradesFinal, grade_set, grades_finalize

from ..concurrency import run_at_once
from ..factories import UserFactory
from .grades_helpers import graded_term, registered

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def registration(transactional_db):
    return registered(graded_term(), code="CSE100")


def test_staff_saving_one_grade_at_once_write_one_event_each_in_order_and_lose_nothing(registration):
    staff = [UserFactory(is_staff=True) for _ in range(6)]
    values = ["A+", "A0", "B+", "B0", "C+", "C0"]
    outcomes = run_at_once(
        [lambda who=who, value=value: grade_set(actor=who, registration_id=registration.pk, value=value)
         for who, value in zip(staff, values, strict=True)],
        workers=6,
    )
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    events = list(GradeEvent.objects.order_by("pk").values_list("from_status", "to_status"))
    assert len(events) == 6 and events[0][0] == ""
    assert all(events[i][0] == events[i - 1][1] for i in range(1, 6)), events  # a chain: no save read a stale value
    assert Grade.objects.get().value == events[-1][1]
    assert sorted(to for _from, to in events) == sorted(values)


@pytest.mark.parametrize("save_first", [True, False])
def test_making_the_term_final_while_a_save_runs_never_leaves_a_change_after_final(registration, monkeypatch, save_first):
    registrar = UserFactory(is_staff=True)
    grade_set(actor=registrar, registration_id=registration.pk, value="B0")
    slow_write = grade_services._write

    def write_slowly(**kwargs):
        time.sleep(0.5)  # inside the save's transaction, holding the lock
        return slow_write(**kwargs)

    monkeypatch.setattr(grade_services, "_write", write_slowly)

    def save():
        if not save_first:
            time.sleep(0.2)
        return grade_set(actor=registrar, registration_id=registration.pk, value="A0")

    def finalize():
        if save_first:
            time.sleep(0.2)
        return grades_finalize(term=registration.term, actor=registrar)

    outcomes = run_at_once([save, finalize], workers=2)

    lock = TermGrades.objects.get(term=registration.term)
    assert lock.is_final
    errors = [o for o in outcomes if isinstance(o, Exception)]
    last_change = GradeEvent.objects.order_by("pk").last()
    if save_first:
        assert errors == [] and Grade.objects.get().value == "A0"
        assert last_change.created_at <= lock.finalized_at
    else:
        assert len(errors) == 1 and isinstance(errors[0], GradesFinal)
        assert Grade.objects.get().value == "B0" and GradeEvent.objects.count() == 1
    assert TermGradesEvent.objects.filter(to_status="final").count() == 1


def test_an_import_and_making_the_term_final_at_once_never_change_a_final_grade(registration, monkeypatch):
    from creditexchange.services.grades import grades_import

    registrar = UserFactory(is_staff=True)
    grade_set(actor=registrar, registration_id=registration.pk, value="B0")
    content = f"term,code,section,student_id,grade\n2026-fall,CSE100,01,{registration.student.username},A0\n".encode()
    slow_write = grade_services._write

    def write_slowly(**kwargs):
        time.sleep(0.5)
        return slow_write(**kwargs)

    monkeypatch.setattr(grade_services, "_write", write_slowly)

    def finalize():
        time.sleep(0.2)  # the import holds the lock by then
        return grades_finalize(term=registration.term, actor=registrar)

    outcomes = run_at_once(
        [lambda: grades_import(content=content, filename="g.csv", actor=registrar, dry_run=False), finalize], workers=2
    )
    assert [o for o in outcomes if isinstance(o, Exception)] == []
    lock = TermGrades.objects.get(term=registration.term)
    assert lock.is_final and Grade.objects.get().value == "A0"
    assert GradeEvent.objects.order_by("pk").last().created_at <= lock.finalized_at
