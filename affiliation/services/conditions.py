"""The winter-session conditions check (SPEC §4.5; issue 12, finding 1) as a previewed bulk action.

Design decisions:

- **When the winter session ended** is a round setting, ``winter_session_ends_on`` (the last day, Asia/Seoul):
  the academic calendar (``academics.Term``) has no session dates, and ``conditions_check_at`` is only when the
  schedule first looks. The session has ended at 00:00 Seoul of the next day.
- **Refreshed records.** Each admitted student's record must have been *imported* (``StudentRecord.imported_at``,
  written only by ``records_import``) after that instant; a hand edit in the admin or an older import does not
  count. Otherwise the check refuses, naming the students, and changes nothing: the credits on file may be the
  ones from the application (the finding: 6 of 6 cancelled on 55 credits).
- **Preview → confirm.** ``conditions_preview`` judges every admitted student with their values and changes
  nothing; its fingerprint covers the round's minimum, the winter end and every admitted application with its
  record's credits, liberal-arts flag and import time. ``conditions_check`` recomputes under row locks (round,
  applications, records) and raises ``StalePreview`` unless the fingerprint matches, so a record re-imported in
  between is judged on its new values only after a new preview. Cancellations, the students' mails, the
  application events and one ``BulkAction`` (``affiliation.conditions_check``) happen in that one transaction.
  The round's ``conditions_checked_at`` is set there, once: a second confirmation finds it done.
- **The schedule never cancels.** ``conditions_check_due`` (beat) computes the preview and mails the holders of
  ``affiliation.check_conditions`` (in their language, with the preview's link) once per state: one "refused,
  because …" alert, later one "ready to confirm" alert, never one per beat tick (``conditions_alert``).
- **Undo** is ``application_reinstate`` per student (with a reason and a mail), not a bulk revert: a student
  was already told of the cancellation and must be told again.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core import dates
from core.bulk import StalePreview, bulk_record, change, fingerprint
from core.errors import DomainError, InvalidTransition
from core.language import ENGLISH, KOREAN
from core.mail import mail_queue

from .. import selectors
from ..models import AffiliationApplication, AffiliationRound, ConditionsAlert, StudentRecord
from ._common import event_record, mail_to

Status = AffiliationApplication.Status
STALE_LISTED = 20  # student numbers named in a refusal; the preview page lists all


class RecordsNotRefreshed(DomainError):
    """The check would judge records that were not imported after the winter session: nothing was done."""


@dataclass(frozen=True)
class ConditionsRow:
    """One admitted student as the check judges them, with the values it used."""

    application_id: int
    record_id: int
    student_number: str
    name: str
    department: str
    status: str
    earned_credits: int
    minimum: int
    liberal_arts_met: bool
    imported_at: datetime | None
    reasons: tuple = ()

    @property
    def cancel(self) -> bool:
        return bool(self.reasons)

    @property
    def reason(self) -> str:
        """Why the pass would be cancelled, in the active language."""
        return "; ".join(str(template) % params if params else str(template) for template, params in self.reasons)

    @property
    def reason_both(self) -> str:
        """The stored reason: read by the student in either language and by staff (Korean, then English)."""
        texts = []
        for language in (KOREAN, ENGLISH):
            with translation.override(language):
                texts.append(self.reason)
        return " / ".join(texts)


class ConditionsRefusal(StrEnum):
    """Why the check cannot run yet (``ConditionsPreview.refusal_code``; "" when it can)."""

    NO_WINTER_END = "no_winter_end"
    WINTER_NOT_ENDED = "winter_not_ended"
    STALE = "stale"


@dataclass
class ConditionsPreview:
    round: AffiliationRound
    rows: list[ConditionsRow] = field(default_factory=list)
    stale: list[ConditionsRow] = field(default_factory=list)
    refusal_code: str = ""
    winter_ended_at: datetime | None = None
    fingerprint: str = ""

    @property
    def done(self) -> bool:
        return self.round.conditions_checked_at is not None

    @property
    def refused(self) -> bool:
        return bool(self.refusal_code)

    @property
    def refusal(self) -> str:
        return refusal_text(self.refusal_code, self.refusal_params()) if self.refusal_code else ""

    def refusal_params(self) -> dict:
        return {
            "ends_on": self.round.winter_session_ends_on.isoformat() if self.round.winter_session_ends_on else "",
            "stale": len(self.stale), "numbers": [row.student_number for row in self.stale[:STALE_LISTED]],
        }

    @property
    def cancellations(self) -> list[ConditionsRow]:
        return [row for row in self.rows if row.cancel]

    @property
    def kept(self) -> list[ConditionsRow]:
        return [row for row in self.rows if not row.cancel]


def refusal_text(code: str, params: dict) -> str:
    """Why the check cannot run, in the active language (the preview page, the refusal and the staff alert)."""
    if code == ConditionsRefusal.NO_WINTER_END:
        return _("Enter the last day of the winter session on the round first: the check needs records imported "
                 "after the winter session.")
    ends_on = dates.day(date.fromisoformat(params["ends_on"])) if params.get("ends_on") else ""
    if code == ConditionsRefusal.WINTER_NOT_ENDED:
        return _("The winter session has not ended yet (last day %(day)s); the check needs records imported after "
                 "the winter session.") % {"day": ends_on}
    numbers = ", ".join(params.get("numbers", []))
    more = params.get("stale", 0) - len(params.get("numbers", []))
    if more > 0:
        numbers += " " + ngettext("and %(count)s more", "and %(count)s more", more) % {"count": more}
    return ngettext(
        "%(count)s admitted student's record was not imported after the winter session (last day %(day)s), so "
        "their credits may be the ones from the application: %(numbers)s. Import the current student records, "
        "then check again.",
        "%(count)s admitted students' records were not imported after the winter session (last day %(day)s), so "
        "their credits may be the ones from the application: %(numbers)s. Import the current student records, "
        "then check again.",
        params.get("stale", 0),
    ) % {"count": params.get("stale", 0), "day": ends_on, "numbers": numbers}


def winter_ended_at(round: AffiliationRound) -> datetime | None:
    """The instant the winter session ended: 00:00 Asia/Seoul after its last day."""
    if round.winter_session_ends_on is None:
        return None
    return dates.moment(round.winter_session_ends_on + timedelta(days=1))


def _row(round: AffiliationRound, application: AffiliationApplication) -> ConditionsRow:
    record = application.record
    reasons = []
    if record.earned_credits < round.min_credits:
        reasons.append((gettext_lazy("earned credits %(earned)s < %(minimum)s"),
                        {"earned": record.earned_credits, "minimum": round.min_credits}))
    if not record.liberal_arts_met:
        reasons.append((gettext_lazy("liberal-arts requirement not met"), {}))
    return ConditionsRow(
        application_id=application.pk, record_id=record.pk, student_number=record.student_number, name=record.name,
        department=str(application.target_department or ""), status=application.status,
        earned_credits=record.earned_credits, minimum=round.min_credits, liberal_arts_met=record.liberal_arts_met,
        imported_at=record.imported_at, reasons=tuple(reasons),
    )


def _judge(round: AffiliationRound, applications, at: datetime) -> ConditionsPreview:
    preview = ConditionsPreview(round=round, rows=[_row(round, a) for a in applications], winter_ended_at=winter_ended_at(round))
    if preview.winter_ended_at is None:
        preview.refusal_code = ConditionsRefusal.NO_WINTER_END
    elif at < preview.winter_ended_at:
        preview.refusal_code = ConditionsRefusal.WINTER_NOT_ENDED
    else:
        preview.stale = [r for r in preview.rows if r.imported_at is None or r.imported_at < preview.winter_ended_at]
        preview.refusal_code = ConditionsRefusal.STALE if preview.stale else ""
    preview.fingerprint = fingerprint({
        "round": round.pk, "min_credits": round.min_credits, "winter_session_ends_on": round.winter_session_ends_on,
        "checked": round.conditions_checked_at, "refusal": preview.refusal_code,
        "rows": [[r.application_id, r.status, r.record_id, r.earned_credits, r.liberal_arts_met, r.imported_at]
                 for r in preview.rows],
    })
    return preview


def _admitted(round: AffiliationRound):
    return (AffiliationApplication.objects.filter(round=round, status=Status.ADMITTED)
            .select_related("record__user", "target_department").order_by("pk"))


def _lock_admitted(round: AffiliationRound) -> list[AffiliationApplication]:
    """The admitted applications and their records, locked in the order every writer of records uses (applications
    by id, then records by id, as publication; the records import locks by id too), then read: locking the records
    in the applications' order deadlocked with a records import confirmed at the same instant."""
    ids = list(_admitted(round).select_for_update(of=("self",)).values_list("pk", flat=True))
    list(StudentRecord.objects.select_for_update(of=("self",)).filter(applications__pk__in=ids).order_by("pk")
         .values_list("pk"))
    return list(AffiliationApplication.objects.filter(pk__in=ids).select_related("record__user", "target_department")
                .order_by("pk"))


