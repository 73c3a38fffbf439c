"""Demo data for the change of affiliation (called by ``load_demo``; idempotent, only creates what is missing).

A fall round whose application window is open now, quotas for Seoul departments (medicine and
education carry numbers but their colleges are excluded; electrical engineering has quota 0), and
home students of the Sejong campus: eligible, borderline, and not eligible for one rule each.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from academics.models import Campus, Department, Term
from accounts.models import User
from core import dates

from . import services
from .models import (
    AffiliationApplication,
    AffiliationRound,
    DepartmentQuota,
    SemesterRecord,
    SimilarMajor,
    StudentRecord,
)

HOME_PASSWORD = "home-demo-2026"  # noqa: S105 - demo only, printed on start
COMMITTEE_PASSWORD = "committee-demo-2026"  # noqa: S105
PDF = b"%PDF-1.4\n% demo document\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _at(day: date, hour: int = 0) -> datetime:
    return dates.moment(day, time(hour))


def _history(year: int, pattern: str) -> list[tuple[int, str, str]]:
    """``pattern`` lists semesters ending with fall ``year``: E = enrolled, L = leave (oldest first)."""
    terms = []
    y, season = year, Term.Season.FALL
    for _ in pattern:
        terms.append((y, season))
        y, season = (y, Term.Season.SPRING) if season == Term.Season.FALL else (y - 1, Term.Season.FALL)
    terms.reverse()
    return [(y, s, SemesterRecord.Status.ENROLLED if c == "E" else SemesterRecord.Status.ON_LEAVE)
            for (y, s), c in zip(terms, pattern, strict=True)]


def _round(today: date) -> AffiliationRound:
    term, _ = Term.objects.get_or_create(year=today.year, season=Term.Season.FALL)
    round, _ = AffiliationRound.objects.get_or_create(
        term=term,
        defaults={
            "opens_at": _at(today - timedelta(days=7), 9), "closes_at": _at(today + timedelta(days=21), 18),
            "stage1_publish_at": _at(today + timedelta(days=28), 10), "interview_on": today + timedelta(days=35),
            "final_publish_at": _at(today + timedelta(days=42), 10),
            "conditions_check_at": _at(today + timedelta(days=120), 6),
            "winter_session_ends_on": today + timedelta(days=119),
        },
    )
    departments = {d.code: d for d in Department.objects.all()}
    for code, number, override in [
        ("cse", 3, None), ("math", 2, None), ("biz", 4, 3), ("ee", 0, None), ("med", 2, None), ("edu-math", 1, None),
    ]:
        if code in departments:
            DepartmentQuota.objects.get_or_create(
                round=round, department=departments[code],
                defaults={"general_transfer_number": number, "override": override},
            )
    for source, target in [("sj-cse", "cse"), ("sj-math", "math"), ("sj-biz", "biz")]:
        if source in departments and target in departments:
            SimilarMajor.objects.get_or_create(from_department=departments[source], to_department=departments[target])
    return round


STUDENTS = [
    # number, name, campus, department, earned, in progress, gpa, semesters, applied before, what it shows
    ("S2024101", "김서연", "sejong", "sj-cse", 60, 18, "4.21", "EEEE", False, "eligible (4th semester)"),
    ("S2024102", "이도윤", "sejong", "sj-biz", 52, 15, "3.75", "EEELEE", False,
     "borderline: 67 credits, GPA 3.75, 5th semester after a leave"),
    ("S2024103", "박지호", "seoul", "cse", 70, 18, "4.00", "EEEE", False, "not eligible: main campus (rule 1)"),
    ("S2024104", "최하은", "sejong", "sj-math", 55, 18, "4.10", "EEE", False, "not eligible: 3 semesters (rule 2)"),
    ("S2024105", "정민재", "sejong", "sj-cse", 48, 18, "4.05", "EEEE", False, "not eligible: 66 credits (rule 3)"),
    ("S2024106", "강수아", "sejong", "sj-biz", 60, 18, "3.74", "EEEE", False, "not eligible: GPA 3.74 (rule 4)"),
    ("S2024107", "윤지안", "sejong", "sj-math", 60, 18, "3.90", "EEEE", False,
     "not eligible: draft with TOEFL 95 (rule 5)"),
    ("S2024108", "임채원", "sejong", "sj-cse", 61, 18, "3.95", "EEEE", True, "not eligible: applied before (rule 6)"),
    ("S2024109", "한시우", "sejong", "sj-biz", 90, 18, "4.00", "EEEEEE", False, "not eligible: 6th semester (rule 7)"),
    ("S2024110", "오유진", "sejong", "sj-cse", 64, 18, "4.30", "EEEE", False, "submitted (TOEIC 905)"),
    ("S2024111", "서준호", "sejong", "sj-cse", 63, 18, "3.98", "EEEE", False, "submitted (TEPS 830)"),
]


def load_affiliation_demo() -> list[tuple[str, str]]:
    """Create the demo round and home students; returns (login, description) pairs for the start-up banner."""
    today = dates.today()
    round = _round(today)
    campuses = {c.code: c for c in Campus.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    committee, created = User.objects.get_or_create(
        username="committee", defaults={"is_staff": True, "display_name": "전과심사위원회", "email": "committee@portal.invalid"}
    )
    if created:
        committee.set_password(COMMITTEE_PASSWORD)
        committee.save()
    committee.groups.add(Group.objects.get_or_create(name="affiliation_committee")[0])
    logins = [("committee", f"affiliation committee, admin only, password {COMMITTEE_PASSWORD}")]
    for number, name, campus, department, earned, progress, gpa, pattern, applied, label in STUDENTS:
        logins.append((number, label))
        if StudentRecord.objects.filter(student_number=number).exists():
            continue
        user = User.objects.filter(username=number).first() or User(username=number, kind=User.Kind.HOME)
        user.email, user.display_name = f"{number.lower()}@sejong.ust.invalid", name
        user.set_password(HOME_PASSWORD)
        user.save()
        record = StudentRecord.objects.create(
            user=user, student_number=number, name=name, campus=campuses[campus], department=departments[department],
            earned_credits=earned, in_progress_credits=progress, gpa=Decimal(gpa), liberal_arts_met=True,
            teacher_training=StudentRecord.TeacherTraining.ENROLLED if number == "S2024101" else "none",
            applied_before=applied,
        )
        for year, season, status in _history(round.term.year, pattern):
            SemesterRecord.objects.create(
                record=record, term=Term.objects.get_or_create(year=year, season=season)[0], status=status
            )
        if number == "S2024107":
            AffiliationApplication.objects.create(
                round=round, record=record, target_department=departments["math"], english_test="toefl",
                english_score=95, english_test_date=today - timedelta(days=100),
            )
        elif number in ("S2024110", "S2024111") and round.window_open():
            test, score = ("toeic", 905) if number == "S2024110" else ("teps", 830)
            application = services.application_save(
                record=record, round=round,
                values={"target_department": departments["cse"], "english_test": test, "english_score": score,
                        "english_test_date": today - timedelta(days=200)},
                files={"english_certificate": ContentFile(PDF, name="certificate.pdf"),
                       "study_plan": ContentFile(PDF, name="plan.pdf")},
            )
            services.application_submit(application_id=application.pk)
    return logins
