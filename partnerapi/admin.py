"""The registrar's keys: issue one (the full key shown once), revoke with a reason; the call log, read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from academics.models import Institution
from core.errors import DomainError

from . import services
from .models import ApiCall, ApiKey

SESSION_KEY = "partnerapi_new_keys"  # key id → [the full key, when], popped by the page that shows it once
SHOWN_WITHIN_SECONDS = 600  # a key whose page is not opened within this is dropped from the session, never shown


def _pending_keys(request) -> dict:
    """The session's keys waiting for their page, without those older than SHOWN_WITHIN_SECONDS (dropped for good:
    the full key is not left at rest in the session store for the session's lifetime)."""
    now = timezone.now().timestamp()
    pending = {
        key_id: entry for key_id, entry in request.session.get(SESSION_KEY, {}).items()
        if isinstance(entry, list) and len(entry) == 2 and now - entry[1] < SHOWN_WITHIN_SECONDS
    }
    request.session[SESSION_KEY] = pending
    return pending


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["partner", "name", "expires_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "partner" in self.fields:  # the add form (a key's page shows everything read-only)
            self.fields["partner"].queryset = Institution.objects.filter(kind=Institution.Kind.PARTNER).order_by("code")


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


class ActiveFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("revoked", _("Revoked")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["prefix", "name", "partner", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [ActiveFilter, "partner"]
    search_fields = ["prefix", "name", "partner__code", "partner__name_ko", "partner__name_en"]
    readonly_fields = [
        "partner", "name", "prefix", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at",
        "revoked_by", "revoke_reason",
    ]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("partnerapi.revoke_apikey")

    def get_urls(self):
        return [
            path("<int:key_id>/issued/", self.admin_site.admin_view(self.issued_view), name="partnerapi_apikey_issued"),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        row, full = services.api_key_issue(
            partner=form.cleaned_data["partner"], name=form.cleaned_data["name"],
            expires_at=form.cleaned_data.get("expires_at"), actor=request.user,
        )
        obj.pk, obj.prefix, obj._state.adding = row.pk, row.prefix, False
        request.session[SESSION_KEY] = {**_pending_keys(request), str(row.pk): [full, timezone.now().timestamp()]}

    def response_add(self, request, obj, post_url_continue=None):
        return HttpResponseRedirect(reverse("admin:partnerapi_apikey_issued", args=[obj.pk]))

    def issued_view(self, request, key_id: int):
        """The full key, once: the session hands it over a single time, a reload shows only the prefix."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        key = ApiKey.objects.filter(pk=key_id).select_related("partner").first()
        if key is None:
            raise PermissionDenied
        pending = _pending_keys(request)
        full = (pending.pop(str(key_id), None) or [None])[0]
        request.session[SESSION_KEY] = pending
        context = {
            **self.admin_site.each_context(request), "title": _("API key issued"), "opts": self.model._meta,
            "key": key, "full_key": full, "original": key,
        }
        response = TemplateResponse(request, "admin/partnerapi/apikey/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke selected keys (with a reason)"), permissions=["revoke"])
    def revoke_selected(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            done = 0
            for key in queryset:
                try:
                    services.api_key_revoke(key_id=key.pk, actor=request.user, reason=form.cleaned_data["reason"])
                    done += 1
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
            if done:
                self.message_user(request, ngettext("%d key revoked.", "%d keys revoked.", done) % done, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request), "title": _("Revoke API keys"), "form": form, "queryset": queryset,
            "opts": self.model._meta, "action": "revoke_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/partnerapi/apikey/revoke.html", context)


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ["at", "method", "path", "status", "key", "partner", "ip"]
    list_filter = ["status", "method", "partner"]
    search_fields = ["path", "key__prefix", "ip"]
    date_hierarchy = "at"
    list_select_related = ["key", "partner"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
