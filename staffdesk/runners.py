"""What each kind of background job does: it calls the existing service and turns its result into an outcome.

A runner never decides a business rule: the services (``creditexchange.services``,
``affiliation.services``) do, exactly as when a management command or a beat task calls them.
Runners are called by ``staffdesk.services.job_run`` with the job's language active.

Outcome rules: ``done`` means the work was applied, possibly with single items skipped (listed in
``failures``); ``failed`` means nothing was applied — a whole-job refusal (a ``DomainError``), an
all-or-nothing import with row errors, or an unexpected error.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ustportal.errors import DomainError

from .models import StaffJob

Kind = StaffJob.Kind
Status = StaffJob.Status


@dataclass
class Outcome:
    status: str
    done: int = 0
    total: int | None = None
    failures: list[dict] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    summary: str = ""
    error: str = ""


class Progress:
    """What a runner hands to a service as ``progress``; remembers the last call (the job writer subclasses it)."""

    def __init__(self) -> None:
        self.done, self.total = 0, None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total


@dataclass(frozen=True)
class Runner:
    permission: str  # needed to start the job and to see it
    scope: Callable[[dict], str]  # one active job per kind and scope
    run: Callable[[StaffJob, Progress], Outcome]
    back: Callable[[StaffJob], str]  # the admin page the job was started from
    upload: Callable[[StaffJob], str] | None = None  # an import's upload page (a stale preview links it)


def _input(job: StaffJob) -> bytes:
    return bytes(job.input_content or b"")


def _row_failures(errors: list[tuple[int, str]]) -> list[dict]:
    return [{"row": number, "reason": str(reason)} for number, reason in errors]


def _imported(count: int) -> str:
    return ngettext("Imported %(count)s row.", "Imported %(count)s rows.", count) % {"count": count}


def _import_outcome(report, progress: Progress, *, summary: str) -> Outcome:
    """The shared end of the three all-or-nothing imports: what was checked and what happened to it."""
    if not report.ok:
        errors = len(report.errors)
        errors_text = ngettext("%(count)s error", "%(count)s errors", errors) % {"count": errors}
        if progress.total is None:  # refused before any row was read (e.g. a missing column)
            error = _("Nothing was imported: %(errors)s.") % {"errors": errors_text}
        else:
            checked = ngettext("%(count)s row checked", "%(count)s rows checked", progress.total) % {"count": progress.total}
            error = _("%(checked)s, 0 imported: %(errors)s.") % {"checked": checked, "errors": errors_text}
        return Outcome(
            status=Status.FAILED, done=0, total=progress.total, failures=_row_failures(report.errors),
            report={"rows": progress.total, "errors": errors}, error=error,
        )
    created, updated = getattr(report, "created", 0), report.updated
    return Outcome(
        status=Status.DONE, done=created + updated, total=created + updated,
        report={"created": created, "updated": updated}, summary=summary,
    )


def preview_summary(report: dict) -> str:
    """The sentence on a finished dry run (``staffdesk.services``): what the import would do; nothing done yet."""
    created, updated = report.get("created", 0), report.get("updated", 0)
    return _(
        "Preview: %(created)s to create, %(updated)s to change. Nothing has been imported yet: check the changes "
        "below, then confirm the import."
    ) % {"created": created, "updated": updated}


def _term(term_id):
    from academics.models import Term

    term = Term.objects.filter(pk=term_id).first()
    if term is None:
        raise DomainError(_("This term no longer exists."))
    return term


def _round(round_id):
    from affiliation.models import AffiliationRound

    round = AffiliationRound.objects.select_related("term").filter(pk=round_id).first()
    if round is None:
        raise DomainError(_("This round no longer exists."))
    return round


# --- Credit exchange -----------------------------------------------------------------------------------------------


def run_offerings_import(job: StaffJob, progress: Progress) -> Outcome:
    from creditexchange.services import offerings_import

    dry_run = bool(job.params.get("dry_run"))
    report = offerings_import(
        term=_term(job.params["term_id"]), content=_input(job), filename=job.input_name, progress=progress,
        dry_run=dry_run, expected=job.params.get("expected", ""), actor=job.created_by,
    )
    outcome = _import_outcome(
        report, progress,
        summary=ngettext(
            "Imported %(count)s row: %(created)s created, %(updated)s updated.",
            "Imported %(count)s rows: %(created)s created, %(updated)s updated.",
            report.created + report.updated,
        ) % {"count": report.created + report.updated, "created": report.created, "updated": report.updated},
    )
    if report.ok:
        # The preview also lists the registered students whose timetables the file breaks (issue 12, finding 4).
        outcome.report.update({
            "changes": report.changes[:500], "changes_total": len(report.changes), "fingerprint": report.fingerprint,
            "dry_run": dry_run, "affected": report.affected[:500], "bulk_action_ids": report.bulk_action_ids,
        })
    return outcome


def run_temporary_ids_issue(job: StaffJob, progress: Progress) -> Outcome:
    from creditexchange.models import TemporaryIdApplication
    from creditexchange.services import temporary_id_issue_batch

    ids = [int(pk) for pk in job.params["application_ids"]]
    # The preview staff confirmed (issue 12): a changed selection is refused before anything is issued.
    report = temporary_id_issue_batch(
        actor=job.created_by, application_ids=ids, progress=progress, expected=job.params.get("expected", ""),
    )
    failed_ids = [pk for pk, _reason in report.failures]
    labels = {
        a.pk: str(a) for a in TemporaryIdApplication.objects.filter(pk__in=failed_ids).select_related("term", "partner")
    }
    failures = [{"item": labels.get(pk, f"#{pk}"), "reason": reason} for pk, reason in report.failures]
    summary = ngettext("%d temporary student ID issued.", "%d temporary student IDs issued.", report.issued) % report.issued
    if report.skipped:
        summary += " " + ngettext("%d application skipped.", "%d applications skipped.", report.skipped) % report.skipped
    return Outcome(
        status=Status.DONE if report.issued or not failures else Status.FAILED, done=report.issued, total=len(ids),
        failures=failures, report={"issued": report.issued, "skipped": report.skipped}, summary=summary,
    )


def run_partner_list_send(job: StaffJob, progress: Progress) -> Outcome:
    from creditexchange.models import PartnerList
    from creditexchange.services import partner_list_send

    partner_list = partner_list_send(
        partner_id=job.params["partner_id"], term_id=job.params["term_id"], kind=job.params["kind"],
        trigger=PartnerList.Trigger.STAFF, actor=job.created_by, expected=job.params.get("expected", ""),
    )
    students = len(partner_list.rows)
    summary = ngettext(
        "The %(kind)s list for %(partner)s (%(students)s student) was sent to %(recipients)s.",
        "The %(kind)s list for %(partner)s (%(students)s students) was sent to %(recipients)s.",
        students,
    ) % {
        "kind": partner_list.get_kind_display(), "partner": partner_list.partner.name, "students": students,
        "recipients": ", ".join(partner_list.recipients),
    }
    return Outcome(
        status=Status.DONE, done=1, total=1, summary=summary,
        report={"list_id": partner_list.pk, "students": students, "recipients": partner_list.recipients},
    )


# --- Change of affiliation -----------------------------------------------------------------------------------------


def run_records_import(job: StaffJob, progress: Progress) -> Outcome:
    from affiliation.services import records_import

    dry_run = bool(job.params.get("dry_run"))
    report = records_import(
        content=_input(job), filename=job.input_name, progress=progress, dry_run=dry_run,
        expected=job.params.get("expected", ""), actor=job.created_by,
        email_conflicts=job.params.get("email_conflicts", "keep"),
    )
    outcome = _import_outcome(report, progress, summary=_imported(report.created + report.updated))
    if report.ok:
        # The preview lists every e-mail conflict with the staff's decision for this run (issue 12, finding 5a).
        outcome.report.update({
            "changes": report.changes[:500], "changes_total": len(report.changes), "fingerprint": report.fingerprint,
            "dry_run": dry_run, "email_conflicts": report.conflicts[:500],
            "email_decision": job.params.get("email_conflicts", "keep"),
        })
    return outcome


def run_scores_import(job: StaffJob, progress: Progress) -> Outcome:
    from affiliation.services import scores_import

    dry_run = bool(job.params.get("dry_run"))
    report = scores_import(
        round=_round(job.params["round_id"]), content=_input(job), filename=job.input_name, actor=job.created_by,
        progress=progress, dry_run=dry_run, expected=job.params.get("expected", ""),
    )
    outcome = _import_outcome(report, progress, summary=_imported(report.updated))
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


RUNNERS: dict[str, Runner] = {
    Kind.OFFERINGS_IMPORT: Runner(
        permission="creditexchange.add_courseoffering",
        scope=lambda params: f"term:{int(params['term_id'])}",
        run=run_offerings_import,
        back=lambda job: reverse("admin:creditexchange_courseoffering_changelist") + f"?term__id__exact={job.params['term_id']}",
        upload=lambda job: reverse("admin:creditexchange_courseoffering_import"),
    ),
    # One issuance job at a time, whatever the selection: the daily batch is the other writer.
    Kind.TEMPORARY_IDS_ISSUE: Runner(
        permission="creditexchange.issue_temporaryidapplication",
        scope=lambda params: "all",
        run=run_temporary_ids_issue,
        back=lambda job: reverse("admin:creditexchange_temporaryidapplication_changelist"),
    ),
    Kind.PARTNER_LIST_SEND: Runner(
        permission="creditexchange.send_partnerlist",
        scope=lambda params: f"partner:{int(params['partner_id'])}/term:{int(params['term_id'])}/kind:{params['kind']}",
        run=run_partner_list_send,
        back=lambda job: reverse("admin:creditexchange_partnerlist_term", args=[job.params["term_id"]]),
    ),
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
}
