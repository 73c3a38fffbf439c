"""After the pass (SPEC §4.5): the winter-session conditions check, confirmation, cancellation."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from academics.models import Term
from ustportal.errors import DomainError, InvalidTransition

from .. import selectors
from ..models import AffiliationApplication, AffiliationRound, StudentRecord
from ._common import event_record, mail_to

Status = AffiliationApplication.Status


def _both_languages(reasons: list[tuple]) -> str:
    """The stored reason is read by the student (in either language) and by staff: Korean, then English."""
    texts = []
    for language in ("ko", "en"):
        with translation.override(language):
            texts.append("; ".join(str(template) % params if params else str(template) for template, params in reasons))
    return " / ".join(texts)


def conditions_check(*, round_id: int, actor=None, at: datetime | None = None) -> dict[str, int]:
    """Seed 003: the pass is cancelled below 67 earned credits or without the liberal-arts requirement.

    Runs once per round (the claim on ``conditions_checked_at`` makes a repeat a no-op); it reads the
    records as imported after the winter session.
    """
    at = at or timezone.now()
    counts = {"kept": 0, "cancelled": 0}
    with transaction.atomic():
        round = AffiliationRound.objects.select_for_update().get(pk=round_id)
        if round.final_published_at is None:
            raise InvalidTransition(_("Publish the final results before checking the conditions."))
        if AffiliationRound.objects.filter(pk=round.pk, conditions_checked_at__isnull=True).update(
            conditions_checked_at=at
        ) != 1:
            return counts
        admitted = AffiliationApplication.objects.select_for_update(of=("self",)).filter(round=round, status=Status.ADMITTED)
        for application in admitted.select_related("record__user"):
            record = application.record
            reasons = []
            if record.earned_credits < round.min_credits:
                reasons.append((gettext_lazy("earned credits %(earned)s < %(minimum)s"),
                                {"earned": record.earned_credits, "minimum": round.min_credits}))
            if not record.liberal_arts_met:
                reasons.append((gettext_lazy("liberal-arts requirement not met"), {}))
            if not reasons:
                counts["kept"] += 1
                continue
            application.status = Status.CANCELLED
            application.cancelled_at = at
            application.cancel_reason = _both_languages(reasons)
            application.save(update_fields=["status", "cancelled_at", "cancel_reason"])
            event_record(
                application=application, from_status=Status.ADMITTED, actor=actor, reason=application.cancel_reason,
                changes={"earned_credits": (None, record.earned_credits), "liberal_arts_met": (None, record.liberal_arts_met)},
            )
            mail_to(user=record.user, kind="affiliation_cancelled", params={
                "application_id": application.pk, "earned": record.earned_credits, "minimum": round.min_credits,
                "liberal_arts_met": record.liberal_arts_met,
            })
            counts["cancelled"] += 1
    return counts


def conditions_check_due(*, at: datetime | None = None) -> dict[str, int]:
    """Beat and ``check_affiliation_conditions``: every round whose check time has come, once."""
    at = at or timezone.now()
    total = {"kept": 0, "cancelled": 0}
    for round in selectors.rounds_due_for_conditions(at).filter(final_published_at__isnull=False):
        for key, value in conditions_check(round_id=round.pk, at=at).items():
            total[key] += value
    return total


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
