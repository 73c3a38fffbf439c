"""Course offerings: import from CSV/XLSX (all or nothing) and publish in the course-opening window."""

import re
from collections.abc import Callable
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Campus, Department, Term, TermWindow
from academics.services import window_require_open
from accounts.models import User
from ustportal.errors import DomainError
from ustportal.imports import FALSE, TRUE, ImportReport, read_rows

from ..models import CourseOffering, TimeSlot

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


def offerings_import(
    *, term: Term, content: bytes, filename: str, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Create or update the term's offerings from a file; any row error and nothing is saved.

    ``progress(checked, total)`` is called after each row is checked (before the one saving transaction).
    """
    report = ImportReport()
    rows = read_rows(content=content, filename=filename, columns=COLUMNS)
    campuses = {c.code: c for c in Campus.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    existing = {(o.code, o.section): o for o in CourseOffering.objects.filter(term=term)}
    planned = []
    seen = set()
    for number, row in rows:
        try:
            key = (row["code"], row["section"] or "01")
            if key in seen:
                raise ValueError(_("course %(code)s section %(section)s appears twice") % {"code": key[0], "section": key[1]})
            seen.add(key)
            if row["campus"] not in campuses:
                raise ValueError(_("unknown campus code “%(code)s”") % {"code": row["campus"]})
            if row["department"] and row["department"] not in departments:
                raise ValueError(_("unknown department code “%(code)s”") % {"code": row["department"]})
            flag = row["open_to_exchange"].lower()
            if flag not in TRUE | FALSE:
                raise ValueError(_("open_to_exchange must be yes or no"))
            offering = existing.get(key) or CourseOffering(term=term, code=key[0], section=key[1])
            offering.title_ko, offering.title_en = row["title_ko"], row["title_en"] or row["title_ko"]
            offering.credits, offering.capacity = int(row["credits"] or 0), int(row["capacity"] or -1)
            offering.instructor, offering.location = row["instructor"], row["location"]
            offering.campus = campuses[row["campus"]]
            offering.department = departments.get(row["department"])
            offering.open_to_exchange = flag in TRUE
            if offering.capacity < offering.seats_taken:
                raise ValueError(
                    _("capacity %(capacity)s is below the %(taken)s students already registered")
                    % {"capacity": offering.capacity, "taken": offering.seats_taken}
                )
            slots = _parse_slots(row["slots"])
            offering.full_clean(exclude=["term"], validate_unique=False)
        except ValidationError as exc:
            report.errors.append((number, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())))
        except (ValueError, KeyError) as exc:
            report.errors.append((number, str(exc)))
        else:
            planned.append((number, offering, slots))
        if progress is not None:
            progress(len(planned) + len(report.errors), len(rows))
    if report.errors:
        return report
    with transaction.atomic():
        # Students keep registering while the file is checked: re-read the seats under a lock and
        # never write the count read above back over theirs.
        taken = dict(
            CourseOffering.objects.select_for_update()
            .filter(pk__in=[o.pk for _n, o, _s in planned if o.pk is not None]).values_list("pk", "seats_taken")
        )
        for number, offering, _slots in planned:
            if offering.pk is not None and offering.capacity < taken.get(offering.pk, 0):
                message = _("capacity %(capacity)s is below the %(taken)s students already registered") % {
                    "capacity": offering.capacity, "taken": taken[offering.pk],
                }
                report.errors.append((number, message))
        if report.errors:
            return report
        for _number, offering, slots in planned:
            is_new = offering.pk is None
            if is_new:
                offering.save()
            else:
                offering.seats_taken = taken.get(offering.pk, offering.seats_taken)
                offering.save(update_fields=IMPORTED_FIELDS)
            TimeSlot.objects.filter(offering=offering).delete()
            TimeSlot.objects.bulk_create(TimeSlot(offering=offering, weekday=d, starts_at=s, ends_at=e) for d, s, e in slots)
            report.created += is_new
            report.updated += not is_new
    return report


# What staff may change on an existing offering in the admin (seats and publication have their own paths).
EDITABLE_FIELDS = [*IMPORTED_FIELDS, "term", "code", "section"]


def offering_capacity_check(*, offering_id: int | None, capacity: int) -> None:
    """A capacity may not drop below the students already registered (read now, not when the form was opened)."""
    taken = CourseOffering.objects.filter(pk=offering_id).values_list("seats_taken", flat=True).first() or 0
    if capacity < taken:
        raise DomainError(
            _("The capacity cannot be lower than the %(taken)s students already registered.") % {"taken": taken}
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
    from .offering_change import offering_change_check, offering_change_notify

    if offering.pk is None:
        offering.full_clean()
        with transaction.atomic():
            offering.save()
            if slots is not None:
                _slots_replace(offering, slots)
        return offering
    with transaction.atomic():
        taken = CourseOffering.objects.select_for_update().values_list("seats_taken", flat=True).get(pk=offering.pk)
        offering_capacity_check(offering_id=offering.pk, capacity=offering.capacity)
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
