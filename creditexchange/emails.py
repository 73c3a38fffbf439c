"""Credit-exchange mails about conflicting applications (finding 3), registered in ``core.emails`` by ``CreditExchangeConfig.ready()``.

Each renders subject, text and HTML from ``templates/emails/<kind>_{subject,body}.txt`` and ``<kind>_body.html``
in the recipient's language. A mail speaks only of the recipient's own application: never a word about the
other applicant.
"""

from django.conf import settings
from django.urls import reverse

from core.emails import absolute, render

from .models import PartnerList, PartnerListFile, TemporaryIdApplication
from .services import confirmation_token, partner_list_token


def _context(mail) -> dict:
    return {"application": _application(mail), "lookup_link": absolute(reverse("creditexchange:application_lookup"))}


def application_conflict_notice(mail) -> tuple[str, str, str]:
    """To an earlier applicant: someone else has applied with your student number; no ID until the office checks."""
    return render("application_conflict_notice", _context(mail))


def application_conflict_received(mail) -> tuple[str, str, str]:
    """To the later applicant: we kept your application; the office checks both; no ID until then."""
    return render("application_conflict_received", _context(mail))


def offering_changed(mail) -> tuple[str, str, str]:
    """To a registered student: the registrar's office changed a course's slots or credits (issue 12, finding 4);
    what changed, what now breaks in their timetable (if anything) and what to do."""
    from academics.models import TermWindow
    from accounts.models import User

    from .models import CourseOffering
    from .services.offering_change import slot_label

    params = mail.params
    offering = CourseOffering.objects.select_related("term").get(pk=params["offering_id"])
    before, after = params["before"], params["after"]
    window = offering.term.windows.filter(kind=TermWindow.Kind.CHANGE).first()
    return render("offering_changed", {
        "student": User.objects.get(pk=params["student_id"]), "offering": offering,
        "slots_before": ", ".join(slot_label(s) for s in before["slots"]) or "—",
        "slots_after": ", ".join(slot_label(s) for s in after["slots"]) or "—",
        "slots_changed": before["slots"] != after["slots"],
        "credits_before": before["credits"], "credits_after": after["credits"],
        "credits_changed": before["credits"] != after["credits"],
        "clashes": [
            {"other": c["other_label"], "slot": slot_label(c["slot"]), "other_slot": slot_label(c["other_slot"])}
            for c in params.get("clashes") or []
        ],
        "credits": params.get("credits"), "window": window,
        "link": absolute(reverse("creditexchange:my_registrations")),
    })


def application_id_revoked(mail) -> tuple[str, str, str]:
    """To an applicant whose temporary ID was issued by mistake and revoked (issue 12): which ID, the reason."""
    context = _context(mail)
    context.update({"student_id": mail.params["student_id"], "reason": mail.params.get("reason", "")})
    return render("application_id_revoked", context)


def _application(mail):
    return TemporaryIdApplication.objects.select_related("term", "partner", "temporary_id__user").get(
        pk=mail.params["application_id"]
    )


def application_confirmation(mail) -> tuple[str, str, str]:
    application = _application(mail)
    link = absolute(reverse("creditexchange:application_confirm", args=[confirmation_token(application)]))
    hours = settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS
    return render("application_confirmation", {"application": application, "link": link, "hours": hours})


def application_issued(mail) -> tuple[str, str, str]:
    application = _application(mail)
    if application.temporary_id_id is None:
        # Revoked since it was queued (issue 12): never tell the applicant an ID is issued after it was withdrawn.
        raise ValueError("the temporary student ID of this application was revoked after this mail was queued")
    link = absolute(reverse("creditexchange:application_lookup"))
    return render("application_issued", {"application": application, "link": link})


def application_rejected(mail) -> tuple[str, str, str]:
    return render("application_rejected", {"application": _application(mail)})


def partner_list(mail) -> tuple[str, str, str]:
    """SPEC §3.3: the list to a partner's coordinator, with the signed verification link (built now, never stored)."""
    partner_list = PartnerList.objects.select_related("partner", "term").get(pk=mail.params["list_id"])
    link = absolute(reverse("creditexchange:partner_list_verify", args=[partner_list_token(partner_list)]))
    context = {
        "list": partner_list, "link": link, "kind": partner_list.get_kind_display(),
        "count": partner_list.student_count, "files": [f.filename for f in partner_list.files.all()],
    }
    return render("partner_list", context)


def _partner_list_file(reference: dict) -> tuple[str, bytes, str]:
    stored = PartnerListFile.objects.get(pk=reference["id"])
    return stored.filename, bytes(stored.content), stored.content_type



def _waitlist_context(mail) -> dict:
    from core import dates

    from .models import WaitlistEntry

    entry = WaitlistEntry.objects.select_related("student", "offering__term").get(pk=mail.params["entry_id"])
    return {
        "student": entry.student, "offering": entry.offering, "term": entry.offering.term,
        "claim_until": dates.when(entry.claim_until) if entry.claim_until else "",
        "link": absolute(reverse("creditexchange:my_registrations") + f"?term={entry.term_id}"),
    }


def waitlist_offered(mail) -> tuple[str, str, str]:
    """To the first student on a waitlist (the term's offer mode): a seat is held for you until the deadline."""
    return render("waitlist_offered", _waitlist_context(mail))


def waitlist_registered(mail) -> tuple[str, str, str]:
    """To a student registered from a waitlist at a release time (auto mode)."""
    return render("waitlist_registered", _waitlist_context(mail))


BUILDERS = {
    "waitlist_offered": waitlist_offered,
    "waitlist_registered": waitlist_registered,
    "application_confirmation": application_confirmation,
    "application_issued": application_issued,
    "application_rejected": application_rejected,
    "partner_list": partner_list,
    "application_id_revoked": application_id_revoked,
    "offering_changed": offering_changed,
    "application_conflict_notice": application_conflict_notice,
    "application_conflict_received": application_conflict_received,
}

ATTACHMENTS = {"partner_list_file": _partner_list_file}
