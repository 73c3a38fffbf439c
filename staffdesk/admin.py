"""Background jobs in the admin: a read-only record; each user sees the kinds their role may start."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.jobs.runners import RUNNERS
from core.models import StaffJob


def kinds_for(user) -> list[str]:
    return [kind for kind, runner in RUNNERS.items() if user.has_perm(runner.permission)]


@admin.register(StaffJob)
class StaffJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "scope", "status", "created_by", "progress", "failure_count", "finished_at", "page"]
    list_filter = ["kind", "status", "created_at"]
    search_fields = ["scope", "input_name", "created_by__username", "summary", "error"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    fields = [
        "kind", "scope", "status", "page", "created_by", "confirms", "created_at", "dispatched_at", "started_at", "finished_at",
        "progress", "summary", "error", "failure_list", "report", "params", "input_name", "input_size", "input_sha256",
        "language",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind__in=kinds_for(request.user))

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("progress"))
    def progress(self, obj: StaffJob) -> str:
        return f"{obj.done} / {obj.total}" if obj.total is not None else str(obj.done)

    @admin.display(description=_("failures"))
    def failure_count(self, obj: StaffJob) -> int:
        return len(obj.failures)

    @admin.display(description=_("failures"))
    def failure_list(self, obj: StaffJob) -> str:
        if not obj.failures:
            return "—"
        items = ((f.get("row") or f.get("item") or "", f.get("reason", "")) for f in obj.failures)
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", items))

    @admin.display(description=_("progress page"))
    def page(self, obj: StaffJob) -> str:
        return format_html('<a href="{}">{}</a>', reverse("staffdesk:job_detail", args=[obj.pk]), _("Open"))
