"""Admin steps of temporary-ID issuance (issue 12): re-activating a deactivated account on purpose (finding 5b)."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ustportal.errors import DomainError

from . import services


class ReactivateForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for re-activating (kept in the application's trail and the staff action log)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def reactivate_and_issue(model_admin, request, queryset):
    """The selected applications, each with its account and whether it is deactivated; with a reason, re-activate
    each deactivated account and issue its application (one at a time; each refusal is reported)."""
    applications = list(queryset.select_related("term", "partner").order_by("decided_at", "pk"))
    form = ReactivateForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        done, reason = 0, form.cleaned_data["reason"]
        for application in applications:
            try:
                services.temporary_id_reactivate_and_issue(application_id=application.pk, actor=request.user, reason=reason)
            except DomainError as exc:
                model_admin.message_user(request, f"{application}: {exc.message}", messages.WARNING)
            else:
                done += 1
        if done:
            model_admin.message_user(
                request, ngettext("%d account re-activated and ID issued.", "%d accounts re-activated and IDs issued.", done) % done,
                messages.SUCCESS,
            )
        return None
    rows = [(application, _account(application)) for application in applications]
    context = {
        **model_admin.admin_site.each_context(request), "title": _("Re-activate deactivated accounts and issue"),
        "form": form, "rows": rows, "opts": model_admin.model._meta, "action": "reactivate_and_issue",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/creditexchange/reactivate_accounts.html", context)


def _account(application):
    from accounts.models import TemporaryStudentId

    identity = (
        TemporaryStudentId.objects.select_related("user")
        .filter(partner_id=application.partner_id, home_student_number__iexact=application.number_key).first()
    )
    return identity.user if identity is not None else None
