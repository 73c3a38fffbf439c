"""Shared set-up for the basket and waitlist tests (issue 14): a term with Seoul windows, full offerings, checks.

The term's windows (Asia/Seoul, half-open) and the default release times 10:00 and 17:00:

    course opening  2027-02-01 09:00 → 2027-02-12 18:00
    registration    2027-02-15 (Mon) 09:00 → 2027-02-19 (Fri) 18:00
    change          2027-03-02 (Tue) 09:00 → 2027-03-08 (Mon) 18:00
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from academics.models import Term, TermWindow
from creditexchange import services
from creditexchange.models import CourseOffering, CourseRegistration, WaitlistEntry
from creditexchange.services import waitlist as waitlist_service

from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, TimeSlotFactory, issued_student

SEOUL = ZoneInfo("Asia/Seoul")
SECOND = timedelta(seconds=1)
OPENING_START = datetime(2027, 2, 1, 9, 0, tzinfo=SEOUL)
OPENING_END = datetime(2027, 2, 12, 18, 0, tzinfo=SEOUL)
REGISTRATION_START = datetime(2027, 2, 15, 9, 0, tzinfo=SEOUL)
REGISTRATION_END = datetime(2027, 2, 19, 18, 0, tzinfo=SEOUL)
CHANGE_START = datetime(2027, 3, 2, 9, 0, tzinfo=SEOUL)
CHANGE_END = datetime(2027, 3, 8, 18, 0, tzinfo=SEOUL)
IN_OPENING = OPENING_START + timedelta(days=2)
IN_REGISTRATION = datetime(2027, 2, 16, 9, 30, tzinfo=SEOUL)
IN_CHANGE = datetime(2027, 3, 2, 12, 0, tzinfo=SEOUL)
BETWEEN_WINDOWS = datetime(2027, 2, 24, 12, 0, tzinfo=SEOUL)

Status = WaitlistEntry.Status
ACTIVE = (Status.WAITING, Status.OFFERED)
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat"]


def seoul(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant of 2027 on the Seoul clock."""
    return datetime(2027, month, day, hour, minute, second, tzinfo=SEOUL)


def build_term(*, year: int = 2027, season: str = "spring", mode: str = Term.WaitlistMode.AUTO, windows=None) -> Term:
    """A term with the windows above (or ``windows``: kind → (start, end)) and the waitlist ``mode``."""
    term = TermFactory(year=year, season=season, credit_limit=12)
    term.waitlist_mode = mode
    term.save(update_fields=["waitlist_mode"])
    windows = windows if windows is not None else {
        TermWindow.Kind.COURSE_OPENING: (OPENING_START, OPENING_END),
        TermWindow.Kind.REGISTRATION: (REGISTRATION_START, REGISTRATION_END),
        TermWindow.Kind.CHANGE: (CHANGE_START, CHANGE_END),
    }
    for kind, (starts_at, ends_at) in windows.items():
        TermWindowFactory(term=term, kind=kind, starts_at=starts_at, ends_at=ends_at)
    return term


def offering_with(term: Term, *slots, **fields) -> CourseOffering:
    """An offering with time slots given as ("mon", "09:00", "10:30")."""
    offering = CourseOfferingFactory(term=term, **fields)
    for day, start, end in slots:
        TimeSlotFactory(
            offering=offering, weekday=DAYS.index(day), starts_at=time.fromisoformat(start), ends_at=time.fromisoformat(end)
        )
    return offering


def full_offering(term: Term, *slots, capacity: int = 1, **fields) -> tuple[CourseOffering, list[CourseRegistration]]:
    """An offering whose ``capacity`` seats were taken in the registration window by students of its own."""
    offering = offering_with(term, *slots, capacity=capacity, **fields)
    holders = [
        services.registration_submit(student=issued_student(term), offering_id=offering.pk, at=IN_REGISTRATION)
        for _ in range(capacity)
    ]
    return offering, holders


def join(student, offering, at: datetime = IN_REGISTRATION) -> WaitlistEntry:
    return waitlist_service.waitlist_join(student=student, offering_id=offering.pk, at=at)


def drop(registration: CourseRegistration, at: datetime = IN_CHANGE) -> None:
    """The holder drops the course in the change window: a seat is free."""
    services.registration_drop(student=registration.student, registration_id=registration.pk, at=at)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def assert_waitlists_consistent() -> None:
    """The invariants every waitlist step keeps, for every offering: ``waiting`` is the number of active entries,
    ``seats_taken`` the registrations plus the seats held for offers, never above capacity; positions are 1..n."""
    for offering in CourseOffering.objects.all():
        entries = list(WaitlistEntry.objects.filter(offering=offering))
        active = [e for e in entries if e.status in ACTIVE]
        held = [e for e in entries if e.status == Status.OFFERED]
        registered = CourseRegistration.objects.filter(offering=offering, status=CourseRegistration.Status.REGISTERED).count()
        assert offering.waiting == len(active), (offering, offering.waiting, len(active))
        assert offering.seats_taken == registered + len(held), (offering, offering.seats_taken, registered, len(held))
        assert offering.seats_taken <= offering.capacity
        assert sorted(waitlist_service.waitlist_position(entry=e) for e in active) == list(range(1, len(active) + 1))
        sequences = sorted(e.sequence for e in entries)
        assert sequences == list(range(1, len(entries) + 1)), (offering, sequences)
