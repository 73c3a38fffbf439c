"""Final grades: staff entry, the file import, the term's grade lock (issue 15; seed 000 §2 and §5).

The rules, each written once here:

- A grade belongs to a *registered* (not a dropped) registration of an *exchange student*.
- Grades are entered only once the term's course change window (``TermWindow.Kind.CHANGE``) has closed, by the
  server clock: before that the course list can still change.
- Nothing changes a grade while the term's grades are final (``TermGrades``); staff reopen the term with a reason.
- Every change is a ``GradeEvent`` (∅ or the old value → the new one, who, from which source, why); saving the
  value a grade already holds changes nothing and writes no event.

Locks: every write locks the term's ``TermGrades`` row first, then the registrations. Two staff saving the same
grade wait for each other (two events, in order, no lost update), and making the term final waits for a save
that runs and is never followed by one (the save re-reads the lock under it).
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from academics.models import Term, TermWindow
from accounts.models import User
from core.bulk import StalePreview, bulk_record, fingerprint
from core.dates import WindowState, window_state
from core.errors import DomainError, WindowClosed
from core.imports import ImportReport, read_rows

from ..models import CourseOffering, CourseRegistration, Grade, GradeEvent, GradeValue, TermGrades, TermGradesEvent
from ..selectors_grade_sheet import OfferingProgress, grades_progress, term_grades_final  # noqa: F401 - re-exported

IMPORT_KIND = "creditexchange.grades_import"
COLUMNS = ["term", "code", "section", "student_id", "grade"]
# A term has a few thousand grades at most; a longer file is refused before its rows are checked (each costs queries).
MAX_ROWS = 10_000
# The header names a Korean registrar's spreadsheet uses for the same columns (and a few English variants).
HEADER_ALIASES = {
    "학기": "term", "과목코드": "code", "교과목코드": "code", "교과목번호": "code", "학수번호": "code", "분반": "section",
    "임시학번": "student_id", "학번": "student_id", "성적": "grade", "등급": "grade",
    "course code": "code", "offering": "code", "temporary student id": "student_id", "temporary id": "student_id",
    "student id": "student_id", "username": "student_id",
}
SEASON_WORDS = {
    "spring": "spring", "summer": "summer", "fall": "fall", "autumn": "fall", "winter": "winter",
    "봄": "spring", "여름": "summer", "가을": "fall", "겨울": "winter", "1학기": "spring", "2학기": "fall",
}
TERM_RE = re.compile(r"^\s*(\d{4})\s*(?:년)?\s*[-_/ ]?\s*(\S+?)\s*(?:학기)?\s*$")  # also "2026년 2학기"


class GradeRefused(DomainError):
    pass


class GradesFinal(GradeRefused):
    def __init__(self, term):
        super().__init__(
            _("The grades of %(term)s are final; reopen the term (with a reason) to change them.") % {"term": term},
            code="final",
        )


class GradesMissing(GradeRefused):
    pass


class GradeChanged(GradeRefused):
    """The grade is no longer what the page showed (another tab or another registrar saved it meanwhile)."""

    def __init__(self, grade: Grade | None):
        now = grade.value if grade is not None else "—"
        by = (grade.entered_by.username if grade is not None and grade.entered_by else "—")
        super().__init__(
            _("This grade was changed since you opened the sheet (now %(value)s, by %(by)s); nothing was saved for "
              "it. Check it and save again.") % {"value": now, "by": by},
            code="changed",
        )


# --- the rules -----------------------------------------------------------------------------------------------------

def grades_window_check(*, term: Term, at: datetime | None = None) -> None:
    """Grades are entered only after the term's change window has closed (server clock, half-open window)."""
    window = TermWindow.objects.filter(term=term, kind=TermWindow.Kind.CHANGE).first()
    if window is None:
        raise WindowClosed(
            _("Grades of %(term)s can be entered once its course change window has closed; that window has not "
              "been scheduled.") % {"term": term}
        )
    if window_state(window.starts_at, window.ends_at, at) != WindowState.CLOSED:
        raise WindowClosed(
            _("Grades of %(term)s can be entered once its course change window has closed (it runs %(dates)s).")
            % {"term": term, "dates": window.describe()}
        )


