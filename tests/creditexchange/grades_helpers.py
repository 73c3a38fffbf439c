"""Shared set-up of the grade tests (issue 15): a term whose change window has closed, exchange students registered."""

from datetime import timedelta

from django.utils import timezone

from academics.models import TermWindow
from creditexchange.models import CourseRegistration

from ..factories import CourseOfferingFactory, CourseRegistrationFactory, TermFactory, TermWindowFactory, issued_student


def graded_term(*, year=2026, season="fall", closed=True):
    term = TermFactory(year=year, season=season)
    now = timezone.now()
    TermWindowFactory(
        term=term, kind=TermWindow.Kind.CHANGE, starts_at=now - timedelta(days=40),
        ends_at=now - timedelta(days=1) if closed else now + timedelta(days=1),
    )
    return term


def registered(term, *, student=None, offering=None, code=None, status=CourseRegistration.Status.REGISTERED, **student_fields):
    student = student or issued_student(term, **student_fields)
    offering = offering or CourseOfferingFactory(term=term, **({"code": code} if code else {}))
    return CourseRegistrationFactory(student=student, offering=offering, status=status)
