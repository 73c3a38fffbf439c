"""The multi-host test's data, written from the root namespace before the nodes start (Django set up by run.py).

The rush's seed (bench/rush.py: students with sessions, offerings whose slots never clash), plus what the other
checks need: an affiliation round with one eligible student (the certificate upload) and a second student (who must
not read it), a staff user (the staff job) and approved temporary-ID applications for that job to issue.
"""

from dataclasses import dataclass
from datetime import date, timedelta

PASSWORD = "multihost-password-not-secret"  # noqa: S105 - the test's own throwaway accounts
CERTIFICATE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n% multihost\n"


@dataclass
class Seeded:
    offering_ids: list[int]
    session_keys: list[str]
    user_ids: list[int]
    term_id: int
    partner_id: int
    owner: str  # the affiliation student's user name
    other: str  # another student's user name
    staff: str
    department_id: int
    approved_ids: list[int]


def _history(record, pattern: str, last_year: int = 2026) -> None:
    """Semesters ending with fall ``last_year``, oldest first (E enrolled), as tests/affiliation/conftest.py makes."""
    from affiliation.models import SemesterRecord
    from tests.factories import SemesterRecordFactory, TermFactory

    terms, year, season = [], last_year, "fall"
    for _ in pattern:
        terms.append((year, season))
        year, season = (year, "spring") if season == "fall" else (year - 1, "fall")
    for (year, season), code in zip(reversed(terms), pattern, strict=True):
        SemesterRecordFactory(record=record, term=TermFactory(year=year, season=season),
                              status=SemesterRecord.Status.ENROLLED if code == "E" else SemesterRecord.Status.ON_LEAVE)


def seed(*, students: int, approved: int) -> Seeded:
    from django.db import transaction
    from django.utils import timezone

    from academics.models import Institution
    from accounts.models import User
    from bench import rush
    from creditexchange.models import CourseOffering, TemporaryIdApplication
    from tests.factories import (
        AffiliationRoundFactory,
        DepartmentFactory,
        DepartmentQuotaFactory,
        StudentRecordFactory,
        UserFactory,
        affiliation_campus,
    )

    rush.STUDENTS = students
    offering_ids, session_keys, user_ids = rush.seed()
    partner = Institution.objects.get(code="bench-partner")
    term_id = CourseOffering.objects.values_list("term_id", flat=True).get(pk=offering_ids[0])
    now = timezone.now()
    with transaction.atomic():
        round_ = AffiliationRoundFactory()
        department = DepartmentFactory(campus=affiliation_campus(main=True), code="cse", name_ko="컴퓨터학과",
                                       name_en="Computer Science")
        DepartmentQuotaFactory(round=round_, department=department, general_transfer_number=2)
        owner = StudentRecordFactory(user=UserFactory(username="mh-owner", email="owner@sejong.example",
                                                      language="en", kind="home", password=PASSWORD))
        _history(owner, "EEEE")
        other = StudentRecordFactory(user=UserFactory(username="mh-other", email="other@sejong.example",
                                                      language="en", kind="home", password=PASSWORD))
        _history(other, "EEEE")
        staff = UserFactory(username="mh-staff", email="staff@portal.example", is_staff=True, is_superuser=True,
                            password=PASSWORD)
        applications = TemporaryIdApplication.objects.bulk_create([
            TemporaryIdApplication(
                term_id=term_id, partner=partner, home_student_number=f"2025{n:05d}", name_latin=f"NEWCOMER {n}",
                date_of_birth=date(2004, 1, 1), email=f"newcomer{n}@partner.example", phone="010-0000-0000",
                home_department="Physics", degree_level=TemporaryIdApplication.DegreeLevel.BACHELOR,
                consent_at=now, status=TemporaryIdApplication.Status.APPROVED, decided_at=now - timedelta(minutes=n),
            )
            for n in range(approved)
        ])
    assert User.objects.filter(username__in=["mh-owner", "mh-other", "mh-staff"]).count() == 3
    return Seeded(offering_ids=offering_ids, session_keys=session_keys, user_ids=user_ids, term_id=term_id,
                  partner_id=partner.pk, owner=owner.user.username, other=other.user.username, staff=staff.username,
                  department_id=department.pk, approved_ids=[a.pk for a in applications])
