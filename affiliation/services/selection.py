"""Selection (SPEC §4.4): stage 1, stage 2, committee scores (publication: ``publication.py``).

Each run recomputes every score and rank of the round from the stored inputs and writes an event for each
application whose state, score or rank changed.

A stage run is not previewed (issue 12): it changes nothing a student sees or receives — results show and
mail only at publication — and it can be repeated until the stage is published, so re-running on corrected
inputs is its undo. Each run records what it decided on (quotas, multiplier, weights, every applicant's
scores: ``round.stage1_inputs`` / ``stage2_inputs``) and what it changed (a ``BulkAction``
``affiliation.selection_stage1`` / ``_stage2`` with each application's status, score and rank before and
after); publication refuses while those inputs differ from the database (``run_inputs.py``). The outcome per
department (passed, not passed, cut score) is shown on the publication's confirmation page before any mail.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import dates
from core.bulk import bulk_record, change, fingerprint
from core.errors import DomainError, InvalidTransition

from .. import scoring, selectors
from ..models import AffiliationApplication, AffiliationRound, Stage
from ._common import event_record
from .run_inputs import STAGE1_POOL, STAGE2_POOL, stage1_inputs, stage2_inputs, stage_results

Status = AffiliationApplication.Status
STAGE2_RESET = {"stage2_score": None, "final_rank": None, "decided_at": None}


def _english(application: AffiliationApplication) -> Decimal:
    if not application.english_test or application.english_score is None:
        return Decimal(0)  # English waived by an exception: it scores nothing
    return scoring.english_common(application.english_test, application.english_score)


def application_score_stage1(*, application: AffiliationApplication) -> Decimal:
    """Stage-1 score from the GPA on the record and the English score on the application."""
    round = application.round
    weights = scoring.Stage1Weights(gpa=round.stage1_gpa_weight, english=round.stage1_english_weight)
    return scoring.stage1_score(gpa=application.record.gpa, english=_english(application), weights=weights)


def _candidate(application: AffiliationApplication, score: Decimal) -> scoring.Candidate:
    return scoring.Candidate(
        application_id=application.pk, department_id=application.target_department_id, score=score,
        gpa=application.record.gpa, english=_english(application), submitted_at=application.submitted_at,
    )


def _lock_round(round_id: int) -> AffiliationRound:
    return AffiliationRound.objects.select_for_update(of=("self",)).select_related("term").get(pk=round_id)


def _apply(application: AffiliationApplication, *, status: str, values: dict, actor, reason: str) -> dict | None:
    """Set ``status`` and ``values`` and write the event; returns the ``BulkAction`` change entry, None if unchanged."""
    before_status = application.status
    changes = {name: (getattr(application, name), value) for name, value in values.items()}
    if before_status == status and all(old == new for old, new in changes.values()):
        return None
    application.status = status
    for name, value in values.items():
        setattr(application, name, value)
    application.save(update_fields=["status", *values])
    event_record(application=application, from_status=before_status, actor=actor, reason=reason, changes=changes)
    moved = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    return change(
        application, label=application.record.student_number,
        before={"status": before_status, **{name: old for name, (old, _new) in moved.items()}},
        after={"status": status, **{name: new for name, (_old, new) in moved.items()}},
    )


# The staff action log's kind of each stage's run (the final results come from the run of stage 2).
RUN_KINDS = {Stage.STAGE1: "affiliation.selection_stage1", Stage.FINAL: "affiliation.selection_stage2"}


def _record_run(*, round: AffiliationRound, stage: Stage, inputs: dict, changes: list, actor, counts: dict) -> None:
    bulk_record(
        kind=RUN_KINDS[stage], actor=actor, scope=f"round:{round.pk}",
        inputs={**inputs, "fingerprint": fingerprint(inputs)}, changes=[c for c in changes if c],
        summary=(_("%(round)s: stage 1 — %(passed)s passed, %(failed)s did not pass.") if stage == Stage.STAGE1
                 else _("%(round)s: stage 2 — %(admitted)s admitted, %(not_admitted)s not admitted."))
        % {"round": round, **counts},
    )


def _pool(round: AffiliationRound, statuses) -> list[AffiliationApplication]:
    return list(
        AffiliationApplication.objects.select_for_update(of=("self",)).filter(round=round, status__in=statuses)
        .select_related("record", "round").order_by("pk")
    )


def selection_run_stage1(*, round_id: int, actor=None, at: datetime | None = None) -> dict[str, int]:
    """Stage 1: GPA + English; the top ⌈multiplier × quota⌉ of each department pass (inputs and changes recorded)."""
    at = at or timezone.now()
    with transaction.atomic():
        round = _lock_round(round_id)
        if round.window_state(at) != dates.WindowState.CLOSED:
            raise InvalidTransition(_("Stage 1 can run only after the application window has closed."))
        if round.stage1_published_at is not None:
            raise InvalidTransition(_("Stage-1 results are already published; stage 1 can no longer be re-run."))
        applications = _pool(round, STAGE1_POOL)
        inputs = stage1_inputs(round, applications)
        scores = {a.pk: application_score_stage1(application=a) for a in applications}
        places = {
            department: scoring.stage1_cut(quota=quota, multiplier=round.stage1_multiplier)
            for department, quota in selectors.quotas_for(round).items()
        }
        placements = scoring.select([_candidate(a, scores[a.pk]) for a in applications], places)
        counts, changes = {"passed": 0, "failed": 0}, []
        for application in applications:
            placement = placements[application.pk]
            changes.append(_apply(
                application, status=Status.STAGE1_PASSED if placement.passed else Status.STAGE1_FAILED,
                values={"stage1_score": scores[application.pk], "stage1_rank": placement.rank, **STAGE2_RESET},
                actor=actor, reason="stage 1",
            ))
            counts["passed" if placement.passed else "failed"] += 1
        round.stage1_run_at, round.stage2_run_at = at, None
        round.stage1_inputs, round.stage2_inputs = {**inputs, "results": stage_results(applications, Stage.STAGE1)}, {}
        round.save(update_fields=["stage1_run_at", "stage2_run_at", "stage1_inputs", "stage2_inputs"])
        _record_run(round=round, stage=Stage.STAGE1, inputs=inputs, changes=changes, actor=actor, counts=counts)
    return counts


def selection_run_stage2(*, round_id: int, actor=None, at: datetime | None = None) -> dict[str, int]:
    """Stage 2: stage-1 + document + interview scores; the top ``quota`` of each department are admitted."""
    at = at or timezone.now()
    with transaction.atomic():
        round = _lock_round(round_id)
        if round.stage1_run_at is None:
            raise InvalidTransition(_("Run stage 1 first."))
        if round.final_published_at is not None:
            raise InvalidTransition(_("Final results are already published; stage 2 can no longer be re-run."))
        applications = _pool(round, STAGE2_POOL)
        missing = [a.record.student_number for a in applications if a.document_score is None or a.interview_score is None]
        if missing:
            raise DomainError(
                _("Enter the document and interview scores of every stage-1 pass first; missing: %(students)s")
                % {"students": ", ".join(sorted(missing))}
            )
        inputs = stage2_inputs(round, applications)
        weights = scoring.Stage2Weights(
            stage1=round.stage2_stage1_weight, document=round.stage2_document_weight,
            interview=round.stage2_interview_weight,
        )
        scores = {
            a.pk: scoring.stage2_score(stage1=a.stage1_score, document=a.document_score, interview=a.interview_score,
                                       weights=weights)
            for a in applications
        }
        placements = scoring.select([_candidate(a, scores[a.pk]) for a in applications], selectors.quotas_for(round))
        counts, changes = {"admitted": 0, "not_admitted": 0}, []
        for application in applications:
            placement = placements[application.pk]
            changes.append(_apply(
                application, status=Status.ADMITTED if placement.passed else Status.NOT_ADMITTED,
                values={"stage2_score": scores[application.pk], "final_rank": placement.rank, "decided_at": at},
                actor=actor, reason="stage 2",
            ))
            counts["admitted" if placement.passed else "not_admitted"] += 1
        round.stage2_run_at = at
        round.stage2_inputs = {**inputs, "results": stage_results(applications, Stage.FINAL)}
        round.save(update_fields=["stage2_run_at", "stage2_inputs"])
        _record_run(round=round, stage=Stage.FINAL, inputs=inputs, changes=changes, actor=actor, counts=counts)
    return counts


def _score(value, name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise DomainError(_("%(name)s must be a number from 0 to 100.") % {"name": name}) from None
    if not Decimal(0) <= score <= Decimal(100) or score != score.quantize(Decimal("0.01")):
        raise DomainError(_("%(name)s must be a number from 0 to 100 with at most two decimals.") % {"name": name})
    return score


def _scores_open(application: AffiliationApplication) -> None:
    if application.status not in STAGE2_POOL:
        raise InvalidTransition(_("Scores are entered only for applicants who passed stage 1."))
    if application.round.final_published_at is not None:
        raise InvalidTransition(_("Final results are published; scores can no longer change."))


def application_scores_check(*, application: AffiliationApplication, document_score=None, interview_score=None) -> None:
    """Raise the DomainError ``application_scores_set`` would raise for these scores now, changing nothing.

    The admin validates an edit with it, so a refused score is shown on its form and nothing is saved;
    ``application_scores_set`` checks again under its lock.
    """
    _score(document_score, _("document score"))
    _score(interview_score, _("interview score"))
    _scores_open(application)


def application_scores_set(
    *, application_id: int, document_score=None, interview_score=None, actor=None, reason: str = ""
) -> AffiliationApplication:
    """Committee scores for a stage-1 pass; recorded with before/after values. None leaves a score unchanged."""
    document, interview = _score(document_score, _("document score")), _score(interview_score, _("interview score"))
    with transaction.atomic():
        # The round before the application, as stage runs and publication lock them (this may void the stage-2 run).
        round_id = AffiliationApplication.objects.filter(pk=application_id).values_list("round_id", flat=True).first()
        AffiliationRound.objects.select_for_update(of=("self",)).filter(pk=round_id).values_list("pk").first()
        application = AffiliationApplication.objects.select_for_update(of=("self",)).select_related("round", "record").get(pk=application_id)
        _scores_open(application)
        values = {}
        if document is not None:
            values["document_score"] = document
        if interview is not None:
            values["interview_score"] = interview
        changed = _apply(application, status=application.status, values=values, actor=actor, reason=reason or "scores")
        if changed and application.round.stage2_run_at is not None:
            # The stored stage-2 ranking no longer follows from the scores: stage 2 must run again before publication.
            AffiliationRound.objects.filter(pk=application.round_id).update(stage2_run_at=None)
    return application
