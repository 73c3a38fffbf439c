"""Course registration (SPEC §3.2): register in the registration window, add and drop in the change window.

Capacity is guarded by one conditional UPDATE (``seats_taken < capacity``) with a CHECK
constraint behind it; a student's own requests are serialised by locking their
temporary-ID row, which also proves they hold an issued ID for the term.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Term, TermWindow
from academics.selectors import term_windows
from accounts.models import TemporaryStudentId, User
from core import dates
from core.cache import cache_get, cache_set
from core.errors import CourseFull, DomainError, InvalidTransition, NotEligible, WindowClosed

from ..models import (
    CourseOffering,
    CourseRegistration,
    Grade,
    RegistrationEvent,
    TemporaryIdApplication,
    TermGrades,
    TimeSlot,
)

Status = CourseRegistration.Status


ELIGIBLE_CACHE_SECONDS = 300


def eligible_key(student_id: int, term_id: int) -> str:
    return f"can-register:v1:{term_id}:{student_id}"


def student_can_register(*, student: User, term: Term) -> bool:
    """Seed 000 §3.b.2: only students holding an issued temporary ID for this term.

    A yes is cached for a few minutes (an issued ID is never taken back); a no is always re-read,
    so a student whose ID was issued a moment ago can register at once.
    """
    key = eligible_key(student.pk, term.pk)
    if cache_get(key):
        return True
    eligible = TemporaryIdApplication.objects.filter(
        term=term, status=TemporaryIdApplication.Status.ISSUED, temporary_id__user=student
    ).exists()
    if eligible:
        cache_set(key, True, ELIGIBLE_CACHE_SECONDS)
    return eligible


def _windows_message(windows: dict[str, TermWindow]) -> str:
    parts = [
        f"{TermWindow.Kind(kind).label}: {windows[kind].describe()}" for kind in (TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE)
        if kind in windows
    ]
    return "; ".join(parts) or _("not scheduled yet")


def _require_window(*, term: Term, kinds: tuple[str, ...], at: datetime) -> None:
    windows = term_windows(term_id=term.pk)
    if any(kind in windows and windows[kind].is_open(at) for kind in kinds):
        return
    context = {"term": term, "windows": _windows_message(windows)}
    if TermWindow.Kind.REGISTRATION in kinds:
        raise WindowClosed(_("Registration for %(term)s is not open now. %(windows)s (Asia/Seoul).") % context)
    raise WindowClosed(_("Courses of %(term)s can be dropped only in the change window. %(windows)s (Asia/Seoul).") % context)


NOT_SCHEDULED = "none"  # a DropWindow's state when the term has no change window


@dataclass(frozen=True)
class DropWindow:
    """Whether a student may drop a course of the term now: the change window's ``dates.WindowState``, or
    ``NOT_SCHEDULED``. The same rule as ``registration_drop``, for the pages to offer Drop only when it works."""

    state: str
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == dates.WindowState.OPEN

    @property
    def message(self) -> str:
        """What the row says instead of a Drop button, in the active language and Seoul time."""
        if self.state == dates.WindowState.UPCOMING:
            return _("Drop opens %(date)s (Asia/Seoul).") % {"date": dates.when(self.opens_at)}
        if self.state == dates.WindowState.CLOSED:
            return _("Drop closed on %(date)s (Asia/Seoul).") % {"date": dates.when(self.closes_at)}
        if self.state == dates.WindowState.OPEN:
            return ""
        return _("Drop is not scheduled yet.")


def drop_window(*, term: Term, at: datetime | None = None) -> DropWindow:
    """Read-only: the term's change window at ``at`` (cached windows, no query on a warm cache)."""
    at = at or timezone.now()
    window = term_windows(term_id=term.pk).get(TermWindow.Kind.CHANGE)
    if window is None:
        return DropWindow(state=NOT_SCHEDULED)
    return DropWindow(
        state=dates.window_state(window.starts_at, window.ends_at, at), opens_at=window.starts_at, closes_at=window.ends_at,
    )


