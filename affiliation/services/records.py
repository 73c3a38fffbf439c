"""Student academic records (SPEC §4.1): import from the student information system, all or nothing.

The file format follows the course-offering importer (creditexchange/services/offerings.py): CSV
(UTF-8 or CP949) or XLSX, a header row, errors listed by the row number Excel shows.
``semesters`` lists the regular semesters like ``2023-1 enrolled; 2023-2 leave`` (1 = spring,
2 = fall; ``spring``/``fall``, ``재학``/``휴학`` also accepted) and replaces the stored history.
Students sign in with the account named by their student number; a missing account is created
without a usable password (the university's sign-in sets it).

The import writes only *home-student* accounts named by the row's student number (issue 10, finding 1):
a number that is the user name of a staff, superuser or exchange account is a row error, as is a record
linked to any other account, and an account's ``is_active`` is never touched, so a deactivated student stays
deactivated.

Issue 12 (a previewed bulk action, /work/notes/import_contract.md; finding 5a):

- ``dry_run=True`` is the preview: every change (record fields, the replaced semester history, the import stamp,
  created accounts, account addresses) and a fingerprint of the file, the staff's e-mail decision and the current
  values of every record and account it touches; nothing is written. The confirmation re-reads those rows under
  row locks and refuses (``StalePreview``) unless the fingerprint is the preview's; then it writes, stamps
  ``imported_at`` and records one ``BulkAction`` (``affiliation.records_import``), all in one transaction.
- **E-mail conflicts.** ``email_changed_at`` alone missed an address the office changed for the student in the
  admin (it sets no such stamp), so the next import overwrote it. The record now keeps the address the last
  import gave (``imported_email``): an account address that differs from it (or was confirmed after that import)
  was set by or for the student, and a different address in the file is a *conflict*. It is never silently
  overwritten or dropped: the preview lists each one, and the staff's decision for the run (``email_conflicts``:
  ``keep`` the student's address, the default, or ``take`` the record's) is part of the fingerprint and recorded
  with the conflicts in the ``BulkAction``. The account's language is set only when the import creates it.
- **Undo** is ``records_import_undo`` (``records_undo.py``), not the generic ``bulk_undo``: it restores the
  histories and the stamps too, and never rewrites an account's address unless the undo decides so explicitly.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from academics.models import Campus, Department, Season, Term, season_rank
from accounts.models import User
from core.bulk import StalePreview, bulk_record, change, fingerprint
from core.errors import DomainError
from core.imports import FALSE, TRUE, ImportReport, read_rows
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

    ``email`` is the address to write ("" leaves the account's address as it is): which one that is, for an
    existing account, the import decides (``email_plan``). The language is set only on a new account (the
    student chooses it on the profile afterwards); ``is_active`` is never changed.
    """
    user = record_account_resolve(student_number=record.student_number, record=record if record.pk else None, lock=True)
    if user is None:
        user = User(username=record.student_number, kind=User.Kind.HOME, email=email, display_name=record.name,
                    language=language)
        user.set_unusable_password()
        user.save()
    elif email and email != user.email:
        user.email = email
        user.save(update_fields=["email"])
    record.user = user
    return user


class EmailConflicts(StrEnum):
    """An e-mail conflict: keep the account's address (default) or take the record's."""

    KEEP = "keep"
    TAKE = "take"


KEEP, TAKE = EmailConflicts.KEEP, EmailConflicts.TAKE


def email_plan(*, user: User | None, record: StudentRecord, row_email: str, decision: str) -> tuple[str, bool]:
    """(address to write or "", whether it is a conflict) for one row (issue 12, finding 5a).

    An account address that differs from the one the last import gave (``imported_email``), or that the student
    confirmed after that import (``email_changed_at``), was set by the student or by the office for them, whichever
    way: a different address in the file is then a conflict, kept unless staff chose to take the record's.
    """
    if user is None or not user.email:
        return row_email, False
    if not row_email or row_email.lower() == user.email.lower():
        return "", False
    confirmed_later = user.email_changed_at is not None and (
        record.imported_at is None or user.email_changed_at > record.imported_at)
    if user.email.lower() != (record.imported_email or "").lower() or confirmed_later:
        return (row_email if decision == TAKE else ""), True
    return row_email, False


