"""The committee's tools: records and imports, rounds and quotas, exceptions, scores, selection, after the pass.

Actions and custom views only call services; states are read-only here.
"""

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

from accounts.models import User
from core.admin import ReadOnlyAdminMixin
from core.errors import DomainError
from core.jobs.services import job_start
from core.language import page_language

from . import admin_publication, services
from .forms import ReasonForm, RecordsUploadForm, ScoreUploadForm
from .jobs import JobKind
from .models import (
    AffiliationApplication,
    AffiliationRound,
    ApplicationEvent,
    DepartmentQuota,
    EligibilityException,
    SemesterRecord,
    SimilarMajor,
    Stage,
    StudentRecord,
)
from .services.records import AccountRefused, EmailConflicts, record_account_resolve, record_account_write


def _import_view(modeladmin, request, *, form_class, kind: str, params, title: str, columns: list[str], help_text: str):
    """A CSV/XLSX upload page. The upload starts a dry run (a background job, staffdesk) whose page lists the row
    errors by row number, or previews every change with a "Confirm import" button; nothing is imported before
    that confirmation, and nothing when any row is wrong (issue 12, import previews)."""
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = job_start(
                kind=kind, params={**params(form.cleaned_data), "dry_run": True}, file=(upload.name, upload.read()),
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return HttpResponseRedirect(reverse("staffdesk:job_detail", args=[job.pk]))
    context = {
        **modeladmin.admin_site.each_context(request), "title": title, "form": form,
        "opts": modeladmin.model._meta, "columns": columns, "help_text": help_text,
    }
    return TemplateResponse(request, "admin/affiliation/import.html", context)


class SemesterRecordInline(admin.TabularInline):
    model = SemesterRecord
    extra = 1
    autocomplete_fields = ["term"]


class StudentRecordAdminForm(forms.ModelForm):
    """A new record gets the home-student account named by its student number, under the import's rules."""

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("student_number")
        if self.instance.pk is None and number and "user" not in self.fields:
            try:
                record_account_resolve(student_number=number)
            except AccountRefused as exc:
                self.add_error("student_number", exc.message)
        return cleaned


@admin.register(StudentRecord)
class StudentRecordAdmin(admin.ModelAdmin):
    """Only superusers link a record to an account, and then only to a home student's (issue 10, finding 1);
    for everyone else the account is read-only, and a record added here gets its own home account like an
    imported one."""

    form = StudentRecordAdminForm
    list_display = [
        "student_number", "name", "campus", "department", "earned_credits", "in_progress_credits", "gpa",
        "liberal_arts_met", "teacher_training", "merit_scholarship_excluded_term",
    ]
    list_filter = ["campus", "department", "liberal_arts_met", "teacher_training", "applied_before"]
    search_fields = ["student_number", "name", "user__username", "user__email"]
    list_select_related = ["campus", "department", "merit_scholarship_excluded_term"]
    autocomplete_fields = ["user", "campus", "department"]
    readonly_fields = ["merit_scholarship_excluded_term", "previous_department", "affiliation_changed_at", "updated_at",
                       "imported_at", "imported_email"]
    inlines = [SemesterRecordInline]
    change_list_template = "admin/affiliation/studentrecord/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        # The account is named by the student number, so neither changes here once the record exists.
        return [*fields, "user", "student_number"] if obj is not None else fields

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if request.user.is_superuser or obj is not None else [*exclude, "user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(kind=User.Kind.HOME, is_staff=False, is_superuser=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change) -> None:
        if obj.user_id is None:
            record_account_write(record=obj, email="", language=User.Language.KO)
        super().save_model(request, obj, form, change)

    def get_urls(self):
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="affiliation_studentrecord_import"),
            path("import/undo/<int:action_id>/", self.admin_site.admin_view(self.import_undo_view),
                 name="affiliation_studentrecord_import_undo"),
        ]
        return extra + super().get_urls()

    def import_undo_view(self, request, action_id: int):
        """Undo one records import with a reason (issue 12); restoring account addresses is a separate choice."""
        from .admin_conditions import records_import_undo_view

        if not self.has_add_permission(request):
            raise PermissionDenied
        return records_import_undo_view(self, request, action_id)

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return _import_view(
            self, request, form_class=RecordsUploadForm, title=_("Import student academic records"),
            columns=services.RECORD_COLUMNS,
            help_text=_("semesters lists the regular semesters like “2023-1 enrolled; 2023-2 leave” (1 = spring, 2 = fall) "
                        "and replaces the stored history. Rows with an existing student number update that record."),
            kind=JobKind.RECORDS_IMPORT, params=lambda data: {"email_conflicts": data.get("email_conflicts") or EmailConflicts.KEEP},
        )


