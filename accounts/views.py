import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.utils import ErrorDict
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.http import client_ip

from . import services
from .forms import EmailChangeForm, LoginForm, PasswordLinkForm, ProfileForm, axes_username
from .middleware import ENDED


def axes_client_ip(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the same client address every rate limit uses (NUM_PROXIES governs it).

    None when it is not an IP address (no REMOTE_ADDR, as in ``Client.force_login``): axes stores it in an
    ``inet`` column, and "unknown" would fail there.
    """
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def lockout_message(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-ins with this user name from your connection. For your security, signing in is "
        "paused: please try again in %(minutes)d minute. If you forgot your password, you can set a new one.",
        "Too many failed sign-ins with this user name from your connection. For your security, signing in is "
        "paused: please try again in %(minutes)d minutes. If you forgot your password, you can set a new one.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the login page that was asked for (portal or admin) again, saying how long to wait.

    The page's own form gets the message as its only error, so the admin's template needs no override.
    """
    minutes = services.lockout_wait_minutes(
        username=axes_username(request, credentials), ip_address=getattr(request, "axes_ip_address", None) or axes_client_ip(request)
    )
    message = lockout_message(minutes)
    context = dict(getattr(original_response, "context_data", None) or {})
    form = context.get("form")
    if form is None or not getattr(original_response, "template_name", None):
        context = {"form": LoginForm(request), "next": request.POST.get("next", "")}
        form, template_name = context["form"], "accounts/login.html"
    else:
        template_name = original_response.template_name
    form._errors = ErrorDict()
    form.cleaned_data = {}
    form.add_error(None, ValidationError(message, code="locked_out"))
    response = TemplateResponse(request, template_name, context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response.render()


def session_ended_message(ended: dict) -> str:
    if ended.get("why") == "lifetime":
        hours = int(ended.get("hours", settings.SESSION_MAX_HOURS))
        return ngettext(
            "Your session ended %(hours)d hour after you signed in. Please sign in again.",
            "Your session ended %(hours)d hours after you signed in. Please sign in again.", hours,
        ) % {"hours": hours}
    minutes = int(ended.get("minutes", settings.SESSION_IDLE_MINUTES))
    return ngettext(
        "Your session ended after %(minutes)d minute without activity. Please sign in again.",
        "Your session ended after %(minutes)d minutes without activity. Please sign in again.", minutes,
    ) % {"minutes": minutes}


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        ended = request.session.pop(ENDED, None)
        if isinstance(ended, dict):
            messages.warning(request, session_ended_message(ended))
        return super().get(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password with the old one; this session stays, every other session of the account ends."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed. You were signed out everywhere else."))
        return super().form_valid(form)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The mailed set-password link (Django's password-reset token: void once a password is set)."""

    template_name = "accounts/set_password.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        from .models import User

        with transaction.atomic():
            # Lock the account: a temporary ID revoked in this instant deletes it (the revoke locks it too), and the
            # form's full save of the account read before would insert it again, with a password and no ID.
            if not User.objects.select_for_update().filter(pk=form.user.pk, is_active=True).exists():
                messages.error(self.request, _("This account no longer exists or is closed, so no password was set."))
                return redirect("accounts:login")
            messages.success(self.request, gettext_lazy("Your password is set. You are now logged in."))
            return super().form_valid(form)


@login_required
def profile(request):
    user = request.user
    profile_form = ProfileForm(instance=user)
    email_form = EmailChangeForm()
    if request.method == "POST" and "save_profile" in request.POST:
        profile_form = ProfileForm(request.POST, instance=user)
        if profile_form.is_valid():
            services.profile_update(user=user, **profile_form.cleaned_data)
            messages.success(request, _("Your profile has been saved."))
            # The preferred language is for mails: the pages stay in the language the person browses in.
            return redirect("accounts:profile")
    elif request.method == "POST" and "change_email" in request.POST:
        email_form = EmailChangeForm(request.POST)
        if email_form.is_valid():
            try:
                services.email_change_request(
                    user=user, new_email=email_form.cleaned_data["new_email"],
                    password=email_form.cleaned_data["current_password"],
                )
            except DomainError as exc:
                email_form.add_error("current_password" if exc.code == "password" else None, exc.message)
            else:
                messages.success(request, _("We sent a confirmation link to the new address. Your address changes when you open it."))
                return redirect("accounts:profile")
    identity = getattr(user, "temporary_id", None)
    applications = identity.applications.select_related("term", "partner") if identity else []
    context = {"profile_form": profile_form, "email_form": email_form, "identity": identity, "applications": applications}
    return render(request, "accounts/profile.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def email_change_confirm(request, token: str):
    """The link mailed to the new address: opening it shows one button; only its POST changes the address."""
    template = "accounts/email_change_confirm.html"
    try:
        if request.method != "POST":
            return render(request, template, {"pending_email": services.email_change_check(token=token)})
        user = services.email_change_confirm(token=token)
    except DomainError as exc:
        return render(request, template, {"error": exc.message}, status=400)
    return render(request, template, {"email": user.email})


@require_http_methods(["GET", "HEAD", "POST"])
def email_change_report(request, token: str):
    """"This wasn't me", from the notice to the old address: a page with one button; its POST takes the account back."""
    template = "accounts/email_change_report.html"
    try:
        if request.method != "POST":
            return render(request, template, {"pending": services.email_change_report_check(token=token)})
        user = services.email_change_report(token=token)
    except services.AlreadyReported as exc:
        return render(request, template, {"already": exc.message})
    except DomainError as exc:
        return render(request, template, {"error": exc.message}, status=400)
    return render(request, template, {"restored_email": user.email, "staff": user.is_staff or user.is_superuser})


def password_link(request):
    """First sign-in (home students) or a forgotten password: the set-password link is mailed to the address on record."""
    form = PasswordLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_link_lookup(**form.cleaned_data, client_key=client_ip(request))
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.info(request, _(
                "If the user name and the e-mail address belong to the same account, a link to set the password "
                "is on its way to that address. It may take a few minutes."
            ))
            return redirect("accounts:login")
    return render(request, "accounts/password_link.html", {"form": form})
