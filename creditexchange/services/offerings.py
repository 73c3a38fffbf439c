"""Course offerings: staff edits, the import's file format (the import is in ``offerings_file``), publication."""

import re
from datetime import datetime, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Term, TermWindow
from academics.services import window_require_open
from accounts.models import User
from core.errors import DomainError
from core.imports import ImportReport  # noqa: F401 - re-exported by the package

from ..models import CourseOffering, TimeSlot
from ..selectors import forget_offering_static

COLUMNS = [
    "code", "section", "title_ko", "title_en", "credits", "capacity", "instructor", "department", "campus",
    "location", "open_to_exchange", "slots",
]
# What a file may change on an existing offering; seats_taken and published_at are never written back.
IMPORTED_FIELDS = [
    "title_ko", "title_en", "credits", "capacity", "instructor", "location", "campus", "department", "open_to_exchange",
]
WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5,
    "월": 0, "화": 1, "수": 2, "목": 3, "금": 4, "토": 5,
}
SLOT_RE = re.compile(r"^\s*(\w+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
def _parse_slots(value: str) -> list[tuple[int, time, time]]:
    slots = []
    for part in filter(None, (p.strip() for p in value.split(";"))):
        match = SLOT_RE.match(part)
        if not match or match.group(1).lower()[:3] not in WEEKDAYS and match.group(1) not in WEEKDAYS:
            raise ValueError(_("time slot “%(slot)s” is not like “Mon 09:00-10:30”") % {"slot": part})
        day = WEEKDAYS.get(match.group(1).lower()[:3], WEEKDAYS.get(match.group(1)))
        start = time(int(match.group(2)), int(match.group(3)))
        end = time(int(match.group(4)), int(match.group(5)))
        if start >= end:
            raise ValueError(_("time slot “%(slot)s” must end after it starts") % {"slot": part})
        slots.append((day, start, end))
    return slots


# What staff may change on an existing offering in the admin (seats and publication have their own paths).
EDITABLE_FIELDS = [*IMPORTED_FIELDS, "term", "code", "section"]


def offering_capacity_check(*, offering_id: int | None, capacity: int) -> None:
    """A capacity may not drop below the students already registered (read now, not when the form was opened)."""
    taken = CourseOffering.objects.filter(pk=offering_id).values_list("seats_taken", flat=True).first() or 0
    if capacity < taken:
        raise DomainError(
            _("The capacity cannot be lower than the %(taken)s students already registered.") % {"taken": taken}
        )


def offering_term_check(*, offering_id: int | None, term_id: int | None) -> None:
    """An offering with registrations stays in its term: moved, its registrations (kept with their term) would count
    in neither timetable, for seats, clashes or credits. Withdraw it and create it in the other term instead."""
    stored = CourseOffering.objects.filter(pk=offering_id).values_list("term_id", flat=True).first()
    if offering_id is None or stored is None or stored == term_id:
        return
    from ..models import CourseRegistration

    if CourseRegistration.objects.filter(offering_id=offering_id).exists():
        raise DomainError(
            _("The term cannot be changed: registered students hold this offering for its term. Create the offering in the other term instead.")
        )


def offering_save(
    *, offering: CourseOffering, slots: list[tuple[int, time, time]] | None = None, actor: User | None = None,
    expected: str = "",
) -> CourseOffering:
    """A staff edit: the seat count is locked and re-read, never written back from the form's stale copy.

    ``slots`` (weekday, start, end) replace the offering's time slots (None keeps them). A change of slots or
    credits under registered students goes through ``offering_change_check`` (raises
    ``OfferingChangeUnconfirmed`` unless ``expected`` is the fingerprint of the preview staff confirmed) and is
    recorded and mailed by ``offering_change_notify``.
    """
    from .offering_change import offering_change_check, offering_change_lock, offering_change_notify

    if offering.pk is None:
        offering.full_clean()
        with transaction.atomic():
            offering.save()
            if slots is not None:
                _slots_replace(offering, slots)
        return offering
    with transaction.atomic():
        offering_change_lock(offering_ids=[offering.pk])
        taken = CourseOffering.objects.select_for_update().values_list("seats_taken", flat=True).get(pk=offering.pk)
        offering_capacity_check(offering_id=offering.pk, capacity=offering.capacity)
        offering_term_check(offering_id=offering.pk, term_id=offering.term_id)
        if slots is None:
            slots = list(TimeSlot.objects.filter(offering=offering).values_list("weekday", "starts_at", "ends_at"))
        preview = offering_change_check(proposed={offering.pk: (offering.credits, list(slots))}, expected=expected)
        offering.seats_taken = taken
        offering.save(update_fields=EDITABLE_FIELDS)
        _slots_replace(offering, slots)
        offering_change_notify(preview=preview, actor=actor, via="offering_save", expected=expected)
    return offering


def _slots_replace(offering: CourseOffering, slots) -> None:
    current = sorted(TimeSlot.objects.filter(offering=offering).values_list("weekday", "starts_at", "ends_at"))
    if current == sorted(slots):
        return
    TimeSlot.objects.filter(offering=offering).delete()
    TimeSlot.objects.bulk_create(TimeSlot(offering=offering, weekday=d, starts_at=s, ends_at=e) for d, s, e in slots)
    forget_offering_static([offering.pk])  # the bulk insert sends no signal (creditexchange.signals)


def offerings_publish(*, offerings, actor: User | None = None, at: datetime | None = None) -> int:
    """Seed 000 §3.b: offerings are published during the term's course-opening window."""
    at = at or timezone.now()
    count = 0
    for term_id in {o.term_id for o in offerings}:
        window_require_open(term=Term.objects.get(pk=term_id), kind=TermWindow.Kind.COURSE_OPENING, at=at)
    with transaction.atomic():
        count = CourseOffering.objects.filter(pk__in=[o.pk for o in offerings], published_at__isnull=True).update(
            published_at=at
        )
    return count


def offerings_unpublish(*, offerings) -> int:
    ids = [o.pk for o in offerings]
    if CourseOffering.objects.filter(pk__in=ids, seats_taken__gt=0).exists():
        raise DomainError(_("Offerings with registered students cannot be withdrawn from the catalogue."))
    return CourseOffering.objects.filter(pk__in=ids).update(published_at=None)
