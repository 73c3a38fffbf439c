from datetime import date, timedelta

import factory
from django.utils import timezone

from academics.models import Campus, College, Department, Institution, InstitutionContact, Term, TermWindow
from accounts.models import TemporaryStudentId, User
from affiliation.jobs import JobKind as AffiliationJobKind
from creditexchange.models import TemporaryIdApplication


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    code = factory.Sequence(lambda n: f"partner{n}")
    kind = Institution.Kind.PARTNER
    name_ko = factory.Sequence(lambda n: f"파트너대학교{n}")
    name_en = factory.Sequence(lambda n: f"Partner University {n}")
    agreement_active = True


class InstitutionContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstitutionContact

    institution = factory.SubFactory(InstitutionFactory)
    email = factory.Sequence(lambda n: f"coordinator{n}@partner.example")


class CampusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campus

    institution = factory.SubFactory(InstitutionFactory, kind=Institution.Kind.HOST, code="host")
    code = factory.Sequence(lambda n: f"campus{n}")
    name_ko = "서울캠퍼스"
    name_en = "Seoul Campus"


class CollegeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = College

    code = factory.Sequence(lambda n: f"college{n}")
    name_ko = "공과대학"
    name_en = "College of Engineering"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    code = factory.Sequence(lambda n: f"dept{n}")
    name_ko = "컴퓨터학과"
    name_en = "Computer Science"
    college = factory.SubFactory(CollegeFactory)
    campus = factory.SubFactory(CampusFactory)


class TermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Term
        django_get_or_create = ("year", "season")

    year = 2027
    season = Term.Season.SPRING


class TermWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermWindow

    term = factory.SubFactory(TermFactory)
    kind = TermWindow.Kind.APPLICATION
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TemporaryStudentIdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemporaryStudentId

    student_id = factory.Sequence(lambda n: f"T2026{n + 90000:05d}")
    partner = factory.SubFactory(InstitutionFactory)
    home_student_number = factory.Sequence(lambda n: f"2023{n:04d}")
    user = factory.SubFactory(UserFactory, username=factory.SelfAttribute("..student_id"), kind="exchange")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TemporaryIdApplication

    term = factory.SubFactory(TermFactory)
    partner = factory.SubFactory(InstitutionFactory)
    home_student_number = factory.Sequence(lambda n: f"2024{n:04d}")
    name_ko = "홍길동"
    name_latin = "HONG GILDONG"
    date_of_birth = date(2003, 3, 1)
    email = factory.Sequence(lambda n: f"applicant{n}@partner.example")
    phone = "010-1234-5678"
    home_department = "컴퓨터공학과"
    degree_level = TemporaryIdApplication.DegreeLevel.BACHELOR
    consent_at = factory.LazyFunction(timezone.now)
    status = TemporaryIdApplication.Status.SUBMITTED


# --- Course offerings and registrations -------------------------------------------------------------------------

from datetime import time  # noqa: E402

from creditexchange.models import CourseOffering, CourseRegistration, TimeSlot  # noqa: E402


def host_campus(code: str = "main") -> Campus:
    """The host university's campus ``code``, created on first use (the host institution is unique)."""
    host = Institution.objects.filter(kind=Institution.Kind.HOST).first() or InstitutionFactory(
        kind=Institution.Kind.HOST, code="host", name_ko="호스트대학교", name_en="Host University"
    )
    return Campus.objects.filter(code=code).first() or CampusFactory(institution=host, code=code)


class CourseOfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseOffering

    term = factory.SubFactory(TermFactory)
    code = factory.Sequence(lambda n: f"CSE{n + 1000}")
    section = "01"
    title_ko = factory.Sequence(lambda n: f"교과목{n}")
    title_en = factory.Sequence(lambda n: f"Course {n}")
    credits = 3
    capacity = 30
    campus = factory.LazyFunction(host_campus)
    open_to_exchange = True
    published_at = factory.LazyFunction(timezone.now)


class TimeSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeSlot

    offering = factory.SubFactory(CourseOfferingFactory)
    weekday = TimeSlot.Weekday.MON
    starts_at = time(9, 0)
    ends_at = time(10, 30)


class CourseRegistrationFactory(factory.django.DjangoModelFactory):
    """A registration row written directly (no service checks, seats_taken untouched)."""

    class Meta:
        model = CourseRegistration

    student = factory.SubFactory(UserFactory)
    offering = factory.SubFactory(CourseOfferingFactory)
    term = factory.SelfAttribute("offering.term")
    status = CourseRegistration.Status.REGISTERED


def issued_student(term: Term, partner: Institution | None = None, **identity_fields) -> User:
    """A student account holding a temporary ID with an issued application for ``term``."""
    if partner is not None:
        identity_fields["partner"] = partner
    identity = TemporaryStudentIdFactory(**identity_fields)
    ApplicationFactory(
        term=term, partner=identity.partner, home_student_number=identity.home_student_number,
        status=TemporaryIdApplication.Status.ISSUED, temporary_id=identity,
    )
    return identity.user


# --- Lists to partner universities -------------------------------------------------------------------------------

from creditexchange.models import Recommendation  # noqa: E402


