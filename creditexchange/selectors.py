"""Reads for the catalogue and My registrations: a fixed number of queries whatever the page size."""

import functools
from dataclasses import dataclass
from datetime import time

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from academics.models import Campus, Department, Term, TermWindow
from accounts.models import User
from core import dates, sql
from core.cache import cache_forget, cache_get, cache_set

from .models import CourseOffering, CourseRegistration, TimeSlot


def catalogue_default_term() -> Term | None:
    """The term whose registration or change window is open, else the newest with published courses."""
    current = (
        Term.objects.filter(
            dates.open_q(opens="windows__starts_at", closes="windows__ends_at"),
            windows__kind__in=[TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE],
        ).order_by("-year").first()
    )
    return current or Term.objects.filter(offerings__published_at__isnull=False).order_by("-year", "-pk").first()


def catalogue_terms() -> QuerySet[Term]:
    return Term.objects.filter(offerings__published_at__isnull=False).distinct().chronological()


def catalogue_offerings(
    *, term: Term, q: str = "", department=None, campus=None, weekday: int | None = None, credits: int | None = None
) -> QuerySet[CourseOffering]:
    offerings = CourseOffering.objects.filter(term=term, published_at__isnull=False, open_to_exchange=True)
    if q:
        offerings = offerings.filter(
            Q(code__icontains=q) | Q(title_ko__icontains=q) | Q(title_en__icontains=q) | Q(instructor__icontains=q)
        )
    if department is not None:
        offerings = offerings.filter(department=department)
    if campus is not None:
        offerings = offerings.filter(campus=campus)
    if weekday is not None:
        offerings = offerings.filter(pk__in=TimeSlot.objects.filter(weekday=weekday).values("offering_id"))
    if credits is not None:
        offerings = offerings.filter(credits=credits)
    return offerings.select_related("department", "campus").prefetch_related("slots").order_by("code", "section")


def offering_row(*, offering_id: int) -> CourseOffering | None:
    """One offering with what its catalogue row shows (term, department, campus, slots): two queries."""
    return (
        CourseOffering.objects.select_related("term", "department", "campus").prefetch_related("slots")
        .filter(pk=offering_id).first()
    )


# --- The Register click (issue 14): the offering's row read fresh in one statement, the rest from the cache ------------

STATIC_CACHE_SECONDS = 600


def offering_static_key(offering_id: int) -> str:
    return f"offering-static:v1:{offering_id}"


def forget_offering_static(offering_ids) -> None:
    """Drop the cached static part of these offerings now and again when the transaction commits (a reader between
    the two would otherwise cache what the transaction is replacing)."""
    keys = [offering_static_key(pk) for pk in set(offering_ids) if pk is not None]
    if keys:
        cache_forget(keys)
        transaction.on_commit(lambda: cache_forget(keys))


@dataclass
class Click:
    """What a Register click reads: the offering's own row and its term, fresh (seats, capacity, waiting, published,
    credits: everything a rule looks at), and the id of the student's registration for it, if any."""

    offering: CourseOffering
    registration_id: int | None
    eligible: bool  # holds an issued temporary ID for the offering's term (services.student_can_register's rule)


_CLICK_REST = (
    "(SELECT r.id FROM creditexchange_courseregistration r "
    "WHERE r.offering_id = o.id AND r.student_id = %(student)s AND r.status = 'registered'), "
    "EXISTS (SELECT 1 FROM creditexchange_temporaryidapplication a JOIN accounts_temporarystudentid i "
    "ON i.id = a.temporary_id_id WHERE i.user_id = %(student)s AND a.term_id = o.term_id AND a.status = 'issued') "
    "FROM creditexchange_courseoffering o JOIN academics_term t ON t.id = o.term_id WHERE o.id = %(offering)s"
)


class _ClickSql:
    """The statement and the converters of its columns, built once from the models' fields (a new field is read too)."""

    def __init__(self):
        self.models = (CourseOffering, Term)
        columns, self.names, self.converters = [], [], []
        for model, alias in zip(self.models, ("o", "t"), strict=True):
            fields = model._meta.concrete_fields
            self.names.append([f.attname for f in fields])
            columns += [f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields]
            # What the ORM would apply (SQLite hands back datetimes as naive UTC, for one).
            self.converters += [
                [(converter, f.get_col(alias)) for converter in connection.ops.get_db_converters(f.get_col(alias))
                 + f.get_db_converters(connection)]
                for f in fields
            ]
        # Only the models' own column names go into the text; every value is a parameter.
        self.sql = f"SELECT {', '.join(columns)}, {_CLICK_REST}"  # nosec B608

    def read(self, row) -> tuple[CourseOffering, Term, int | None, bool]:
        values = []
        for value, converters in zip(row[:-2], self.converters, strict=True):
            for converter, expression in converters:
                value = converter(value, expression, connection)
            values.append(value)
        n = len(self.names[0])
        offering = CourseOffering.from_db(connection.alias, self.names[0], values[:n])
        term = Term.from_db(connection.alias, self.names[1], values[n:n + len(self.names[1])])
        return offering, term, row[-2], bool(row[-1])


