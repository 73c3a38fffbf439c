"""One row of the student-records file: its columns, semester history and field checks (no writes)."""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from academics.models import Season
from core.imports import FALSE, TRUE
from core.language import ENGLISH, KOREAN

from ..models import SemesterRecord, StudentRecord

RECORD_COLUMNS = [
    "student_number", "name", "email", "language", "campus", "department", "earned_credits", "in_progress_credits",
    "gpa", "liberal_arts_met", "teacher_training", "applied_before", "semesters",
]
SEASONS = {
    "1": Season.SPRING, "spring": Season.SPRING, "봄": Season.SPRING, "2": Season.FALL, "fall": Season.FALL, "가을": Season.FALL,
}
STATUSES = {
    "enrolled": SemesterRecord.Status.ENROLLED, "e": SemesterRecord.Status.ENROLLED, "재학": SemesterRecord.Status.ENROLLED,
    "leave": SemesterRecord.Status.ON_LEAVE, "l": SemesterRecord.Status.ON_LEAVE, "on_leave": SemesterRecord.Status.ON_LEAVE,
    "휴학": SemesterRecord.Status.ON_LEAVE,
}
SEMESTER_RE = re.compile(r"^(\d{4})\s*-\s*(\w+)\s*[: ]\s*(\w+)$")
NUMBER_RE = re.compile(r"^[A-Za-z0-9-]{4,20}$")


def _flag(row: dict, name: str) -> bool:
    value = row.get(name, "").lower()
    if value not in TRUE | FALSE:
        raise ValueError(_("%(column)s must be yes or no") % {"column": name})
    return value in TRUE


def _integer(row: dict, name: str) -> int:
    try:
        value = int(row.get(name) or 0)
    except ValueError:
        raise ValueError(_("%(column)s must be a whole number") % {"column": name}) from None
    if not 0 <= value <= 300:
        raise ValueError(_("%(column)s must be between 0 and 300") % {"column": name})
    return value


def parse_semesters(value: str) -> list[tuple[int, str, str]]:
    semesters, seen = [], set()
    for part in filter(None, (p.strip() for p in value.split(";"))):
        match = SEMESTER_RE.match(part)
        season = SEASONS.get(match.group(2).lower()) if match else None
        status = STATUSES.get(match.group(3).lower()) if match else None
        if not match or season is None or status is None:
            raise ValueError(_("semester “%(part)s” is not like “2023-1 enrolled” or “2023-2 leave”") % {"part": part})
        key = (int(match.group(1)), season)
        if key in seen:
            raise ValueError(_("semester “%(part)s” appears twice") % {"part": part})
        seen.add(key)
        semesters.append((*key, status))
    return semesters


def parse_row(row: dict, record: StudentRecord, campuses: dict, departments: dict) -> tuple[str, list | None]:
    """Check one row and set the record's fields from it (unsaved); returns (language, semesters)."""
    if row["email"]:
        try:
            validate_email(row["email"])
        except ValidationError:
            raise ValueError(_("e-mail address “%(value)s” is not valid") % {"value": row["email"]}) from None
    if row["campus"] not in campuses:
        raise ValueError(_("unknown campus code “%(code)s”") % {"code": row["campus"]})
    if row["department"] not in departments:
        raise ValueError(_("unknown department code “%(code)s”") % {"code": row["department"]})
    if departments[row["department"]].campus_id != campuses[row["campus"]].pk:
        raise ValueError(_("department %(code)s is not on that campus") % {"code": row["department"]})
    try:
        gpa = Decimal(row["gpa"] or "0")
    except InvalidOperation:
        raise ValueError(_("gpa must be a number such as 3.75")) from None
    if not Decimal(0) <= gpa <= Decimal("4.5") or gpa != gpa.quantize(Decimal("0.01")):
        raise ValueError(_("gpa must be between 0.00 and 4.50 with at most two decimals"))
    teacher_training = row.get("teacher_training") or StudentRecord.TeacherTraining.NONE
    if teacher_training not in StudentRecord.TeacherTraining.values:
        raise ValueError(
            _("teacher_training must be one of %(values)s") % {"values": ", ".join(StudentRecord.TeacherTraining.values)}
        )
    language = (row.get("language") or KOREAN).lower()
    if language not in {KOREAN, ENGLISH}:
        raise ValueError(_("language must be ko or en"))
    record.name = row["name"]
    record.campus, record.department = campuses[row["campus"]], departments[row["department"]]
    record.earned_credits = _integer(row, "earned_credits")
    record.in_progress_credits = _integer(row, "in_progress_credits")
    record.gpa = gpa
    record.liberal_arts_met = _flag(row, "liberal_arts_met")
    record.teacher_training = teacher_training
    record.applied_before = _flag(row, "applied_before")
    semesters = parse_semesters(row["semesters"]) if row["semesters"] else None
    record.full_clean(exclude=["user", "merit_scholarship_excluded_term", "previous_department"],
                      validate_unique=False, validate_constraints=False)
    return language, semesters
