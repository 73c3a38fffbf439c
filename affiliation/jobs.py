"""Change of affiliation's background jobs (``core.jobs``): the records and scores imports, the selection runs.

Registered in ``AffiliationConfig.ready()``; each runner calls this app's service and reports its outcome.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from core.jobs.runners import Outcome, Progress, Runner, import_outcome, imported_sentence, job_input, runner_register
from core.models import StaffJob

Status = StaffJob.Status


class JobKind(models.TextChoices):
    RECORDS_IMPORT = "records_import", gettext_lazy("Student academic record import")
    SCORES_IMPORT = "scores_import", gettext_lazy("Document and interview score import")
    SELECTION_STAGE1 = "selection_stage1", gettext_lazy("Selection stage 1")
    SELECTION_STAGE2 = "selection_stage2", gettext_lazy("Selection stage 2")


def _round(round_id):
    from affiliation.models import AffiliationRound

    round = AffiliationRound.objects.select_related("term").filter(pk=round_id).first()
    if round is None:
        raise DomainError(_("This round no longer exists."))
    return round


def run_records_import(job: StaffJob, progress: Progress) -> Outcome:
    from affiliation.services import records_import
    from affiliation.services.records import EmailConflicts

    dry_run = bool(job.params.get("dry_run"))
    decision = job.params.get("email_conflicts", EmailConflicts.KEEP)
    report = records_import(
        content=job_input(job), filename=job.input_name, progress=progress, dry_run=dry_run,
        expected=job.params.get("expected", ""), actor=job.created_by, email_conflicts=decision,
    )
    outcome = import_outcome(report, progress, summary=imported_sentence(report.created + report.updated))
    if report.ok:
        # The preview lists every e-mail conflict with the staff's decision for this run (issue 12, finding 5a).
        outcome.report.update({
            "changes": report.changes[:500], "changes_total": len(report.changes), "fingerprint": report.fingerprint,
            "dry_run": dry_run, "email_conflicts": report.conflicts[:500],
            "email_decision": decision, "email_taken": decision == EmailConflicts.TAKE,
        })
    return outcome


def run_scores_import(job: StaffJob, progress: Progress) -> Outcome:
    from affiliation.services import scores_import

    dry_run = bool(job.params.get("dry_run"))
    report = scores_import(
        round=_round(job.params["round_id"]), content=job_input(job), filename=job.input_name, actor=job.created_by,
        progress=progress, dry_run=dry_run, expected=job.params.get("expected", ""),
    )
    outcome = import_outcome(report, progress, summary=imported_sentence(report.updated))
    if report.ok:
        outcome.report.update({
            "changes": report.changes[:500], "changes_total": len(report.changes), "fingerprint": report.fingerprint,
            "dry_run": dry_run,
        })
    return outcome


def run_selection_stage1(job: StaffJob, progress: Progress) -> Outcome:
    """One transaction that locks the round: no progress in between, the job is running until it commits."""
    from affiliation.services import selection_run_stage1

    counts = selection_run_stage1(round_id=_round(job.params["round_id"]).pk, actor=job.created_by)
    total = counts["passed"] + counts["failed"]
    return Outcome(
        status=Status.DONE, done=total, total=total, report=counts,
        summary=_("%(passed)s passed, %(failed)s did not pass stage 1.") % counts,
    )


def run_selection_stage2(job: StaffJob, progress: Progress) -> Outcome:
    from affiliation.services import selection_run_stage2

    counts = selection_run_stage2(round_id=_round(job.params["round_id"]).pk, actor=job.created_by)
    total = counts["admitted"] + counts["not_admitted"]
    return Outcome(
        status=Status.DONE, done=total, total=total, report=counts,
        summary=_("%(admitted)s admitted, %(not_admitted)s not admitted.") % counts,
    )


def _by_round(params: dict) -> str:
    return f"round:{int(params['round_id'])}"


def _round_page(job: StaffJob) -> str:
    return reverse("admin:affiliation_affiliationround_change", args=[job.params["round_id"]])


def register() -> None:
    Kind = JobKind
    for kind, runner in {
        # Records are not per round: one import at a time.
        Kind.RECORDS_IMPORT: Runner(
            permission="affiliation.add_studentrecord",
            scope=lambda params: "all",
            run=run_records_import,
            back=lambda job: reverse("admin:affiliation_studentrecord_changelist"),
            upload=lambda job: reverse("admin:affiliation_studentrecord_import"),
        ),
        Kind.SCORES_IMPORT: Runner(
            permission="affiliation.change_affiliationapplication",
            scope=_by_round,
            run=run_scores_import,
            back=lambda job: reverse("admin:affiliation_affiliationapplication_changelist") + f"?round__id__exact={job.params['round_id']}",
            upload=lambda job: reverse("admin:affiliation_affiliationapplication_import_scores"),
        ),
        Kind.SELECTION_STAGE1: Runner(
            permission="affiliation.run_selection", scope=_by_round, run=run_selection_stage1, back=_round_page,
        ),
        Kind.SELECTION_STAGE2: Runner(
            permission="affiliation.run_selection", scope=_by_round, run=run_selection_stage2, back=_round_page,
        ),
    }.items():
        runner_register(kind, runner)
