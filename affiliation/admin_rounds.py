"""Admin of rounds (stage runs, publication, the conditions check), quotas, similar majors and exceptions."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from core.jobs.pages import job_url
from core.jobs.services import job_start

from . import admin_publication, services
from .jobs import JobKind
from .models import (
    DepartmentQuota,
    Stage,
)


class DepartmentQuotaInline(admin.TabularInline):
    model = DepartmentQuota
    extra = 1
    autocomplete_fields = ["department"]
    fields = ["department", "general_transfer_number", "override", "quota"]
    readonly_fields = ["quota"]


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
            return HttpResponseRedirect(job_url(jobs[0][1].pk))
        for round, job in jobs:
            self.message_user(request, format_html(
                '{}: {} — <a href="{}">{}</a>', round, job.get_kind_display(),
                job_url(job.pk), _("progress and report")), messages.INFO)
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


class DepartmentQuotaAdmin(admin.ModelAdmin):
    list_display = ["round", "department", "general_transfer_number", "override", "quota"]
    list_filter = ["round", "department__college"]
    search_fields = ["department__name_ko", "department__name_en", "department__code"]
    list_select_related = ["round__term", "department"]
    autocomplete_fields = ["round", "department"]


class SimilarMajorAdmin(admin.ModelAdmin):
    list_display = ["from_department", "to_department"]
    list_filter = ["to_department__college"]
    search_fields = ["from_department__name_ko", "from_department__name_en", "to_department__name_ko", "to_department__name_en"]
    list_select_related = ["from_department", "to_department"]
    autocomplete_fields = ["from_department", "to_department"]


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
