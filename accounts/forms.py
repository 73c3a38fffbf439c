import unicodedata

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from core.validators import phone_validator

from .models import User


def login_key(value: str | None) -> str | None:
    """A typed user name as sign-in and its throttling compare it: NFKC, no surrounding spaces, lower case.

    The user lookup is case-insensitive (``PortalUserManager``); counting failures under this same key
    means ``T202600001``, ``t202600001`` and `` T202600001 `` share one lock. Upper case first, as the
    database compares (``UPPER``): ``regıstrar`` (dotless ı) signs in as ``registrar``, so it is counted as it.
    """
    if value is None:
        return None
    return unicodedata.normalize("NFKC", str(value)).strip().upper().lower()[:150]


def axes_username(request, credentials: dict | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the user name from the credentials (or the POSTed form), as ``login_key``."""
    if credentials:
        return login_key(credentials.get("username"))
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return login_key(data.get("username"))


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Temporary student ID or user name")

    def clean_username(self) -> str:
        # Spaces around a pasted ID are never part of it; the case is left to the case-insensitive lookup.
        return unicodedata.normalize("NFKC", self.cleaned_data["username"]).strip()


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["phone", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators.append(phone_validator)
        self.fields["phone"].required = True


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label=_("New e-mail address"))
    current_password = forms.CharField(
        label=_("Current password"), strip=False, max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To protect your account, confirm the change with your password."),
    )


class PasswordLinkForm(forms.Form):
    username = forms.CharField(label=_("Temporary student ID or student number"), max_length=150)
    email = forms.EmailField(label=_("E-mail address on record"))
