"""Selection (SPEC §4.4): stage 1, stage 2, committee scores, publication at the set time.

Each run recomputes every score and rank of the round from the stored inputs (re-runnable until
the stage is published) and writes an event for each application whose state, score or rank changed.
"""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Department
from ustportal.errors import DomainError, InvalidTransition
from ustportal.imports import ImportReport, read_rows

from .. import scoring, selectors
from ..models import AffiliationApplication, AffiliationRound
from ._common import event_record, mail_to

logger = logging.getLogger(__name__)
Status = AffiliationApplication.Status
STAGE2_POOL = [Status.STAGE1_PASSED, Status.ADMITTED, Status.NOT_ADMITTED]
# Stage 1 re-ranks every submitted application, including those stage 2 has already decided (a re-run
# before publication); their stage-2 result is then void and stage 2 must run again.
STAGE1_POOL = [Status.SUBMITTED, Status.STAGE1_FAILED, *STAGE2_POOL]
STAGE2_RESET = {"stage2_score": None, "final_rank": None, "decided_at": None}
SCORE_COLUMNS = ["student_number", "document_score", "interview_score"]


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


def _apply(application: AffiliationApplication, *, status: str, values: dict, actor, reason: str) -> bool:
    before_status = application.status
    changes = {name: (getattr(application, name), value) for name, value in values.items()}
    if before_status == status and all(old == new for old, new in changes.values()):
        return False
    application.status = status
    for name, value in values.items():
        setattr(application, name, value)
    application.save(update_fields=["status", *values])
    event_record(application=application, from_status=before_status, actor=actor, reason=reason, changes=changes)
    return True


def selection_run_stage1(*, round_id: int, actor=None, at: datetime | None = None) -> dict[str, int]:
    """Stage 1: GPA + English; the top ⌈multiplier × quota⌉ of each department pass."""
    at = at or timezone.now()
    with transaction.atomic():
        round = _lock_round(round_id)
        if at < round.closes_at:
            raise InvalidTransition(_("Stage 1 can run only after the application window has closed."))
        if round.stage1_published_at is not None:
            raise InvalidTransition(_("Stage-1 results are already published; stage 1 can no longer be re-run."))
        applications = list(
            AffiliationApplication.objects.select_for_update(of=("self",)).filter(round=round, status__in=STAGE1_POOL)
            .select_related("record", "round")
        )
        scores = {a.pk: application_score_stage1(application=a) for a in applications}
        places = {
            department: scoring.stage1_cut(quota=quota, multiplier=round.stage1_multiplier)
            for department, quota in selectors.quotas_for(round).items()
        }
        placements = scoring.select([_candidate(a, scores[a.pk]) for a in applications], places)
        counts = {"passed": 0, "failed": 0}
        for application in applications:
            placement = placements[application.pk]
            _apply(
                application, status=Status.STAGE1_PASSED if placement.passed else Status.STAGE1_FAILED,
                values={"stage1_score": scores[application.pk], "stage1_rank": placement.rank, **STAGE2_RESET},
                actor=actor, reason="stage 1",
            )
            counts["passed" if placement.passed else "failed"] += 1
        round.stage1_run_at, round.stage2_run_at = at, None
        round.save(update_fields=["stage1_run_at", "stage2_run_at"])
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
        applications = list(
            AffiliationApplication.objects.select_for_update(of=("self",)).filter(round=round, status__in=STAGE2_POOL)
            .select_related("record")
        )
        missing = [a.record.student_number for a in applications if a.document_score is None or a.interview_score is None]
        if missing:
            raise DomainError(
                _("Enter the document and interview scores of every stage-1 pass first; missing: %(students)s")
                % {"students": ", ".join(sorted(missing))}
            )
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
        counts = {"admitted": 0, "not_admitted": 0}
        for application in applications:
            placement = placements[application.pk]
            _apply(
                application, status=Status.ADMITTED if placement.passed else Status.NOT_ADMITTED,
                values={"stage2_score": scores[application.pk], "final_rank": placement.rank, "decided_at": at},
                actor=actor, reason="stage 2",
            )
            counts["admitted" if placement.passed else "not_admitted"] += 1
        round.stage2_run_at = at
        round.save(update_fields=["stage2_run_at"])
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
        application = AffiliationApplication.objects.select_for_update(of=("self",)).select_related("round").get(pk=application_id)
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


