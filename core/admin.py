from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .bulk import StalePreview
from .mail import mail_resend_preview, mail_resend_selected, mail_send_again, mail_send_again_preview, mail_stuck
from .models import BulkAction, OutgoingMail
from .visibility import actions_visible_to, mail_visible_to


class ReadOnlyAdminMixin:
    """Records (audit trails, sent snapshots): staff read them; nobody adds, edits or deletes them in the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditTrailInline(admin.TabularInline):
    """An audit trail under its subject (STYLE §3): every field read-only, no line added or deleted here; the
    services write the trail. A subclass names ``model`` and ``fields``."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class StuckMailFilter(admin.SimpleListFilter):
    """Mail whose worker died mid-send (``core.mail.mail_stuck``): it may or may not have arrived."""

    title = _("stuck in sending")
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", _("Sending with no answer for longer than the stale claim"))]

    def queryset(self, request, queryset):
        return mail_stuck(queryset) if self.value() == "yes" else queryset


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """Each role sees and re-sends the mail of its own work only (``mail_visible_to``)."""

    list_display = ["created_at", "kind", "to", "language", "status", "attempts", "claimed_at", "sent_at", "short_error"]
    list_filter = [StuckMailFilter, "status", "kind", "language", "created_at"]
    search_fields = ["to", "subject", "last_error", "message_id"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]
    actions = ["resend", "send_again_stuck"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutgoingMail) -> str:
        return obj.last_error[:80]

    def get_queryset(self, request):
        return mail_visible_to(super().get_queryset(request), request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("core.resend_outgoingmail")

    @admin.action(description=_("Re-send selected mail"), permissions=["resend"])
    def resend(self, request, queryset):
        """Preview (what goes again, which as a new copy) → confirm with the fingerprint (``mail_resend_selected``)."""
        stale = ""
        if "confirm" in request.POST:
            try:
                count = mail_resend_selected(queryset=queryset, expected=request.POST.get("fingerprint", ""),
                                             actor=request.user)
            except StalePreview as exc:
                stale = exc.message
            else:
                self.message_user(request, ngettext("%d mail queued again.", "%d mails queued again.", count) % count,
                                  messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Re-send selected mail"),
            "preview": mail_resend_preview(queryset=queryset), "stale": stale,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/core/outgoingmail/resend.html", context)

    @admin.action(description=_("Mark stuck mail as not sent and send it again"), permissions=["resend"])
    def send_again_stuck(self, request, queryset):
        """Preview (which mail goes again, the warning that it may arrive twice) → confirm with the fingerprint."""
        stale = ""
        if "confirm" in request.POST:
            try:
                count = mail_send_again(queryset=queryset, expected=request.POST.get("fingerprint", ""), actor=request.user)
            except StalePreview as exc:
                stale = exc.message
            else:
                self.message_user(request, ngettext(
                    "%d stuck mail queued again with its Message-ID.", "%d stuck mails queued again with their Message-IDs.",
                    count) % count, messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Send stuck mail again"),
            "preview": mail_send_again_preview(queryset=queryset), "stale": stale,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/core/outgoingmail/send_again.html", context)

@admin.register(BulkAction)
class BulkActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The staff action log: who ran which bulk action, with which inputs, and what it changed (``core.bulk``)."""

    list_display = ["at", "kind", "scope", "run_by", "count", "summary", "undoes"]
    list_filter = ["kind", "at"]
    search_fields = ["kind", "scope", "actor_name", "summary", "reason"]
    date_hierarchy = "at"
    list_select_related = ["undoes"]
    readonly_fields = [
        "at", "kind", "scope", "actor_name", "inputs", "changes", "count", "summary", "reason", "undoes", "undone",
    ]
    fields = readonly_fields

    @admin.display(description=_("undone"))
    def undone(self, obj: BulkAction):
        """The undo entry, or a link to the page that undoes this action (``core.bulk.undo_page``), or —."""
        from django.urls import reverse
        from django.utils.html import format_html

        from .bulk import undo_page

        later = obj.undone_by.first()
        if later is not None:
            return format_html('<a href="{}">{}</a>', reverse("admin:core_bulkaction_change", args=[later.pk]),
                               _("undone by entry #%(id)s") % {"id": later.pk})
        url = undo_page(obj)
        return format_html('<a href="{}">{}</a>', url, _("Undo this action…")) if url else "—"

    def get_queryset(self, request):
        return actions_visible_to(super().get_queryset(request), request.user)

    @admin.display(description=_("run by"), ordering="actor_name")
    def run_by(self, obj: BulkAction) -> str:
        return obj.actor_name or str(_("schedule"))


