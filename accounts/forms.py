from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from creditexchange.forms import phone_validator

from .models import User


class LoginForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Temporary student ID or user name")


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


class PasswordLinkForm(forms.Form):
    username = forms.CharField(label=_("Temporary student ID or student number"), max_length=150)
    email = forms.EmailField(label=_("E-mail address on record"))
