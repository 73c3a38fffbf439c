"""Admin steps of temporary-ID issuance (issue 12): the preview before issuing, revoking an ID issued by mistake,
re-activating a deactivated account on purpose (finding 5b). The rules are in the services."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.bulk import StalePreview
from core.errors import DomainError
from core.jobs.pages import job_url

from . import services
from .jobs import JobKind


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


class IssueConfirmForm(forms.Form):
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)


def issue_now(model_admin, request, queryset):
    """Preview (who gets a new ID, who keeps theirs, who is skipped and why) → confirm with the preview's
    fingerprint → the staff job; a changed selection (a status changed, a conflict opened) shows the new preview."""
    from core.jobs.services import job_start

    ids = list(queryset.values_list("pk", flat=True))
    stale = ""
    if "apply" in request.POST:
        form = IssueConfirmForm(request.POST)
        try:
            if not form.is_valid():
                raise StalePreview()
            services.temporary_ids_issue_check(application_ids=ids, expected=form.cleaned_data["fingerprint"])
            job = job_start(
                kind=JobKind.TEMPORARY_IDS_ISSUE, actor=request.user,
                params={"application_ids": ids, "expected": form.cleaned_data["fingerprint"]},
            )
        except StalePreview as exc:
            stale = exc.message
        except DomainError as exc:
            model_admin.message_user(request, exc.message, messages.ERROR)
            return None
        else:
            return HttpResponseRedirect(job_url(job.pk))
    preview = services.temporary_ids_issue_preview(application_ids=ids)
    context = {
        **model_admin.admin_site.each_context(request), "title": _("Issue temporary student IDs: preview"),
        "preview": preview, "stale": stale, "opts": model_admin.model._meta, "action": "issue_now",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/creditexchange/temporaryidapplication/issue_preview.html", context)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason (sent to the applicant)"), widget=forms.Textarea(attrs={"rows": 3}))


def revoke_ids(model_admin, request, queryset):
    """Undo of an issuance, one application at a time: only IDs nobody used yet (``temporary_id_revoke``)."""
    applications = list(queryset.select_related("term", "partner", "temporary_id__user"))
    form = RevokeForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        done = 0
        for application in applications:
            try:
                services.temporary_id_revoke(application_id=application.pk, actor=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                model_admin.message_user(request, f"{application}: {exc.message}", messages.WARNING)
            else:
                done += 1
        if done:
            model_admin.message_user(request, ngettext("%d ID revoked.", "%d IDs revoked.", done) % done, messages.SUCCESS)
        return None
    context = {
        **model_admin.admin_site.each_context(request), "title": _("Revoke temporary student IDs"), "form": form,
        "queryset": applications, "opts": model_admin.model._meta, "action": "revoke_ids",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/creditexchange/temporaryidapplication/revoke.html", context)
