"""Changing an offering's time slots or credits under registered students (issue 12, finding 4).

Every path that changes slots or credits (the admin change form with its slot inline, the offerings import,
``offering_save``) asks ``offering_change_check`` first:

- ``timetable_breaks`` (pure) tells, for one student's timetable, what a proposed change breaks: a new overlap
  with another registered course (which course, which slots) and a credit total over the term's limit (from X to
  Y of max Z). ``registered_timetables`` (selector) reads the timetables of every student registered for the
  offerings in question.
- If any registered student is affected, nothing is saved unless the staff member confirmed exactly this
  preview: the fingerprint covers the offerings' current and proposed slots and credits and the affected
  registrations with what breaks; a different one (stale, crafted, missing) raises ``OfferingChangeUnconfirmed``
  carrying the new preview, which the page shows again.
- After saving, ``offering_change_notify`` records one ``BulkAction`` (kind ``creditexchange.offering_change``,
  before → after per offering, the affected students in ``inputs``) and mails **every registered student whose
  timetable changed** (not only the affected ones: a moved class matters to all), in their language, saying
  what changed and, for the affected, what now breaks and that they should drop or change a course in the change
  window.

Decision: the confirmation never drops a registration. The student decides which course to keep (or staff drop
one on their behalf with a reason, through the registration admin). A sent mail cannot be recalled; a change is
reverted by changing the offering back, which goes through the same check and mails again.
"""

from dataclasses import dataclass, field
from datetime import time

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from core.bulk import bulk_record, change, fingerprint
from core.errors import DomainError
from core.mail import mail_queue

from ..models import CourseOffering, CourseRegistration, TimeSlot

Slot = tuple[int, time, time]
KIND = "creditexchange.offering_change"


@dataclass(frozen=True)
class Course:
    """One course in a timetable: what the clash and credit rules look at."""

    offering_id: int
    label: str
    credits: int
    slots: tuple[Slot, ...]


@dataclass
class StudentBreaks:
    """What a change breaks for one registered student (empty ``clashes`` and ``credits`` None: nothing)."""

    student_id: int
    clashes: list[dict] = field(default_factory=list)
    credits: dict | None = None  # {"before": X, "after": Y, "limit": Z}

    @property
    def broken(self) -> bool:
        return bool(self.clashes) or self.credits is not None


def _overlap(a: Slot, b: Slot) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def _clashes(courses: list[Course]) -> set[tuple]:
    found = set()
    for i, course in enumerate(courses):
        for other in courses[i + 1:]:
            for slot in course.slots:
                for other_slot in other.slots:
                    if _overlap(slot, other_slot):
                        found.add((course.offering_id, slot, other.offering_id, other_slot))
    return found


def timetable_breaks(*, student_id: int, timetable: list[Course], proposed: dict[int, Course], limit: int) -> StudentBreaks:
    """Pure: what replacing the courses of ``timetable`` by their ``proposed`` versions newly breaks.

    Only clashes that did not exist before and involve a changed course count; credits count when the new total
    is over ``limit`` and higher than before (a student already over it by a staff registration is not blamed on
    a change that lowers nothing).
    """
    after = [proposed.get(c.offering_id, c) for c in timetable]
    changed = {c.offering_id for c in timetable if proposed.get(c.offering_id, c) != c}
    labels = {c.offering_id: c.label for c in after}
    result = StudentBreaks(student_id=student_id)
    for a, slot, b, other_slot in sorted(_clashes(after) - _clashes(timetable)):
        if a not in changed:  # name the changed course first
            a, slot, b, other_slot = b, other_slot, a, slot
        if a in changed:
            result.clashes.append({
                "offering": a, "label": labels[a], "slot": _slot_plain(slot),
                "other": b, "other_label": labels[b], "other_slot": _slot_plain(other_slot),
            })
    before_total, after_total = sum(c.credits for c in timetable), sum(c.credits for c in after)
    if after_total > limit and after_total > before_total:
        result.credits = {"before": before_total, "after": after_total, "limit": limit}
    return result


def _hhmm(value: time) -> str:
    """A stored time of day (the file's and the action log's notation, not a display format: see ``dates.clock``)."""
    return f"{value.hour:02d}:{value.minute:02d}"


def _slot_plain(slot: Slot) -> list:
    return [slot[0], _hhmm(slot[1]), _hhmm(slot[2])]


def slot_label(plain) -> str:
    """"Mon 09:00–10:30" in the active language, from a stored ``[weekday, "09:00", "10:30"]``."""
    return f"{TimeSlot.Weekday(plain[0]).label} {plain[1]}–{plain[2]}"


