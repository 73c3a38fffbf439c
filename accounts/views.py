from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ustportal.errors import DomainError
from ustportal.http import client_ip

from . import services
from .forms import EmailChangeForm, LoginForm, PasswordLinkForm, ProfileForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The mailed set-password link (Django's password-reset token: void once a password is set)."""

    template_name = "accounts/set_password.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
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
            response = redirect("accounts:profile")
            # The preferred language also becomes the language of the pages.
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax")
            return response
    elif request.method == "POST" and "change_email" in request.POST:
        email_form = EmailChangeForm(request.POST)
        if email_form.is_valid():
            try:
                services.email_change_request(user=user, new_email=email_form.cleaned_data["new_email"])
            except DomainError as exc:
                email_form.add_error(None, exc.message)
            else:
                messages.success(request, _("We sent a confirmation link to the new address. Your address changes when you open it."))
                return redirect("accounts:profile")
    identity = getattr(user, "temporary_id", None)
    applications = identity.applications.select_related("term", "partner") if identity else []
    context = {"profile_form": profile_form, "email_form": email_form, "identity": identity, "applications": applications}
    return render(request, "accounts/profile.html", context)


def email_change_confirm(request, token: str):
    try:
        user = services.email_change_confirm(token=token)
    except DomainError as exc:
        return render(request, "accounts/email_change_confirm.html", {"error": exc.message}, status=400)
    return render(request, "accounts/email_change_confirm.html", {"email": user.email})


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
