"""Validators every app's forms share (one rule, one place)."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 -]{7,18}[0-9]$", _("Enter a phone number: digits, with an optional leading + and hyphens or spaces.")
)