def describe_breaks(breaks: StudentBreaks) -> list[str]:
    """What breaks for one student, one sentence each, in the active language (the previews show these)."""
    lines = [
        _("%(course)s %(slot)s overlaps %(other)s %(other_slot)s")
        % {"course": c["label"], "slot": slot_label(c["slot"]), "other": c["other_label"], "other_slot": slot_label(c["other_slot"])}
        for c in breaks.clashes
    ]
    if breaks.credits:
        lines.append(_("credits from %(before)s to %(after)s of max %(limit)s") % breaks.credits)
    return lines


def describe_state(state: dict) -> str:
    """"3 credits · Mon 09:00–10:30, Wed 09:00–10:30" from a preview's before/after."""
    slots = ", ".join(slot_label(s) for s in state["slots"]) or "—"
    return _("%(credits)s credits · %(slots)s") % {"credits": state["credits"], "slots": slots}


def _course(offering: CourseOffering, slots) -> Course:
    return Course(offering.pk, f"{offering.code}-{offering.section}", offering.credits, tuple(sorted(slots)))


def registered_timetables(*, offering_ids) -> dict[int, dict]:
    """Selector: for each student registered for any of ``offering_ids``, the term's limit, their registrations
    on those offerings and their whole timetable in that term (every registered course with its slots)."""
    rows = list(
        CourseRegistration.objects.filter(offering_id__in=offering_ids, status=CourseRegistration.Status.REGISTERED)
        .values_list("pk", "student_id", "term_id", "offering_id")
    )
    students = {student for _pk, student, _term, _offering in rows}
    terms = {term for _pk, _student, term, _offering in rows}
    timetables: dict[int, dict] = {}
    for pk, student, term, offering in rows:
        entry = timetables.setdefault(student, {"term_id": term, "registrations": {}, "courses": []})
        entry["registrations"][offering] = pk
    theirs = (
        CourseRegistration.objects.filter(student_id__in=students, term_id__in=terms, status=CourseRegistration.Status.REGISTERED)
        .select_related("offering__term").prefetch_related("offering__slots")
    )
    for registration in theirs:
        entry = timetables[registration.student_id]
        if registration.term_id != entry["term_id"]:
            continue
        offering = registration.offering
        entry["limit"] = offering.term.credit_limit
        entry["courses"].append(_course(offering, ((s.weekday, s.starts_at, s.ends_at) for s in offering.slots.all())))
    return timetables


@dataclass
class OfferingChangePreview:
    """What a proposed change does: per offering before/after, the students it breaks for, everyone to mail."""

    offerings: dict[int, dict]  # id -> {"label", "before": {...}, "after": {...}}
    affected: list[StudentBreaks]
    notified: dict[int, list[int]]  # student id -> ids of their changed offerings
    fingerprint: str

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.affected)


def _plain_state(course: Course) -> dict:
    return {"credits": course.credits, "slots": [_slot_plain(s) for s in course.slots]}


def offering_change_preview(*, proposed: dict[int, tuple[int, list[Slot]]]) -> OfferingChangePreview:
    """``proposed`` maps an existing offering's id to its new (credits, slots). Read-only."""
    offerings = {o.pk: o for o in CourseOffering.objects.filter(pk__in=proposed).prefetch_related("slots")}
    current, new = {}, {}
    for pk, offering in offerings.items():
        current[pk] = _course(offering, ((s.weekday, s.starts_at, s.ends_at) for s in offering.slots.all()))
        credits, slots = proposed[pk]
        new[pk] = Course(pk, current[pk].label, credits, tuple(sorted(slots)))
    changed = {pk: new[pk] for pk in new if new[pk] != current[pk]}
    affected, notified = [], {}
    for student, entry in sorted(registered_timetables(offering_ids=list(changed)).items()):
        notified[student] = sorted(pk for pk in entry["registrations"] if pk in changed)
        breaks = timetable_breaks(student_id=student, timetable=entry["courses"], proposed=changed, limit=entry["limit"])
        if breaks.broken:
            affected.append(breaks)
    described = {
        pk: {"label": str(offerings[pk]), "before": _plain_state(current[pk]), "after": _plain_state(course)}
        for pk, course in changed.items()
    }
    state = {
        # Not the labels: ``str(offering)`` has the title in the active language, which is not part of the change.
        "offerings": {pk: {"before": entry["before"], "after": entry["after"]} for pk, entry in described.items()},
        "affected": [[b.student_id, b.clashes, b.credits] for b in affected],
        "registrations": {s: sorted(ids) for s, ids in notified.items()},
    }
    return OfferingChangePreview(offerings=described, affected=affected, notified=notified, fingerprint=fingerprint(state))