def _published(round: AffiliationRound) -> None:
    if round.final_published_at is None:
        raise InvalidTransition(_("Publish the final results before checking the conditions."))


def conditions_preview(*, round_id: int, at: datetime | None = None) -> ConditionsPreview:
    """Who the check would cancel and why, with their values; or why it cannot run. Changes nothing."""
    round = AffiliationRound.objects.select_related("term").get(pk=round_id)
    _published(round)
    return _judge(round, list(_admitted(round)), at or timezone.now())


def conditions_check(*, round_id: int, expected: str, actor=None, at: datetime | None = None) -> dict[str, int]:
    """Confirm the preview whose fingerprint is ``expected``: cancel the passes below the minimum earned credits
    or without the liberal-arts requirement (seed 003), mail those students, record it. Once per round."""
    at = at or timezone.now()
    with transaction.atomic():
        round = AffiliationRound.objects.select_for_update().select_related("term").get(pk=round_id)
        _published(round)
        if round.conditions_checked_at is not None:
            raise InvalidTransition(_("The conditions of this round were already checked on %(when)s.")
                                    % {"when": dates.when(round.conditions_checked_at)})
        applications = _lock_admitted(round)
        preview = _judge(round, applications, at)
        if preview.refused:
            raise RecordsNotRefreshed(preview.refusal)
        if not expected or preview.fingerprint != expected:
            raise StalePreview()
        by_id = {a.pk: a for a in applications}
        changes = [_cancel(by_id[row.application_id], row, actor=actor, at=at) for row in preview.cancellations]
        round.conditions_checked_at = at
        round.save(update_fields=["conditions_checked_at"])
        bulk_record(
            kind="affiliation.conditions_check", actor=actor, scope=f"round:{round.pk}", changes=changes,
            inputs={"fingerprint": expected, "min_credits": round.min_credits, "admitted": len(preview.rows),
                    "winter_session_ends_on": round.winter_session_ends_on, "kept": [r.application_id for r in preview.kept]},
            summary=_("Conditions after the winter session: %(cancelled)s of %(admitted)s passes cancelled.")
            % {"cancelled": len(changes), "admitted": len(preview.rows)},
        )
    return {"kept": len(preview.kept), "cancelled": len(changes)}


