"""What a stage run decided on, and how it differs from the inputs now (issue 12, finding 2).

A stage run stores a readable snapshot of its inputs on the round (``stage1_inputs`` / ``stage2_inputs``) and in
its ``BulkAction``: the quota of every department, the multiplier (stage 1), the weights, and per applicant in the
pool the values the score is computed from — GPA and English test/score for stage 1; stage-1, document and
interview scores for stage 2 (and GPA and English, its tie-breakers) — plus the department applied for. Publication rebuilds the same snapshot from the
database and refuses while the two differ (their ``fingerprint`` differs), naming what changed in the reader's
language ("quota of 국어국문학과 2 → 3", "stage-1 weights 60:40 → 0:100", "scores of 3 applicants changed"): the
committee re-runs the stage, which is allowed until it is published. A run without a snapshot (made before this
was recorded) counts as changed.
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from academics.models import Department

from .. import selectors
from ..models import AffiliationApplication, AffiliationRound, Stage

Status = AffiliationApplication.Status
STAGE2_POOL = [Status.STAGE1_PASSED, Status.ADMITTED, Status.NOT_ADMITTED]
# Stage 1 re-ranks every submitted application, including those stage 2 has already decided (a re-run
# before publication); their stage-2 result is then void and stage 2 must run again.
STAGE1_POOL = [Status.SUBMITTED, Status.STAGE1_FAILED, *STAGE2_POOL]


def number(value) -> str | None:
    """A Decimal as people write it: 60.00 → "60", 4.10 → "4.1"; None stays None."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def _quotas(round: AffiliationRound) -> dict[str, int]:
    return {str(department): quota for department, quota in selectors.quotas_for(round).items()}


def stage1_inputs(round: AffiliationRound, applications) -> dict:
    return {
        "quotas": _quotas(round),
        "multiplier": number(round.stage1_multiplier),
        "weights": {"gpa": number(round.stage1_gpa_weight), "english": number(round.stage1_english_weight)},
        "applicants": {
            str(a.pk): {"number": a.record.student_number, "department": a.target_department_id,
                        "gpa": number(a.record.gpa), "english_test": a.english_test, "english_score": a.english_score}
            for a in applications
        },
    }


def stage2_inputs(round: AffiliationRound, applications) -> dict:
    return {
        "quotas": _quotas(round),
        "weights": {"stage1": number(round.stage2_stage1_weight), "document": number(round.stage2_document_weight),
                    "interview": number(round.stage2_interview_weight)},
        "applicants": {
            # GPA and English too: they break ties in stage 2 as well (scoring.rank_key).
            str(a.pk): {"number": a.record.student_number, "department": a.target_department_id,
                        "stage1": number(a.stage1_score), "document": number(a.document_score),
                        "interview": number(a.interview_score), "gpa": number(a.record.gpa),
                        "english_test": a.english_test, "english_score": a.english_score}
            for a in applications
        },
    }


def current_inputs(round: AffiliationRound, stage: str) -> dict:
    """The snapshot a run of ``stage`` ("stage1" or "final") would record now."""
    pool = STAGE1_POOL if stage == Stage.STAGE1 else STAGE2_POOL
    applications = AffiliationApplication.objects.filter(round=round, status__in=pool).select_related("record").order_by("pk")
    return (stage1_inputs if stage == Stage.STAGE1 else stage2_inputs)(round, applications)


def _quota_changes(before: dict, after: dict) -> list[str]:
    moved = sorted({d for d in {*before, *after} if before.get(d) != after.get(d)}, key=int)
    names = {str(d.pk): str(d) for d in Department.objects.filter(pk__in=moved)}
    return [
        _("quota of %(department)s %(before)s → %(after)s") % {
            "department": names.get(d, f"#{d}"), "before": before.get(d, "–"), "after": after.get(d, "–")}
        for d in moved
    ]


def _applicant_changes(before: dict, after: dict) -> list[str]:
    changed = sorted(after[k]["number"] for k in before.keys() & after.keys() if before[k] != after[k])
    added = sorted(after[k]["number"] for k in after.keys() - before.keys())
    removed = sorted(before[k]["number"] for k in before.keys() - after.keys())
    reasons = []
    for numbers, text in (
        (changed, lambda n: ngettext("scores of %(count)s applicant changed", "scores of %(count)s applicants changed", n)),
        (added, lambda n: ngettext("%(count)s applicant added", "%(count)s applicants added", n)),
        (removed, lambda n: ngettext("%(count)s applicant left the stage", "%(count)s applicants left the stage", n)),
    ):
        if numbers:
            shown = ", ".join(numbers[:10]) + (" …" if len(numbers) > 10 else "")
            reasons.append(text(len(numbers)) % {"count": len(numbers)} + f" ({shown})")
    return reasons


def inputs_changes(*, before: dict, after: dict, stage: str) -> list[str]:
    """What differs between the run's snapshot and now, one readable line each; empty when nothing did."""
    if not before:
        return [_("the inputs of this run were not recorded")]
    reasons = _quota_changes(before.get("quotas", {}), after["quotas"])
    if stage == Stage.STAGE1 and before.get("multiplier") != after["multiplier"]:
        reasons.append(_("stage-1 multiplier %(before)s → %(after)s") % {
            "before": before.get("multiplier"), "after": after["multiplier"]})
    if before.get("weights") != after["weights"]:
        keys = ["gpa", "english"] if stage == Stage.STAGE1 else ["stage1", "document", "interview"]
        old, new = (":".join(str((w or {}).get(k)) for k in keys) for w in (before.get("weights"), after["weights"]))
        text = _("stage-1 weights %(before)s → %(after)s") if stage == Stage.STAGE1 else _("stage-2 weights %(before)s → %(after)s")
        reasons.append(text % {"before": old, "after": new})
    return reasons + _applicant_changes(before.get("applicants", {}), after["applicants"])


def stage_results(applications, stage: str) -> dict[str, list]:
    """What a run decided, per application: stage 1 passed or not and the rank; final: the status and the rank.

    Publication compares it too, so a result changed after the run by anything but a run (a bulk undo, a fix-up
    in the database) is never published. Stage 2 deciding after stage 1 leaves the stage-1 results as they were.
    """
    if stage == Stage.STAGE1:
        return {str(a.pk): [a.status in STAGE2_POOL, a.stage1_rank] for a in applications}
    return {str(a.pk): [a.status, a.final_rank] for a in applications}


def current_results(round: AffiliationRound, stage: str) -> dict[str, list]:
    pool = STAGE1_POOL if stage == Stage.STAGE1 else STAGE2_POOL
    return stage_results(AffiliationApplication.objects.filter(round=round, status__in=pool), stage)


def results_changes(*, before: dict, after: dict) -> list[str]:
    moved = {k for k in {*before, *after} if before.get(k) != after.get(k)}
    if not moved:
        return []
    return [ngettext("the result of %(count)s applicant was changed after the run",
                     "the results of %(count)s applicants were changed after the run", len(moved)) % {"count": len(moved)}]