@dataclass
class RecordsImportReport(ImportReport):
    """``conflicts``: one ``{"row", "student_number", "account_email", "record_email", "decision"}`` per row whose
    address differs from one the student (or the office) set; the preview lists them, the log records them."""

    conflicts: list[dict] = field(default_factory=list)


RECORD_FIELDS = ["name", "campus", "department", "earned_credits", "in_progress_credits", "gpa", "liberal_arts_met",
                 "teacher_training", "applied_before"]
HISTORY = "semester_history"  # not a model field: the replaced SemesterRecord rows, "2025-spring:enrolled"


@dataclass
class Planned:
    number: int
    record: StudentRecord
    before: dict | None  # the record's values before the row (None: a new record)
    user: User | None  # the existing account, if any
    account: dict | None  # the account's values before ({"email"}), None: a new account
    email: str  # the address to write, "" = unchanged
    language: str
    semesters: list | None
    row_email: str


def _history(semesters) -> str:
    """A semester history as one plain value for the change log: ``2025-spring:enrolled; 2025-fall:on_leave``."""
    ordered = sorted(semesters, key=lambda s: (s[0], season_rank(s[1])))
    return "; ".join(f"{year}-{season}:{status}" for year, season, status in ordered)


def _stored_history(record: StudentRecord) -> str:
    return _history([(s.term.year, s.term.season, s.status) for s in record.semesters.all()])


def _values(record: StudentRecord, history: str | None) -> dict:
    values = {name: getattr(record, record._meta.get_field(name).attname) for name in RECORD_FIELDS}
    values.update({"imported_at": record.imported_at, "imported_email": record.imported_email})
    if history is not None:
        values[HISTORY] = history
    return values


def _parse(row: dict, record: StudentRecord, campuses: dict, departments: dict) -> tuple[str, list | None]:
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


def _plan(rows, report: RecordsImportReport, *, decision: str, lock: bool, progress) -> list[Planned]:
    campuses = {c.code: c for c in Campus.objects.all()}
    departments = {d.code: d for d in Department.objects.select_related("campus")}
    numbers = {row.get("student_number", "").lower() for _number, row in rows}
    records = StudentRecord.objects.annotate(number_key=Lower("student_number")).filter(number_key__in=numbers)
    if lock:  # the confirmation judges what it writes: nobody changes these records until it commits
        # By id, as every other writer of many records locks them (winter check, publication, undo): locking them by
        # student number deadlocked with those on PostgreSQL when the two orders differ.
        records = records.select_for_update(of=("self",)).order_by("pk")
    # Student numbers compare case-insensitively, like the user names they become.
    existing = {r.student_number.lower(): r for r in records.select_related("user").prefetch_related("semesters__term")}
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
            user = record_account_resolve(student_number=record.student_number, record=record if record.pk else None)
            before = _values(record, _stored_history(record)) if record.pk else None
            language, semesters = _parse(row, record, campuses, departments)
        except ValidationError as exc:
            report.errors.append((number, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())))
        except AccountRefused as exc:
            report.errors.append((number, str(exc.message)))
        except (ValueError, KeyError) as exc:
            report.errors.append((number, str(exc)))
        else:
            email, conflict = email_plan(user=user, record=record, row_email=row["email"], decision=decision)
            if conflict:
                report.conflicts.append({"row": number, "student_number": student_number, "account_email": user.email,
                                         "record_email": row["email"], "decision": decision})
            planned.append(Planned(number, record, before, user, {"email": user.email} if user else None, email,
                                   language, semesters, row["email"]))
        if progress is not None:
            progress(len(planned) + len(report.errors), len(rows))
    return planned


def _current(plan: Planned) -> dict | str:
    """What the fingerprint covers of one row: the record and account as they are now ("absent" if new)."""
    if plan.before is None and plan.user is None:
        return "absent"
    account = ({"email": plan.user.email, "changed": plan.user.email_changed_at, "language": plan.user.language}
               if plan.user else "absent")
    return {"record": plan.before or "absent", "account": account}


def _after(plan: Planned, at) -> dict:
    plan.record.imported_at = at
    plan.record.imported_email = plan.row_email or plan.record.imported_email
    return _values(plan.record, _history(plan.semesters) if plan.semesters is not None else None)


