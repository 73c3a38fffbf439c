"""Staff readings of grades (issue 15): how far a term's grading is, and one offering's grade sheet."""

from dataclasses import dataclass

from django.db.models import Count, Q

from academics.models import Term

from .models import CourseOffering, CourseRegistration, Grade, TermGrades


@dataclass(frozen=True)
class OfferingProgress:
    offering_id: int
    label: str
    title: str
    registered: int
    graded: int

    @property
    def missing(self) -> int:
        return self.registered - self.graded


def grades_progress(*, term: Term) -> list[OfferingProgress]:
    """Per offering of ``term`` with registered students, in code order: registered, graded, missing (one query;
    one join path offering → registration → grade, so the two counts do not multiply)."""
    registered = Q(registrations__status=CourseRegistration.Status.REGISTERED)
    rows = (
        CourseOffering.objects.filter(term=term)
        .annotate(registered_count=Count("registrations", filter=registered),
                  graded_count=Count("registrations__grade", filter=registered))
        .filter(registered_count__gt=0)
        .order_by("code", "section")
        .values_list("pk", "code", "section", "title_ko", "registered_count", "graded_count")
    )
    return [OfferingProgress(pk, f"{code}-{section}", title, reg, graded) for pk, code, section, title, reg, graded in rows]


@dataclass(frozen=True)
class SheetRow:
    registration: CourseRegistration
    grade: Grade | None

    @property
    def partner(self):
        identity = getattr(self.registration.student, "temporary_id", None)
        return identity.partner if identity is not None else None


def grade_sheet(*, offering: CourseOffering) -> list[SheetRow]:
    """Every registered student of ``offering`` (temporary ID order) with their grade and who entered it."""
    registrations = (
        CourseRegistration.objects.filter(offering=offering, status=CourseRegistration.Status.REGISTERED)
        .select_related("student__temporary_id__partner")
        .order_by("student__username")
    )
    grades = {g.registration_id: g for g in Grade.objects.filter(offering=offering).select_related("entered_by")}
    return [SheetRow(r, grades.get(r.pk)) for r in registrations]


def term_grades_final(*, term: Term) -> bool:
    return TermGrades.objects.filter(term=term, status=TermGrades.Status.FINAL).exists()
