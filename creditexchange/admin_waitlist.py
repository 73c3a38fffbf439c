"""Baskets and waitlists in the admin (issue 14): staff see every step; they remove a student (with a reason,
after a page that lists who) and put a removed student back at their place (with a reason). Nothing is edited
directly: the services keep seats, positions and ``CourseOffering.waiting`` consistent."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import AuditTrailInline, ReadOnlyAdminMixin
from core.errors import DomainError

from .models import BasketItem, WaitlistEntry, WaitlistEvent, WaitlistRelease
from .services import waitlist as waitlist_service


@admin.register(BasketItem)
class BasketItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["added_at", "student", "offering", "term"]
    list_filter = ["term", "offering__campus", "added_at"]
    search_fields = ["student__username", "student__display_name", "offering__code", "offering__title_ko", "offering__title_en"]
    list_select_related = ["student", "offering", "term"]


class WaitlistEventInline(AuditTrailInline):
    model = WaitlistEvent
    fields = ["created_at", "from_status", "to_status", "position", "release", "actor", "reason"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (kept in the record)"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["offering", "sequence", "student", "status", "joined_at", "offered_at", "claim_until", "resolved_at"]
    list_filter = ["status", "term", "offering__campus", "joined_at"]
    search_fields = ["student__username", "student__display_name", "offering__code", "offering__title_ko", "offering__title_en"]
    list_select_related = ["student", "offering", "term"]
    readonly_fields = [
        "student", "term", "offering", "sequence", "status", "joined_at", "offered_at", "claim_until", "resolved_at",
        "registration",
    ]
    inlines = [WaitlistEventInline]
    actions = ["remove_selected", "restore_selected"]

    def has_act_permission(self, request) -> bool:
        return request.user.has_perm("creditexchange.change_waitlistentry")

    def _with_reason(self, request, queryset, *, action: str, title, intro, button, run, done_message):
        """A confirmation page listing each entry and what will happen, then the service per entry; an entry that
        changed meanwhile is refused by the service and named, the others go ahead."""
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for entry in queryset.select_related("student", "offering"):
                try:
                    run(entry_id=entry.pk, actor=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"{entry}: {exc.message}", messages.WARNING)
            self.message_user(request, done_message(done))
            return None
        context = {
            **self.admin_site.each_context(request), "title": title, "intro": intro, "button": button, "form": form,
            "queryset": queryset.select_related("student", "offering"), "opts": self.model._meta, "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/creditexchange/waitlist_action.html", context)

    @admin.action(description=_("Remove selected students from their waitlists (with a reason)"), permissions=["act"])
    def remove_selected(self, request, queryset):
        return self._with_reason(
            request, queryset, action="remove_selected", title=_("Remove from waitlists"),
            intro=_("These students will be taken off the waitlist; a seat held for one of them goes back to the waitlist. "
                    "You can put a removed student back at the same place later."),
            button=_("Remove"), run=waitlist_service.waitlist_remove,
            done_message=lambda n: ngettext("%d student removed from a waitlist.", "%d students removed from waitlists.", n) % n,
        )

    @admin.action(description=_("Put removed students back at their place (with a reason)"), permissions=["act"])
    def restore_selected(self, request, queryset):
        return self._with_reason(
            request, queryset, action="restore_selected", title=_("Put back on waitlists"),
            intro=_("These students, removed by staff, will be waiting again at the place they had."),
            button=_("Put back"), run=waitlist_service.waitlist_restore,
            done_message=lambda n: ngettext("%d student put back on a waitlist.", "%d students put back on waitlists.", n) % n,
        )


@admin.register(WaitlistRelease)
class WaitlistReleaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["scheduled_for", "term", "started_at", "finished_at", "registered", "offered", "passed_over", "expired", "actor"]
    list_filter = ["term", "scheduled_for"]
    search_fields = ["term__year"]
    list_select_related = ["term", "actor"]


@admin.register(WaitlistEvent)
class WaitlistEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "entry", "from_status", "to_status", "position", "release", "actor", "reason"]
    list_filter = ["to_status", "from_status", "created_at"]
    search_fields = ["entry__student__username", "entry__offering__code", "actor__username", "reason"]
    list_select_related = ["entry__student", "entry__offering", "release__term", "actor"]
