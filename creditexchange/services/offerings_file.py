"""The offerings import as a previewed bulk action (issue 12; /work/notes/import_contract.md).

``offerings_import(dry_run=True)`` checks every row and returns the preview: one ``bulk.change`` per offering it
would create or change (only the fields that change; the time slots as one ``time_slots`` text like the file's), the
registered students whose timetables the new slots or credits break (``report.affected``, as in finding 4), and a
fingerprint over the file's SHA-256, the current values of every offering the file touches ("absent" for new
ones) and the offering-change preview (the affected registrations). Nothing is written.

The real run recomputes under locks and refuses a different fingerprint (``StalePreview``). With an empty
``expected`` (management command, tests) there is no preview to compare, so a file that breaks a registered
student's timetable is refused with a row error: such a change is applied only from a confirmed preview.
It records ``creditexchange.offerings_import`` (the rows) and, when registered students' timetables changed,
``creditexchange.offering_change`` with their mails (``offering_change_notify``).

Undo (``offerings_import_undo``): created offerings are deleted unless someone registered for one or it was
published since; changed offerings get their values and slots back unless they changed since, or the old slots or
credits would break a registered student's timetable (then change the offering in its form, where the affected
students are shown and mailed). The mails of the change are not recalled.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from academics.models import Campus, Department, Term
from accounts.models import User
from core.bulk import StalePreview, bulk_record, fingerprint
from core.errors import DomainError
from core.imports import FALSE, TRUE, ImportReport, read_rows

from ..models import CourseOffering, CourseRegistration, TimeSlot
from .offering_change import _hhmm, offering_change_lock, offering_change_notify, offering_change_preview
from .offerings import COLUMNS, IMPORTED_FIELDS, _parse_slots, _slots_replace

KIND = "creditexchange.offerings_import"
# The key of the slots in a change entry: not a model field (the preview shows the name as it is).
SLOTS = "time_slots"
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


@dataclass
class OfferingsImportReport(ImportReport):
    # One entry per registered student whose timetable the file breaks: {"student", "clashes", "credits"}
    # (``StudentBreaks`` as plain data; the page words it in the reader's language with ``|offering_breaks``).
    affected: list[dict] = field(default_factory=list)
    bulk_action_ids: list[int] = field(default_factory=list)


def slots_text(slots) -> str:
    """The file's notation, "Mon 09:00-10:30; Wed 09:00-10:30" (what the preview and the action log show)."""
    return "; ".join(f"{DAYS[d]} {_hhmm(s)}-{_hhmm(e)}" for d, s, e in sorted(slots))


def _values(offering: CourseOffering) -> dict:
    return {name: getattr(offering, offering._meta.get_field(name).attname) for name in IMPORTED_FIELDS}


def _current_slots(offering_ids) -> dict[int, list]:
    slots: dict[int, list] = {pk: [] for pk in offering_ids}
    for pk, d, s, e in TimeSlot.objects.filter(offering_id__in=offering_ids).values_list("offering_id", "weekday", "starts_at", "ends_at"):
        slots[pk].append((d, s, e))
    return slots


def _row_offering(row, *, term, existing, campuses, departments, seen):
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
    return offering, slots