class RecommendationFactory(factory.django.DjangoModelFactory):
    """A staff-recorded answer outside any list (lines of sent lists come from the send service)."""

    class Meta:
        model = Recommendation

    application = factory.SubFactory(ApplicationFactory, status=TemporaryIdApplication.Status.ISSUED)
    partner_list = None
    decision = Recommendation.Decision.RECOMMENDED
    source = Recommendation.Source.STAFF
    source_note = "e-mail from the coordinator"
    decided_at = factory.LazyFunction(timezone.now)


def partner_with_contacts(code: str, *emails: str, **fields) -> Institution:
    """A partner university with active coordinator addresses (``emails``)."""
    partner = InstitutionFactory(code=code, **fields)
    for email in emails:
        InstitutionContactFactory(institution=partner, email=email)
    return partner


# --- Change of affiliation ---------------------------------------------------------------------------------------

from decimal import Decimal  # noqa: E402

from affiliation.models import (  # noqa: E402
    AffiliationApplication,
    AffiliationRound,
    DepartmentQuota,
    SemesterRecord,
    StudentRecord,
)


def affiliation_campus(*, main: bool) -> Campus:
    """The Seoul main campus or the Sejong branch campus, created on first use."""
    code = "seoul" if main else "sejong"
    campus = Campus.objects.filter(code=code).first()
    if campus is None:
        campus = host_campus(code)
        campus.is_main = main
        campus.name_ko, campus.name_en = ("서울캠퍼스", "Seoul Campus") if main else ("세종캠퍼스", "Sejong Campus")
        campus.save()
    return campus


class StudentRecordFactory(factory.django.DjangoModelFactory):
    """A branch-campus student who meets every record rule (campus, credits, GPA); semesters are added separately."""

    class Meta:
        model = StudentRecord

    user = factory.SubFactory(UserFactory, kind="home")
    student_number = factory.Sequence(lambda n: f"S{2024000 + n}")
    name = factory.Sequence(lambda n: f"학생{n}")
    campus = factory.LazyFunction(lambda: affiliation_campus(main=False))
    department = factory.LazyAttribute(lambda o: DepartmentFactory(campus=o.campus))
    earned_credits = 55
    in_progress_credits = 18
    gpa = Decimal("4.00")
    liberal_arts_met = True


class SemesterRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SemesterRecord

    record = factory.SubFactory(StudentRecordFactory)
    term = factory.SubFactory(TermFactory)
    status = SemesterRecord.Status.ENROLLED


class AffiliationRoundFactory(factory.django.DjangoModelFactory):
    """A round whose application window is open now (fall 2026 unless told)."""

    class Meta:
        model = AffiliationRound

    term = factory.SubFactory(TermFactory, year=2026, season=Term.Season.FALL)
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))
    stage1_publish_at = factory.LazyAttribute(lambda o: o.closes_at + timedelta(days=7))
    final_publish_at = factory.LazyAttribute(lambda o: o.stage1_publish_at + timedelta(days=14))
    conditions_check_at = factory.LazyAttribute(lambda o: o.final_publish_at + timedelta(days=60))


class DepartmentQuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentQuota

    round = factory.SubFactory(AffiliationRoundFactory)
    department = factory.LazyFunction(lambda: DepartmentFactory(campus=affiliation_campus(main=True)))
    general_transfer_number = 2


class AffiliationApplicationFactory(factory.django.DjangoModelFactory):
    """An application row written directly (no service checks)."""

    class Meta:
        model = AffiliationApplication

    round = factory.SubFactory(AffiliationRoundFactory)
    record = factory.SubFactory(StudentRecordFactory)
    english_test = "toeic"
    english_score = 850
    english_test_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    status = AffiliationApplication.Status.DRAFT


# --- Notices ------------------------------------------------------------------------------------------------------

from django.core.files.base import ContentFile  # noqa: E402

from notices.models import Notice, NoticeAttachment  # noqa: E402


class NoticeFactory(factory.django.DjangoModelFactory):
    """A published notice (an hour ago) unless told otherwise; published_at=None makes a draft."""

    class Meta:
        model = Notice

    category = Notice.Category.GENERAL
    title_ko = factory.Sequence(lambda n: f"공지사항 {n}")
    title_en = factory.Sequence(lambda n: f"Notice {n}")
    body_ko = "본문입니다."
    body_en = "This is the body."
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))


class NoticeAttachmentFactory(factory.django.DjangoModelFactory):
    """A stored PDF attachment (written to MEDIA_ROOT: point it at tmp_path in the test)."""

    class Meta:
        model = NoticeAttachment

    notice = factory.SubFactory(NoticeFactory)
    original_name = "안내문.pdf"
    content_type = "application/pdf"
    file = factory.LazyFunction(lambda: ContentFile(b"%PDF-1.4\n%%EOF\n", name="stored.pdf"))
    size = factory.LazyAttribute(lambda o: o.file.size)


# --- Staff desk: background jobs ----------------------------------------------------------------------------------

from core.models import StaffJob  # noqa: E402


class StaffJobFactory(factory.django.DjangoModelFactory):
    """A queued job row written directly (no permission check, no dispatch): pass kind, scope and params."""

    class Meta:
        model = StaffJob

    kind = AffiliationJobKind.SELECTION_STAGE1
    scope = factory.Sequence(lambda n: f"round:{n + 1000}")
    params = factory.LazyAttribute(lambda o: {"round_id": int(o.scope.split(":")[1])} if o.scope.startswith("round:") else {})
    status = StaffJob.Status.QUEUED
    language = "en"
    created_by = factory.SubFactory(UserFactory, is_staff=True)
