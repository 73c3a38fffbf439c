"""After the pass (SPEC §4.5): confirmation, cancellation by hand, reinstatement.

The winter-session conditions check itself is in ``conditions.py`` (preview → confirm, issue 12).

Reinstatement (issue 12, finding 1) is the way back from "cancelled", whether the check or a staff member
cancelled: a reason is required; the application is admitted again with its cancellation time and reason cleared
(both kept in the event and the ``BulkAction``), and the student is mailed in their language. The round's
``conditions_checked_at`` stays as it is: if the check already ran, the reinstated pass can be confirmed at once
(``application_confirm`` needs an admitted pass and a checked round); if it has not, the check will judge it like
every other admitted student. The page shows the student's current values, so a reinstatement against the rule
is a visible, recorded decision.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Term
from core.bulk import bulk_record, change
from core.errors import DomainError, InvalidTransition

from ..models import AffiliationApplication, StudentRecord
from ._common import event_record, mail_to

Status = AffiliationApplication.Status


def _next_semester(term: Term) -> Term:
    year, season = (term.year + 1, Term.Season.SPRING) if term.season == Term.Season.FALL else (term.year, Term.Season.FALL)
    return Term.objects.get_or_create(year=year, season=season)[0]


def application_confirm(*, application_id: int, actor=None, at: datetime | None = None) -> AffiliationApplication:
    """Confirm a pass that survived the conditions check: move department and campus, cancel teacher training,
    exclude from merit scholarships in the next semester. Earned credits and grades stay on the record."""
    at = at or timezone.now()
    with transaction.atomic():
        application = AffiliationApplication.objects.select_for_update(of=("self",)).select_related(
            "round__term", "target_department__campus"
        ).get(pk=application_id)
        if application.status != Status.ADMITTED:
            raise InvalidTransition(
                _("Only an admitted applicant can be confirmed (this one is “%(status)s”).")
                % {"status": application.get_status_display()}
            )
        if application.round.conditions_checked_at is None:
            raise DomainError(_("Check the conditions after the winter session before confirming."))
        record = StudentRecord.objects.select_for_update(of=("self",)).select_related("user", "department", "campus").get(
            pk=application.record_id
        )
        target = application.target_department
        next_term = _next_semester(application.round.term)
        changes = {
            "department": (record.department, target), "campus": (record.campus, target.campus),
            "merit_scholarship_excluded_term": (record.merit_scholarship_excluded_term_id, next_term),
        }
        record.previous_department = record.department
        record.department, record.campus = target, target.campus
        record.merit_scholarship_excluded_term = next_term
        record.affiliation_changed_at = at
        if record.teacher_training in (StudentRecord.TeacherTraining.ENROLLED, StudentRecord.TeacherTraining.COMPLETED):
            changes["teacher_training"] = (record.teacher_training, StudentRecord.TeacherTraining.CANCELLED)
            record.teacher_training = StudentRecord.TeacherTraining.CANCELLED
        record.save()
        application.status = Status.CONFIRMED
        application.confirmed_at = at
        application.save(update_fields=["status", "confirmed_at"])
        event_record(application=application, from_status=Status.ADMITTED, actor=actor, reason="confirmation",
                     changes=changes)
        mail_to(user=record.user, kind="affiliation_confirmed", params={"application_id": application.pk})
    return application


def application_cancel(*, application_id: int, reason: str, actor=None, at: datetime | None = None) -> AffiliationApplication:
    """Staff cancel an admitted pass by hand (for example on the student's request), with a reason."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the cancellation."))
    at = at or timezone.now()
    with transaction.atomic():
        application = AffiliationApplication.objects.select_for_update(of=("self",)).select_related("record__user").get(pk=application_id)
        if application.status != Status.ADMITTED:
            raise InvalidTransition(_("Only an admitted pass can be cancelled."))
        application.status, application.cancelled_at, application.cancel_reason = Status.CANCELLED, at, reason.strip()
        application.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        event_record(application=application, from_status=Status.ADMITTED, actor=actor, reason=application.cancel_reason)
        mail_to(user=application.record.user, kind="affiliation_cancelled", params={"application_id": application.pk})
    return application


def application_reinstate(
    *, application_id: int, reason: str, actor=None, round_id: int | None = None, at: datetime | None = None
) -> AffiliationApplication:
    """Give a cancelled pass back (cancelled by the conditions check or by hand), with a reason; the student is mailed.

    ``round_id`` (the page's round) must be the application's round: an id from another round is refused.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for reinstating the pass."))
    at = at or timezone.now()
    with transaction.atomic():
        application = AffiliationApplication.objects.select_for_update(of=("self",)).select_related(
            "record__user", "round__term").filter(pk=application_id).first()
        if application is None or (round_id is not None and application.round_id != round_id):
            raise DomainError(_("This application is not one of this round's."))
        if application.status != Status.CANCELLED:
            raise InvalidTransition(
                _("Only a cancelled pass can be reinstated (this one is “%(status)s”).")
                % {"status": application.get_status_display()}
            )
        before = {"status": application.status, "cancelled_at": application.cancelled_at,
                  "cancel_reason": application.cancel_reason}
        application.status, application.cancelled_at, application.cancel_reason = Status.ADMITTED, None, ""
        application.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        event_record(application=application, from_status=Status.CANCELLED, actor=actor, reason=reason,
                     changes={"cancelled_at": (before["cancelled_at"], None), "cancel_reason": (before["cancel_reason"], "")})
        record = application.record
        bulk_record(
            kind="affiliation.application_reinstate", actor=actor, scope=f"round:{application.round_id}", reason=reason,
            inputs={"application": application.pk, "at": at},
            changes=[change(application, before=before, after={"status": Status.ADMITTED, "cancelled_at": None, "cancel_reason": ""},
                            label=f"{record.student_number} {record.name}")],
            summary=_("Pass of %(student)s reinstated.") % {"student": f"{record.student_number} {record.name}"},
        )
        mail_to(user=record.user, kind="affiliation_reinstated", params={"application_id": application.pk, "reason": reason})
    return application
