"""The offering change form's confirmation step (issue 12, finding 4).

Saving the change form (fields and the time-slot inline) goes through ``services.offering_save`` in one call with
the proposed slots. If the change breaks a registered student's timetable, the service refuses
(``OfferingChangeUnconfirmed``), the admin's transaction rolls back, and this mixin shows an intermediate page like
Django's delete confirmation: the affected students and what breaks for each, the change before → after, who will
be mailed. The page re-posts the same form data with the preview's fingerprint; a crafted POST without it (or with
another fingerprint, or after the registrations changed) is refused by the service and shows the page again.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core.admin_undo import undo_page
from core.errors import DomainError
from core.models import BulkAction

from . import services
from .models import TimeSlot
from .services.offering_change import describe_breaks, describe_state

FINGERPRINT_FIELD = "_offering_change_fingerprint"


class TimeSlotFormSet(forms.BaseInlineFormSet):
    """A tabular inline names its columns only in the header: each box gets an aria-label ("Starts at, slot 2")."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            label = field.label or ""
            field.widget.attrs["aria-label"] = (
                gettext_lazy("%(field)s, time slot %(number)s") % {"field": label, "number": index + 1} if index is not None else label
            )


class OfferingChangeConfirmMixin:
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.OfferingChangeUnconfirmed as exc:
            return self.offering_change_confirm_page(request, object_id, exc)
        except DomainError as exc:  # refused at save time (e.g. a registration since the form was checked): rolled back
            self.message_user(request, _("Nothing was saved: %(reason)s") % {"reason": exc.message}, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if not change:
            services.offering_save(offering=obj)  # a new offering has no registrations; the inline saves its slots
        # A change is saved in save_related, together with the slots, by one service call.

    def save_related(self, request, form, formsets, change):
        if not change:
            return super().save_related(request, form, formsets, change)
        slot_formsets = [f for f in formsets if f.model is TimeSlot]
        slots = [
            (data["weekday"], data["starts_at"], data["ends_at"])
            for formset in slot_formsets for data in formset.cleaned_data if data and not data.get("DELETE")
        ]
        services.offering_save(
            offering=form.instance, slots=slots, actor=request.user, expected=request.POST.get(FINGERPRINT_FIELD, ""),
        )
        for formset in slot_formsets:  # saved above; the change message reads these
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for formset in formsets:
            if formset.model is not TimeSlot:
                self.save_formset(request, form, formset, change=change)

    def offering_change_confirm_page(self, request, object_id, exc):
        preview = exc.preview
        offering = self.get_object(request, object_id)
        students = User.objects.in_bulk([b.student_id for b in preview.affected])
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": offering,
            "title": _("Confirm the change of %(offering)s") % {"offering": offering},
            "message": exc.message, "stale": exc.stale,
            "offerings": [
                {"label": entry["label"], "before": describe_state(entry["before"]), "after": describe_state(entry["after"])}
                for entry in preview.offerings.values()
            ],
            "affected": [(students.get(b.student_id), describe_breaks(b)) for b in preview.affected],
            "notified_count": len(preview.notified), "fingerprint": preview.fingerprint,
            "fingerprint_field": FINGERPRINT_FIELD,
            "data": [
                (name, value) for name, values in request.POST.lists()
                if name not in ("csrfmiddlewaretoken", FINGERPRINT_FIELD, "_save", "_continue", "_addanother") for value in values
            ],
        }
        return TemplateResponse(request, "admin/creditexchange/courseoffering/confirm_change.html", context)


class ImportUndoForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for undoing"), widget=forms.Textarea(attrs={"rows": 3}))


def offerings_import_undo_view(model_admin, request, action_id: int):
    """GET: what the undo of an offerings import does (offerings deleted, values put back); POST: undo it with a
    reason. Every refusal (registrations on a created offering, changed since, old slots that would break a
    timetable) is named and nothing is undone."""
    from core.jobs.previews import preview_rows

    if not model_admin.has_add_permission(request):
        raise PermissionDenied

    def preview(action: BulkAction) -> dict:
        return {
            "created": [entry["label"] for entry in action.changes if entry["before"] is None],
            # The changed fields named and shown as the import preview shows them (in the page's language).
            "changed": preview_rows({"changes": [entry for entry in action.changes if entry["before"] is not None]},
                                    limit=len(action.changes)),
            "undone": BulkAction.objects.filter(undoes=action).first(),
        }

    return undo_page(
        model_admin, request, action_id=action_id, kind="creditexchange.offerings_import", form_class=ImportUndoForm,
        undo=lambda action, data: services.offerings_import_undo(action=action, actor=request.user, reason=data["reason"]),
        preview=preview, template="admin/creditexchange/courseoffering/import_undo.html",
        title=_("Undo an offerings import"), done_message=_("The import is undone."),
        done_url=reverse("admin:creditexchange_courseoffering_changelist"),
    )
