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
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from academics.models import Campus, Department, Term, season_rank
from accounts.models import User
from core.bulk import StalePreview, bulk_record, change, fingerprint
from core.errors import DomainError
from core.imports import ImportReport, read_rows

from ..models import SemesterRecord, StudentRecord
from .record_accounts import (  # noqa: F401 (re-exported: the admin, forms, jobs and command import them here)
    KEEP,
    TAKE,
    AccountRefused,
    EmailConflicts,
    email_plan,
    record_account_resolve,
    record_account_write,
)
from .record_rows import NUMBER_RE, RECORD_COLUMNS, parse_row, parse_semesters  # noqa: F401


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
            language, semesters = parse_row(row, record, campuses, departments)
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
    source = {"file": filename, "sha256": hashlib.sha256(content).hexdigest(), "expected": expected,
              "email_conflicts": email_conflicts}
    if dry_run:
        return _preview(rows, source, progress=progress)
    report = RecordsImportReport()
    try:
        with transaction.atomic():
            _confirm(rows, source, report, progress=progress, actor=actor)
    except AccountRefused:
        report.created = report.updated = 0
        report.changes = []
    return report


def _preview(rows, source: dict, *, progress) -> RecordsImportReport:
    """The dry run: every row checked and planned without locks, its changes listed, nothing written."""
    report = RecordsImportReport()
    planned = _checked(rows, report, decision=source["email_conflicts"], lock=False, progress=progress,
                       sha256=source["sha256"])
    report.changes = _changes(planned, timezone.now()) if report.ok else []
    return report


def _confirm(rows, source: dict, report: RecordsImportReport, *, progress, actor) -> None:
    """The confirmation, inside the caller's transaction: re-check under row locks, refuse a stale preview, write
    every row and record the ``BulkAction``."""
    planned = _checked(rows, report, decision=source["email_conflicts"], lock=True, progress=progress,
                       sha256=source["sha256"])
    if not report.ok:
        return
    if source["expected"] and report.fingerprint != source["expected"]:
        raise StalePreview()
    at = timezone.now()
    for plan in planned:
        _write(plan, report, at)
    report.changes = _changes(planned, at)
    bulk_record(
        kind=KIND, actor=actor, scope="records", changes=report.changes,
        inputs={**source, "conflicts": report.conflicts, "rows": len(planned)},
        summary=ngettext("%(count)s student record imported from %(file)s.",
                         "%(count)s student records imported from %(file)s.", len(planned))
        % {"count": len(planned), "file": source["file"]},
    )


def _checked(rows, report: RecordsImportReport, *, decision: str, lock: bool, progress, sha256: str) -> list[Planned]:
    """Every row checked and planned; the report's counts and fingerprint (file, decision, current values)."""
    planned = _plan(rows, report, decision=decision, lock=lock, progress=progress)
    if report.ok:
        report.fingerprint = fingerprint({"file": sha256, "email_conflicts": decision,
                                          "current": {p.record.student_number.lower(): _current(p) for p in planned}})
        report.created = sum(p.before is None for p in planned)
        report.updated = len(planned) - report.created
    return planned
