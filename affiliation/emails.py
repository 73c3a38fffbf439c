"""Change-of-affiliation mails, one function per kind (registered in ``core.emails`` by ``AffiliationConfig.ready()``).

Each renders subject, text and HTML from ``templates/emails/<kind>_{subject,body}.txt`` and
``<kind>_body.html``, in the recipient's language (``render_mail`` activates it).
"""

from django.urls import reverse

from core.emails import absolute, render

from .models import AffiliationApplication, AffiliationRound, ConditionsAlert, Stage

Status = AffiliationApplication.Status


def _application(mail):
    return AffiliationApplication.objects.select_related(
        "round__term", "record__user", "target_department"
    ).get(pk=mail.params["application_id"])


def _context(mail) -> dict:
    application = _application(mail)
    return {"application": application, "record": application.record, "link": absolute(reverse("affiliation:index"))}


def affiliation_submitted(mail) -> tuple[str, str, str]:
    return render("affiliation_submitted", _context(mail))


def affiliation_result(mail) -> tuple[str, str, str]:
    context = _context(mail)
    stage = mail.params.get("stage", Stage.FINAL)
    application = context["application"]
    status = application.status
    passed = status in {Status.ADMITTED, Status.CONFIRMED, Status.CANCELLED} or (
        stage == Stage.STAGE1 and status in {Status.STAGE1_PASSED, Status.NOT_ADMITTED})
    return render("affiliation_result", {**context, "is_stage1": stage == Stage.STAGE1, "passed": passed,
                                          "of": _ranked_count(application, stage)})


def _ranked_count(application, stage: str) -> int:
    """How many applicants of the same department the rank is among: all who applied (stage 1), or those who
    reached stage 2 (final), as the status page shows it."""
    competitors = AffiliationApplication.objects.filter(
        round=application.round_id, target_department=application.target_department_id
    ).exclude(status=Status.DRAFT)
    if stage != Stage.STAGE1:
        competitors = competitors.exclude(status__in=[Status.SUBMITTED, Status.STAGE1_FAILED])
    return competitors.count()


def affiliation_cancelled(mail) -> tuple[str, str, str]:
    return render("affiliation_cancelled", {**_context(mail), **{k: v for k, v in mail.params.items() if k != "application_id"}})


def affiliation_confirmed(mail) -> tuple[str, str, str]:
    return render("affiliation_confirmed", _context(mail))


def affiliation_reinstated(mail) -> tuple[str, str, str]:
    """Issue 12: a cancelled pass is given back; the reason the committee recorded is in the mail."""
    return render("affiliation_reinstated", {**_context(mail), "reason": mail.params.get("reason", "")})


def affiliation_conditions_alert(mail) -> tuple[str, str, str]:
    """Issue 12: to the committee, what the scheduled winter-session check found (it cancels nothing itself)."""
    from .services.conditions import refusal_text

    params = mail.params
    round = AffiliationRound.objects.select_related("term").get(pk=params["round_id"])
    link = absolute(reverse("admin:affiliation_affiliationround_conditions", args=[round.pk]))
    refusal = refusal_text(params["refusal_code"], params) if params.get("refusal_code") else ""
    return render("affiliation_conditions_alert", {
        "round": round, "link": link, "refused": params["state"] == ConditionsAlert.REFUSED, "refusal": refusal,
        "admitted": params.get("admitted", 0), "cancel": params.get("cancel", 0),
    })


def affiliation_publication_refused(mail) -> tuple[str, str, str]:
    """Issue 12, finding 2: to the committee, why the schedule did not publish a stage (reasons in their language)."""
    from .models import AffiliationRound

    round = AffiliationRound.objects.select_related("term").get(pk=mail.params["round_id"])
    link = absolute(reverse("admin:affiliation_affiliationround_change", args=[round.pk]))
    return render("affiliation_publication_refused", {
        "round": round, "is_stage1": mail.params["stage"] == Stage.STAGE1, "reasons": mail.params.get("reasons", []), "link": link,
    })


BUILDERS = {
    "affiliation_publication_refused": affiliation_publication_refused,
    "affiliation_submitted": affiliation_submitted,
    "affiliation_result": affiliation_result,
    "affiliation_cancelled": affiliation_cancelled,
    "affiliation_confirmed": affiliation_confirmed,
    "affiliation_reinstated": affiliation_reinstated,
    "affiliation_conditions_alert": affiliation_conditions_alert,
}
