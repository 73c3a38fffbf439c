"""Forms check shape only (types, ranges, required); the services decide eligibility and state."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from academics.models import Department

from .models import AffiliationApplication, AffiliationRound
from .selectors import bilingual
from .services.records import EmailConflicts


class DateInput(forms.DateInput):
    input_type = "date"


class DepartmentChoiceField(forms.ModelChoiceField):
    """Each department with its college and places: "컴퓨터공학과 (공과대학, 3명)"."""

    quotas: dict[int, int] = {}

    def label_from_instance(self, department) -> str:
        places = self.quotas.get(department.pk, 0)
        return ngettext("%(department)s (%(college)s, %(places)s place)", "%(department)s (%(college)s, %(places)s places)",
                        places) % {"department": bilingual(department), "college": bilingual(department.college),
                                   "places": places}


class ApplicationForm(forms.Form):
    target_department = DepartmentChoiceField(
        label=_("Main-campus department"), queryset=Department.objects.none(), required=False,
        help_text=_("Only departments with places in this round are listed."),
    )
    english_test = forms.ChoiceField(
        label=_("English test"), required=False,
        choices=[("", "---------"), *AffiliationApplication.EnglishTest.choices],
    )
    english_score = forms.IntegerField(label=_("English score"), required=False, min_value=0, max_value=990)
    english_test_date = forms.DateField(label=_("English test date"), required=False, widget=DateInput())
    english_certificate = forms.FileField(
        label=_("English score certificate"), required=False,
        help_text=_("PDF, PNG or JPEG, at most 5 MB. Leave empty to keep the file already uploaded."),
    )
    study_plan = forms.FileField(
        label=_("Study plan"), required=False,
        help_text=_("PDF, at most 5 MB. Leave empty to keep the file already uploaded."),
    )

    def __init__(self, *args, departments=None, quotas=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["target_department"].queryset = departments
        self.fields["target_department"].quotas = quotas or {}

    def clean(self):
        cleaned = super().clean()
        test, score = cleaned.get("english_test"), cleaned.get("english_score")
        if test == "toefl" and score is not None and score > 120:
            self.add_error("english_score", _("TOEFL iBT scores range from 0 to 120."))
        if test and score is not None and test != "toefl" and score < 10:
            self.add_error("english_score", _("Enter the score as printed on the certificate."))
        return cleaned

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in
                ("target_department", "english_test", "english_score", "english_test_date")}

    def files_values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ("english_certificate", "study_plan")}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))


class RecordsUploadForm(UploadForm):
    """The records import's one decision (issue 12, finding 5a): what happens where a row's e-mail address differs
    from one the student (or the office for them) set. The preview lists every such row before anything is written."""

    email_conflicts = forms.ChoiceField(
        label=_("Where a student's own e-mail address differs from the record's"),
        choices=[(EmailConflicts.KEEP, _("Keep the student's address (recommended)")),
                 (EmailConflicts.TAKE, _("Take the record's address"))],
        initial=EmailConflicts.KEEP, required=False, widget=forms.RadioSelect,
        help_text=_("The preview lists each such student with both addresses; to decide otherwise, upload the file again."),
    )


class ScoreUploadForm(UploadForm):
    round = forms.ModelChoiceField(label=_("Round"), queryset=AffiliationRound.objects.all())


class ReasonForm(forms.Form):
    # At most 1000 characters, as the early-publication reason: a reinstatement mails it to the student.
    reason = forms.CharField(label=_("Reason (kept in the record)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