def _changes(planned: list[Planned], at) -> list[dict]:
    changes = []
    for plan in planned:
        after = _after(plan, at)
        label = f"{plan.record.student_number} {plan.record.name}"
        if plan.before is None:
            changes.append(change(plan.record, before=None, after=after, label=label))
        else:
            names = [k for k, v in after.items() if plan.before.get(k) != v]
            changes.append(change(plan.record, before={k: plan.before.get(k) for k in names},
                                  after={k: after[k] for k in names}, label=label))
        if plan.user is None:
            account = plan.record.user if plan.record.user_id else User(username=plan.record.student_number)
            changes.append(change(account, before=None, after={"username": plan.record.student_number,
                                  "email": plan.email, "language": plan.language}, label=plan.record.student_number))
        elif plan.email and plan.email != plan.account["email"]:
            changes.append(change(plan.user, before=plan.account, after={"email": plan.email}, label=plan.user.username))
    return changes


def _write(plan: Planned, report: RecordsImportReport, at) -> None:
    plan.record.imported_at = at
    plan.record.imported_email = plan.row_email or plan.record.imported_email
    try:
        # Checked again under a row lock: an account may have changed since the file was read.
        record_account_write(record=plan.record, email=plan.email, language=plan.language)
    except AccountRefused as exc:
        report.errors.append((plan.number, str(exc.message)))
        raise
    plan.record.save()
    if plan.semesters is not None:
        SemesterRecord.objects.filter(record=plan.record).delete()
        SemesterRecord.objects.bulk_create(
            SemesterRecord(record=plan.record, term=Term.objects.get_or_create(year=year, season=season)[0], status=status)
            for year, season, status in plan.semesters
        )


KIND = "affiliation.records_import"


def records_import(
    *, content: bytes, filename: str, progress: Callable[[int, int], None] | None = None, dry_run: bool = False,
    expected: str = "", actor=None, email_conflicts: str = KEEP,
) -> RecordsImportReport:
    """Create or update records (and semester histories) from a file; any row error and nothing is saved.

    ``dry_run``: the preview (changes, conflicts, fingerprint), nothing written. Otherwise, with ``expected``, the
    rows are re-read under row locks and a fingerprint other than the preview's raises ``StalePreview``.
    ``email_conflicts`` is the staff's decision for addresses the student set (``KEEP`` or ``TAKE``); it is part
    of the fingerprint and of the ``BulkAction``. ``progress(checked, total)`` is called after each row is checked.
    """
    if email_conflicts not in (KEEP, TAKE):
        raise DomainError(_("Choose whether to keep the students' e-mail addresses or take the records'."))
    rows = read_rows(content=content, filename=filename, columns=RECORD_COLUMNS)
    sha256 = hashlib.sha256(content).hexdigest()
    report = RecordsImportReport()
    if dry_run:
        planned = _checked(rows, report, decision=email_conflicts, lock=False, progress=progress, sha256=sha256)
        report.changes = _changes(planned, timezone.now()) if report.ok else []
        return report
    try:
        with transaction.atomic():
            planned = _checked(rows, report, decision=email_conflicts, lock=True, progress=progress, sha256=sha256)
            if not report.ok:
                return report
            if expected and report.fingerprint != expected:
                raise StalePreview()
            at = timezone.now()
            for plan in planned:
                _write(plan, report, at)
            report.changes = _changes(planned, at)
            bulk_record(
                kind=KIND, actor=actor, scope="records", changes=report.changes,
                inputs={"file": filename, "sha256": sha256, "expected": expected, "email_conflicts": email_conflicts,
                        "conflicts": report.conflicts, "rows": len(planned)},
                summary=ngettext("%(count)s student record imported from %(file)s.",
                                 "%(count)s student records imported from %(file)s.", len(planned))
                % {"count": len(planned), "file": filename},
            )
    except AccountRefused:
        report.created = report.updated = 0
        report.changes = []
    return report


def _checked(rows, report: RecordsImportReport, *, decision: str, lock: bool, progress, sha256: str) -> list[Planned]:
    """Every row checked and planned; the report's counts and fingerprint (file, decision, current values)."""
    planned = _plan(rows, report, decision=decision, lock=lock, progress=progress)
    if report.ok:
        report.fingerprint = fingerprint({"file": sha256, "email_conflicts": decision,
                                          "current": {p.record.student_number.lower(): _current(p) for p in planned}})
        report.created = sum(p.before is None for p in planned)
        report.updated = len(planned) - report.created
    return planned
