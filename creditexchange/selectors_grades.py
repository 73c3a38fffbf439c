"""A student's courses of a term with their grades: the one reading that the student's grade page, the
transcript of records (PDF, XLSX/CSV, API) and the staff figures share (issue 15).

Credit (seed 000 §2 and §5): a course earns its credits when it has a grade that earns credit (not F, NP or W)
and the student's home university did not answer "not recommended" (the latest answered recommendation decides,
``selectors_lists.credit_withheld``). A course without a grade yet earns nothing *yet* (``graded`` is False).
The grade-point average counts the letter grades only (P, NP and W have no points), weighted by credits.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from academics.models import Term
from accounts.models import User

from .models import CourseRegistration, Grade, Recommendation, TemporaryIdApplication


@dataclass(frozen=True)
class TranscriptLine:
    code: str
    section: str
    title_ko: str
    title_en: str
    credits: int
    grade: str  # "" when no grade yet
    points: Decimal | None
    no_credit: bool  # the partner did not recommend the student: no credit whatever the grade
    earns_credit: bool  # graded, a grade that earns credit, and not withheld

    @property
    def graded(self) -> bool:
        return bool(self.grade)

    def title(self, language: str) -> str:
        return self.title_ko if language == "ko" and self.title_ko else (self.title_en or self.title_ko)


@dataclass(frozen=True)
class TranscriptSummary:
    lines: list[TranscriptLine]
    credits_attempted: int
    credits_earned: int
    gpa: Decimal | None  # two decimals, half up; None without a letter grade
    withheld: bool
    withheld_by: Recommendation | None = None  # the not-recommended answer (with its partner) when withheld


def transcript_lines(*, student: User, term: Term) -> TranscriptSummary:
    """The student's registered courses of ``term`` (not the dropped ones) in code order, with grade and credit."""
    return transcripts_by_term(student=student, terms=[term])[term.pk]


def _withheld_by_term(*, student: User, term_ids: list[int]) -> dict[int, Recommendation]:
    """Per term, the not-recommended answer that takes the credit away (``selectors_lists.credit_withheld``'s rule,
    the latest answered recommendation of the student's issued application decides, for many terms in one query)."""
    if not student.is_authenticated or not term_ids:
        return {}
    latest: dict[int, Recommendation] = {}
    answers = (
        Recommendation.objects.filter(
            application__term_id__in=term_ids, application__temporary_id__user=student,
            application__status=TemporaryIdApplication.Status.ISSUED,
        )
        .answered().latest_first()
        .select_related("application__partner")
    )
    for answer in answers:
        latest.setdefault(answer.application.term_id, answer)
    return {term_id: answer for term_id, answer in latest.items() if answer.withholds_credit}


def transcripts_by_term(*, student: User, terms: list[Term]) -> dict[int, TranscriptSummary]:
    """``transcript_lines`` for several terms (by term id) in three queries whatever their number."""
    term_ids = [term.pk for term in terms]
    withheld = _withheld_by_term(student=student, term_ids=term_ids)
    registrations = (
        CourseRegistration.objects.filter(student=student, term_id__in=term_ids, status=CourseRegistration.Status.REGISTERED)
        .select_related("offering")
        .order_by("offering__code", "offering__section")
    )
    grades = {g.registration_id: g for g in Grade.objects.filter(student=student, term_id__in=term_ids)}
    lines: dict[int, list[TranscriptLine]] = {term_id: [] for term_id in term_ids}
    for registration in registrations:
        offering, grade = registration.offering, grades.get(registration.pk)
        no_credit = registration.term_id in withheld
        lines[registration.term_id].append(TranscriptLine(
            code=offering.code, section=offering.section, title_ko=offering.title_ko, title_en=offering.title_en,
            credits=offering.credits, grade=grade.value if grade else "", points=grade.points if grade else None,
            no_credit=no_credit, earns_credit=bool(grade and grade.earns_credit and not no_credit),
        ))
    return {term_id: _summary(lines[term_id], withheld.get(term_id)) for term_id in term_ids}


def _summary(lines: list[TranscriptLine], withheld_by: Recommendation | None) -> TranscriptSummary:
    weighted = [(line.points, line.credits) for line in lines if line.points is not None]
    total = sum(credits for _points, credits in weighted)
    gpa = (sum(points * credits for points, credits in weighted) / total).quantize(Decimal("0.01"), ROUND_HALF_UP) if total else None
    return TranscriptSummary(
        lines=lines, credits_attempted=sum(line.credits for line in lines),
        credits_earned=sum(line.credits for line in lines if line.earns_credit), gpa=gpa,
        withheld=withheld_by is not None, withheld_by=withheld_by,
    )
