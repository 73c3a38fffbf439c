"""Admin of applications (scores, confirmation, cancellation) and their events."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from core.admin import AuditTrailInline, ReadOnlyAdminMixin
from core.errors import DomainError
from core.language import page_language

from . import admin_publication, services
from .admin_records import import_page
from .forms import ReasonForm, ScoreUploadForm
from .jobs import JobKind
from .models import (
    AffiliationApplication,
    ApplicationEvent,
)

SCORE_FIELDS = ("document_score", "interview_score")


class ScoresRefused(Exception):
    """The service refused a score while saving, after the form had validated (the state changed in between)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ApplicationScoresForm(forms.ModelForm):
    """Document and interview scores, on the change page and in the list's editable columns.

    An edit is validated by the service's own check, so a refused score is an error on its form: Django then
    saves no row of the list and reports nothing as changed.
    """

    def clean(self):
        cleaned = super().clean()
        changed = [name for name in SCORE_FIELDS if name in self.changed_data and name not in self.errors]
        for name in changed:
            if cleaned.get(name) is None:  # the service reads an empty score as "unchanged"
                self.add_error(name, _("A score cannot be removed; enter the corrected score."))
        values = {name: cleaned[name] for name in changed if cleaned.get(name) is not None}
        if values and self.instance.pk is not None:
            try:
                services.application_scores_check(application=self.instance, **values)
            except DomainError as exc:
                self.add_error(None, exc.message)
        return cleaned


class ApplicationListScoresForm(ApplicationScoresForm):
    """The list's editable score columns: a box has no <label> there, so its accessible name says which score of
    which applicant it is (WCAG 1.3.1, 4.1.2; axe-core's "label" rule)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SCORE_FIELDS:
            if name in self.fields:
                label = capfirst(self.fields[name].label)
                # The formset's empty form has no application (no round, no record) to name.
                who = self.instance if self.instance.pk else ""
                self.fields[name].widget.attrs["aria-label"] = f"{label}: {who}" if who else label


class ApplicationEventInline(AuditTrailInline):
    model = ApplicationEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "changes"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class AffiliationApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "record", "round", "target_department", "status", "submitted_at", "english", "stage1_score", "stage1_rank",
        "document_score", "interview_score", "stage2_score", "final_rank",
    ]
    list_editable = ["document_score", "interview_score"]
    list_filter = ["round", "status", "target_department", "english_test"]
    search_fields = ["record__student_number", "record__name", "record__user__email"]
    list_select_related = ["record", "round__term", "target_department"]
    inlines = [ApplicationEventInline]
    actions = ["confirm_selected", "cancel_selected"]
    change_list_template = "admin/affiliation/affiliationapplication/change_list.html"
    fields = [
        "round", "record", "target_department", "status", "submitted_at", "english_test", "english_score",
        "english_test_date", "certificate_link", "study_plan_link", "eligibility_summary", "stage1_score", "stage1_rank",
        "document_score", "interview_score", "stage2_score", "final_rank", "decided_at", "cancelled_at", "cancel_reason",
        "confirmed_at",
    ]
    readonly_fields = [f for f in fields if f not in SCORE_FIELDS]
    form = ApplicationScoresForm

    @admin.display(description=pgettext_lazy("english test and score", "English"))
    def english(self, obj: AffiliationApplication) -> str:
        return f"{obj.get_english_test_display()} {obj.english_score}" if obj.english_test else "—"

    def _file_link(self, obj, kind: str):
        if not getattr(obj, kind):
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("affiliation:application_file", args=[obj.pk, kind]), _("Download"))

    @admin.display(description=_("English score certificate"))
    def certificate_link(self, obj):
        return self._file_link(obj, "english_certificate")

    @admin.display(description=_("study plan"))
    def study_plan_link(self, obj):
        return self._file_link(obj, "study_plan")

    @admin.display(description=_("eligibility at submission"))
    def eligibility_summary(self, obj):
        language = page_language()
        rows = (
            ("✔" if r.get("passed") else ("⚑ " + r.get("exception_reason", "") if r.get("excepted") else "✘"),
             r.get(f"label_{language}"), r.get(f"message_{language}"))
            for r in obj.eligibility
        )
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} {} — {}</li>", rows)) if obj.eligibility else "—"

    def has_add_permission(self, request) -> bool:
        return False  # applications come from students

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, **{"form": ApplicationListScoresForm, **kwargs})

    def save_model(self, request, obj, form, change) -> None:
        """Score edits (change form or the list's editable columns) go through the service and its event.

        A refusal here (the form validated, then the state changed) raises, so Django's transaction around the
        request undoes every row saved so far and its history entries; the views below show only the reason.
        """
        changed = [name for name in SCORE_FIELDS if name in form.changed_data]
        if not changed:
            return
        try:
            services.application_scores_set(
                application_id=obj.pk, actor=request.user,
                **{name: form.cleaned_data[name] for name in changed},
            )
        except DomainError as exc:
            raise ScoresRefused(f"{obj}: {exc.message}") from exc

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except ScoresRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ScoresRefused as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_urls(self):
        extra = [path("import-scores/", self.admin_site.admin_view(self.import_scores_view),
                      name="affiliation_affiliationapplication_import_scores"),
                 path("import-scores/undo/<int:action_id>/", self.admin_site.admin_view(self.scores_undo_view),
                      name="affiliation_affiliationapplication_scores_undo")]
        return extra + super().get_urls()

    def scores_undo_view(self, request, action_id: int):
        """Undo one score import with a reason (issue 12): the earlier scores back, a stage-2 run voided."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        return admin_publication.scores_undo_view(self, request, action_id)

    def import_scores_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        return import_page(
            self, request, form_class=ScoreUploadForm, title=_("Import document and interview scores"),
            columns=services.SCORE_COLUMNS,
            help_text=_("Scores are 0–100 with at most two decimals; an empty cell leaves that score unchanged. "
                        "Only applicants who passed stage 1 can be scored."),
            kind=JobKind.SCORES_IMPORT, params=lambda data: {"round_id": data["round"].pk},
        )

    def has_confirm_permission(self, request) -> bool:
        return request.user.has_perm("affiliation.confirm_affiliationapplication")

    @admin.action(description=_("Confirm the change of affiliation of selected applicants"), permissions=["confirm"])
    def confirm_selected(self, request, queryset):
        done = 0
        for application in queryset:
            try:
                services.application_confirm(application_id=application.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{application}: {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, ngettext("%d change of affiliation confirmed.", "%d changes of affiliation confirmed.", done) % done, messages.SUCCESS)

    @admin.action(description=_("Cancel the pass of selected applicants (with a reason)"), permissions=["confirm"])
    def cancel_selected(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for application in queryset:
                try:
                    services.application_cancel(application_id=application.pk, actor=request.user,
                                                reason=form.cleaned_data["reason"])
                except DomainError as exc:
                    self.message_user(request, f"{application}: {exc.message}", messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request), "title": _("Cancel passes"), "form": form, "queryset": queryset,
            "opts": self.model._meta, "action": "cancel_selected", "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/affiliation/reason_action.html", context)


class ApplicationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "application", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["application__record__student_number", "application__record__name", "actor__username", "reason"]
    list_select_related = ["application__record", "application__round__term", "actor"]
    readonly_fields = ["application", "from_status", "to_status", "actor", "reason", "changes", "created_at"]
