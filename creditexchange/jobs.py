"""Credit exchange's background jobs (``core.jobs``): the offerings import, ID issuance and list sends.

Registered in ``CreditExchangeConfig.ready()``; each runner calls this app's service and reports its outcome.
"""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.errors import DomainError
from core.jobs.runners import Outcome, Progress, Runner, import_outcome, job_input, runner_register
from core.models import StaffJob

Status = StaffJob.Status


class JobKind(models.TextChoices):
    OFFERINGS_IMPORT = "offerings_import", gettext_lazy("Course offering import")
    TEMPORARY_IDS_ISSUE = "temporary_ids_issue", gettext_lazy("Temporary student ID issuance")
    PARTNER_LIST_SEND = "partner_list_send", gettext_lazy("List to a partner university")


def _term(term_id):
    from academics.models import Term

    term = Term.objects.filter(pk=term_id).first()
    if term is None:
        raise DomainError(_("This term no longer exists."))
    return term


def run_offerings_import(job: StaffJob, progress: Progress) -> Outcome:
    from creditexchange.services import offerings_import

    dry_run = bool(job.params.get("dry_run"))
    report = offerings_import(
        term=_term(job.params["term_id"]), content=job_input(job), filename=job.input_name, progress=progress,
        dry_run=dry_run, expected=job.params.get("expected", ""), actor=job.created_by,
    )
    outcome = import_outcome(
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


def register() -> None:
    Kind = JobKind
    for kind, runner in {
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
    }.items():
        runner_register(kind, runner)
