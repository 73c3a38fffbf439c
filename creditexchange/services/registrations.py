"""Course registration (SPEC §3.2): register in the registration window, add and drop in the change window.

Capacity is guarded by one conditional UPDATE (``seats_taken < capacity``) with a CHECK
constraint behind it; a student's own requests are serialised by locking their
temporary-ID row, which also proves they hold an issued ID for the term.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Term, TermWindow
from accounts.models import TemporaryStudentId, User
from ustportal.errors import CourseFull, DomainError, InvalidTransition, NotEligible, WindowClosed

from ..models import CourseOffering, CourseRegistration, RegistrationEvent, TemporaryIdApplication, TimeSlot

Status = CourseRegistration.Status


def student_can_register(*, student: User, term: Term) -> bool:
    """Seed 000 §3.b.2: only students holding an issued temporary ID for this term."""
    return TemporaryIdApplication.objects.filter(
        term=term, status=TemporaryIdApplication.Status.ISSUED, temporary_id__user=student
    ).exists()


def _windows_message(term: Term, windows: dict[str, TermWindow]) -> str:
    parts = [
        f"{TermWindow.Kind(kind).label}: {windows[kind].describe()}" for kind in (TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE)
        if kind in windows
    ]
    return "; ".join(parts) or _("not scheduled yet")


def _require_window(*, term: Term, kinds: tuple[str, ...], at: datetime) -> None:
    windows = {w.kind: w for w in TermWindow.objects.filter(term=term, kind__in=[TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE])}
    if any(kind in windows and windows[kind].is_open(at) for kind in kinds):
        return
    context = {"term": term, "windows": _windows_message(term, windows)}
    if TermWindow.Kind.REGISTRATION in kinds:
        raise WindowClosed(_("Registration for %(term)s is not open now. %(windows)s (Asia/Seoul).") % context)
    raise WindowClosed(_("Courses of %(term)s can be dropped only in the change window. %(windows)s (Asia/Seoul).") % context)


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


def _check_plan(*, student: User, offering: CourseOffering) -> None:
    """No duplicate, no overlapping time slot, and the term's credit limit."""
    current = list(
        CourseOffering.objects.filter(
            term_id=offering.term_id, registrations__student=student, registrations__status=Status.REGISTERED
        ).only("id", "code", "section", "title_ko", "title_en", "credits")
    )
    if any(o.pk == offering.pk for o in current):
        raise NotEligible(_("You are already registered for %(course)s.") % {"course": offering})
    total = sum(o.credits for o in current) + offering.credits
    if total > offering.term.credit_limit:
        raise NotEligible(
            _("%(course)s would bring you to %(total)s credits; the limit for %(term)s is %(limit)s.")
            % {"course": offering, "total": total, "term": offering.term, "limit": offering.term.credit_limit}
        )
    by_offering = {o.pk: o for o in current}
    slots = list(TimeSlot.objects.filter(offering_id__in=[*by_offering, offering.pk]))
    new_slots = [s for s in slots if s.offering_id == offering.pk]
    for slot in slots:
        if slot.offering_id == offering.pk:
            continue
        for new in new_slots:
            if new.overlaps(slot):
                raise NotEligible(
                    _("%(course)s overlaps %(other)s on %(slot)s.")
                    % {"course": offering, "other": by_offering[slot.offering_id], "slot": slot}
                )


def registration_submit(
    *, student: User, offering_id: int, actor: User | None = None, reason: str = "", at: datetime | None = None
) -> CourseRegistration:
    """Register ``student`` for one offering; staff acting for a student give a reason and are not bound by windows."""
    at = at or timezone.now()
    # One query answers "which offering" and "is a window open"; the window rows are read only to explain a refusal.
    open_window = TermWindow.objects.filter(
        term=OuterRef("term"), kind__in=[TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE],
        starts_at__lte=at, ends_at__gt=at,
    )
    offering = (
        CourseOffering.objects.select_related("term").annotate(window_open=Exists(open_window))
        .filter(pk=offering_id).first()
    )
    if offering is None or not offering.is_published or not offering.open_to_exchange:
        raise NotEligible(_("This course is not open for registration by exchange students."))
    on_behalf = _is_staff_action(student, actor)
    if on_behalf and not reason.strip():
        raise DomainError(_("Give a reason when registering on a student's behalf."))
    if not on_behalf and not offering.window_open:
        _require_window(
            term=offering.term, kinds=(TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE), at=at)
    if not offering.has_capacity:
        raise CourseFull(_("%(course)s is full.") % {"course": offering})  # fast path for the 09:00 rush
    with transaction.atomic():
        _lock_identity(student=student, term=offering.term)
        _check_plan(student=student, offering=offering)
        taken = CourseOffering.objects.filter(pk=offering.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
        if taken != 1:
            raise CourseFull(_("%(course)s is full.") % {"course": offering})
        registration = CourseRegistration.objects.create(student=student, offering=offering, term_id=offering.term_id)
        RegistrationEvent.objects.create(
            registration=registration, from_status="", to_status=Status.REGISTERED, actor=actor or student,
            reason=reason.strip(),
        )
    return registration


def registration_drop(
    *, student: User, registration_id: int, actor: User | None = None, reason: str = "", at: datetime | None = None
) -> CourseRegistration:
    """Seed 000 §4: cancellation by the student in the change window; staff may act with a reason."""
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
        registration.status = Status.DROPPED
        registration.dropped_at = at
        registration.save(update_fields=["status", "dropped_at"])
        CourseOffering.objects.filter(pk=registration.offering_id).update(seats_taken=F("seats_taken") - 1)
        RegistrationEvent.objects.create(
            registration=registration, from_status=Status.REGISTERED, to_status=Status.DROPPED, actor=actor or student,
            reason=reason.strip(),
        )
    return registration