class OfferingChangeUnconfirmed(DomainError):
    """The change breaks registered students' timetables and this exact preview was not confirmed: nothing saved."""

    def __init__(self, preview: OfferingChangePreview, *, stale: bool):
        self.preview, self.stale = preview, stale
        count = len(preview.affected)
        if stale:
            message = _("The registrations or the offering changed since the preview; nothing was saved. Check the new list and confirm again.")
        else:
            message = ngettext(
                "This change breaks the timetable of %(count)s registered student; nothing was saved yet. Check the list and confirm.",
                "This change breaks the timetables of %(count)s registered students; nothing was saved yet. Check the list and confirm.",
                count,
            ) % {"count": count}
        super().__init__(message, code="stale" if stale else "unconfirmed")


def offering_change_lock(*, offering_ids) -> None:
    """Lock the temporary-ID rows of every student registered for ``offering_ids`` *before* the offerings' rows.

    A registration locks the student's ID row first and checks clashes and credits after it took the seat (the
    offering's row lock), so: a student already registered here finishes any registration in flight before the
    change reads their timetable, and one who registers meanwhile sees the new slots. Same order everywhere (ID
    rows, then offering rows): no deadlock.
    """
    from accounts.models import TemporaryStudentId

    students = CourseRegistration.objects.filter(
        offering_id__in=list(offering_ids), status=CourseRegistration.Status.REGISTERED
    ).values_list("student_id", flat=True)
    list(TemporaryStudentId.objects.select_for_update().filter(user_id__in=students).order_by("pk").values_list("pk", flat=True))


def offering_change_check(*, proposed: dict[int, tuple[int, list[Slot]]], expected: str = "") -> OfferingChangePreview:
    """Call inside the saving transaction after locking the offerings: raise unless nobody is affected or
    ``expected`` is this preview's fingerprint."""
    preview = offering_change_preview(proposed=proposed)
    if preview.needs_confirmation and expected != preview.fingerprint:
        raise OfferingChangeUnconfirmed(preview, stale=bool(expected))
    return preview


def _change_entry(offering: CourseOffering, entry: dict) -> dict:
    """A ``bulk.change`` entry with the slots kept as lists (not a model field: this kind is undone by changing the
    offering back, not by ``bulk_undo``)."""
    result = change(offering, before={"credits": entry["before"]["credits"]}, after={"credits": entry["after"]["credits"]},
                    label=entry["label"])
    result["before"]["slots"], result["after"]["slots"] = entry["before"]["slots"], entry["after"]["slots"]
    return result


def offering_change_notify(*, preview: OfferingChangePreview, actor: User | None, via: str, expected: str = ""):
    """After the change is saved (same transaction): record it and queue one mail per registered student whose
    timetable changed. Returns the ``BulkAction`` or None when no registered student was concerned."""
    if not preview.notified:
        return None
    breaks = {b.student_id: b for b in preview.affected}
    offerings = {o.pk: o for o in CourseOffering.objects.filter(pk__in=preview.offerings)}
    action = bulk_record(
        kind=KIND, actor=actor, scope=",".join(f"offering:{pk}" for pk in sorted(preview.offerings)),
        inputs={"via": via, "expected": expected, "fingerprint": preview.fingerprint,
                "affected": [[b.student_id, b.clashes, b.credits] for b in preview.affected],
                "notified": sorted(preview.notified)},
        changes=[_change_entry(offerings[pk], entry) for pk, entry in preview.offerings.items()],
        summary=_("Offering changed under %(count)s registered students (%(affected)s affected).")
        % {"count": len(preview.notified), "affected": len(preview.affected)},
    )
    for student in User.objects.filter(pk__in=preview.notified):
        for offering_id in preview.notified[student.pk]:
            found = breaks.get(student.pk)
            mail_queue(
                kind="offering_changed", to=student.email, language=student.language,
                params={
                    "action_id": action.pk, "offering_id": offering_id, "student_id": student.pk,
                    "before": preview.offerings[offering_id]["before"], "after": preview.offerings[offering_id]["after"],
                    "clashes": [c for c in (found.clashes if found else []) if c["offering"] == offering_id],
                    "credits": found.credits if found else None,
                },
            )
    return action