@admin.register(SemesterRecord)
class SemesterRecordAdmin(admin.ModelAdmin):
    list_display = ["record", "term", "status"]
    list_filter = ["status", "term"]
    search_fields = ["record__student_number", "record__name"]
    list_select_related = ["record", "term"]
    autocomplete_fields = ["record", "term"]


class DepartmentQuotaInline(admin.TabularInline):
    model = DepartmentQuota
    extra = 1
    autocomplete_fields = ["department"]
    fields = ["department", "general_transfer_number", "override", "quota"]
    readonly_fields = ["quota"]


@admin.register(AffiliationRound)
class AffiliationRoundAdmin(admin.ModelAdmin):
    list_display = [
        "term", "opens_at", "closes_at", "stage1_publish_at", "final_publish_at", "target_policy",
        "stage1_run_at", "stage1_published_at", "stage2_run_at", "final_published_at", "conditions_checked_at",
    ]
    list_filter = ["target_policy", "term__year"]
    search_fields = ["term__year"]
    list_select_related = ["term"]
    autocomplete_fields = ["term"]
    readonly_fields = ["stage1_run_at", "stage1_published_at", "stage2_run_at", "final_published_at", "conditions_checked_at"]
    inlines = [DepartmentQuotaInline]
    actions = ["run_stage1", "run_stage2", "publish_stage1", "publish_final", "check_conditions"]
    change_form_template = "admin/affiliation/affiliationround/change_form.html"
    fieldsets = [
        (None, {"fields": ["term", "target_policy"]}),
        (_("Dates (Asia/Seoul)"), {"fields": [
            "opens_at", "closes_at", "stage1_publish_at", "interview_on", "final_publish_at", "conditions_check_at",
            "winter_session_ends_on"]}),
        (_("Eligibility thresholds"), {"fields": [
            "min_semesters", "min_credits", "min_gpa", "min_toeic", "min_toefl", "min_teps", "english_validity_years"]}),
        (_("Selection"), {"fields": [
            "stage1_gpa_weight", "stage1_english_weight", "stage1_multiplier", "stage2_stage1_weight",
            "stage2_document_weight", "stage2_interview_weight"]}),
        (_("Progress"), {"fields": [*readonly_fields, "conditions_link"]}),
    ]

    def has_run_permission(self, request) -> bool:
        return request.user.has_perm("affiliation.run_selection")

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("affiliation.publish_results")

    def has_check_permission(self, request) -> bool:
        return request.user.has_perm("affiliation.check_conditions")

    def _start_jobs(self, request, queryset, kind: str):
        """One background job (staffdesk) per selected round: its page when there is one, else a link each."""
        jobs = []
        for round in queryset:
            try:
                jobs.append((round, job_start(kind=kind, params={"round_id": round.pk}, actor=request.user)))
            except DomainError as exc:
                self.message_user(request, f"{round}: {exc.message}", messages.ERROR)
        if len(jobs) == 1 and len(queryset) == 1:
            return HttpResponseRedirect(reverse("staffdesk:job_detail", args=[jobs[0][1].pk]))
        for round, job in jobs:
            self.message_user(request, format_html(
                '{}: {} — <a href="{}">{}</a>', round, job.get_kind_display(),
                reverse("staffdesk:job_detail", args=[job.pk]), _("progress and report")), messages.INFO)
        return None

    @admin.action(description=_("Run stage 1 (GPA and English)"), permissions=["run"])
    def run_stage1(self, request, queryset):
        return self._start_jobs(request, queryset, JobKind.SELECTION_STAGE1)

    @admin.action(description=_("Run stage 2 (documents and interview)"), permissions=["run"])
    def run_stage2(self, request, queryset):
        return self._start_jobs(request, queryset, JobKind.SELECTION_STAGE2)

    # Issue 12, finding 3: a confirmation page first (announced time, who is mailed, a reason when early).
    @admin.action(description=_("Publish stage-1 results… (confirmation page)"), permissions=["publish"])
    def publish_stage1(self, request, queryset):
        return admin_publication.publish_action(self, request, queryset, Stage.STAGE1)

    @admin.action(description=_("Publish final results… (confirmation page)"), permissions=["publish"])
    def publish_final(self, request, queryset):
        return admin_publication.publish_action(self, request, queryset, Stage.FINAL)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The round page says, per stage, whether it is published, ready, or why it cannot be (finding 2)."""
        round = self.get_object(request, object_id)
        if round is not None:
            extra_context = {**(extra_context or {}), "publication": services.publication_state(round)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Check the conditions after the winter session (preview)"), permissions=["check"])
    def check_conditions(self, request, queryset):
        """Opens the preview of one round (issue 12): nothing is cancelled before its confirmation there."""
        if queryset.count() != 1:
            self.message_user(request, _("Choose one round: its preview lists every admitted student."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:affiliation_affiliationround_conditions", args=[queryset.get().pk]))

    def get_urls(self):
        from . import admin_conditions

        extra = [
            path("<int:round_id>/conditions/", self.admin_site.admin_view(
                lambda request, round_id: admin_conditions.conditions_view(self, request, round_id)),
                name="affiliation_affiliationround_conditions"),
            path("<int:round_id>/reinstate/<int:application_id>/", self.admin_site.admin_view(
                lambda request, round_id, application_id: admin_conditions.reinstate_view(
                    self, request, round_id, application_id)),
                name="affiliation_affiliationround_reinstate"),
        ]
        return extra + super().get_urls()

    @admin.display(description=_("Conditions after the winter session"))
    def conditions_link(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:affiliation_affiliationround_conditions", args=[obj.pk]),
                           _("Preview, confirm, reinstate"))

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "conditions_link"]


@admin.register(DepartmentQuota)
class DepartmentQuotaAdmin(admin.ModelAdmin):
    list_display = ["round", "department", "general_transfer_number", "override", "quota"]
    list_filter = ["round", "department__college"]
    search_fields = ["department__name_ko", "department__name_en", "department__code"]
    list_select_related = ["round__term", "department"]
    autocomplete_fields = ["round", "department"]


@admin.register(SimilarMajor)
class SimilarMajorAdmin(admin.ModelAdmin):
    list_display = ["from_department", "to_department"]
    list_filter = ["to_department__college"]
    search_fields = ["from_department__name_ko", "from_department__name_en", "to_department__name_ko", "to_department__name_en"]
    list_select_related = ["from_department", "to_department"]
    autocomplete_fields = ["from_department", "to_department"]


@admin.register(EligibilityException)
class EligibilityExceptionAdmin(admin.ModelAdmin):
    """An exception is one rule waived for one student in one round (SPEC §4.2), so once granted its round, student
    and rule are read-only: the change page edits only the reason of this exception (a re-grant through the
    service: granted by/at become the editor and now). Waiving another rule is a new exception, and the old one is
    deleted if it no longer applies; the admin history keeps who granted, re-worded and withdrew each one.
    """

    list_display = ["record", "round", "rule", "reason", "granted_by", "granted_at"]
    list_filter = ["round", "rule"]
    search_fields = ["record__student_number", "record__name", "reason"]
    list_select_related = ["record", "round__term", "granted_by"]
    autocomplete_fields = ["round", "record"]
    readonly_fields = ["granted_by", "granted_at"]
    fieldsets = [(None, {
        "fields": ["round", "record", "rule", "reason", "granted_by", "granted_at"],
        "description": _("One rule for one student in one round. Once granted, the round, student and rule stay fixed "
                         "and only the reason can be edited; to waive another rule, add a new exception (and delete "
                         "this one if it no longer applies)."),
    })]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "round", "record", "rule"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        try:
            saved = services.exception_grant(
                round=obj.round, record=obj.record, rule=obj.rule, reason=obj.reason, actor=request.user
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            obj.pk = saved.pk

    def has_add_permission(self, request) -> bool:
        return request.user.has_perm("affiliation.grant_eligibilityexception")

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("affiliation.grant_eligibilityexception")


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


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "changes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(AffiliationApplication)
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
        return _import_view(
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


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "application", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["application__record__student_number", "application__record__name", "actor__username", "reason"]
    list_select_related = ["application__record", "application__round__term", "actor"]
    readonly_fields = ["application", "from_status", "to_status", "actor", "reason", "changes", "created_at"]