def _grades_lock(term: Term) -> TermGrades:
    """The term's grade lock row, created on first use and locked FOR UPDATE (every grade write takes it first)."""
    TermGrades.objects.get_or_create(term=term)
    return TermGrades.objects.select_for_update().get(term=term)


def _registration_check(registration: CourseRegistration) -> None:
    """Only a registered (not dropped) registration of an exchange student gets a grade."""
    if registration.status != CourseRegistration.Status.REGISTERED:
        raise GradeRefused(
            _("%(student)s dropped %(course)s: a dropped registration gets no grade.")
            % {"student": registration.student.username, "course": _course(registration.offering)}
        )
    if registration.student.kind != User.Kind.EXCHANGE:
        raise GradeRefused(
            _("%(student)s is not an exchange student: grades are entered here for exchange students only.")
            % {"student": registration.student.username}
        )


def _value_check(value: str) -> str:
    value = (value or "").strip().upper()
    if value not in GradeValue.values:
        raise GradeRefused(
            _("“%(value)s” is not a grade; use one of %(values)s.") % {"value": value, "values": ", ".join(GradeValue.values)}
        )
    return value


def _course(offering: CourseOffering) -> str:
    return f"{offering.code}-{offering.section}"


def _write(*, registration, grade, value, actor, source, reason, at) -> Grade:
    """Save ``value`` on the registration's grade (``grade`` None: the first entry) and write its event."""
    before = grade.value if grade is not None else ""
    if grade is None:
        grade = Grade(registration=registration, student_id=registration.student_id, offering_id=registration.offering_id,
                      term_id=registration.term_id)
    grade.value, grade.source, grade.entered_at, grade.entered_by = value, source, at, actor
    grade.full_clean(exclude=["registration", "student", "offering", "term", "entered_by"])
    grade.save()
    GradeEvent.objects.create(grade=grade, from_status=before, to_status=value, source=source, actor=actor,
                              reason=(reason or "").strip())
    return grade


def grade_set(
    *, actor: User | None, registration_id: int, value: str, source: str = Grade.Source.STAFF, reason: str = "",
    at: datetime | None = None, expected: str | None = None,
) -> Grade:
    """Set the grade of one registration (the rules of the module docstring); the same value again changes nothing.

    ``expected`` is the value the caller's page showed ("" for none): when the grade holds another value by now
    (a second tab, another registrar), nothing is saved (``GradeChanged``), so a stale page never undoes a change."""
    at = at or timezone.now()
    value = _value_check(value)
    with transaction.atomic():
        registration = CourseRegistration.objects.select_related("term").filter(pk=registration_id).first()
        if registration is None:
            raise GradeRefused(_("There is no such registration."), code="unknown")
        lock = _grades_lock(registration.term)
        registration = (
            CourseRegistration.objects.select_for_update(of=("self",)).select_related("student", "offering", "term")
            .get(pk=registration_id)
        )
        _registration_check(registration)
        grades_window_check(term=registration.term, at=at)
        if lock.is_final:
            raise GradesFinal(registration.term)
        grade = Grade.objects.filter(registration=registration).select_related("entered_by").first()
        if grade is not None and grade.value == value:
            return grade
        if expected is not None and (grade.value if grade is not None else "") != expected:
            raise GradeChanged(grade)
        return _write(registration=registration, grade=grade, value=value, actor=actor, source=source, reason=reason, at=at)


# --- the lock ------------------------------------------------------------------------------------------------------

