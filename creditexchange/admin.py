from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ustportal.errors import DomainError

from . import services
from .models import ApplicationEvent, TemporaryIdApplication


class ApplicationEventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "actor", "reason", "changes"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason (sent to the applicant)"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(TemporaryIdApplication)
class TemporaryIdApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "submitted_at", "term", "partner", "home_student_number", "display_name", "email", "status",
        "student_id", "returning",
    ]
    list_filter = ["status", "term", "partner", "degree_level", "returning", "submitted_at"]
    search_fields = ["home_student_number", "name_ko", "name_latin", "email", "phone", "temporary_id__student_id"]
    list_select_related = ["term", "partner", "temporary_id"]
    date_hierarchy = "submitted_at"
    inlines = [ApplicationEventInline]
    actions = ["approve_selected", "reject_selected", "issue_now"]
    fields = [
        "term", "partner", "home_student_number", "name_ko", "name_latin", "date_of_birth", "email", "phone",
        "home_department", "degree_level", "language", "consent_at", "status", "submitted_at", "confirmed_at",
        "decided_at", "decided_by", "rejection_reason", "issued_at", "temporary_id", "returning",
        "confirmation_sent_at", "confirmation_resends",
    ]
    readonly_fields = [f for f in fields if f not in services.CORRECTABLE_FIELDS]

    @admin.display(description=_("temporary student ID"), ordering="temporary_id__student_id")
    def student_id(self, obj: TemporaryIdApplication) -> str:
        return obj.temporary_id.student_id if obj.temporary_id else "—"

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
        return super().render_change_form(request, context, *args, **kwargs)

    def response_change(self, request, obj):
        """The buttons under the change form decide one application at a time."""
        decisions = {
            "_approve": (self.has_approve_permission, lambda: services.application_approve(application_id=obj.pk, actor=request.user)),
            "_reject": (self.has_approve_permission, lambda: services.application_reject(
                application_id=obj.pk, actor=request.user, reason=request.POST.get("_reason", ""))),
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

    @admin.action(description=_("Issue temporary student IDs now"), permissions=["issue"])
    def issue_now(self, request, queryset):
        self._run(
            request, queryset,
            lambda a: services.temporary_id_issue(application_id=a.pk, actor=request.user),
            lambda n: ngettext("%d temporary student ID issued.", "%d temporary student IDs issued.", n) % n,
        )


@admin.register(ApplicationEvent)
class ApplicationEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "application", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["application__home_student_number", "application__email", "actor__username", "reason"]
    list_select_related = ["application__term", "application__partner", "actor"]
    readonly_fields = ["application", "from_status", "to_status", "actor", "reason", "changes", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