def full_message(offering: CourseOffering) -> str:
    """Why the student cannot take a seat now: none is free, or the free ones go to the waitlist (issue 14)."""
    if offering.seats_taken < offering.capacity:
        return _("%(course)s has a waitlist: a freed seat goes to the next student on it at the next release time.") % {
            "course": offering
        }
    return _("%(course)s is full.") % {"course": offering}


def _lock_identity(*, student: User, term: Term) -> TemporaryStudentId:
    identity = (
        TemporaryStudentId.objects.select_for_update(of=("self",))
        .filter(
            user=student, applications__term=term, applications__status=TemporaryIdApplication.Status.ISSUED
        )
        .first()
    )
    if identity is None:
        raise NotEligible(
            _("You need a temporary student ID issued for %(term)s to register for its courses.") % {"term": term}
        )
    return identity


def _is_staff_action(student: User, actor: User | None) -> bool:
    return actor is not None and actor.pk != student.pk


def _plan_rows(*, student: User, offering: CourseOffering) -> list[tuple]:
    """The student's registered courses of the term with their slots (one joined query); refuses a duplicate."""
    rows = list(
        CourseOffering.objects.filter(
            term_id=offering.term_id, registrations__student=student, registrations__status=Status.REGISTERED
        ).values_list("pk", "credits", "slots__weekday", "slots__starts_at", "slots__ends_at")
    )
    if any(pk == offering.pk for pk, *_rest in rows):
        raise NotEligible(_("You are already registered for %(course)s.") % {"course": offering}, code="duplicate")
    return rows


def _check_plan(*, student: User, offering: CourseOffering, rows: list[tuple]) -> None:
    """No overlapping time slot, and the term's credit limit.

    Called after the seat was taken, i.e. holding the offering's row lock: the offering's own credits and slots
    are re-read here (one query), so a staff change committed meanwhile is seen; the student's other courses in
    ``rows`` were read under the student's ID lock, which a staff change of those courses waits for
    (``offering_change_lock``; issue 12, finding 4).
    """
    fresh = list(CourseOffering.objects.filter(pk=offering.pk).values_list("credits", "slots__weekday", "slots__starts_at", "slots__ends_at"))
    credits = {pk: value for pk, value, *_slot in rows}
    total = sum(credits.values()) + fresh[0][0]
    if total > offering.term.credit_limit:
        raise NotEligible(
            _("%(course)s would bring you to %(total)s credits; the limit for %(term)s is %(limit)s.")
            % {"course": offering, "total": total, "term": offering.term, "limit": offering.term.credit_limit},
            code="limit",
        )
    taken = [(pk, TimeSlot(weekday=d, starts_at=s, ends_at=e)) for pk, _credits, d, s, e in rows if d is not None]
    for new in (TimeSlot(weekday=d, starts_at=s, ends_at=e) for _c, d, s, e in fresh if d is not None):
        for other_id, slot in taken:
            if new.overlaps(slot):
                raise NotEligible(
                    _("%(course)s overlaps %(other)s on %(slot)s.")
                    % {"course": offering, "other": CourseOffering.objects.get(pk=other_id), "slot": slot},
                    code="clash",
                )


# --- The registration in SQL (issue 14) -------------------------------------------------------------------------------
# Three plain statements in one transaction, the same text on PostgreSQL and SQLite (which has RETURNING since
# 3.35): lock the student's ID row, take the seat, insert the registration if every rule holds. The rules are the
# ones above (``_require_window``, ``_plan_rows``, ``_check_plan``); when the insert refuses, those functions run
# again in the same transaction to say exactly why, so the messages have one source. Three statements, not one:
# PostgreSQL reads every table of a statement as of the statement's start, so a plan check in the statement that
# waited for the offering's row lock would not see the slots a staff change committed meanwhile (issue 12, finding 4).

