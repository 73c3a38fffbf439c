"""One function per message (Healthchecks' hc/lib/emails.py): subject, text and HTML templates.

Only the mail task calls ``render_mail``; every message renders in the recipient's language.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import OutgoingMail


def absolute(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}"


def _plain(template_name: str, context: dict) -> str:
    """A plain-text template rendered without HTML escaping: "O'Brien & Co." stays as typed in a text mail."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def _render(name: str, context: dict) -> tuple[str, str, str]:
    context = {"portal_url": settings.PORTAL_BASE_URL, **context}
    subject = " ".join(_plain(f"emails/{name}_subject.txt", context).split())
    text = _plain(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    return subject, text, html


def _application(mail: OutgoingMail):
    from creditexchange.models import TemporaryIdApplication

    return TemporaryIdApplication.objects.select_related("term", "partner", "temporary_id__user").get(
        pk=mail.params["application_id"]
    )


def application_confirmation(mail: OutgoingMail) -> tuple[str, str, str]:
    from creditexchange.services import confirmation_token

    application = _application(mail)
    link = absolute(reverse("creditexchange:application_confirm", args=[confirmation_token(application)]))
    hours = settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS
    return _render("application_confirmation", {"application": application, "link": link, "hours": hours})


def application_issued(mail: OutgoingMail) -> tuple[str, str, str]:
    application = _application(mail)
    if application.temporary_id_id is None:
        # Revoked since it was queued (issue 12): never tell the applicant an ID is issued after it was withdrawn.
        raise ValueError("the temporary student ID of this application was revoked after this mail was queued")
    link = absolute(reverse("creditexchange:application_lookup"))
    return _render("application_issued", {"application": application, "link": link})


def application_rejected(mail: OutgoingMail) -> tuple[str, str, str]:
    return _render("application_rejected", {"application": _application(mail)})


def set_password(mail: OutgoingMail) -> tuple[str, str, str]:
    from accounts.models import User

    user = User.objects.get(pk=mail.params["user_id"])
    if (user.email or "").lower() != mail.to.lower():
        # A fresh link is made at each send: a re-send never hands one to an address the account has left.
        raise ValueError("the account's e-mail address is no longer the one this mail was queued for")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = absolute(reverse("accounts:set_password", args=[uid, default_token_generator.make_token(user)]))
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    return _render("set_password", {"user": user, "link": link, "days": days})


def email_change(mail: OutgoingMail) -> tuple[str, str, str]:
    from accounts.models import User
    from accounts.services import email_change_token

    user = User.objects.get(pk=mail.params["user_id"])
    token = email_change_token(user=user, new_email=mail.params["new_email"])
    link = absolute(reverse("accounts:email_change_confirm", args=[token]))
    hours = settings.EMAIL_CHANGE_LINK_MAX_AGE_HOURS
    return _render("email_change", {"user": user, "link": link, "new_email": mail.params["new_email"], "hours": hours})


def partner_list(mail: OutgoingMail) -> tuple[str, str, str]:
    """SPEC §3.3: the list to a partner's coordinator, with the signed verification link (built now, never stored)."""
    from creditexchange.models import PartnerList
    from creditexchange.services import partner_list_token

    partner_list = PartnerList.objects.select_related("partner", "term").get(pk=mail.params["list_id"])
    link = absolute(reverse("creditexchange:partner_list_verify", args=[partner_list_token(partner_list)]))
    context = {
        "list": partner_list, "link": link, "kind": partner_list.get_kind_display(),
        "count": partner_list.student_count, "files": [f.filename for f in partner_list.files.all()],
    }
    return _render("partner_list", context)


BUILDERS: dict[str, Callable[[OutgoingMail], tuple[str, str, str]]] = {
    "application_confirmation": application_confirmation,
    "application_issued": application_issued,
    "application_rejected": application_rejected,
    "set_password": set_password,
    "email_change": email_change,
    "partner_list": partner_list,
}

from affiliation.emails import BUILDERS as AFFILIATION_BUILDERS  # noqa: E402 - affiliation mails (SPEC §4)

BUILDERS.update(AFFILIATION_BUILDERS)

from creditexchange.emails import BUILDERS as CREDITEXCHANGE_BUILDERS  # noqa: E402 - conflicting applications (issue 10)

BUILDERS.update(CREDITEXCHANGE_BUILDERS)

from accounts.emails import BUILDERS as ACCOUNT_BUILDERS  # noqa: E402 - account security mails (issue 10)

BUILDERS.update(ACCOUNT_BUILDERS)


def _partner_list_file(reference: dict) -> tuple[str, bytes, str]:
    from creditexchange.models import PartnerListFile

    stored = PartnerListFile.objects.get(pk=reference["id"])
    return stored.filename, bytes(stored.content), stored.content_type


# Attachment references an OutgoingMail may carry, by "kind"; each loader returns (filename, bytes, mimetype).
ATTACHMENTS: dict[str, Callable[[dict], tuple[str, bytes, str]]] = {
    "partner_list_file": _partner_list_file,
}


def render_attachments(mail: OutgoingMail) -> list[tuple[str, bytes, str]]:
    return [ATTACHMENTS[reference["kind"]](reference) for reference in mail.attachments or []]


def render_mail(mail: OutgoingMail) -> tuple[str, str, str]:
    with translation.override(mail.language or settings.LANGUAGE_CODE):
        return BUILDERS[mail.kind](mail)
