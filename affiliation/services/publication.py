"""Publication of the stage results (SPEC §4.4; issue 12, findings 2 and 3).

- **Stale results are never published.** A stage is published only while the inputs its run recorded (quotas,
  multiplier, weights, every applicant's scores; ``run_inputs.py``) and its results are what the database holds
  now; otherwise the refusal names each change and the committee re-runs the stage. This replaces the old check
  that caught only too many passes. The schedule refuses the same way, logs it and mails the committee once per
  refusal (``round.publication_alerts``), not on every five-minute tick.
- **Early publication is an explicit choice.** ``results_publish_preview`` shows the announced time, whether
  publishing now is early, the outcome per department (passed, not passed, cut score) and every student to be
  mailed, with a fingerprint. ``results_publish`` needs that fingerprint when called with ``expected`` (the
  admin's confirmation: missing or stale → ``StalePreview``, nothing done) and refuses an early publication
  without it and without a reason, so neither a bare task nor a crafted request publishes early. Early, the
  announced time (``stage1_publish_at`` / ``final_publish_at``) becomes the publication time, so the home page,
  the student's page and the calendar feed say when results really came out; the ``BulkAction``
  ``affiliation.results_publish`` keeps the old and new time, who and why. At or after the announced time no
  reason is needed.
- **No undo, no withdrawal.** Once the mails are queued they go out, so a publication cannot be undone (the
  confirmation page says so first) and staff cannot "withdraw" it: the students have been told, and a changed
  result would have to be a decision of its own (e.g. a cancelled pass with its reason and mail). The action
  record therefore carries no field changes that ``bulk_undo`` could reverse. Notices staff wrote by hand that
  quote the announced time are not rewritten; the confirmation page reminds the committee of them.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import dates
from core.bulk import bulk_record, fingerprint, preview_check
from core.errors import DomainError, InvalidTransition
from core.language import KOREAN
from core.mail import mail_queue

from .. import selectors
from ..models import AffiliationApplication, AffiliationRound, DepartmentQuota, Stage, StudentRecord
from ._common import mail_to
from .run_inputs import STAGE2_POOL, current_inputs, current_results, inputs_changes, results_changes

logger = logging.getLogger(__name__)
Status = AffiliationApplication.Status
# stage → (published field, announced field, run field, inputs field)
FIELDS = {
    Stage.STAGE1: ("stage1_published_at", "stage1_publish_at", "stage1_run_at", "stage1_inputs"),
    Stage.FINAL: ("final_published_at", "final_publish_at", "stage2_run_at", "stage2_inputs"),
}
MAILED = {
    Stage.STAGE1: [Status.STAGE1_PASSED, Status.STAGE1_FAILED, Status.ADMITTED, Status.NOT_ADMITTED],  # stage 2 may have run
    Stage.FINAL: [Status.ADMITTED, Status.NOT_ADMITTED],
}


class InputsChanged(InvalidTransition):
    """The stage's inputs or results changed since it ran; ``reasons`` names each change."""

    def __init__(self, message, *, reasons: list[str]):
        super().__init__(message, code="inputs_changed")
        self.reasons = reasons


@dataclass
class PublicationPreview:
    round: AffiliationRound
    stage: str
    at: datetime
    announced_at: datetime
    early: bool
    refusals: list[str]
    changes: list[str]  # the inputs that changed since the run (also in ``refusals``)
    departments: list[dict] = field(default_factory=list)
    recipients: list[dict] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def mails(self) -> int:
        return sum(1 for r in self.recipients if r["email"])


def _stage(stage: str) -> tuple[str, str, str, str]:
    if stage not in FIELDS:
        raise ValueError(stage)
    return FIELDS[stage]


def _changes(round: AffiliationRound, stage: str) -> list[str]:
    stored = getattr(round, FIELDS[stage][3]) or {}
    reasons = inputs_changes(before=stored, after=current_inputs(round, stage), stage=stage)
    if stored:
        reasons += results_changes(before=stored.get("results", {}), after=current_results(round, stage))
    return reasons


