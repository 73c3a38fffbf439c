"""Admin for conflicting applications (issue 10, finding 3): list, filter, search by number, resolve, undo.

Resolving shows what it will do before doing it; the page carries the set of applications it showed and a
changed set (a new application arrived, one was purged) is refused, never applied to applications the
staff member did not see.
"""

from enum import StrEnum

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.admin import AuditTrailInline, ReadOnlyAdminMixin
from core.errors import DomainError

from . import services
from .forms import ConflictReopenForm, ConflictResolveForm, conflict_member_label
from .models import ApplicationConflict, ApplicationConflictEvent, TemporaryIdApplication

Status = TemporaryIdApplication.Status


class ConflictState(StrEnum):
    """The values of the admin's conflict filters (in the page's query string)."""

    OPEN = "open"
    RESOLVED = "resolved"
    NONE = "none"  # an application that is in no open conflict


class ConflictStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(ConflictState.OPEN, pgettext_lazy("conflict state", "Open")),
                (ConflictState.RESOLVED, pgettext_lazy("conflict state", "Resolved"))]

    def queryset(self, request, queryset):
        if self.value() == ConflictState.OPEN:
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == ConflictState.RESOLVED:
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class ConflictEventInline(AuditTrailInline):
    model = ApplicationConflictEvent
    fields = ["created_at", "action", "actor", "reason", "changes"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApplicationConflict)
class ApplicationConflictAdmin(admin.ModelAdmin):
    list_display = [
        "opened_at", "term", "partner", "number_key", "application_count", "is_open_flag", "resolved_at",
        "resolved_by", "kept",
    ]
    list_filter = [ConflictStateFilter, "term", "partner", "opened_at"]
    search_fields = ["number_key", "applications__home_student_number"]
    list_select_related = ["term", "partner", "resolved_by", "kept"]
    fields = [
        "term", "partner", "number_key", "applications_table", "opened_at", "resolved_at", "resolved_by", "kept",
        "reason",
    ]
    readonly_fields = fields
    inlines = [ConflictEventInline]
    change_form_template = "admin/creditexchange/applicationconflict/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False  # opened by a second application, never by hand

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_resolve_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.resolve_applicationconflict")

    def get_search_results(self, request, queryset, search_term):
        # Numbers are stored upper-cased; "ab-12 " finds "AB-12".
        return super().get_search_results(request, queryset, search_term.strip().upper())

    @admin.display(description=_("applications"))
    def application_count(self, obj: ApplicationConflict) -> int:
        return obj.applications.count()

    @admin.display(description=_("open"), boolean=True, ordering="resolved_at")
    def is_open_flag(self, obj: ApplicationConflict) -> bool:
        return obj.is_open

    @admin.display(description=_("applications"))
    def applications_table(self, obj: ApplicationConflict) -> str:
        rows = format_html_join(
            "", '<li><a href="{}">{}</a></li>',
            (
                (reverse("admin:creditexchange_temporaryidapplication_change", args=[a.pk]), conflict_member_label(a))
                for a in _members(obj)
            ),
        )
        return format_html("<ul>{}</ul>", rows)

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_resolve"] = self.has_resolve_permission(request)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_urls(self):
        extra = [
            path("<int:object_id>/resolve/", self.admin_site.admin_view(self.resolve_view),
                 name="creditexchange_applicationconflict_resolve"),
            path("<int:object_id>/reopen/", self.admin_site.admin_view(self.reopen_view),
                 name="creditexchange_applicationconflict_reopen"),
        ]
        return extra + super().get_urls()

    def _page(self, request, conflict, template, **context):
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": conflict,
            "conflict": conflict, **context,
        }
        return TemplateResponse(request, f"admin/creditexchange/applicationconflict/{template}", context)

    def resolve_view(self, request, object_id: int):
        """GET: choose; POST ``preview``: what will happen; POST ``confirm``: do it (unless the set changed)."""
        if not self.has_resolve_permission(request):
            raise PermissionDenied
        conflict = get_object_or_404(ApplicationConflict, pk=object_id)
        applications = _members(conflict)
        form = ConflictResolveForm(request.POST or None, applications=applications)
        preview, stale = None, ""
        if request.method == "POST" and form.is_valid():
            keep, reason = form.cleaned_data["keep"], form.cleaned_data["reason"]
            try:
                services.application_conflict_check_members(conflict=conflict, expected_ids=form.cleaned_data["members"])
                if "confirm" in request.POST:
                    services.application_conflict_resolve(
                        conflict_id=conflict.pk, keep_id=keep, actor=request.user, reason=reason,
                        expected_ids=form.cleaned_data["members"],
                    )
            except services.StaleConflict as exc:
                stale = exc.message
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if "confirm" in request.POST:
                    self.message_user(request, _("The conflict is resolved; the other applications are rejected."), messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:creditexchange_applicationconflict_change", args=[conflict.pk]))
                others = [a for a in applications if a.pk != keep]
                preview = {
                    "kept": keep, "reason": reason,
                    "kept_label": next(conflict_member_label(a) for a in applications if a.pk == keep),
                    "rejected": [conflict_member_label(a) for a in others if a.status != Status.REJECTED],
                    "already_rejected": [conflict_member_label(a) for a in others if a.status == Status.REJECTED],
                }
        if stale:
            # Show the current set: the staff member decides again on what is there now.
            applications = _members(conflict)
            form = ConflictResolveForm(initial={"reason": request.POST.get("reason", "")}, applications=applications)
        title = _("Resolve conflict no. %(number)s") % {"number": conflict.pk}
        return self._page(request, conflict, "resolve.html", title=title, form=form, preview=preview, stale=stale,
                          applications=applications)

    def reopen_view(self, request, object_id: int):
        if not self.has_resolve_permission(request):
            raise PermissionDenied
        conflict = get_object_or_404(ApplicationConflict, pk=object_id)
        form = ConflictReopenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.application_conflict_reopen(conflict_id=conflict.pk, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("The resolution is undone; the conflict is open again."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:creditexchange_applicationconflict_change", args=[conflict.pk]))
        restored = []
        by_id = {a.pk: a for a in _members(conflict)}
        for entry in conflict.rejected:
            if entry["id"] in by_id:
                restored.append((by_id[entry["id"]], Status(entry["from_status"]).label))
        title = _("Undo the resolution of conflict no. %(number)s") % {"number": conflict.pk}
        return self._page(request, conflict, "reopen.html", title=title, form=form, restored=restored)


def _members(conflict: ApplicationConflict) -> list[TemporaryIdApplication]:
    return list(conflict.applications.select_related("term", "partner", "temporary_id").order_by("submitted_at", "pk"))




@admin.register(ApplicationConflictEvent)
class ApplicationConflictEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The conflict trail on its own, for staff who look for who resolved what, when and why."""

    list_display = ["created_at", "conflict", "action", "actor", "reason"]
    list_filter = ["action", "created_at"]
    search_fields = ["conflict__number_key", "actor__username", "reason"]
    list_select_related = ["conflict__term", "conflict__partner", "actor"]
    readonly_fields = ["conflict", "action", "actor", "reason", "changes", "created_at"]
