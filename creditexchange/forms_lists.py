"""Forms for lists to partner universities: shape only; the services decide what is allowed."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from academics.models import Institution, Term
from core.text import clean_typed

from .models import PartnerList, Recommendation

FIELD_PREFIXES = ("decision-", "comment-")
# A line id as the page writes it: ASCII digits, no sign, no leading zero, and within a bigint primary key.
LINE_ID = re.compile(r"[1-9][0-9]{0,18}", re.ASCII)
LINE_ID_MAX = 2**63 - 1
ANSWER_CHOICES = [
    (Recommendation.Decision.RECOMMENDED, Recommendation.Decision.RECOMMENDED.label),
    (Recommendation.Decision.NOT_RECOMMENDED, Recommendation.Decision.NOT_RECOMMENDED.label),
]
COMMENT_MAX = 1000


def _line_id(key: str) -> int:
    raw = key.split("-", 1)[1]
    if LINE_ID.fullmatch(raw) and int(raw) <= LINE_ID_MAX:
        return int(raw)
    raise forms.ValidationError(
        _("The answer field “%(field)s” does not name a student on this list. Nothing was saved; please reload the page "
          "and answer again.") % {"field": key[:40]},
        code="bad_line",
    )


class VerificationForm(forms.Form):
    """The coordinator's answers, posted as ``decision-<line id>`` and ``comment-<line id>``.

    Every posted field is checked (a malformed line id, a second value, an unknown choice, a NUL byte
    refuse the whole answer), and every well-formed line id is passed on, also one that is not on
    the page, so the service can refuse the whole answer instead of silently dropping a part of it.
    """

    def clean(self):
        decisions: dict[int, str] = {}
        comments: dict[int, str] = {}
        for key, values in self.data.lists():
            if not key.startswith(FIELD_PREFIXES):
                continue
            line_id = _line_id(key)
            if len(values) != 1:
                raise forms.ValidationError(
                    _("The answer for one student was sent twice. Nothing was saved; please reload the page and answer again."),
                    code="repeated",
                )
            value = values[0]
            if key.startswith("decision-"):
                if value not in dict(ANSWER_CHOICES):
                    raise forms.ValidationError(
                        _("Choose “Recommended” or “Not recommended” for each student you answer for."), code="choice"
                    )
                decisions[line_id] = value
                continue
            if "\x00" in value:
                raise forms.ValidationError(_("A comment cannot contain a NUL character."), code="null")
            value = clean_typed(value, multiline=True).strip()  # typed text, as in every form (core.text)
            if len(value) > COMMENT_MAX:
                raise forms.ValidationError(
                    _("A comment can be at most %(max)s characters.") % {"max": COMMENT_MAX}, code="long"
                )
            comments[line_id] = value
        if {line_id for line_id, comment in comments.items() if comment} - set(decisions):
            raise forms.ValidationError(_("Choose “Recommended” or “Not recommended” for every student you comment on."))
        # "Recommend all" (a submit button, so it works without JavaScript): every student this answer leaves open.
        self.cleaned_data["recommend_all"] = bool(self.data.get("recommend_all"))
        if not decisions and not self.cleaned_data["recommend_all"]:
            raise forms.ValidationError(_("Mark at least one student before saving."))
        self.cleaned_data["decisions"] = {
            line_id: (decision, comments.get(line_id, "")) for line_id, decision in decisions.items()
        }
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
