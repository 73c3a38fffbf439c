from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import IntegerField, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .bulk import StalePreview
from .mail import mail_resend_preview, mail_resend_selected, mail_send_again, mail_send_again_preview, mail_stuck
from .models import BulkAction, OutgoingMail


class ReadOnlyAdminMixin:
    """Records (audit trails, sent snapshots): staff read them; nobody adds, edits or deletes them in the admin."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def mail_visible_to(queryset, user):
    """The mail ``user``'s roles own (``accounts.roles.ROLE_MAIL_KINDS``): a mail about an account by that account's
    kind, any other by its kind; a superuser sees all."""
    from accounts.models import User
    from accounts.roles import mail_kinds_for, user_kinds_for

    patterns = mail_kinds_for(user)
    if patterns is None:
        return queryset
    by_kind = Q(pk__in=[])
    for pattern in patterns:
        by_kind |= Q(kind__startswith=pattern[:-1]) if pattern.endswith("*") else Q(kind=pattern)
    about_account = Q(params__has_key="user_id")
    queryset = queryset.annotate(
        recipient_account=Cast(KeyTextTransform("user_id", "params"), IntegerField()),
        recipient_kind=Subquery(User.objects.filter(pk=OuterRef("recipient_account")).values("kind")[:1]),
    )
    return queryset.filter((about_account & Q(recipient_kind__in=user_kinds_for(user))) | (~about_account & by_kind))


class StuckMailFilter(admin.SimpleListFilter):
    """Mail whose worker died mid-send (``ustportal.mail.mail_stuck``): it may or may not have arrived."""

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
        return request.user.has_perm("ustportal.resend_outgoingmail")

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
        return TemplateResponse(request, "admin/ustportal/outgoingmail/resend.html", context)

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
        return TemplateResponse(request, "admin/ustportal/outgoingmail/send_again.html", context)

@admin.register(BulkAction)
class BulkActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The staff action log: who ran which bulk action, with which inputs, and what it changed (``ustportal.bulk``)."""

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
        """The undo entry, or a link to the page that undoes this action (``ustportal.bulk.undo_page``), or —."""
        from django.urls import reverse
        from django.utils.html import format_html

        from .bulk import undo_page

        later = obj.undone_by.first()
        if later is not None:
            return format_html('<a href="{}">{}</a>', reverse("admin:ustportal_bulkaction_change", args=[later.pk]),
                               _("undone by entry #%(id)s") % {"id": later.pk})
        url = undo_page(obj)
        return format_html('<a href="{}">{}</a>', url, _("Undo this action…")) if url else "—"

    def get_queryset(self, request):
        from accounts.roles import action_apps_for

        queryset = super().get_queryset(request)
        apps = action_apps_for(request.user)
        if apps is None:
            return queryset
        visible = Q(actor=request.user)  # one's own actions, whatever their kind (e.g. mail sent again)
        for app in apps:
            visible |= Q(kind__startswith=f"{app}.")
        return queryset.filter(visible)

    @admin.display(description=_("run by"), ordering="actor_name")
    def run_by(self, obj: BulkAction) -> str:
        return obj.actor_name or str(_("schedule"))


from . import admin_privacy  # noqa: E402, F401  (PIPA access log)