def _refusals(round: AffiliationRound, stage: str, at: datetime) -> tuple[list[str], list[str]]:
    published, announced, run, _inputs = FIELDS[stage]
    if getattr(round, published) is not None:
        return [_("These results are already published.")], []
    if getattr(round, run) is None:
        return [_("Run stage 1 before publishing its results.") if stage == Stage.STAGE1
                else _("Run stage 2 before publishing the final results.")], []
    if stage == Stage.FINAL and round.stage1_published_at is None:
        return [_("Publish the stage-1 results first.")], []
    if round.window_state(at) != dates.WindowState.CLOSED:
        return [_("The application window has not closed yet.")], []
    changes = _changes(round, stage)
    if not changes:
        return [], []
    text = (_("The inputs changed since stage 1 ran: %(changes)s. Run stage 1 again, then publish.") if stage == Stage.STAGE1
            else _("The inputs changed since stage 2 ran: %(changes)s. Run stage 2 again, then publish."))
    return [text % {"changes": "; ".join(changes)}], changes


def _outcome(applications, stage: str) -> tuple[list[dict], list[dict]]:
    """Per department: passed, not passed, the lowest passing score (the cut) and mails; and one row per student."""
    departments, recipients = {}, []
    for a in applications:
        passed = a.status in STAGE2_POOL if stage == Stage.STAGE1 else a.status == Status.ADMITTED
        score = a.stage1_score if stage == Stage.STAGE1 else a.stage2_score
        name = str(a.target_department)
        row = departments.setdefault(name, {"department": name, "passed": 0, "failed": 0, "cut": None, "mails": 0})
        row["passed" if passed else "failed"] += 1
        if passed and (row["cut"] is None or score < row["cut"]):
            row["cut"] = score
        user = a.record.user
        row["mails"] += 1 if user.email else 0
        recipients.append({
            "id": a.pk, "student_number": a.record.student_number, "name": a.record.name, "department": name,
            "passed": passed, "score": score, "rank": a.stage1_rank if stage == Stage.STAGE1 else a.final_rank,
            "result": (Status.STAGE1_PASSED if passed else Status.STAGE1_FAILED).label if stage == Stage.STAGE1
            else Status(a.status).label,
            "email": user.email, "language": user.language, "status": a.status,
        })
    return sorted(departments.values(), key=lambda r: r["department"]), recipients


def _build(round: AffiliationRound, stage: str, at: datetime) -> tuple[PublicationPreview, dict]:
    published, announced, _run, inputs = FIELDS[stage]
    refusals, changes = _refusals(round, stage, at)
    applications = (
        AffiliationApplication.objects.filter(round=round, status__in=MAILED[stage])
        .select_related("record__user", "target_department").order_by("target_department__name_ko", "stage1_rank", "pk")
    )
    departments, recipients = _outcome(applications, stage)
    state = {
        "round": round.pk, "stage": stage, "announced": getattr(round, announced), "published": getattr(round, published),
        "run": fingerprint(getattr(round, inputs) or {}), "now": fingerprint(current_inputs(round, stage)),
        "results": fingerprint(current_results(round, stage)),
        "recipients": [[r["id"], r["status"], r["email"], r["language"]] for r in recipients],
    }
    preview = PublicationPreview(
        round=round, stage=stage, at=at, announced_at=getattr(round, announced), early=at < getattr(round, announced),
        refusals=refusals, changes=changes, departments=departments, recipients=recipients, fingerprint=fingerprint(state),
    )
    return preview, state


def results_publish_preview(*, round_id: int, stage: str, at: datetime | None = None) -> PublicationPreview:
    """What publishing ``stage`` now would do, changing nothing: who is mailed, per department, and why it may not."""
    _stage(stage)
    round = AffiliationRound.objects.select_related("term").get(pk=round_id)
    return _build(round, stage, at or timezone.now())[0]