def grades_finalize(*, term: Term, actor: User, at: datetime | None = None) -> TermGrades:
    """Make the term's grades final: refused while a registered student of the term has no grade (named per
    offering). Already final: nothing happens. The caller checks ``creditexchange.finalize_grades``."""
    with transaction.atomic():
        lock = _grades_lock(term)
        at = at or timezone.now()  # read under the lock: after any save that held it
        if lock.is_final:
            return lock
        missing = [row for row in grades_progress(term=term) if row.missing]
        if missing:
            count = sum(row.missing for row in missing)
            raise GradesMissing(ngettext(
                "%(count)s registered student of %(term)s has no grade yet (%(offerings)s); nothing was made final.",
                "%(count)s registered students of %(term)s have no grade yet (%(offerings)s); nothing was made final.",
                count,
            ) % {"count": count, "term": term,
                 "offerings": ", ".join(f"{row.label}: {row.missing}" for row in missing)})
        lock.status, lock.finalized_at, lock.finalized_by = TermGrades.Status.FINAL, at, actor
        lock.full_clean(exclude=["term", "finalized_by"])
        lock.save(update_fields=["status", "finalized_at", "finalized_by"])
        TermGradesEvent.objects.create(term_grades=lock, from_status=TermGrades.Status.OPEN, to_status=TermGrades.Status.FINAL,
                                       actor=actor)
    return lock


def grades_reopen(*, term: Term, actor: User, reason: str) -> TermGrades:
    """Reopen a term's final grades for changes; the reason is required and kept. Not final: nothing happens."""
    if not (reason or "").strip():
        raise GradeRefused(_("Give the reason for reopening the grades."))
    with transaction.atomic():
        lock = _grades_lock(term)
        if not lock.is_final:
            return lock
        lock.status, lock.finalized_at, lock.finalized_by = TermGrades.Status.OPEN, None, None
        lock.save(update_fields=["status", "finalized_at", "finalized_by"])
        TermGradesEvent.objects.create(term_grades=lock, from_status=TermGrades.Status.FINAL, to_status=TermGrades.Status.OPEN,
                                       actor=actor, reason=reason.strip())
    return lock


def grades_are_final(*, term: Term) -> bool:
    return term_grades_final(term=term)


# --- the import ----------------------------------------------------------------------------------------------------

def term_parse(value: str) -> Term | None:
    """A term as a file writes it: "2026-fall", "2026 Fall", "2026 가을", "2026-2학기", "2026년 2학기" (None when
    unknown)."""
    match = TERM_RE.match(value or "")
    if not match:
        return None
    season = SEASON_WORDS.get(match.group(2).lower()) or SEASON_WORDS.get(match.group(2).lower() + "학기")
    return Term.objects.filter(year=int(match.group(1)), season=season).first() if season else None


@dataclass
class GradesImportReport(ImportReport):
    unchanged: int = 0
    bulk_action_id: int | None = None
    planned: list = field(default_factory=list, repr=False)


class _FileRows:
    """What a file's rows name, read once for all of them (a fixed number of queries whatever the file's length):
    its terms, their courses, the registrations and accounts of the students it names."""

    def __init__(self, rows, *, at):
        self.at, self.term_state = at, {}
        self.terms: dict[str, Term | None] = {}
        for _number, row in rows:
            text = row.get("term", "")
            if text not in self.terms:
                self.terms[text] = term_parse(text)
        term_ids = {term.pk for term in self.terms.values() if term is not None}
        self.offerings = {
            (o.term_id, o.code.upper(), o.section): o for o in CourseOffering.objects.filter(term_id__in=term_ids)
        }
        names = {row.get("student_id", "").lower() for _number, row in rows}
        self.registrations = {
            (r.offering_id, r.student.username.lower()): r
            for r in CourseRegistration.objects.select_related("student", "offering")
            .filter(offering__term_id__in=term_ids, status=CourseRegistration.Status.REGISTERED)
            .annotate(login=Lower("student__username")).filter(login__in=names)
        }
        self.known = set(User.objects.annotate(login=Lower("username")).filter(login__in=names).values_list("login", flat=True))

    def term(self, row) -> Term:
        """The row's term, open for grades (the window closed, not final), or GradeRefused with the reason."""
        text = row.get("term", "")
        term = self.terms[text]
        if term is None:
            raise GradeRefused(_("unknown term “%(term)s” (write it like 2026-fall)") % {"term": text})
        if term.pk not in self.term_state:
            try:
                grades_window_check(term=term, at=self.at)
                self.term_state[term.pk] = "final" if grades_are_final(term=term) else ""
            except WindowClosed as exc:
                self.term_state[term.pk] = str(exc.message)
        if self.term_state[term.pk] == "final":
            raise GradesFinal(term)
        if self.term_state[term.pk]:
            raise GradeRefused(self.term_state[term.pk])
        return term

    def registration(self, term: Term, row) -> CourseRegistration:
        code, section = row.get("code", "").upper(), row.get("section", "") or "01"
        if section.isdigit() and len(section) < 2:
            section = section.zfill(2)  # Excel turns "01" into 1
        offering = self.offerings.get((term.pk, code, section))
        if offering is None:
            raise GradeRefused(_("unknown course %(code)s section %(section)s in %(term)s")
                               % {"code": code, "section": section, "term": term})
        student_id = row.get("student_id", "")
        registration = self.registrations.get((offering.pk, student_id.lower()))
        if registration is None:
            if student_id.lower() not in self.known:
                raise GradeRefused(_("unknown student “%(student)s”") % {"student": student_id})
            raise GradeRefused(_("%(student)s is not registered in %(course)s")
                               % {"student": student_id, "course": _course(offering)})
        _registration_check(registration)
        return registration