@functools.cache
def _click_sql() -> _ClickSql:
    """Per process: the click's SQL text and converters, built from the models' code: the same on every node."""
    return _ClickSql()


def offering_click(*, offering_id: int, student: User) -> Click | None:
    """The offering's row with its term, the student's registration for it and whether they hold an issued ID for
    the term: one plain SQL statement (an ORM query costs more Python than this whole read). Department, campus and slots come later from the cache
    (``offering_static``): they are only shown, no rule reads them from there."""
    if not 0 < offering_id < 2**63:  # the URL takes any integer; the column is a 64-bit one (the ORM's empty result)
        return None
    statement = _click_sql()
    with connection.cursor() as cursor:
        sql.execute(cursor, name="click", sql=statement.sql, params={"student": student.pk, "offering": offering_id})
        row = cursor.fetchone()
    if row is None:
        return None
    offering, term, registration_id, eligible = statement.read(row)
    offering.term = term
    return Click(offering=offering, registration_id=registration_id, eligible=eligible)


def offering_static(offering: CourseOffering) -> CourseOffering:
    """Attach the offering's department, campus and time slots, from the cache when they are there (one round trip
    with the click's other keys, see ``views_courses``), else from the database (then cached).

    Invalidated by every write of a slot, a department, a campus or the offering (``creditexchange.signals``,
    ``services.offerings._slots_replace``); the entry also names the department and campus it holds, so an
    offering moved to another one never shows the old name.
    """
    key = offering_static_key(offering.pk)
    static = cache_get(key)
    if static is None or static[0] != offering.department_id or static[1].pk != offering.campus_id:
        department = Department.objects.filter(pk=offering.department_id).first() if offering.department_id else None
        campus = Campus.objects.get(pk=offering.campus_id)
        slots = list(TimeSlot.objects.filter(offering_id=offering.pk))
        static = (offering.department_id, campus, department, slots)
        cache_set(key, static, STATIC_CACHE_SECONDS)
    _department_id, campus, department, slots = static
    offering.campus = campus
    offering.department = department
    for slot in slots:
        slot.offering = offering
    prefetched = TimeSlot.objects.none()
    prefetched._result_cache, prefetched._prefetch_done = slots, True
    offering._prefetched_objects_cache = {"slots": prefetched}
    return offering


def registrations_of_offering(*, student: User, offering: CourseOffering) -> QuerySet[CourseRegistration]:
    return CourseRegistration.objects.filter(
        student=student, offering=offering, status=CourseRegistration.Status.REGISTERED
    ).only("id", "offering_id")


def registrations_of(*, student: User, term: Term) -> QuerySet[CourseRegistration]:
    return (
        CourseRegistration.objects.filter(student=student, term=term, status=CourseRegistration.Status.REGISTERED)
        .select_related("offering__campus", "offering__department")
        .prefetch_related("offering__slots")
        .order_by("offering__code")
    )


@dataclass
class TimetableRow:
    hour: int
    cells: list[list[CourseOffering]]

    @property
    def label(self) -> str:
        return f"{self.hour:02d}:00"


def timetable(registrations, *, first_hour: int = 9, last_hour: int = 18, days: int = 6) -> list[TimetableRow]:
    """Hour-by-weekday grid of the registered offerings (pure: works on already-fetched rows)."""
    slots = [(r.offering, s) for r in registrations for s in r.offering.slots.all()]
    if slots:
        first_hour = min(first_hour, *(s.starts_at.hour for _, s in slots))
        last_hour = max(last_hour, *(s.ends_at.hour + (1 if s.ends_at.minute else 0) for _, s in slots))
    rows = []
    for hour in range(first_hour, last_hour):
        start, end = time(hour), time(hour + 1) if hour < 23 else time(23, 59)
        cells = [
            [offering for offering, s in slots if s.weekday == day and s.starts_at < end and start < s.ends_at]
            for day in range(days)
        ]
        rows.append(TimetableRow(hour=hour, cells=cells))
    return rows


def basket_offering_ids(*, student: User, term: Term) -> dict[int, int]:
    """The student's basket of the term: offering id → basket item id (one query)."""
    from .models import BasketItem

    return dict(BasketItem.objects.filter(student=student, term=term).values_list("offering_id", "pk"))


def waitlist_entries_of(*, student: User, term: Term) -> list:
    """The student's active waitlist entries of the term, each with ``position`` set (one query + one per entry;
    a student is on a few waitlists at most, ``settings.WAITLIST_MAX_PER_STUDENT``)."""
    from .models import WaitlistEntry
    from .services.waitlist import ACTIVE, waitlist_position

    entries = list(
        WaitlistEntry.objects.filter(student=student, term=term, status__in=ACTIVE)
        .select_related("offering__campus").prefetch_related("offering__slots").order_by("joined_at")
    )
    for entry in entries:
        entry.position = waitlist_position(entry=entry)
    return entries
