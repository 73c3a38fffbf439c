from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from .models import Notice

QUERY_MAX = 100


class NoticeSearchForm(forms.Form):
    """The board's filters: an unknown category shows every category; PostgreSQL cannot compare a NUL byte."""

    q = forms.CharField(required=False)
    category = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].validators = [
            ProhibitNullCharactersValidator(message=_("The search text contains a character that is not allowed."))
        ]
        self.fields["category"].validators = []  # any unknown value, NUL included, means "all"

    def clean_q(self) -> str:
        return self.cleaned_data["q"][:QUERY_MAX]

    def clean_category(self) -> str:
        category = self.cleaned_data["category"]
        return category if category in Notice.Category.values else ""