def scores_import(
    *, round: AffiliationRound, content: bytes, filename: str, actor=None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Document and interview scores from CSV/XLSX (student_number, document_score, interview_score); all or nothing.

    ``progress(checked, total)`` is called after each row is checked (before the one saving transaction).
    """
    report = ImportReport()
    rows = read_rows(content=content, filename=filename, columns=SCORE_COLUMNS)
    applications = {
        a.record.student_number: a
        for a in AffiliationApplication.objects.filter(round=round).exclude(status=Status.DRAFT).select_related("record")
    }
    planned, seen = [], set()
    for number, row in rows:
        try:
            application = applications.get(row["student_number"])
            if application is None:
                raise DomainError(_("no submitted application of student %(number)s in this round") % {"number": row["student_number"]})
            if row["student_number"] in seen:
                raise DomainError(_("student %(number)s appears twice") % {"number": row["student_number"]})
            seen.add(row["student_number"])
            if application.status not in STAGE2_POOL:
                raise DomainError(_("student %(number)s did not pass stage 1") % {"number": row["student_number"]})
            planned.append((application.pk, _score(row["document_score"], "document_score"),
                            _score(row["interview_score"], "interview_score")))
        except DomainError as exc:
            report.errors.append((number, str(exc.message)))
        if progress is not None:
            progress(len(planned) + len(report.errors), len(rows))
    if report.errors:
        return report
    with transaction.atomic():
        for application_id, document, interview in planned:
            application_scores_set(application_id=application_id, document_score=document, interview_score=interview,
                                   actor=actor, reason="score import")
            report.updated += 1
    return report


def _check_places(round: AffiliationRound, stage: str) -> None:
    """Refuse to publish a result that gives a department more passes than it has places now (a quota or the
    multiplier edited after the run): the stage has to run again first."""
    quotas = selectors.quotas_for(round)
    if stage == "stage1":
        places = {d: scoring.stage1_cut(quota=q, multiplier=round.stage1_multiplier) for d, q in quotas.items()}
        passed = STAGE2_POOL
    else:
        places, passed = quotas, [Status.ADMITTED]
    counts = Counter(
        AffiliationApplication.objects.filter(round=round, status__in=passed).values_list("target_department", flat=True)
    )
    over = [department for department, count in counts.items() if count > places.get(department, 0)]
    if over:
        names = ", ".join(sorted(str(d) for d in Department.objects.filter(pk__in=over)))
        raise InvalidTransition(
            _("%(departments)s: more applicants passed than the department has places now; run stage 1 again.")
            % {"departments": names} if stage == "stage1" else
            _("%(departments)s: more applicants are admitted than the quota now allows; run stage 2 again.")
            % {"departments": names}
        )


def results_publish(*, round_id: int, stage: str, at: datetime | None = None) -> int:
    """Release stage-1 ("stage1") or final ("final") results and mail each applicant once; returns mails queued."""
    at = at or timezone.now()
    if stage not in {"stage1", "final"}:
        raise ValueError(stage)
    published_field, run_field = f"{stage}_published_at", ("stage1_run_at" if stage == "stage1" else "stage2_run_at")
    with transaction.atomic():
        round = _lock_round(round_id)
        if getattr(round, run_field) is None:
            raise InvalidTransition(
                _("Run stage 1 before publishing its results.") if stage == "stage1"
                else _("Run stage 2 before publishing the final results.")
            )
        if stage == "final" and round.stage1_published_at is None:
            raise InvalidTransition(_("Publish the stage-1 results first."))
        # Claim the publication: a duplicated or retried task finds it done and mails nobody.
        if AffiliationRound.objects.filter(pk=round.pk, **{f"{published_field}__isnull": True}).update(
            **{published_field: at}
        ) != 1:
            return 0
        _check_places(round, stage)  # raising rolls the claim back
        statuses = [Status.ADMITTED, Status.NOT_ADMITTED]
        if stage == "stage1":  # stage 2 may already have run, unpublished
            statuses += [Status.STAGE1_PASSED, Status.STAGE1_FAILED]
        queued = 0
        for application in AffiliationApplication.objects.filter(round=round, status__in=statuses).select_related("record__user"):
            mail_to(user=application.record.user, kind="affiliation_result",
                    params={"application_id": application.pk, "stage": stage})
            queued += 1
    return queued


def results_publish_due(*, at: datetime | None = None) -> int:
    """Beat: publish every stage whose set time has come (and whose selection has run)."""
    at = at or timezone.now()
    queued = 0
    for round in selectors.rounds_due_for_publication(at):
        try:
            if round.stage1_published_at is None and round.stage1_run_at and round.stage1_publish_at <= at:
                queued += results_publish(round_id=round.pk, stage="stage1", at=at)
                round.refresh_from_db()
            if round.final_published_at is None and round.stage2_run_at and round.final_publish_at <= at \
                    and round.stage1_published_at is not None:
                queued += results_publish(round_id=round.pk, stage="final", at=at)
        except DomainError as exc:  # e.g. a quota edited after the run: the committee must re-run; other rounds go on
            logger.warning("Results of %s not published: %s", round, exc.message)
    return queued
