from datetime import date

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from academics.models import Institution, Term, TermWindow
from academics.selectors import active_partners, partners, terms_with_open_window
from core import dates
from core.validators import phone_validator

from .models import CourseOffering, TemporaryIdApplication, TimeSlot

student_number_validator = RegexValidator(
    r"^[A-Za-z0-9-]{2,30}$", _("Use 2–30 letters, digits or hyphens, exactly as on your student card.")
)


class DateInput(forms.DateInput):
    input_type = "date"


def _check_birth_date(value: date) -> date:
    today = date.today()
    if value >= today or value.year < today.year - 100:
        raise forms.ValidationError(_("Enter your real date of birth."))
    return value


class PartnerChoiceMixin:
    """Validate against every partner, offer only the active ones; the service explains the rest."""

    def _set_partner_choices(self, *, offer_all: bool = False) -> None:
        field = self.fields["partner"]
        field.queryset = partners()
        offered = partners() if offer_all else active_partners()
        field.widget.choices = [("", "---------")] + [(p.pk, p.name) for p in offered]


class ApplicationForm(PartnerChoiceMixin, forms.ModelForm):
    """The application with its PIPA consent; the notice's numbers and version come from settings, never typed twice."""

    consent = forms.BooleanField(
        required=True,
        error_messages={"required": _("You must agree to the collection and use of personal information to apply.")},
    )

    class Meta:
        model = TemporaryIdApplication
        fields = [
            "term", "partner", "home_student_number", "name_ko", "name_latin", "date_of_birth", "email", "phone",
            "home_department", "degree_level",
        ]
        widgets = {"date_of_birth": DateInput()}
        help_texts = {
            "name_ko": _("Fill in the Korean name, the Latin-letter name, or both."),
            "email": _("The confirmation link is sent here."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_partner_choices()
        term_field = self.fields["term"]
        term_field.queryset = Term.objects.all()
        open_terms = list(terms_with_open_window(kind=TermWindow.Kind.APPLICATION))
        term_field.widget.choices = [(t.pk, str(t)) for t in open_terms]
        if len(open_terms) == 1:
            term_field.initial = open_terms[0].pk
        self.fields["partner"].label = _("Home (partner) university")
        # What the applicant agrees to is this version of the notice; the service stores it with the consent.
        self.notice_version = settings.PRIVACY_NOTICE_VERSION
        self.retention_years = settings.PERSONAL_DATA_RETENTION_YEARS
        self.unconfirmed_days = settings.TEMP_ID_UNCONFIRMED_EXPIRY_DAYS
        self.fields["consent"].label = _(
            "I agree to the collection and use of my personal information as described above (notice version %(version)s)."
        ) % {"version": self.notice_version}
        self.fields["home_student_number"].validators.append(student_number_validator)
        self.fields["phone"].validators.append(phone_validator)

    def clean_date_of_birth(self) -> date:
        return _check_birth_date(self.cleaned_data["date_of_birth"])

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("name_ko", "").strip() or cleaned.get("name_latin", "").strip()):
            self.add_error("name_ko", _("Enter your name in Korean, in Latin letters, or both."))
        return cleaned

    def validate_unique(self) -> None:
        # Duplicates are the service's business: it answers with a re-send offer, not a field error.
        pass

    def _post_clean(self) -> None:
        # Skip the model's own full_clean: the service validates and saves (forms never save).
        pass


class LookupForm(PartnerChoiceMixin, forms.Form):
    partner = forms.ModelChoiceField(queryset=Institution.objects.none(), label=_("Home (partner) university"))
    home_student_number = forms.CharField(label=_("Home student number"), max_length=30)
    date_of_birth = forms.DateField(label=_("Date of birth"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_partner_choices(offer_all=True)


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    department = forms.ModelChoiceField(label=_("Department"), queryset=None, required=False, to_field_name="code")
    campus = forms.ModelChoiceField(label=_("Campus"), queryset=None, required=False, to_field_name="code")
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), required=False, coerce=int, empty_value=None,
        choices=[("", "---------")] + [(str(value), label) for value, label in TimeSlot.Weekday.choices],
    )
    credits = forms.TypedChoiceField(
        label=_("Credits"), required=False, coerce=int, empty_value=None,
        choices=[("", "---------")] + [(str(n), str(n)) for n in range(1, 7)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from academics.models import Campus, Department

        self.fields["department"].queryset = Department.objects.order_by("name_ko")
        self.fields["campus"].queryset = Campus.objects.all()


class StaffRegistrationForm(forms.Form):
    student = forms.CharField(label=_("Temporary student ID"), max_length=30)
    offering = forms.ModelChoiceField(label=_("Course offering"), queryset=CourseOffering.objects.select_related("term"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class OfferingImportForm(forms.Form):
    term = forms.ModelChoiceField(label=_("Term"), queryset=Term.objects.all())
    file = forms.FileField(label=_("CSV or XLSX file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class ConflictResolveForm(forms.Form):
    """Staff keep one application of a conflict; ``members`` is the set the page showed (a stale page is refused)."""

    keep = forms.TypedChoiceField(label=_("Application to keep"), coerce=int, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason (kept with the conflict and sent to every applicant rejected)"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    members = forms.CharField(widget=forms.HiddenInput, max_length=2000)

    def __init__(self, *args, applications, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = [(a.pk, conflict_member_label(a)) for a in applications]
        self.fields["members"].initial = ",".join(str(a.pk) for a in applications)

    def clean_members(self) -> list[int]:
        parts = self.cleaned_data["members"].split(",")
        if not all(part.isascii() and part.isdigit() and len(part) <= 12 for part in parts):
            raise forms.ValidationError(_("This page is out of date. Open the conflict again."))
        return [int(part) for part in parts]


class ConflictReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the resolution is undone (kept in the record)"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def conflict_member_label(application: TemporaryIdApplication) -> str:
    return _("No. %(id)s · %(name)s · %(email)s · born %(birth)s · %(status)s · submitted %(submitted)s") % {
        "id": application.pk, "name": application.display_name, "email": application.email,
        "birth": dates.day(application.date_of_birth), "status": application.get_status_display(),
        "submitted": dates.when(application.submitted_at),
    }
