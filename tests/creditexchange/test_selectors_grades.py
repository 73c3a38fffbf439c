"""The one reading of a student's courses with grades (creditexchange/selectors_grades.py, issue 15)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from creditexchange.models import CourseRegistration, Grade, Recommendation, TemporaryIdApplication
from creditexchange.selectors_grades import transcript_lines

from ..factories import (
    CourseOfferingFactory,
    CourseRegistrationFactory,
    RecommendationFactory,
    TermFactory,
    issued_student,
)

pytestmark = pytest.mark.django_db


def _graded(student, term, code, credits, value=None, status=CourseRegistration.Status.REGISTERED):
    registration = CourseRegistrationFactory(
        student=student, offering=CourseOfferingFactory(term=term, code=code, credits=credits), status=status
    )
    if value:
        Grade.objects.create(
            registration=registration, student=student, offering=registration.offering, term=term, value=value,
            source=Grade.Source.STAFF, entered_at=timezone.now(),
        )
    return registration


@pytest.fixture
def term():
    return TermFactory()


@pytest.fixture
def student(term):
    return issued_student(term)


def test_lines_in_code_order_with_points_credits_earned_and_a_credit_weighted_average(student, term):
    _graded(student, term, "PHY100", 2, "B+")
    _graded(student, term, "CSE100", 3, "A+")
    _graded(student, term, "ART100", 1, "P")
    _graded(student, term, "MAT100", 3, "F")
    _graded(student, term, "BIO100", 3)  # no grade yet
    _graded(student, term, "ZZZ100", 3, status=CourseRegistration.Status.DROPPED)

    summary = transcript_lines(student=student, term=term)

    assert [line.code for line in summary.lines] == ["ART100", "BIO100", "CSE100", "MAT100", "PHY100"]
    assert [line.grade for line in summary.lines] == ["P", "", "A+", "F", "B+"]
    assert [line.earns_credit for line in summary.lines] == [True, False, True, False, True]
    assert summary.credits_attempted == 12 and summary.credits_earned == 6
    # (4.5 × 3 + 0.0 × 3 + 3.5 × 2) / 8 = 2.5625 → 2.56; P has no points
    assert summary.gpa == Decimal("2.56")
    assert summary.withheld is False


def test_not_recommended_takes_every_credit_away_but_keeps_the_grades(student, term):
    _graded(student, term, "CSE100", 3, "A0")
    application = TemporaryIdApplication.objects.get(temporary_id__user=student, term=term)
    RecommendationFactory(application=application, decision=Recommendation.Decision.NOT_RECOMMENDED)

    summary = transcript_lines(student=student, term=term)

    assert summary.withheld is True
    assert [(line.grade, line.no_credit, line.earns_credit) for line in summary.lines] == [("A0", True, False)]
    assert summary.credits_earned == 0 and summary.gpa == Decimal("4.00")


def test_without_letter_grades_there_is_no_average(student, term):
    _graded(student, term, "ART100", 1, "P")

    assert transcript_lines(student=student, term=term).gpa is None