_LOCK_SQL = (
    "SELECT t.id FROM accounts_temporarystudentid t WHERE t.user_id = %(student)s AND EXISTS ("
    "SELECT 1 FROM creditexchange_temporaryidapplication a WHERE a.temporary_id_id = t.id AND a.term_id = %(term)s "
    "AND a.status = %(issued)s)"
)
# A free seat is open to anyone only while nobody waits for it (issue 14): else it goes to the waitlist.
_SEAT_SQL = (
    "UPDATE creditexchange_courseoffering SET seats_taken = seats_taken + 1 WHERE id = %(offering)s "
    "AND seats_taken < capacity AND waiting = 0 AND published_at IS NOT NULL AND open_to_exchange RETURNING seats_taken"
)
_REGISTER_SQL = """
WITH mine AS (
    SELECT o.id, o.credits FROM creditexchange_courseregistration r
    JOIN creditexchange_courseoffering o ON o.id = r.offering_id
    WHERE r.student_id = %(student)s AND r.term_id = %(term)s AND r.status = %(registered)s
), this AS (
    SELECT credits FROM creditexchange_courseoffering WHERE id = %(offering)s
)
INSERT INTO creditexchange_courseregistration (student_id, offering_id, term_id, status, registered_at)
SELECT %(student)s, %(offering)s, %(term)s, %(registered)s, %(now)s
WHERE NOT EXISTS (SELECT 1 FROM mine WHERE mine.id = %(offering)s)
AND (SELECT COALESCE(SUM(credits), 0) FROM mine) + (SELECT credits FROM this)
    <= (SELECT credit_limit FROM academics_term WHERE id = %(term)s)
AND NOT EXISTS (
    SELECT 1 FROM creditexchange_timeslot new JOIN creditexchange_timeslot old
    ON old.weekday = new.weekday AND new.starts_at < old.ends_at AND old.starts_at < new.ends_at
    WHERE new.offering_id = %(offering)s AND old.offering_id IN (SELECT id FROM mine)
)
AND (%(staff)s OR EXISTS (
    SELECT 1 FROM academics_termwindow w WHERE w.term_id = %(term)s AND w.kind IN (%(registration)s, %(change)s)
    AND w.starts_at <= %(at)s AND %(at)s < w.ends_at
))
RETURNING id
"""
_EVENT_SQL = (
    "INSERT INTO creditexchange_registrationevent (registration_id, from_status, to_status, actor_id, reason, created_at) "
    "VALUES (%(registration)s, '', %(registered)s, %(actor)s, %(reason)s, %(now)s)"
)


def _one(cursor, sql: str, params: dict):
    cursor.execute(sql, params)
    row = cursor.fetchone()
    return None if row is None else row[0]


def _registration_sql(*, student: User, offering: CourseOffering, actor: User | None, reason: str, at: datetime,
                      on_behalf: bool, now: datetime) -> tuple[int | None, int | None]:
    """Take the seat and insert the registration and its event if the rules hold: (registration id, seats taken now),
    or (None, None) when no seat was free, or (None, seats) when a rule refused (the caller rolls back)."""
    ops = connection.ops
    params = {
        "student": student.pk, "offering": offering.pk, "term": offering.term_id, "issued": TemporaryIdApplication.Status.ISSUED,
        "registered": Status.REGISTERED, "staff": on_behalf, "registration": TermWindow.Kind.REGISTRATION,
        "change": TermWindow.Kind.CHANGE, "at": ops.adapt_datetimefield_value(at), "now": ops.adapt_datetimefield_value(now),
        "actor": (actor or student).pk, "reason": reason,
    }
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        if _one(cursor, _LOCK_SQL + lock, params) is None:
            _lock_identity(student=student, term=offering.term)  # raises NotEligible with its message
        seats = _one(cursor, _SEAT_SQL, params)
        if seats is None:
            return None, None
        registration_id = _one(cursor, _REGISTER_SQL, params)
        if registration_id is not None:
            cursor.execute(_EVENT_SQL, {**params, "registration": registration_id})
    return registration_id, seats


