"""Admin pages of issue 12 for the affiliation staff: the winter-session conditions check (finding 1) — the preview
with its confirm button, reinstating a cancelled pass with a reason (both need ``affiliation.check_conditions``) —
and the undo of a student-record import (the import's permission). The views only call services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.admin_undo import undo_page
from core.bulk import StalePreview
from core.errors import DomainError
from core.models import BulkAction

from . import services
from .forms import ReasonForm
from .models import AffiliationApplication, AffiliationRound


class RecordsUndoForm(ReasonForm):
    restore_emails = forms.BooleanField(
        label=_("Also put back the e-mail addresses this import wrote to accounts"), required=False,
        help_text=_("Only where the account still has the address the import wrote. Leave unticked unless you know "
                    "the old address still belongs to the student: whoever reads it can ask for a set-password link."),
    )


class ConfirmConditionsForm(forms.Form):
    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64)


def _page(modeladmin, request, round, template: str, **context):
    context = {
        **modeladmin.admin_site.each_context(request), "opts": modeladmin.model._meta, "original": round,
        "round": round, **context,
    }
    return TemplateResponse(request, f"admin/affiliation/affiliationround/{template}", context)


def _checker(modeladmin, request, round_id: int) -> AffiliationRound:
    if not request.user.has_perm("affiliation.check_conditions"):
        raise PermissionDenied
    return get_object_or_404(AffiliationRound.objects.select_related("term"), pk=round_id)


def conditions_view(modeladmin, request, round_id: int):
    """GET: the preview (every admitted student, kept or cancelled, with values and why). POST: confirm exactly the
    previewed inputs; a stale fingerprint shows the new preview to decide on again."""
    round = _checker(modeladmin, request, round_id)
    stale, error = "", ""
    if request.method == "POST":
        form = ConfirmConditionsForm(request.POST)
        try:
            if not form.is_valid():
                raise StalePreview()
            counts = services.conditions_check(
                round_id=round.pk, expected=form.cleaned_data["fingerprint"], actor=request.user
            )
        except StalePreview as exc:
            stale = exc.message
        except DomainError as exc:
            error = exc.message
        else:
            modeladmin.message_user(request, _("%(kept)s passes kept, %(cancelled)s cancelled.") % counts, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:affiliation_affiliationround_conditions", args=[round.pk]))
        round.refresh_from_db()
    try:
        preview = services.conditions_preview(round_id=round.pk)
    except DomainError as exc:
        return _page(modeladmin, request, round, "conditions.html", title=_("Conditions after the winter session"),
                     preview=None, error=exc.message)
    cancelled = AffiliationApplication.objects.filter(round=round, status=AffiliationApplication.Status.CANCELLED
                                                      ).select_related("record").order_by("record__student_number")
    action = BulkAction.objects.filter(kind="affiliation.conditions_check", scope=f"round:{round.pk}").first()
    return _page(
        modeladmin, request, round, "conditions.html", title=_("Conditions after the winter session"), preview=preview,
        form=ConfirmConditionsForm(initial={"fingerprint": preview.fingerprint}), stale=stale, error=error,
        cancelled=cancelled, action=action,
    )


def reinstate_view(modeladmin, request, round_id: int, application_id: int):
    """A reason form for one cancelled pass of this round, showing the student's current values."""
    round = _checker(modeladmin, request, round_id)
    application = get_object_or_404(
        AffiliationApplication.objects.select_related("record", "target_department"), pk=application_id, round=round
    )
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_reinstate(application_id=application.pk, round_id=round.pk,
                                           reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            modeladmin.message_user(request, _("The pass of %(student)s is reinstated; the student is mailed.")
                                    % {"student": application.record}, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:affiliation_affiliationround_conditions", args=[round.pk]))
    return _page(modeladmin, request, round, "reinstate.html", title=_("Reinstate a cancelled pass"), form=form,
                 application=application, record=application.record)


def records_import_undo_view(modeladmin, request, action_id: int):
    """GET: what the undo would do now; POST: undo with the reason (and the address decision)."""
    return undo_page(
        modeladmin, request, action_id=action_id, kind="affiliation.records_import", form_class=RecordsUndoForm,
        undo=lambda action, data: services.records_import_undo(
            action=action, actor=request.user, reason=data["reason"], restore_emails=data["restore_emails"]),
        preview=lambda action: {"preview": services.records_import_undo_preview(action=action)},
        template="admin/affiliation/studentrecord/import_undo.html", title=_("Undo a records import"),
        done_message=_("The import is undone."), done_url=reverse("admin:affiliation_studentrecord_changelist"),
    )
