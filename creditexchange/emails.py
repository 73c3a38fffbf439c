"""Credit-exchange mails about conflicting applications (finding 3), registered in ``ustportal.emails.BUILDERS``.

Each renders subject, text and HTML from ``templates/emails/<kind>_{subject,body}.txt`` and ``<kind>_body.html``
in the recipient's language. A mail speaks only of the recipient's own application: never a word about the
other applicant.
"""

from django.urls import reverse


def _context(mail) -> dict:
    from ustportal.emails import _application, absolute

    return {"application": _application(mail), "lookup_link": absolute(reverse("creditexchange:application_lookup"))}


def application_conflict_notice(mail) -> tuple[str, str, str]:
    """To an earlier applicant: someone else has applied with your student number; no ID until the office checks."""
    from ustportal.emails import _render

    return _render("application_conflict_notice", _context(mail))


def application_conflict_received(mail) -> tuple[str, str, str]:
    """To the later applicant: we kept your application; the office checks both; no ID until then."""
    from ustportal.emails import _render

    return _render("application_conflict_received", _context(mail))


def offering_changed(mail) -> tuple[str, str, str]:
    """To a registered student: the registrar's office changed a course's slots or credits (issue 12, finding 4);
    what changed, what now breaks in their timetable (if anything) and what to do."""
    from academics.models import TermWindow
    from accounts.models import User
    from ustportal.emails import _render, absolute

    from .models import CourseOffering
    from .services.offering_change import slot_label

    params = mail.params
    offering = CourseOffering.objects.select_related("term").get(pk=params["offering_id"])
    before, after = params["before"], params["after"]
    window = offering.term.windows.filter(kind=TermWindow.Kind.CHANGE).first()
    return _render("offering_changed", {
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
    from ustportal.emails import _render

    context = _context(mail)
    context.update({"student_id": mail.params["student_id"], "reason": mail.params.get("reason", "")})
    return _render("application_id_revoked", context)


BUILDERS = {
    "application_id_revoked": application_id_revoked,
    "offering_changed": offering_changed,
    "application_conflict_notice": application_conflict_notice,
    "application_conflict_received": application_conflict_received,
}
