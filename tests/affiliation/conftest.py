from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.roles import ensure_roles
from affiliation import services
from affiliation.models import SemesterRecord

from ..factories import (
    AffiliationRoundFactory,
    CollegeFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    SemesterRecordFactory,
    StudentRecordFactory,
    TermFactory,
    UserFactory,
    affiliation_campus,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def pdf(name: str = "file.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def history(record, pattern: str, *, last_year: int = 2026) -> None:
    """Semesters ending with fall ``last_year``, oldest first: E = enrolled, L = leave of absence."""
    terms, year, season = [], last_year, "fall"
    for _ in pattern:
        terms.append((year, season))
        year, season = (year, "spring") if season == "fall" else (year - 1, "fall")
    for (year, season), code in zip(reversed(terms), pattern, strict=True):
        SemesterRecordFactory(
            record=record, term=TermFactory(year=year, season=season),
            status=SemesterRecord.Status.ENROLLED if code == "E" else SemesterRecord.Status.ON_LEAVE,
        )


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def main_campus(db):
    return affiliation_campus(main=True)


@pytest.fixture
def fall_round(db):
    """Fall 2026, application window open now."""
    return AffiliationRoundFactory()


@pytest.fixture
def cse(fall_round, main_campus):
    department = DepartmentFactory(campus=main_campus, code="cse", name_ko="컴퓨터학과", name_en="Computer Science")
    DepartmentQuotaFactory(round=fall_round, department=department, general_transfer_number=2)
    return department


@pytest.fixture
def student(fall_round):
    """A branch-campus student in the 4th registered semester who meets every record rule."""
    record = StudentRecordFactory(user=UserFactory(email="student@sejong.example", language="ko", kind="home"))
    history(record, "EEEE")
    return record


@pytest.fixture
def committee(db):
    ensure_roles()
    user = UserFactory(username="committee", is_staff=True)
    user.groups.add(Group.objects.get(name="affiliation_committee"))
    return user


@pytest.fixture
def committee_client(client, committee):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions read English text
    client.force_login(committee)
    return client


@pytest.fixture
def student_client(client, student):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(student.user)
    return client


def draft(record, round, department, **values):
    """A complete draft through the service: TOEIC 850 taken a month ago, certificate and study plan uploaded."""
    data = {"target_department": department, "english_test": "toeic", "english_score": 850,
            "english_test_date": timezone.localdate() - timedelta(days=30), **values}
    return services.application_save(
        record=record, round=round, values=data,
        files={"english_certificate": pdf("toeic.pdf"), "study_plan": pdf("plan.pdf")},
    )


def excluded_department(round, main_campus):
    college = CollegeFactory(code="medicine", name_ko="의과대학", name_en="College of Medicine",
                             excluded_from_affiliation_change=True)
    department = DepartmentFactory(campus=main_campus, college=college, code="med", name_ko="의학과", name_en="Medicine")
    DepartmentQuotaFactory(round=round, department=department, general_transfer_number=3)
    return department
