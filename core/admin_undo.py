"""The one shape of an undo page (``core.bulk``): GET shows what undoing a logged action would do now; POST
undoes it with the reason from the form (a refusal is shown on the form, nothing undone) and goes back."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from .errors import DomainError
from .models import BulkAction


def undo_page(
    modeladmin, request, *, action_id: int, kind: str, form_class, undo: Callable[[BulkAction, dict], object],
    preview: Callable[[BulkAction], dict], template: str, title: str, done_message: str, done_url: str,
):
    """``undo(action, cleaned_data)`` calls the app's undo service; ``preview(action)`` gives the page's context."""
    action = get_object_or_404(BulkAction, pk=action_id, kind=kind, undoes__isnull=True)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            undo(action, form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            modeladmin.message_user(request, done_message, messages.SUCCESS)
            return HttpResponseRedirect(done_url)
    context = {
        **modeladmin.admin_site.each_context(request), "opts": modeladmin.model._meta, "title": title,
        "action": action, "form": form, **preview(action),
    }
    return TemplateResponse(request, template, context)