def registration_submit(
    *, student: User, offering_id: int, actor: User | None = None, reason: str = "", at: datetime | None = None,
    offering: CourseOffering | None = None,
) -> CourseRegistration:
    """Register ``student`` for one offering; staff acting for a student give a reason and are not bound by windows.

    ``offering`` is that row if the caller has already read it (the Register click reads it with its term), which
    saves the rush a query; capacity is decided by the conditional UPDATE, not by it.
    On success ``registration.offering`` is that object with ``seats_taken`` as the UPDATE left it.
    """
    at = at or timezone.now()
    if offering is None or offering.pk != offering_id:
        offering = CourseOffering.objects.select_related("term").filter(pk=offering_id).first()
    if offering is None or not offering.is_published or not offering.open_to_exchange:
        raise NotEligible(_("This course is not open for registration by exchange students."))
    on_behalf = _is_staff_action(student, actor)
    if on_behalf and not reason.strip():
        raise DomainError(_("Give a reason when registering on a student's behalf."))
    if not on_behalf:
        _require_window(term=offering.term, kinds=(TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE), at=at)
    if not offering.has_capacity:
        raise CourseFull(full_message(offering))  # fast path for the 09:00 rush: no transaction
    now = timezone.now()
    with transaction.atomic():
        if on_behalf:
            _refuse_when_grades_final(offering)
        registration_id, seats = _registration_sql(
            student=student, offering=offering, actor=actor, reason=reason.strip(), at=at, on_behalf=on_behalf, now=now
        )
        if seats is None:
            _plan_rows(student=student, offering=offering)  # a duplicate says so, as before the seat
            raise CourseFull(full_message(CourseOffering.objects.filter(pk=offering.pk).first() or offering))
        if registration_id is None:  # a rule refused: the same rules in Python say which (and roll back)
            if not on_behalf:
                _require_window(term=offering.term, kinds=(TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE), at=at)
            _check_plan(student=student, offering=offering, rows=_plan_rows(student=student, offering=offering))
            raise DomainError(_("%(course)s could not be registered; please try again.") % {"course": offering})
    offering.seats_taken = seats
    registration = CourseRegistration(
        pk=registration_id, student=student, offering=offering, term_id=offering.term_id, status=Status.REGISTERED,
        registered_at=now,
    )
    registration._state.adding, registration._state.db = False, connection.alias
    return registration


def _refuse_when_grades_final(offering: CourseOffering) -> None:
    """Staff registering a student after the term's grades are final would change a final transcript: refused.
    The term's grade lock row is locked first, as the grade services do, so making the grades final waits for
    this registration (and then finds it without a grade) or this registration sees the term final."""
    grades = TermGrades.objects.select_for_update().filter(term_id=offering.term_id).first()
    if grades is not None and grades.is_final:
        raise InvalidTransition(
            _("The grades of %(term)s are final: reopen them before registering a student.") % {"term": offering.term}
        )


def registration_drop(
    *, student: User, registration_id: int, actor: User | None = None, reason: str = "", at: datetime | None = None
) -> CourseRegistration:
    """Seed 000 §4: cancellation by the student in the change window; staff may act with a reason.

    A registration with a grade is never dropped (issue 15: the transcript keeps it; a withdrawal is the grade W).
    """
    at = at or timezone.now()
    on_behalf = _is_staff_action(student, actor)
    if on_behalf and not reason.strip():
        raise DomainError(_("Give a reason when dropping a course on a student's behalf."))
    with transaction.atomic():
        registration = (
            CourseRegistration.objects.select_for_update(of=("self",)).select_related("offering__term")
            .filter(pk=registration_id, student=student).first()
        )
        if registration is None:
            raise NotEligible(_("This registration does not exist."))
        if registration.status != Status.REGISTERED:
            raise InvalidTransition(_("%(course)s is already dropped.") % {"course": registration.offering})
        if not on_behalf:
            _require_window(term=registration.offering.term, kinds=(TermWindow.Kind.CHANGE,), at=at)
        if Grade.objects.filter(registration=registration).exists():
            raise InvalidTransition(
                _("%(course)s has a grade and cannot be dropped: enter W (withdrawn) as its grade instead.")
                % {"course": registration.offering}
            )
        registration.status = Status.DROPPED
        registration.dropped_at = at
        registration.save(update_fields=["status", "dropped_at"])
        CourseOffering.objects.filter(pk=registration.offering_id).update(seats_taken=F("seats_taken") - 1)
        RegistrationEvent.objects.create(
            registration=registration, from_status=Status.REGISTERED, to_status=Status.DROPPED, actor=actor or student,
            reason=reason.strip(),
        )
    return registration
