"""Grade entry and the term's grade lock (creditexchange/services/grades.py, issue 15)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from academics.models import TermWindow
from core.errors import WindowClosed
from creditexchange.models import CourseRegistration, Grade, GradeEvent, TermGrades, TermGradesEvent
from creditexchange.services.grades import (
    GradeRefused,
    GradesFinal,
    GradesMissing,
    grade_set,
    grades_finalize,
    grades_progress,
    grades_reopen,
    term_parse,
)

from ..factories import CourseOfferingFactory, CourseRegistrationFactory, UserFactory
from .grades_helpers import graded_term, registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def term():
    return graded_term()


@pytest.fixture
def registration(term):
    return registered(term, code="CSE100")


def test_it_sets_a_first_grade_with_an_event_from_nothing(registration, registrar):
    grade = grade_set(actor=registrar, registration_id=registration.pk, value="a+")

    assert grade.value == "A+" and grade.source == Grade.Source.STAFF and grade.entered_by == registrar
    assert (grade.student, grade.offering, grade.term) == (registration.student, registration.offering, registration.term)
    event = GradeEvent.objects.get(grade=grade)
    assert (event.from_status, event.to_status, event.actor, event.source) == ("", "A+", registrar, "staff")


def test_it_changes_a_grade_and_records_before_and_after_with_the_reason(registration, registrar):
    grade_set(actor=registrar, registration_id=registration.pk, value="B0")
    grade = grade_set(actor=registrar, registration_id=registration.pk, value="B+", reason="exam re-marked")

    assert grade.value == "B+"
    assert list(GradeEvent.objects.filter(grade=grade).values_list("from_status", "to_status", "reason")) == [
        ("", "B0", ""), ("B0", "B+", "exam re-marked"),
    ]


def test_the_same_value_again_changes_nothing_and_writes_no_event(registration, registrar):
    first = grade_set(actor=registrar, registration_id=registration.pk, value="P")
    again = grade_set(actor=UserFactory(), registration_id=registration.pk, value="P")

    assert again.entered_by == registrar and again.entered_at == first.entered_at
    assert GradeEvent.objects.count() == 1


@pytest.mark.parametrize("value", ["A", "E", "", "4.5", "A++"])
def test_it_refuses_a_value_that_is_no_grade(registration, registrar, value):
    with override("en"), pytest.raises(GradeRefused, match="is not a grade; use one of A\\+, A0"):
        grade_set(actor=registrar, registration_id=registration.pk, value=value)
    assert not Grade.objects.exists()


def test_it_refuses_a_dropped_registration(term, registrar):
    dropped = registered(term, status=CourseRegistration.Status.DROPPED)
    with override("en"), pytest.raises(GradeRefused, match="a dropped registration gets no grade"):
        grade_set(actor=registrar, registration_id=dropped.pk, value="A+")
    assert not Grade.objects.exists()


def test_it_refuses_a_student_who_is_not_an_exchange_student(term, registrar):
    home = CourseRegistrationFactory(student=UserFactory(kind="home"), offering=CourseOfferingFactory(term=term))
    with override("en"), pytest.raises(GradeRefused, match="not an exchange student"):
        grade_set(actor=registrar, registration_id=home.pk, value="A+")


def test_it_refuses_while_the_change_window_is_open_and_says_when_it_closes(registrar):
    term = graded_term(year=2027, season="spring", closed=False)
    registration = registered(term)
    with override("en"), pytest.raises(WindowClosed, match="once its course change window has closed \\(it runs"):
        grade_set(actor=registrar, registration_id=registration.pk, value="A+")


def test_it_refuses_a_term_without_a_change_window(registrar):
    from ..factories import TermFactory

    term = TermFactory(year=2025, season="fall")
    registration = registered(term)
    with override("en"), pytest.raises(WindowClosed, match="has not been scheduled"):
        grade_set(actor=registrar, registration_id=registration.pk, value="A+")


def test_the_window_boundary_is_half_open_closed_from_its_end_instant(term, registration, registrar):
    ends = TermWindow.objects.get(term=term, kind="change").ends_at
    with pytest.raises(WindowClosed):
        grade_set(actor=registrar, registration_id=registration.pk, value="A+", at=ends - timedelta(microseconds=1))
    assert grade_set(actor=registrar, registration_id=registration.pk, value="A+", at=ends).value == "A+"


def test_it_refuses_when_the_terms_grades_are_final(term, registration, registrar):
    grade_set(actor=registrar, registration_id=registration.pk, value="A0")
    grades_finalize(term=term, actor=registrar)
    with override("en"), pytest.raises(GradesFinal, match="are final; reopen the term"):
        grade_set(actor=registrar, registration_id=registration.pk, value="F")
    assert Grade.objects.get().value == "A0"


def test_finalize_refuses_while_grades_are_missing_and_names_the_offerings(term, registrar):
    a = registered(term, code="CSE100")
    registered(term, offering=a.offering)
    b = registered(term, code="MAT200")
    registered(term, code="ZZZ900", status=CourseRegistration.Status.DROPPED)  # a dropped one needs no grade
    grade_set(actor=registrar, registration_id=a.pk, value="A+")
    with override("en"), pytest.raises(GradesMissing) as caught:
        grades_finalize(term=term, actor=registrar)
    assert "2 registered students of 2026 Fall have no grade yet (CSE100-01: 1, MAT200-01: 1)" in str(caught.value.message)
    assert not TermGrades.objects.filter(status="final").exists()
    assert [(p.label, p.registered, p.graded, p.missing) for p in grades_progress(term=term)] == [
        ("CSE100-01", 2, 1, 1), ("MAT200-01", 1, 0, 1),
    ]
    assert b.offering.code == "MAT200"


def test_finalize_then_reopen_with_a_reason_each_with_an_event_and_both_idempotent(term, registration, registrar):
    grade_set(actor=registrar, registration_id=registration.pk, value="A0")
    lock = grades_finalize(term=term, actor=registrar)
    assert lock.is_final and lock.finalized_by == registrar and lock.finalized_at is not None
    grades_finalize(term=term, actor=registrar)  # again: nothing new
    with override("en"), pytest.raises(GradeRefused, match="reason for reopening"):
        grades_reopen(term=term, actor=registrar, reason="  ")
    lock = grades_reopen(term=term, actor=registrar, reason="a grade was mistyped")
    assert not lock.is_final and lock.finalized_at is None
    grades_reopen(term=term, actor=registrar, reason="again")
    assert list(TermGradesEvent.objects.values_list("from_status", "to_status", "reason")) == [
        ("open", "final", ""), ("final", "open", "a grade was mistyped"),
    ]
    assert grade_set(actor=registrar, registration_id=registration.pk, value="B0").value == "B0"


def test_a_term_without_registrations_can_be_made_final(registrar):
    term = graded_term(year=2025, season="spring")
    assert grades_finalize(term=term, actor=registrar).is_final


def test_the_korean_messages(registration, registrar):
    with override("ko"), pytest.raises(GradeRefused) as caught:
        grade_set(actor=registrar, registration_id=registration.pk, value="Z")
    assert "“Z”은(는) 성적이 아닙니다" in str(caught.value.message)


@pytest.mark.parametrize("text", ["2026-fall", "2026 Fall", "2026 가을", "2026-2학기", "2026_FALL", "2026 autumn"])
def test_term_parse_reads_the_ways_a_file_writes_a_term(term, text):
    assert term_parse(text) == term


@pytest.mark.parametrize("text", ["", "fall", "2026", "2026-mid", "2031-fall"])
def test_term_parse_returns_none_for_an_unknown_term(term, text):
    assert term_parse(text) is None


def test_the_grade_entered_at_defaults_to_the_server_clock(registration, registrar):
    before = timezone.now()
    assert grade_set(actor=registrar, registration_id=registration.pk, value="C+").entered_at >= before


def test_the_progress_is_one_query_whatever_the_number_of_offerings(term, registrar, django_assert_num_queries):
    for code in ("A100", "B100", "C100"):
        first = registered(term, code=code)
        registered(term, offering=first.offering)
        grade_set(actor=registrar, registration_id=first.pk, value="B0")
    with django_assert_num_queries(1):
        rows = grades_progress(term=term)
    assert [(r.registered, r.graded, r.missing) for r in rows] == [(2, 1, 1)] * 3