def _check_rows(rows, *, at) -> tuple[list, list]:
    """Every row checked against the database as it is now: (planned (number, registration, value), errors)."""
    errors, planned, seen = [], [], {}
    context = _FileRows(rows, at=at)
    for number, row in rows:
        try:
            registration = context.registration(context.term(row), row)
            value = _value_check(row.get("grade", ""))
            if registration.pk in seen:
                raise GradeRefused(_("%(student)s in %(course)s appears twice (also row %(row)s)")
                                   % {"student": registration.student.username, "course": _course(registration.offering),
                                      "row": seen[registration.pk]})
            seen[registration.pk] = number
        except GradeRefused as exc:
            errors.append((number, str(exc.message)))
        else:
            planned.append((number, registration, value))
    return planned, errors


def _label(registration) -> str:
    return f"{registration.student.username} · {_course(registration.offering)}"


def _plan(planned, *, report, sha256) -> None:
    """``report.changes`` and ``report.fingerprint`` from the grades as they are now."""
    grades = {g.registration_id: g for g in Grade.objects.filter(registration_id__in=[r.pk for _n, r, _v in planned])}
    report.changes, current = [], {}
    report.created = report.updated = report.unchanged = 0
    for _number, registration, value in planned:
        grade = grades.get(registration.pk)
        current[registration.pk] = grade.value if grade else "absent"
        if grade is not None and grade.value == value:
            report.unchanged += 1
            continue
        report.created += grade is None
        report.updated += grade is not None
        report.changes.append({
            "object": "creditexchange.grade", "id": grade.pk if grade else None, "registration": registration.pk,
            "label": _label(registration), "before": {"value": grade.value} if grade else None, "after": {"value": value},
        })
    report.fingerprint = fingerprint({"file": sha256, "current": current})


