"""The committee publishes stage results from the round list through a confirmation page (issue 12, finding 3).

The actions "Publish stage-1 results…" and "Publish final results…" open, for one round, what publishing now
would do: the announced time and whether now is earlier, the outcome per department (passed, not passed, cut
score), every student to be mailed, and why it cannot be published if it cannot (inputs changed since the run,
with each change named). The page posts the preview's fingerprint back with the reason; the service refuses a
post without it, a stale one (a quota, a score or the announced time changed in between: the new preview is
shown) and an early one without a reason. It is Django's intermediate action page (as "delete selected"), so the
round's own permissions and queryset apply: a user without ``affiliation.publish_results`` has no such action.

Also here: the undo page of a score import (``scores_undo_view``), for whoever may change applications.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin_undo import undo_page
from core.bulk import StalePreview
from core.errors import DomainError

from . import services
from .forms import ReasonForm
from .models import Stage


class PublishForm(forms.Form):
    # Not required here: the service refuses a missing fingerprint like a stale one, with the same message.
    fingerprint = forms.CharField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for publishing before the announced time"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required when publishing earlier than announced; recorded in the staff action log."),
    )


def publish_action(modeladmin, request, queryset, stage: str):
    """The intermediate page of a publish action: preview (first post), confirm (its form), refusals shown on it."""
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Choose one round: its confirmation page lists every student to be mailed."),
                                messages.WARNING)
        return None
    round = queryset.get()
    form = PublishForm(request.POST if "confirm" in request.POST else None)
    error = stale = ""
    if form.is_bound and form.is_valid():
        try:
            mails = services.results_publish(
                round_id=round.pk, stage=stage, actor=request.user, expected=form.cleaned_data["fingerprint"],
                reason=form.cleaned_data["reason"],
            )
        except StalePreview as exc:
            stale = exc.message
        except DomainError as exc:
            error = exc.message
        else:
            modeladmin.message_user(request, ngettext(
                "%(round)s: results published; %(count)d result mail queued.",
                "%(round)s: results published; %(count)d result mails queued.", mails) % {"round": round, "count": mails},
                messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:affiliation_affiliationround_changelist"))  # where actions start
    preview = services.results_publish_preview(round_id=round.pk, stage=stage)
    if stale or not form.is_bound:
        form = PublishForm(initial={"fingerprint": preview.fingerprint, "reason": request.POST.get("reason", "")})
    else:
        form = PublishForm(request.POST)
    context = {
        **modeladmin.admin_site.each_context(request), "opts": modeladmin.model._meta, "round": round,
        "title": _("Publish the stage-1 results") if stage == Stage.STAGE1 else _("Publish the final results"),
        "preview": preview, "form": form, "error": error, "stale": stale, "action": f"publish_{stage}",
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME, "fingerprint": preview.fingerprint,
    }
    return TemplateResponse(request, "admin/affiliation/affiliationround/publish.html", context)


def scores_undo_view(modeladmin, request, action_id: int):
    """GET: what undoing the score import would do now; POST: undo it with the reason (``scores_import_undo``)."""
    return undo_page(
        modeladmin, request, action_id=action_id, kind="affiliation.scores_import", form_class=ReasonForm,
        undo=lambda action, data: services.scores_import_undo(action=action, actor=request.user, reason=data["reason"]),
        preview=lambda action: {"preview": services.scores_import_undo_preview(action=action)},
        template="admin/affiliation/affiliationapplication/scores_undo.html", title=_("Undo a score import"),
        done_message=_("The score import is undone."),
        done_url=reverse("admin:affiliation_affiliationapplication_changelist"),
    )
