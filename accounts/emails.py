"""Account mails, one function per kind (registered in ``ustportal.emails.BUILDERS``)."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from ustportal import dates

SEOUL = ZoneInfo("Asia/Seoul")


def mask_email(address: str) -> str:
    """``haneul.new@example.org`` → ``ha****@ex****.org``: enough to recognise, not enough to use."""
    local, _, domain = address.partition("@")
    name, dot, tld = domain.rpartition(".")
    if not dot:
        name, tld = domain, ""
    masked_domain = f"{name[:2]}****{dot}{tld}" if name else "****"
    return f"{local[:2]}****@{masked_domain}"


def email_change_notice(mail) -> tuple[str, str, str]:
    """Finding 4: the *old* address learns of a confirmed change, when (Asia/Seoul) and to what (masked), and can undo it."""
    from accounts.models import User
    from accounts.services import email_change_report_token
    from ustportal.emails import _render, absolute

    user = User.objects.get(pk=mail.params["user_id"])
    changed_at = datetime.fromisoformat(mail.params["changed_at"])
    token = email_change_report_token(
        user_id=user.pk, old_email=mail.to, new_email=mail.params["new_email"], changed_at=mail.params["changed_at"]
    )
    context = {
        "user": user,
        "when": dates.when(changed_at),
        "masked_email": mask_email(mail.params["new_email"]),
        "link": absolute(reverse("accounts:email_change_report", args=[token])),
        "days": settings.EMAIL_CHANGE_REPORT_MAX_AGE_DAYS,
    }
    return _render("email_change_notice", context)


def two_factor_enrolment(mail) -> tuple[str, str, str]:
    """The one-time code that binds a staff member's first (or next) authenticator app to this mailbox."""
    from accounts.enrolment import enrolment_mail_context
    from ustportal.emails import _render

    context = enrolment_mail_context(user_id=mail.params["user_id"], device_id=mail.params["device_id"], to=mail.to)
    context["until"] = dates.when(context["expires_at"])
    return _render("two_factor_enrolment", context)


BUILDERS = {
    "email_change_notice": email_change_notice,
    "two_factor_enrolment": two_factor_enrolment,
}
