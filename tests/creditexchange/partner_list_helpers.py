"""Shared set-up for the partner-list tests: a term, two partners with coordinators, students and courses."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from academics.models import Institution, Term, TermWindow
from accounts.models import User
from creditexchange.models import PartnerList, TemporaryIdApplication

from ..factories import (
    ApplicationFactory,
    CourseOfferingFactory,
    CourseRegistrationFactory,
    TermFactory,
    TermWindowFactory,
    issued_student,
    partner_with_contacts,
)


@dataclass
class Scene:
    term: Term
    hanbit: Institution  # verifies after application, mail in Korean, two coordinators
    garam: Institution  # verifies after registration, mail in English
    han1: User
    han2: User
    garam1: User
    garam_idle: User  # issued ID, no course
    applicant: TemporaryIdApplication  # hanbit, confirmed, no ID yet

    def application(self, user: User) -> TemporaryIdApplication:
        return TemporaryIdApplication.objects.get(term=self.term, temporary_id__user=user)


def build_scene() -> Scene:
    now = timezone.now()
    term = TermFactory(year=2027, season=Term.Season.SPRING)
    for kind, start, end in [
        (TermWindow.Kind.APPLICATION, now - timedelta(days=60), now - timedelta(days=13)),
        (TermWindow.Kind.REGISTRATION, now - timedelta(days=12), now - timedelta(days=2)),
        (TermWindow.Kind.CHANGE, now - timedelta(days=1), now + timedelta(days=5)),
    ]:
        TermWindowFactory(term=term, kind=kind, starts_at=start, ends_at=end)
    hanbit = partner_with_contacts(
        "hanbit", "exchange@hanbit.example", "kim@hanbit.example", name_ko="한빛대학교", name_en="Hanbit University",
        verification_basis=Institution.VerificationBasis.APPLICATION, mail_language="ko",
    )
    garam = partner_with_contacts(
        "garam", "intl@garam.example", name_ko="가람대학교", name_en="Garam University",
        verification_basis=Institution.VerificationBasis.REGISTRATION, mail_language="en",
    )
    data = CourseOfferingFactory(term=term, code="CSE1000", title_ko="자료구조", title_en="Data Structures", credits=3)
    algebra = CourseOfferingFactory(term=term, code="MATH200", title_ko="선형대수", title_en="Linear Algebra", credits=2)
    han1 = issued_student(term, hanbit, home_student_number="H001")
    han2 = issued_student(term, hanbit, home_student_number="H002")
    garam1 = issued_student(term, garam, home_student_number="G001")
    garam_idle = issued_student(term, garam, home_student_number="G002")
    for student, offerings in [(han1, [data, algebra]), (han2, [data]), (garam1, [algebra])]:
        for offering in offerings:
            CourseRegistrationFactory(student=student, offering=offering)
    applicant = ApplicationFactory(
        term=term, partner=hanbit, home_student_number="H003", status=TemporaryIdApplication.Status.CONFIRMED,
        name_latin="=HYPERLINK(\"http://evil.example\")",
    )
    ApplicationFactory(term=term, partner=hanbit, home_student_number="H004", status=TemporaryIdApplication.Status.SUBMITTED)
    ApplicationFactory(
        term=term, partner=hanbit, home_student_number="H005", status=TemporaryIdApplication.Status.REJECTED,
        rejection_reason="duplicate",
    )
    return Scene(term, hanbit, garam, han1, han2, garam1, garam_idle, applicant)


def send(scene: Scene, partner: Institution, kind: str, **kwargs) -> PartnerList:
    from creditexchange.services import partner_list_send

    return partner_list_send(partner_id=partner.pk, term_id=scene.term.pk, kind=kind, **kwargs)