def _lock_round(round_id: int) -> AffiliationRound:
    return AffiliationRound.objects.select_for_update(of=("self",)).select_related("term").get(pk=round_id)


def _lock_inputs(round: AffiliationRound) -> None:
    """Hold the quotas, the applications and their records while deciding: a score, a quota or a re-imported GPA
    saved meanwhile waits for the publication, and is then caught by the next one's check (stage runs hold the
    round lock, so they wait too)."""
    list(DepartmentQuota.objects.select_for_update().filter(round=round).order_by("pk").values_list("pk"))
    list(AffiliationApplication.objects.select_for_update(of=("self",)).filter(round=round).order_by("pk").values_list("pk"))
    list(StudentRecord.objects.select_for_update(of=("self",)).filter(applications__round=round).order_by("pk")
         .values_list("pk"))


def _check(preview: PublicationPreview, *, expected, reason: str) -> None:
    if preview.refusals:
        if preview.changes:
            raise InputsChanged(preview.refusals[0], reasons=preview.changes)
        raise InvalidTransition(preview.refusals[0])
    if preview.early:
        announced = dates.when(preview.announced_at)
        if expected is None:
            raise InvalidTransition(
                _("These results are announced for %(at)s. Publishing them earlier is confirmed on the publication "
                  "page, with a reason.") % {"at": announced})
        if not reason.strip():
            raise DomainError(_("Give the reason for publishing before the announced time (%(at)s).") % {"at": announced})


def results_publish(
    *, round_id: int, stage: str, at: datetime | None = None, actor=None, expected: str | None = None, reason: str = "",
) -> int:
    """Release stage-1 ("stage1") or final ("final") results and mail each applicant once; returns mails queued.

    ``expected`` is the preview's fingerprint (the admin's confirmation; ``None`` for the schedule, which
    publishes only at or after the announced time). A duplicated or retried task finds it done and mails nobody.
    """
    at = at or timezone.now()
    published, announced, _run, inputs = _stage(stage)
    with transaction.atomic():
        round = _lock_round(round_id)
        if getattr(round, published) is not None and expected is None:
            return 0
        _lock_inputs(round)
        preview, state = _build(round, stage, at)
        if expected is not None:
            preview_check(expected=expected, current=state)
        _check(preview, expected=expected, reason=reason)
        if stage == Stage.FINAL and preview.early and round.stage1_publish_at > at:
            # The final time becomes now, and it may not come before stage 1's (a constraint on the round).
            raise InvalidTransition(
                _("The stage-1 results are announced for %(when)s, later than now; correct that time on the round "
                  "before publishing the final results early.") % {"when": dates.when(round.stage1_publish_at)}
            )
        before = getattr(round, announced)
        values = {published: at, **({announced: at} if preview.early else {})}
        if AffiliationRound.objects.filter(pk=round.pk, **{f"{published}__isnull": True}).update(**values) != 1:
            return 0
        for recipient in preview.recipients:  # exactly the students the committee saw (the fingerprint says so)
            mail_to(user=_User(recipient), kind="affiliation_result", params={"application_id": recipient["id"], "stage": stage})
        bulk_record(
            kind="affiliation.results_publish", actor=actor, scope=f"round:{round.pk}", count=preview.mails,
            inputs={
                "stage": stage, "early": preview.early, "announced_before": before, "announced_after": values.get(announced, before),
                "published_at": at, "reason": reason.strip(), "expected": expected or "", "mails": preview.mails,
                "run_inputs": fingerprint(getattr(round, inputs) or {}),
                "departments": preview.departments,
            },
            summary=(_("%(round)s: stage-1 results published, %(mails)s mails queued.") if stage == Stage.STAGE1
                     else _("%(round)s: final results published, %(mails)s mails queued.")) % {"round": round, "mails": preview.mails},
            reason=reason.strip(),
        )
    return preview.mails