def _cancel(application: AffiliationApplication, row: ConditionsRow, *, actor, at: datetime) -> dict:
    record = application.record
    before = {"status": application.status, "cancelled_at": application.cancelled_at, "cancel_reason": application.cancel_reason}
    application.status, application.cancelled_at, application.cancel_reason = Status.CANCELLED, at, row.reason_both
    application.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    event_record(
        application=application, from_status=Status.ADMITTED, actor=actor, reason=application.cancel_reason,
        changes={"earned_credits": (None, record.earned_credits), "liberal_arts_met": (None, record.liberal_arts_met)},
    )
    mail_to(user=record.user, kind="affiliation_cancelled", params={
        "application_id": application.pk, "earned": record.earned_credits, "minimum": row.minimum,
        "liberal_arts_met": record.liberal_arts_met,
    })
    after = {"status": application.status, "cancelled_at": at, "cancel_reason": application.cancel_reason}
    return change(application, before=before, after=after, label=f"{record.student_number} {record.name}")


def conditions_check_due(*, at: datetime | None = None) -> dict[str, int]:
    """Beat and ``check_affiliation_conditions``: preview every due round and alert the committee once per state
    ("refused" or "ready"); nothing is cancelled without a committee member's confirmation."""
    at = at or timezone.now()
    alerted = 0
    for round in selectors.rounds_due_for_conditions(at).filter(final_published_at__isnull=False):
        preview = conditions_preview(round_id=round.pk, at=at)
        state = ConditionsAlert.REFUSED if preview.refused else ConditionsAlert.READY
        with transaction.atomic():
            claimed = AffiliationRound.objects.filter(pk=round.pk, conditions_checked_at__isnull=True).exclude(
                conditions_alert=state).update(conditions_alert=state)
            if claimed != 1:
                continue
            conditions_alert_send(preview=preview, state=state)
        alerted += 1
    return {"alerted": alerted}


def conditions_alert_send(*, preview: ConditionsPreview, state: str) -> int:
    """Mail every holder of ``affiliation.check_conditions`` (in their language) what the check found."""
    params = {
        "round_id": preview.round.pk, "state": state, "admitted": len(preview.rows),
        "cancel": len(preview.cancellations), "refusal_code": preview.refusal_code, **preview.refusal_params(),
    }
    recipients = selectors.conditions_checkers()
    for user in recipients:
        mail_queue(kind="affiliation_conditions_alert", to=user.email, language=user.language, params=params)
    return len(recipients)
