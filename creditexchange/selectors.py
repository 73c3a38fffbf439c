"""Reads for the catalogue and My registrations: a fixed number of queries whatever the page size."""

from dataclasses import dataclass
from datetime import time

from django.db.models import Q, QuerySet

from academics.models import Term, TermWindow
from accounts.models import User
from core import dates

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