@dataclass
class _User:
    """The recipient as ``mail_to`` reads it (address and language), from the preview the committee confirmed."""

    recipient: dict

    @property
    def email(self) -> str:
        return self.recipient["email"]

    @property
    def language(self) -> str:
        return self.recipient["language"]


def _due(round: AffiliationRound, stage: str, at: datetime) -> bool:
    published, announced, run, _inputs = FIELDS[stage]
    if getattr(round, published) is not None or getattr(round, run) is None or getattr(round, announced) > at:
        return False
    return stage == Stage.STAGE1 or round.stage1_published_at is not None


def results_publish_due(*, at: datetime | None = None) -> int:
    """Beat: publish every stage whose announced time has come (and whose selection has run, on current inputs)."""
    at = at or timezone.now()
    queued = 0
    for round in selectors.rounds_due_for_publication(at):
        for stage in FIELDS:
            round.refresh_from_db()
            if not _due(round, stage, at):
                continue
            try:
                queued += results_publish(round_id=round.pk, stage=stage, at=at)
            except DomainError as exc:  # e.g. a quota edited after the run: the committee must re-run; other rounds go on
                logger.warning("Results of %s (%s) not published: %s", round, stage, exc.message)
                publication_refused_alert(round_id=round.pk, stage=stage, at=at)
    return queued


def _committee():
    """Who may publish (``affiliation.publish_results``, through a group or their own), active, with an address."""
    from django.db.models import Q

    from accounts.models import User

    perm = {"codename": "publish_results", "content_type__app_label": "affiliation"}
    holders = Q(**{f"groups__permissions__{k}": v for k, v in perm.items()}) | Q(
        **{f"user_permissions__{k}": v for k, v in perm.items()})
    return User.objects.filter(holders, is_active=True).exclude(email="").distinct().order_by("pk")


def publication_refused_alert(*, round_id: int, stage: str, at: datetime) -> int:
    """Mail the committee why the schedule did not publish ``stage`` — once per refusal: the same stale inputs on the
    next tick mail nobody, a different change mails again. Returns the mails queued."""
    with transaction.atomic():
        round = _lock_round(round_id)
        key = fingerprint({"run": getattr(round, FIELDS[stage][3]) or {}, "now": current_inputs(round, stage),
                           "results": current_results(round, stage)})
        if (round.publication_alerts or {}).get(stage) == key:
            return 0
        queued = 0
        for user in _committee():
            with translation.override(user.language or KOREAN):
                reasons = [str(r) for r in _refusals(round, stage, at)[0]]
            mail_queue(kind="affiliation_publication_refused", to=user.email, language=user.language,
                       params={"round_id": round.pk, "stage": stage, "reasons": reasons})
            queued += 1
        round.publication_alerts = {**(round.publication_alerts or {}), stage: key}
        round.save(update_fields=["publication_alerts"])
    if not queued:
        logger.warning("No committee member with an e-mail address to tell that %s (%s) was not published", round, stage)
    return queued


def publication_state(round: AffiliationRound, at: datetime | None = None) -> list[dict]:
    """Per stage, for the round page: published (when), cannot be published (why), or ready (announced for)."""
    at = at or timezone.now()
    rows = []
    for stage in FIELDS:
        published, announced, run, _inputs = FIELDS[stage]
        refusals, changes = ([], []) if getattr(round, published) else _refusals(round, stage, at)
        rows.append({"stage": stage, "is_stage1": stage == Stage.STAGE1, "published_at": getattr(round, published),
                     "announced_at": getattr(round, announced),
                     "run_at": getattr(round, run), "refusals": refusals, "changes": changes})
    return rows


__all__ = [
    "InputsChanged", "PublicationPreview", "publication_refused_alert", "publication_state", "results_publish",
    "results_publish_due", "results_publish_preview",
]