def _check_rows(rows, *, term, report, progress) -> list:
    from django.core.exceptions import ValidationError

    campuses = {c.code: c for c in Campus.objects.all()}
    departments = {d.code: d for d in Department.objects.all()}
    existing = {(o.code, o.section): o for o in CourseOffering.objects.filter(term=term)}
    planned, seen = [], set()
    for number, row in rows:
        try:
            offering, slots = _row_offering(row, term=term, existing=existing, campuses=campuses, departments=departments, seen=seen)
        except ValidationError as exc:
            report.errors.append((number, "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())))
        except (ValueError, KeyError) as exc:
            report.errors.append((number, str(exc)))
        else:
            planned.append((number, offering, slots))
        if progress is not None:
            progress(len(planned) + len(report.errors), len(rows))
    return planned


def _plan(planned, *, report, sha256):
    """Fill ``report.changes`` and ``report.fingerprint`` from the DB as it is now; returns the change preview."""
    existing_ids = [o.pk for _n, o, _s in planned if o.pk is not None]
    stored = {o.pk: o for o in CourseOffering.objects.filter(pk__in=existing_ids)}
    stored_slots = _current_slots(existing_ids)
    current, report.changes = {}, []
    for _number, offering, slots in planned:
        label = f"{offering.code}-{offering.section}"
        after = {**_values(offering), SLOTS: slots_text(slots)}
        if offering.pk is None:
            current[label] = "absent"
            report.changes.append({"object": "creditexchange.courseoffering", "id": None, "label": label, "before": None,
                                   "after": {k: _plain(v) for k, v in after.items()}})
            continue
        before = {**_values(stored[offering.pk]), SLOTS: slots_text(stored_slots[offering.pk])}
        current[label] = {k: _plain(v) for k, v in before.items()}
        diff = [k for k in after if after[k] != before[k]]
        if diff:
            report.changes.append({"object": "creditexchange.courseoffering", "id": offering.pk, "label": label,
                                   "before": {k: _plain(before[k]) for k in diff}, "after": {k: _plain(after[k]) for k in diff}})
    preview = offering_change_preview(proposed={o.pk: (o.credits, s) for _n, o, s in planned if o.pk is not None})
    report.fingerprint = fingerprint({"file": sha256, "current": current, "registrations": preview.fingerprint})
    return preview


def _plain(value):
    return value if value is None or isinstance(value, bool | int | str) else str(value)


def _describe_affected(preview) -> list[dict]:
    students = User.objects.in_bulk([b.student_id for b in preview.affected])
    return [
        {"student": str(students.get(b.student_id, b.student_id)), "clashes": b.clashes, "credits": b.credits}
        for b in preview.affected
    ]


def offerings_import(
    *, term: Term, content: bytes, filename: str, progress: Callable[[int, int], None] | None = None,
    dry_run: bool = False, expected: str = "", actor: User | None = None,
) -> OfferingsImportReport:
    """Create or update the term's offerings from a file; any row error and nothing is saved.

    ``progress(checked, total)`` is called after each row is checked (before the one saving transaction).
    """
    report = OfferingsImportReport()
    sha256 = hashlib.sha256(content).hexdigest()
    planned = _check_rows(read_rows(content=content, filename=filename, columns=COLUMNS), term=term, report=report, progress=progress)
    if report.errors:
        return report
    report.created = sum(o.pk is None for _n, o, _s in planned)
    report.updated = len(planned) - report.created
    if dry_run:
        _preview(planned, report=report, sha256=sha256)
    else:
        _apply(planned, report=report, term=term, actor=actor, filename=filename, sha256=sha256, expected=expected)
    return report


def _preview(planned, *, report, sha256) -> None:
    """The dry run: the changes, the fingerprint and the affected students, from the database as it is now."""
    preview = _plan(planned, report=report, sha256=sha256)
    report.affected = _describe_affected(preview)


def _apply(planned, *, report, term, actor, filename, sha256, expected) -> None:
    """The real run, in one transaction: recompute the plan under locks, refuse a changed one, write, record, notify."""
    with transaction.atomic():
        offering_change_lock(offering_ids=[o.pk for _n, o, _s in planned if o.pk is not None])
        # Students keep registering while the file is checked: re-read the seats under a lock and
        # never write the count read above back over theirs.
        taken = dict(
            CourseOffering.objects.select_for_update()
            .filter(pk__in=[o.pk for _n, o, _s in planned if o.pk is not None]).values_list("pk", "seats_taken")
        )
        preview = _plan(planned, report=report, sha256=sha256)
        report.affected = _describe_affected(preview)
        if expected and report.fingerprint != expected:
            raise StalePreview()
        _refuse_unconfirmed(planned, preview=preview, taken=taken, report=report, expected=expected)
        if report.errors:
            return
        _write(planned, taken=taken)
        ids = {f"{o.code}-{o.section}": o.pk for _n, o, _s in planned}
        for entry in report.changes:
            entry["id"] = entry["id"] or ids[entry["label"]]
        _record(report, planned=planned, term=term, actor=actor, filename=filename, sha256=sha256, expected=expected)
        change = offering_change_notify(preview=preview, actor=actor, via="offerings_import", expected=expected)
        if change is not None:
            report.bulk_action_ids.append(change.pk)


def _refuse_unconfirmed(planned, *, preview, taken, report, expected) -> None:
    """Row errors for capacities below the seats taken now, and (without a confirmed preview) for every row whose
    new slots or credits break a registered student's timetable."""
    broken = {c["offering"] for b in preview.affected for c in b.clashes}
    credit_students = {b.student_id for b in preview.affected if b.credits}
    if credit_students:
        broken |= set(
            CourseRegistration.objects.filter(student_id__in=credit_students, offering_id__in=preview.offerings,
                                              status=CourseRegistration.Status.REGISTERED).values_list("offering_id", flat=True)
        )
    for number, offering, _slots in planned:
        if offering.pk is not None and offering.capacity < taken.get(offering.pk, 0):
            report.errors.append((number, _("capacity %(capacity)s is below the %(taken)s students already registered") % {
                "capacity": offering.capacity, "taken": taken[offering.pk],
            }))
        elif not expected and offering.pk in broken:
            count = sum(1 for b in preview.affected if any(c["offering"] == offering.pk for c in b.clashes) or b.credits)
            report.errors.append((number, ngettext(
                "the new time slots or credits break the timetable of %(count)s registered student: import from the "
                "preview and confirm it",
                "the new time slots or credits break the timetables of %(count)s registered students: import from the "
                "preview and confirm it", count) % {"count": count}))


def _write(planned, *, taken) -> None:
    for _number, offering, slots in planned:
        if offering.pk is None:
            offering.save()
        else:
            offering.seats_taken = taken.get(offering.pk, offering.seats_taken)
            offering.save(update_fields=IMPORTED_FIELDS)
        _slots_replace(offering, slots)


def _record(report, *, planned, term, actor, filename, sha256, expected) -> None:
    if not report.changes:
        return
    action = bulk_record(
        kind=KIND, actor=actor, scope=f"term:{term.pk}",
        inputs={"file": filename, "sha256": sha256, "expected": expected, "term": term.pk}, changes=report.changes,
        summary=_("Offerings import for %(term)s: %(created)s created, %(updated)s changed.")
        % {"term": term, "created": sum(e["before"] is None for e in report.changes),
           "updated": sum(e["before"] is not None for e in report.changes)},
    )
    report.bulk_action_ids.insert(0, action.pk)


def offerings_import_undo(*, action, actor: User, reason: str):
    """Undo an offerings import (see the module docstring for what is refused); records the undo and returns it."""
    from core.models import BulkAction

    if not (reason or "").strip():
        raise DomainError(_("Give the reason for undoing this action."))
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().get(pk=action.pk, kind=KIND)
        if action.undoes_id is not None or BulkAction.objects.filter(undoes=action).exists():
            raise DomainError(_("This action was already undone, or is itself an undo."))
        ids = [entry["id"] for entry in action.changes]
        offering_change_lock(offering_ids=ids)  # ID rows before offering rows, as every offering change (R3)
        offerings = {o.pk: o for o in CourseOffering.objects.select_for_update().filter(pk__in=ids)}
        slots = _current_slots(list(offerings))
        refused, proposed = [], {}
        for entry in action.changes:
            offering = offerings.get(entry["id"])
            if offering is None:
                refused.append(_("%(offering)s no longer exists") % {"offering": entry["label"]})
            elif entry["before"] is None:
                if offering.published_at or CourseRegistration.objects.filter(offering=offering).exists():
                    refused.append(_("%(offering)s was published or has registrations") % {"offering": entry["label"]})
            else:
                now = {**{k: _plain(v) for k, v in _values(offering).items()}, SLOTS: slots_text(slots[offering.pk])}
                if any(now.get(k) != v for k, v in entry["after"].items()):
                    refused.append(_("%(offering)s changed since the import") % {"offering": entry["label"]})
                proposed[offering.pk] = _restored(offering, entry["before"], slots[offering.pk])
        preview = offering_change_preview(proposed={pk: (o.credits, s) for pk, (o, s) in proposed.items()})
        if preview.affected:
            refused.append(ngettext(
                "the old time slots or credits would break the timetable of %(count)s registered student (change the "
                "offering in its form instead)",
                "the old time slots or credits would break the timetables of %(count)s registered students (change "
                "the offering in its form instead)", len(preview.affected)) % {"count": len(preview.affected)})
        if refused:
            raise DomainError(_("Nothing was undone: %(reasons)s.") % {"reasons": "; ".join(refused)})
        undone = _undo_write(action, offerings=offerings, proposed=proposed)
        record = bulk_record(
            kind=KIND, actor=actor, scope=action.scope, inputs={"undoes": action.pk}, changes=undone,
            summary=_("Undone: %(summary)s") % {"summary": action.summary}, reason=reason.strip(), undoes=action,
        )
        offering_change_notify(preview=preview, actor=actor, via="offerings_import_undo")
    return record


def _restored(offering: CourseOffering, before: dict, slots):
    for name, value in before.items():
        if name != SLOTS:
            field_ = offering._meta.get_field(name)
            setattr(offering, field_.attname, field_.to_python(value) if value is not None else None)
    return offering, (_parse_slots(before[SLOTS]) if SLOTS in before else slots)


def _undo_write(action, *, offerings, proposed) -> list[dict]:
    undone = []
    for entry in action.changes:
        offering = offerings[entry["id"]]
        if entry["before"] is None:
            offering.delete()
            undone.append({**entry, "before": entry["after"], "after": None})
            continue
        restored, slots = proposed[offering.pk]
        fields = [k for k in entry["before"] if k != SLOTS]
        if fields:
            restored.save(update_fields=fields)
        _slots_replace(restored, slots)
        undone.append({**entry, "before": entry["after"], "after": entry["before"]})
    return undone
