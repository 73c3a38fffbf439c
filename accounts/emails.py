"""Account mails, one function per kind (registered in ``core.emails`` by ``AccountsConfig.ready()``)."""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core import dates
from core.emails import absolute, render

from .models import User
from .services import email_change_token


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
    return render("email_change_notice", context)


def two_factor_enrolment(mail) -> tuple[str, str, str]:
    """The one-time code that binds a staff member's first (or next) authenticator app to this mailbox."""
    from accounts.enrolment import enrolment_mail_context

    context = enrolment_mail_context(user_id=mail.params["user_id"], device_id=mail.params["device_id"], to=mail.to)
    context["until"] = dates.when(context["expires_at"])
    return render("two_factor_enrolment", context)


def set_password(mail) -> tuple[str, str, str]:
    user = User.objects.get(pk=mail.params["user_id"])
    if (user.email or "").lower() != mail.to.lower():
        # A fresh link is made at each send: a re-send never hands one to an address the account has left.
        raise ValueError("the account's e-mail address is no longer the one this mail was queued for")
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = absolute(reverse("accounts:set_password", args=[uid, default_token_generator.make_token(user)]))
    days = settings.PASSWORD_RESET_TIMEOUT // 86400
    return render("set_password", {"user": user, "link": link, "days": days})


def email_change(mail) -> tuple[str, str, str]:
    user = User.objects.get(pk=mail.params["user_id"])
    token = email_change_token(user=user, new_email=mail.params["new_email"])
    link = absolute(reverse("accounts:email_change_confirm", args=[token]))
    hours = settings.EMAIL_CHANGE_LINK_MAX_AGE_HOURS
    return render("email_change", {"user": user, "link": link, "new_email": mail.params["new_email"], "hours": hours})


BUILDERS = {
    "set_password": set_password,
    "email_change": email_change,
    "email_change_notice": email_change_notice,
    "two_factor_enrolment": two_factor_enrolment,
}
