"""A term with final grades and a partner's students, for the transcript tests."""

from django.utils import timezone

from academics.models import Institution
from creditexchange.models import Grade, Recommendation, TemporaryIdApplication, TermGrades

from ..factories import (
    CourseOfferingFactory,
    CourseRegistrationFactory,
    InstitutionFactory,
    RecommendationFactory,
    TermFactory,
    issued_student,
    partner_with_contacts,
)


def grade(student, offering, value):
    registration = CourseRegistrationFactory(student=student, offering=offering)
    if value:
        Grade.objects.create(
            registration=registration, student=student, offering=offering, term=offering.term, value=value,
            source=Grade.Source.STAFF, entered_at=timezone.now(),
        )
    return registration


def make_final(term):
    TermGrades.objects.update_or_create(
        term=term, defaults={"status": TermGrades.Status.FINAL, "finalized_at": timezone.now()}
    )


def build_scene(*, language="ko", final=True, code="hanbit", year=2027):
    """Two students with courses at one partner (one not recommended), one without courses; a second partner."""
    if not Institution.objects.filter(kind=Institution.Kind.HOST).exists():
        InstitutionFactory(code="ust", kind=Institution.Kind.HOST, name_ko="과학기술연합대학원대학교", name_en="University of Science and Technology")
    term = TermFactory(year=year)
    partner = partner_with_contacts(code, f"coord@{code}.example", f"office@{code}.example", mail_language=language,
                                    name_ko="한빛대학교", name_en="Hanbit University")
    other = partner_with_contacts(f"{code}-other", f"coord@{code}-other.example")
    cse = CourseOfferingFactory(term=term, code="CSE5001", section="01", credits=3, title_ko="기계학습", title_en="Machine Learning")
    phy = CourseOfferingFactory(term=term, code="PHY5002", section="02", credits=2, title_ko="양자역학", title_en="Quantum Mechanics")
    kim = issued_student(term, partner)
    TemporaryIdApplication.objects.filter(temporary_id__user=kim).update(name_ko="김하늘", name_latin="KIM HANEUL")
    grade(kim, cse, "A+")
    grade(kim, phy, "B0")
    lee = issued_student(term, partner)
    TemporaryIdApplication.objects.filter(temporary_id__user=lee).update(name_ko="이바다", name_latin="LEE BADA")
    grade(lee, cse, "C+")
    RecommendationFactory(
        application=TemporaryIdApplication.objects.get(temporary_id__user=lee), decision=Recommendation.Decision.NOT_RECOMMENDED
    )
    nobody = issued_student(term, partner)  # no courses: no transcript
    stranger = issued_student(term, other)
    grade(stranger, cse, "A0")
    if final:
        make_final(term)
    return {"term": term, "partner": partner, "other": other, "kim": kim, "lee": lee, "nobody": nobody,
            "stranger": stranger}
