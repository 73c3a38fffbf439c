"""Student academic records (SPEC §4.1): import from the student information system, all or nothing.

The file format follows the course-offering importer (creditexchange/services/offerings.py): CSV
(UTF-8 or CP949) or XLSX, a header row, errors listed by the row number Excel shows.
``semesters`` lists the regular semesters like ``2023-1 enrolled; 2023-2 leave`` (1 = spring,
2 = fall; ``spring``/``fall``, ``재학``/``휴학`` also accepted) and replaces the stored history.
Students sign in with the account named by their student number; a missing account is created
without a usable password (the university's sign-in sets it).

The import writes only *home-student* accounts named by the row's student number (issue 10, finding 1):
a number that is the user name of a staff, superuser or exchange account is a row error, as is a record
linked to any other account; an e-mail the student changed themselves is kept, and an account's
``is_active`` is never touched, so a deactivated student stays deactivated.
"""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from academics.models import Campus, Department, Term
from accounts.models import User
from ustportal.errors import DomainError
from ustportal.imports import FALSE, TRUE, ImportReport, read_rows

from ..models import SemesterRecord, StudentRecord

RECORD_COLUMNS = [
    "student_number", "name", "email", "language", "campus", "department", "earned_credits", "in_progress_credits",
    "gpa", "liberal_arts_met", "teacher_training", "applied_before", "semesters",
]
SEASONS = {"1": "spring", "spring": "spring", "봄": "spring", "2": "fall", "fall": "fall", "가을": "fall"}
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


class AccountRefused(DomainError):
    """The account a record would write is not a home-student account the import may touch."""


def record_account_resolve(*, student_number: str, record: StudentRecord | None = None, lock: bool = False) -> User | None:
    """The home-student account a record of ``student_number`` may write; None when one is to be created.

    Only a ``home`` account whose user name is the student number (case-insensitively) and that has no staff
    rights qualifies; anything else raises ``AccountRefused`` and nothing is written (issue 10, finding 1).
    """
    users = User.objects.select_for_update() if lock else User.objects
    if record is not None and record.user_id is not None:
        user = users.get(pk=record.user_id)
        if user.kind != User.Kind.HOME or user.username.lower() != student_number.lower():
            raise AccountRefused(
                _("the record %(number)s is linked to an account that is not a home-student account this import "
                  "created; a superuser must check it") % {"number": student_number}
            )
    else:
        user = users.filter(username__iexact=student_number).first()
        if user is None:
            return None
        if user.kind != User.Kind.HOME:
            raise AccountRefused(
                _("student number %(number)s is already the user name of a staff or exchange-student account")
                % {"number": student_number}
            )
    if user.is_staff or user.is_superuser or user.groups.exists():
        raise AccountRefused(
            _("the account %(number)s has staff rights; the import does not change it") % {"number": student_number}
        )
    return user


def record_account_write(*, record: StudentRecord, email: str, language: str) -> User:
    """Create or update the record's home-student account (call inside a transaction, after the checks above).

    An e-mail the student confirmed themselves (``email_changed_at``) is kept; ``is_active`` is never changed.
    """
    user = record_account_resolve(student_number=record.student_number, record=record if record.pk else None, lock=True)
    if user is None:
        user = User(username=record.student_number, kind=User.Kind.HOME, email=email, display_name=record.name,
                    language=language)
        user.set_unusable_password()
        user.save()
    else:
        if email and user.email_changed_at is None:
            user.email = email
        user.language = language
        user.save(update_fields=["email", "language"])
    record.user = user
    return user


def records_import(
    *, content: bytes, filename: str, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Create or update records (and semester histories) from a file; any row error and nothing is saved.

    ``progress(checked, total)`` is called after each row is checked (before the one saving transaction).
    """
    report = ImportReport()
    rows = read_rows(content=content, filename=filename, columns=RECORD_COLUMNS)
    campuses = {c.code: c for c in Campus.objects.all()}
    departments = {d.code: d for d in Department.objects.select_related("campus")}
    # Student numbers compare case-insensitively, like the user names they become.
    existing = {r.student_number.lower(): r for r in StudentRecord.objects.all()}
    planned, seen = [], set()
    for number, row in rows:
        try:
            student_number = row["student_number"]
            if not NUMBER_RE.match(student_number):
                raise ValueError(_("student number “%(value)s” is not 4–20 letters or digits") % {"value": student_number})
            if student_number.lower() in seen:
                raise ValueError(_("student number %(value)s appears twice") % {"value": student_number})
            seen.add(student_number.lower())
            record = existing.get(student_number.lower()) or StudentRecord(student_number=student_number)
            record_account_resolve(student_number=record.student_number, record=record if record.pk else None)
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
                    _("teacher_training must be one of %(values)s")
                    % {"values": ", ".join(StudentRecord.TeacherTraining.values)}
                )
            language = (row.get("language") or "ko").lower()
            if language not in {"ko", "en"}:
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
        except ValidationError as exc:
            report.errors.append((number, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())))
        except AccountRefused as exc:
            report.errors.append((number, str(exc.message)))
        except (ValueError, KeyError) as exc:
            report.errors.append((number, str(exc)))
        else:
            planned.append((number, record, row["email"], language, semesters))
        if progress is not None:
            progress(len(planned) + len(report.errors), len(rows))
    if report.errors:
        return report
    try:
        with transaction.atomic():
            for number, record, email, language, semesters in planned:
                is_new = record.pk is None
                try:
                    # Checked again under a row lock: an account may have changed since the file was read.
                    record_account_write(record=record, email=email, language=language)
                except AccountRefused as exc:
                    report.errors.append((number, str(exc.message)))
                    raise
                record.save()
                if semesters is not None:
                    SemesterRecord.objects.filter(record=record).delete()
                    SemesterRecord.objects.bulk_create(
                        SemesterRecord(record=record, term=Term.objects.get_or_create(year=year, season=season)[0], status=status)
                        for year, season, status in semesters
                    )
                report.created += is_new
                report.updated += not is_new
    except AccountRefused:
        report.created = report.updated = 0
    return report
