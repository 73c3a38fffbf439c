"""Forms for lists to partner universities: shape only; the services decide what is allowed."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from academics.models import Institution, Term

from .models import PartnerList, Recommendation

DECISION_KEY = re.compile(r"^decision-(\d+)$")
COMMENT_KEY = re.compile(r"^comment-(\d+)$")
ANSWER_CHOICES = [
    (Recommendation.Decision.RECOMMENDED, Recommendation.Decision.RECOMMENDED.label),
    (Recommendation.Decision.NOT_RECOMMENDED, Recommendation.Decision.NOT_RECOMMENDED.label),
]
COMMENT_MAX = 1000


class VerificationForm(forms.Form):
    """The coordinator's answers, posted as ``decision-<line id>`` and ``comment-<line id>``.

    Every posted line id is passed on, also one that is not on the page, so the service can refuse
    the whole answer instead of silently dropping a part of it.
    """

    def clean(self):
        decisions: dict[int, tuple[str, str]] = {}
        commented = set()
        for key, value in self.data.items():
            if match := DECISION_KEY.match(key):
                if value not in dict(ANSWER_CHOICES):
                    raise forms.ValidationError(_("Choose “Recommended” or “Not recommended” for each student you answer for."))
                line_id = int(match.group(1))
                decisions[line_id] = (value, self.data.get(f"comment-{line_id}", "").strip())
            elif (match := COMMENT_KEY.match(key)) and value.strip():
                commented.add(int(match.group(1)))
                if len(value.strip()) > COMMENT_MAX:
                    raise forms.ValidationError(_("A comment can be at most %(max)s characters.") % {"max": COMMENT_MAX})
        if commented - set(decisions):
            raise forms.ValidationError(_("Choose “Recommended” or “Not recommended” for every student you comment on."))
        if not decisions:
            raise forms.ValidationError(_("Mark at least one student before saving."))
        self.cleaned_data["decisions"] = decisions
        return self.cleaned_data


class SendListForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("partner"), queryset=Institution.objects.filter(kind=Institution.Kind.PARTNER).order_by("name_ko")
    )
    term = forms.ModelChoiceField(label=_("term"), queryset=Term.objects.all())
    kind = forms.ChoiceField(label=_("kind"), choices=PartnerList.Kind.choices)


class RecordRecommendationForm(forms.Form):
    decision = forms.ChoiceField(label=_("decision"), choices=ANSWER_CHOICES, widget=forms.RadioSelect)
    source_note = forms.CharField(
        label=_("received how"), max_length=300,
        help_text=_("For example “e-mail of 3 March from the coordinator” or “phone call, Ms Kim”."),
    )
    comment = forms.CharField(label=_("comment"), required=False, max_length=COMMENT_MAX, widget=forms.Textarea(attrs={"rows": 2}))
