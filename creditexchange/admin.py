from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import AuditTrailInline, ReadOnlyAdminMixin
from core.errors import DomainError
from core.text import clean_typed

from . import services
from .admin_conflicts import ConflictState
from .models import (
    ApplicationConflict,
    ApplicationEvent,
    TemporaryIdApplication,
)


class ApplicationEventInline(AuditTrailInline):
    model = ApplicationEvent
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "changes"]


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason (sent to the applicant)"), widget=forms.Textarea(attrs={"rows": 3}))


class ConflictFilter(admin.SimpleListFilter):
    """Finding 3: the applications whose student number another person also used, while staff have not decided."""

    title = _("conflict")
    parameter_name = "conflict"

    def lookups(self, request, model_admin):
        return [(ConflictState.OPEN, _("In conflict (open)")), (ConflictState.NONE, _("No open conflict"))]

    def queryset(self, request, queryset):
        if self.value() == ConflictState.OPEN:
            return queryset.filter(in_conflict=True)
        if self.value() == ConflictState.NONE:
            return queryset.filter(in_conflict=False)
        return queryset


@admin.register(TemporaryIdApplication)
class TemporaryIdApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "submitted_at", "term", "partner", "home_student_number", "display_name", "email", "status",
        "conflict_flag", "student_id", "returning",
    ]
    list_filter = [ConflictFilter, "status", "term", "partner", "degree_level", "returning", "submitted_at"]
    search_fields = ["home_student_number", "name_ko", "name_latin", "email", "phone", "temporary_id__student_id"]
    list_select_related = ["term", "partner", "temporary_id"]
    date_hierarchy = "submitted_at"
    inlines = [ApplicationEventInline]
    actions = [
        "approve_selected", "reject_selected", "issue_now", "reactivate_and_issue", "revoke_ids", "record_recommendation",
    ]
    fields = [
        "term", "partner", "home_student_number", "name_ko", "name_latin", "date_of_birth", "email", "phone",
        "home_department", "degree_level", "language", "consent_at", "consent_version", "conflict", "status",
        "submitted_at", "confirmed_at",
        "decided_at", "decided_by", "rejection_reason", "issued_at", "temporary_id", "returning",
        "confirmation_sent_at", "confirmation_resends",
    ]
    readonly_fields = [f for f in fields if f not in services.CORRECTABLE_FIELDS]

    @admin.display(description=_("temporary student ID"), ordering="temporary_id__student_id")
    def student_id(self, obj: TemporaryIdApplication) -> str:
        return obj.temporary_id.student_id if obj.temporary_id else "—"

    def get_queryset(self, request):
        open_conflicts = ApplicationConflict.objects.filter(applications=OuterRef("pk"), resolved_at__isnull=True)
        return super().get_queryset(request).annotate(in_conflict=Exists(open_conflicts))

    @admin.display(description=_("in conflict"), boolean=True, ordering="in_conflict")
    def conflict_flag(self, obj: TemporaryIdApplication) -> bool:
        return obj.in_conflict

    @admin.display(description=_("conflict"))
    def conflict(self, obj: TemporaryIdApplication) -> str:
        conflict = obj.conflicts.order_by(F("resolved_at").desc(nulls_first=True)).first() if obj.pk else None
        if conflict is None:
            return "—"
        state = _("open: no ID can be issued") if conflict.is_open else _("resolved")
        url = reverse("admin:creditexchange_applicationconflict_change", args=[conflict.pk])
        return format_html('<a href="{}">{} ({})</a>', url, _("Conflict no. %(number)s") % {"number": conflict.pk}, state)

    def has_add_permission(self, request) -> bool:
        return False  # applications come from applicants

    def save_model(self, request, obj, form, change) -> None:
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in services.CORRECTABLE_FIELDS}
        try:
            services.application_correct(application_id=obj.pk, actor=request.user, values=values)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_decide"] = self.has_approve_permission(request)
        context["can_issue"] = self.has_issue_permission(request)
        context["Status"] = TemporaryIdApplication.Status
        return super().render_change_form(request, context, *args, **kwargs)

    def response_change(self, request, obj):
        """The buttons under the change form decide one application at a time."""
        decisions = {
            "_approve": (self.has_approve_permission, lambda: services.application_approve(application_id=obj.pk, actor=request.user)),
            "_reject": (self.has_approve_permission, lambda: services.application_reject(
                application_id=obj.pk, actor=request.user, reason=clean_typed(request.POST.get("_reason", "")))),
            "_issue": (self.has_issue_permission, lambda: services.temporary_id_issue(application_id=obj.pk, actor=request.user)),
        }
        for button, (allowed, decide) in decisions.items():
            if button in request.POST:
                if not allowed(request):
                    raise PermissionDenied
                try:
                    application = decide()
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
                else:
                    self.message_user(request, _("The application is now “%(status)s”.") % {"status": application.get_status_display()}, messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def has_approve_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.approve_temporaryidapplication")

    def has_issue_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.issue_temporaryidapplication")

    def _run(self, request, queryset, action, done_message) -> None:
        done, errors = 0, []
        for application in queryset:
            try:
                action(application)
            except DomainError as exc:
                errors.append(f"{application}: {exc.message}")
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), messages.SUCCESS)
        for error in errors:
            self.message_user(request, error, messages.WARNING)

    @admin.action(description=_("Approve selected applications"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        self._run(
            request, queryset,
            lambda a: services.application_approve(application_id=a.pk, actor=request.user),
            lambda n: ngettext("%d application approved.", "%d applications approved.", n) % n,
        )

    @admin.action(description=_("Reject selected applications (with a reason)"), permissions=["approve"])
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._run(
                request, queryset,
                lambda a: services.application_reject(application_id=a.pk, actor=request.user, reason=reason),
                lambda n: ngettext("%d application rejected.", "%d applications rejected.", n) % n,
            )
            return None
        context = {
            **self.admin_site.each_context(request), "title": _("Reject applications"), "form": form,
            "queryset": queryset, "opts": self.model._meta, "action": "reject_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/creditexchange/reject_applications.html", context)

    def has_record_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.record_recommendation")

    @admin.action(description=_("Record a partner recommendation received by other means"), permissions=["record"])
    def record_recommendation(self, request, queryset):
        from .admin_lists import record_recommendations

        return record_recommendations(self, request, list(queryset.values_list("pk", flat=True)), "record_recommendation")

    @admin.action(description=_("Issue temporary student IDs now"), permissions=["issue"])
    def issue_now(self, request, queryset):
        """A preview first (who gets an ID, who is skipped and why); the confirmation starts the staff job."""
        from .admin_issuance import issue_now

        return issue_now(self, request, queryset)

    @admin.action(description=_("Revoke an ID issued by mistake (with a reason)"), permissions=["issue"])
    def revoke_ids(self, request, queryset):
        from .admin_issuance import revoke_ids

        return revoke_ids(self, request, queryset)

    @admin.action(description=_("Re-activate the deactivated account and issue (with a reason)"), permissions=["issue"])
    def reactivate_and_issue(self, request, queryset):
        """Finding 5b: staff's explicit decision, with a reason, for returning students whose account was deactivated."""
        from .admin_issuance import reactivate_and_issue

        return reactivate_and_issue(self, request, queryset)


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "application", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["application__home_student_number", "application__email", "actor__username", "reason"]
    list_select_related = ["application__term", "application__partner", "actor"]
    readonly_fields = ["application", "from_status", "to_status", "actor", "reason", "changes", "created_at"]


from . import admin_courses  # noqa: E402,F401,I001 - course offerings, registrations (SPEC §3.2)
from . import admin_lists  # noqa: E402,F401,I001 - lists to partners, recommendations (SPEC §3.3)
from . import admin_conflicts  # noqa: E402,F401,I001 - conflicting applications (issue 10, finding 3)
from . import admin_waitlist  # noqa: E402,F401,I001 - baskets and waitlists (issue 14)
from . import admin_grades  # noqa: E402,F401,I001 - grades and the term's grade lock (issue 15)
from . import admin_transcripts  # noqa: E402,F401,I001 - transcripts of records to partners (issue 15)