def grades_import(
    *, content: bytes, filename: str, actor: User | None, dry_run: bool, expected_fingerprint: str | None = None,
    at: datetime | None = None,
) -> GradesImportReport:
    """Grades from a CSV (UTF-8 or CP949) or XLSX file; every row is checked first and any error saves nothing.

    ``dry_run`` returns the preview (each change before → after) with its fingerprint; the real run recomputes it
    under the locks and refuses a different one (``StalePreview``). Records ``creditexchange.grades_import``.
    """
    at = at or timezone.now()
    report = GradesImportReport()
    sha256 = hashlib.sha256(content).hexdigest()
    rows = read_rows(content=content, filename=filename, columns=COLUMNS, aliases=HEADER_ALIASES, max_rows=MAX_ROWS)
    if not rows:
        raise DomainError(_("The file has no rows of grades."))
    planned, report.errors = _check_rows(rows, at=at)
    if report.errors:
        return report
    if dry_run:
        _plan(planned, report=report, sha256=sha256)
        return report
    with transaction.atomic():
        terms = sorted({r.term_id for _n, r, _v in planned})
        locks = [_grades_lock(Term(pk=pk)) for pk in terms]
        if any(lock.is_final for lock in locks):  # made final since the rows were checked
            raise GradesFinal(next(lock.term for lock in locks if lock.is_final))
        registrations = {
            r.pk: r for r in CourseRegistration.objects.select_for_update(of=("self",)).select_related("student", "offering")
            .filter(pk__in=[r.pk for _n, r, _v in planned]).order_by("pk")
        }
        planned = [(n, registrations[r.pk], v) for n, r, v in planned]
        for number, registration, _value in planned:
            try:
                _registration_check(registration)  # dropped since the rows were checked
            except GradeRefused as exc:
                report.errors.append((number, str(exc.message)))
        if report.errors:
            return report
        _plan(planned, report=report, sha256=sha256)
        if expected_fingerprint and report.fingerprint != expected_fingerprint:
            raise StalePreview()
        grades = {g.registration_id: g for g in Grade.objects.filter(registration_id__in=list(registrations))}
        for entry in report.changes:
            registration = registrations[entry["registration"]]
            grade = _write(registration=registration, grade=grades.get(registration.pk), value=entry["after"]["value"],
                           actor=actor, source=Grade.Source.IMPORT, reason=_("Import of %(file)s") % {"file": filename}, at=at)
            entry["id"] = grade.pk
        if report.changes:
            action = bulk_record(
                kind=IMPORT_KIND, actor=actor, scope=",".join(f"term:{pk}" for pk in terms),
                inputs={"file": filename, "sha256": sha256, "expected": expected_fingerprint or ""}, changes=report.changes,
                summary=_("Grades import of %(file)s: %(created)s entered, %(updated)s changed.")
                % {"file": filename, "created": report.created, "updated": report.updated},
            )
            report.bulk_action_id = action.pk
    return report


def grades_import_undo(*, action, actor: User, reason: str):
    """Undo a grades import: every grade must still hold the imported value and its term must not be final (else
    nothing is undone and the page names them). Changed grades get their value back with a ``GradeEvent`` (the
    reason); grades the import entered first are removed again (the staff action log keeps both entries)."""
    from core.models import BulkAction

    if not (reason or "").strip():
        raise DomainError(_("Give the reason for undoing this action."))
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().get(pk=action.pk, kind=IMPORT_KIND)
        if action.undoes_id is not None or BulkAction.objects.filter(undoes=action).exists():
            raise DomainError(_("This action was already undone, or is itself an undo."))
        grade_ids = [entry["id"] for entry in action.changes]
        terms = sorted(set(Grade.objects.filter(pk__in=grade_ids).values_list("term_id", flat=True)))
        locks = [_grades_lock(Term(pk=pk)) for pk in terms]
        grades = {g.pk: g for g in Grade.objects.select_for_update(of=("self",)).select_related("registration", "term")
                  .filter(pk__in=grade_ids).order_by("pk")}
        refused = [_("the grades of %(term)s are final") % {"term": lock.term} for lock in locks if lock.is_final]
        # the import's own event must still be each grade's latest: a grade edited and set back since then has a
        # history the undo would hide (or delete, with a first entry), so it is refused like any other change
        latest = {}
        for event in GradeEvent.objects.filter(grade_id__in=grade_ids).order_by("created_at", "pk"):
            latest[event.grade_id] = event
        for entry in action.changes:
            grade, event = grades.get(entry["id"]), latest.get(entry["id"])
            if (grade is None or grade.value != entry["after"]["value"] or event is None
                    or event.source != Grade.Source.IMPORT or event.created_at > action.at):
                refused.append(_("%(grade)s changed since the import") % {"grade": entry["label"]})
        if refused:
            raise DomainError(_("Nothing was undone: %(reasons)s.") % {"reasons": "; ".join(refused)})
        at, undone = timezone.now(), []
        for entry in action.changes:
            grade = grades[entry["id"]]
            if entry["before"] is None:
                grade.delete()
            else:
                _write(registration=grade.registration, grade=grade, value=entry["before"]["value"], actor=actor,
                       source=Grade.Source.STAFF, reason=reason, at=at)
            undone.append({**entry, "before": entry["after"], "after": entry["before"]})
        return bulk_record(
            kind=IMPORT_KIND, actor=actor, scope=action.scope, inputs={"undoes": action.pk}, changes=undone,
            summary=_("Undone: %(summary)s") % {"summary": action.summary}, reason=reason.strip(), undoes=action,
        )
