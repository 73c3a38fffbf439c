from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .mail import mail_resend
from .models import OutgoingMail


class ReadOnlyAdminMixin:
    """Records (audit trails, sent snapshots): staff read them; nobody adds, edits or deletes them in the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "language", "status", "attempts", "sent_at", "short_error"]
    list_filter = ["status", "kind", "language", "created_at"]
    search_fields = ["to", "subject", "last_error"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutgoingMail._meta.fields]
    actions = ["resend"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutgoingMail) -> str:
        return obj.last_error[:80]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("ustportal.resend_outgoingmail")

    @admin.action(description=_("Re-send selected mail"), permissions=["resend"])
    def resend(self, request, queryset):
        count = 0
        for mail in queryset.exclude(status=OutgoingMail.Status.SENDING):
            mail_resend(mail=mail)
            count += 1
        self.message_user(request, ngettext("%d mail queued again.", "%d mails queued again.", count) % count, messages.SUCCESS)

from . import admin_privacy  # noqa: E402, F401  (PIPA access log)
