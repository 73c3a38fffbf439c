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


BUILDERS = {
    "application_conflict_notice": application_conflict_notice,
    "application_conflict_received": application_conflict_received,
}
