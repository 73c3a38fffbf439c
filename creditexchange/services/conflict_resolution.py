"""Staff resolve a conflict of applications (finding 3): keep one, reject the others with a reason; undo while nothing is issued."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from academics.models import Institution
from accounts.models import User
from core.errors import DomainError, InvalidTransition

from ..models import ApplicationConflict, ApplicationConflictEvent, TemporaryIdApplication
from .applications import _lock, _record, application_reject

Status = TemporaryIdApplication.Status


class StaleConflict(DomainError):
    """The applications of the conflict changed after the staff member opened the page."""


def _lock_conflict(conflict_id: int) -> ApplicationConflict:
    """Lock the partner row first (as submission and issuance do), then the conflict."""
    partner_id = ApplicationConflict.objects.filter(pk=conflict_id).values_list("partner_id", flat=True).first()
    if partner_id is None:
        raise DomainError(_("This conflict no longer exists."))
    Institution.objects.select_for_update().get(pk=partner_id)
    return ApplicationConflict.objects.select_for_update(of=("self",)).select_related("term", "partner").get(pk=conflict_id)


def application_conflict_check_members(*, conflict: ApplicationConflict, expected_ids: Iterable[int]) -> set[int]:
    """The conflict's applications, if they are exactly those the staff member saw; else ``StaleConflict``."""
    members = set(conflict.applications.values_list("pk", flat=True))
    if members != set(expected_ids):
        raise StaleConflict(
            _("The applications in this conflict changed since you opened the page (another application arrived or "
              "one was deleted). Nothing was changed; check the applications again.")
        )
    return members


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("A reason is required; it is kept with the conflict and sent to the applicants rejected."))
    return reason


def application_conflict_resolve(
    *, conflict_id: int, keep_id: int, actor: User, reason: str, expected_ids: Iterable[int], at: datetime | None = None,
) -> ApplicationConflict:
    """Keep one application of the conflict and reject every other one (each gets the rejection mail).

    ``expected_ids`` are the applications the staff member saw; if the conflict's set differs now (a new
    application arrived, or one was purged) nothing happens and ``StaleConflict`` says so.
    """
    reason = _reason(reason)
    with transaction.atomic():
        conflict = _lock_conflict(conflict_id)
        if not conflict.is_open:
            raise InvalidTransition(_("This conflict was already resolved."))
        members = application_conflict_check_members(conflict=conflict, expected_ids=expected_ids)
        if keep_id not in members:
            raise DomainError(_("Choose one of the applications of this conflict to keep."))
        applications = {pk: _lock(pk) for pk in sorted(members)}
        if applications[keep_id].status == Status.REJECTED:
            raise InvalidTransition(_("The application to keep is rejected; choose another one."))
        issued = [a for pk, a in applications.items() if pk != keep_id and a.status == Status.ISSUED]
        if issued:
            raise InvalidTransition(
                _("Application %(application)s was already issued ID %(student_id)s and cannot be rejected here. Deactivate "
                  "that account and correct the record first, or keep that application.")
                % {"application": issued[0].pk, "student_id": issued[0].temporary_id.student_id}
            )
        rejected = []
        for pk, application in applications.items():
            if pk == keep_id or application.status == Status.REJECTED:
                continue
            rejected.append({
                "id": pk, "from_status": application.status, "decided_by": application.decided_by_id,
                "decided_at": application.decided_at.isoformat() if application.decided_at else None,
            })
            application_reject(application_id=pk, actor=actor, reason=reason)
        conflict.resolved_at = at or timezone.now()
        conflict.resolved_by = actor
        conflict.kept_id = keep_id
        conflict.reason = reason
        conflict.rejected = rejected
        conflict.full_clean()
        conflict.save(update_fields=["resolved_at", "resolved_by", "kept", "reason", "rejected"])
        ApplicationConflictEvent.objects.create(
            conflict=conflict, action=ApplicationConflictEvent.Action.RESOLVED, actor=actor, reason=reason,
            changes={"kept": keep_id, "rejected": [entry["id"] for entry in rejected]},
        )
    return conflict


def application_conflict_reopen(*, conflict_id: int, actor: User, reason: str) -> ApplicationConflict:
    """Undo a resolution: the applications it rejected get their earlier state back; only while no ID is issued."""
    reason = _reason(reason)
    with transaction.atomic():
        conflict = _lock_conflict(conflict_id)
        if conflict.is_open:
            raise InvalidTransition(_("This conflict is open; there is no resolution to undo."))
        if conflict.applications.filter(status=Status.ISSUED).exists():
            raise InvalidTransition(
                _("An ID was already issued for an application of this conflict, so the resolution cannot be undone.")
            )
        if ApplicationConflict.objects.filter(
            term_id=conflict.term_id, partner_id=conflict.partner_id, number_key=conflict.number_key,
            resolved_at__isnull=True,
        ).exists():
            raise InvalidTransition(_("A newer conflict is open for this student number; resolve that one instead."))
        for entry in conflict.rejected:
            application = TemporaryIdApplication.objects.select_for_update().filter(pk=entry["id"]).first()
            if application is None or application.status != Status.REJECTED:
                continue  # deleted meanwhile
            application.status = entry["from_status"]
            application.rejection_reason = ""
            application.decided_by_id = entry["decided_by"]
            application.decided_at = parse_datetime(entry["decided_at"]) if entry["decided_at"] else None
            application.save(update_fields=["status", "rejection_reason", "decided_by", "decided_at"])
            _record(application, from_status=Status.REJECTED, actor=actor, reason=reason)
        before = {"kept": conflict.kept_id, "resolved_by": conflict.resolved_by_id, "reason": conflict.reason}
        conflict.resolved_at = None
        conflict.resolved_by = None
        conflict.kept = None
        conflict.reason = ""
        conflict.rejected = []
        conflict.save(update_fields=["resolved_at", "resolved_by", "kept", "reason", "rejected"])
        ApplicationConflictEvent.objects.create(
            conflict=conflict, action=ApplicationConflictEvent.Action.REOPENED, actor=actor, reason=reason,
            changes={"undone": before},
        )
    return conflict
