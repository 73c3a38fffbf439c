"""The access log of personal data (PIPA safety-measure standard, art. 8): one middleware, driven by a registry.

``PERSONAL_DATA_MODELS`` names the models that hold personal data; their admin pages (change, list,
delete, history, actions) are recorded from the URL name alone, so no admin needs an edit.
``PORTAL_URLS`` names the few non-admin pages that hand out personal data (file downloads, staff
exports). A view the registry cannot describe calls ``access_note`` itself (the coordinator's page).

Every other request is looked up in a dict and left alone: the middleware adds no query to them.
References name a row by id or student number only, never by a person's name or address.
"""

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from django.apps import apps
from django.conf import settings
from django.contrib.admin.utils import unquote as admin_unquote
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone

from .http import client_ip
from .models import PersonalDataAccess

Action = PersonalDataAccess.Action

MAX_IDS = 1000  # an entry names at most this many rows; ``count`` keeps the real number

# Model label → how an entry names one row without personal data (default: "#<pk>"). The kernel names its own
# models; each app adds its own in ``AppConfig.ready()`` with :func:`personal_data_register` (issue 13).
# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
PERSONAL_DATA_MODELS: dict[str, Callable[[Any], str] | None] = {
    "core.staffjob": None,
    "core.outgoingmail": None,
}

ADMIN_VIEWS = ("changelist", "change", "delete", "history", "add")  # the admin's view names (URL suffixes)


@checks.register(checks.Tags.security)
def retention_settings_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The safety-measure standard keeps access records 1 year at least, 2 for large or sensitive systems (art. 8)."""
    problems = []
    if settings.ACCESS_LOG_RETENTION_YEARS < 2:
        problems.append(checks.Warning(
            "ACCESS_LOG_RETENTION_YEARS is below 2: the PIPA safety-measure standard asks for 2 years for a system "
            "holding 50,000 or more people's data or unique identifiers.", id="ustportal.W101",
        ))
    if settings.PERSONAL_DATA_RETENTION_YEARS < 1:
        problems.append(checks.Error("PERSONAL_DATA_RETENTION_YEARS must be at least 1.", id="ustportal.E101"))
    return problems


def access_log_cutoff(at: datetime | None = None) -> datetime:
    """Entries at or after this instant are inside the access log's retention period and are never deleted."""
    return years_before(at or timezone.now(), settings.ACCESS_LOG_RETENTION_YEARS)


def years_before(at, years: int):
    """The same calendar day ``years`` earlier (29 February → 28 February); works for dates and datetimes."""
    try:
        return at.replace(year=at.year - years)
    except ValueError:
        return at.replace(year=at.year - years, day=28)


def _reference(label: str, obj) -> str:
    describe = PERSONAL_DATA_MODELS.get(label)
    return describe(obj) if describe else f"#{obj.pk}"


def _actor(request):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def access_record(
    *, request=None, action: str, model: str, ids=(), count: int | None = None, reference: str = "",
    actor=None, anonymous: bool = False,
):
    """Write one entry. With a request, the actor (unless ``anonymous``), address and path come from it."""
    if request is not None and actor is None and not anonymous:
        actor = _actor(request)
    ids = [str(i) for i in ids]
    return PersonalDataAccess.objects.create(
        actor=actor, actor_name=actor.get_username() if actor else "",
        address=client_ip(request)[:64] if request is not None else "",
        action=action, model=model, object_ids=ids[:MAX_IDS], count=len(ids) if count is None else count,
        reference=reference[:255], path=_path(request)[:500] if request is not None else "",
    )


def _path(request) -> str:
    """The request's path without a link's secret: a token in the URL opens the data to whoever reads the log."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    for name, value in (match.kwargs.items() if match is not None else ()):
        if "token" in name and value:
            path = path.replace(str(value), "…")
    return path


def access_note(
    request, obj, *, action: str = Action.VIEW, reference: str = "", count: int | None = None, anonymous: bool = False,
) -> None:
    """For a view that shows personal data the registry cannot see: written once the view has answered."""
    notes = request.__dict__.setdefault("_personal_data_notes", [])
    notes.append({
        "action": action, "model": obj._meta.label_lower, "ids": [obj.pk],
        "reference": reference or f"#{obj.pk}", "count": count, "anonymous": anonymous,
    })


# --- What a response tells --------------------------------------------------------------------------------------


def _is_attachment(response) -> bool:
    return response.get("Content-Disposition", "").startswith("attachment")


def _context(response) -> dict:
    return getattr(response, "context_data", None) or {}


def _admin_object_id(match) -> str:
    return admin_unquote(unquote(str(match.kwargs.get("object_id", ""))))


def _admin_changelist(request, response, label):
    if request.method == "POST" and "action" in request.POST:
        selected = request.POST.getlist("_selected_action")
        across = request.POST.get("select_across") == "1"
        reference = "all matching rows" if across else ""
        action_name = request.POST.get("action", "")
        if not (selected or across):
            return []  # the admin refused: nothing was selected
        if _is_attachment(response):
            return [{"action": Action.EXPORT, "ids": selected, "reference": (reference or action_name)}]
        if response.status_code == 302 or (action_name == "delete_selected" and "post" in request.POST):
            verb = Action.DELETE if action_name == "delete_selected" else Action.CHANGE
            return [{"action": verb, "ids": selected, "reference": reference or action_name}]
        return [{"action": Action.VIEW, "ids": selected, "reference": reference or action_name}]
    if request.method == "POST" and "_save" in request.POST:  # list_editable
        ids = [value for key, value in request.POST.items() if re.fullmatch(r"form-\d+-id", key)]
        return [{"action": Action.CHANGE, "ids": ids}]
    changelist = _context(response).get("cl")
    if request.method != "GET" or changelist is None:
        return []
    ids = [obj.pk for obj in changelist.result_list]  # already evaluated by the template: no query
    return [{"action": Action.LIST, "ids": ids, "reference": f"{len(ids)} of {changelist.result_count}"}]


def _admin_change(request, response, label, match):
    object_id = _admin_object_id(match)
    original = _context(response).get("original")
    reference = _reference(label, original) if original is not None else f"#{object_id}"
    if request.method == "POST" and response.status_code == 302:
        return [{"action": Action.CHANGE, "ids": [object_id], "reference": reference}]
    if response.status_code == 200:
        return [{"action": Action.VIEW, "ids": [object_id], "reference": reference}]
    return []


def _admin_add(request, response, label):
    if request.method != "POST" or response.status_code != 302:
        return []
    from django.contrib.admin.models import ADDITION, LogEntry

    app_label, model_name = label.split(".")
    entry = (
        LogEntry.objects.filter(user_id=request.user.pk, action_flag=ADDITION, content_type__app_label=app_label,
                                content_type__model=model_name).order_by("-pk").only("object_id").first()
    )
    return [{"action": Action.ADD, "ids": [entry.object_id] if entry else []}]


def _inline_entries(request, response) -> None:
    """A page of a model without personal data can still show some in its inlines (an institution's contacts)."""
    for inline in _context(response).get("inline_admin_formsets") or ():
        label = inline.formset.model._meta.label_lower
        ids = [form.instance.pk for form in inline.formset.initial_forms]  # built from the evaluated queryset
        if label in PERSONAL_DATA_MODELS and ids:
            access_record(request=request, action=Action.VIEW, model=label, ids=ids, reference="inline")


def _admin_entries(request, response, match) -> tuple[str, list[dict]] | None:
    target = ADMIN_URLS.get(match.view_name)
    if target is None:
        if _is_attachment(response) and response.status_code == 200:  # any other admin download or export
            return match.view_name.removeprefix("admin:"), [{"action": Action.EXPORT, "ids": list(match.kwargs.values())}]
        if match.view_name.endswith("_change") and response.status_code == 200:
            _inline_entries(request, response)
        return None
    label, view = target
    if view == "changelist":
        return label, _admin_changelist(request, response, label)
    if view == "add":
        return label, _admin_add(request, response, label)
    object_id = _admin_object_id(match)
    if view == "change":
        return label, _admin_change(request, response, label, match)
    if view == "delete":
        deleted = request.method == "POST" and response.status_code == 302
        return label, [{"action": Action.DELETE if deleted else Action.VIEW, "ids": [object_id]}] if response.status_code in (200, 302) else []
    return label, [{"action": Action.VIEW, "ids": [object_id], "reference": "history"}] if response.status_code == 200 else []




def _autocomplete(request, response, match):
    """The admin's autocomplete answers with the rows' names (a student's number and name): a list, like a changelist.

    The search term is not kept: it may be a person's name, and the ids say whose data was shown."""
    try:
        field = apps.get_model(request.GET["app_label"], request.GET["model_name"])._meta.get_field(request.GET["field_name"])
        label = field.remote_field.model._meta.label_lower
    except (KeyError, LookupError, AttributeError, FieldDoesNotExist):
        return None
    if label not in PERSONAL_DATA_MODELS:
        return None
    ids = [row["id"] for row in json.loads(response.content).get("results", ())]
    return (label, [{"action": Action.LIST, "ids": ids, "reference": "autocomplete"}]) if ids else None


def admin_write(label: str, action: str):
    """A custom admin page that writes personal data (an import, a registration by staff, a conflict resolution)."""

    def handler(request, response, match):
        ids = [match.kwargs["object_id"]] if "object_id" in match.kwargs else []
        reference = match.url_name.removeprefix(label.replace(".", "_") + "_")
        if request.method == "POST" and response.status_code == 302:
            return label, [{"action": action, "ids": ids, "reference": reference}]
        if ids and response.status_code == 200:
            return label, [{"action": Action.VIEW, "ids": ids, "reference": reference}]
        return None

    return handler


# URL name → handler(request, response, match) → (model label, entries) or None: the non-admin pages and custom
# admin pages that hand out or write personal data. Apps add theirs with :func:`personal_data_register`.
# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
PORTAL_URLS: dict[str, Callable] = {"admin:autocomplete": _autocomplete}

ADMIN_URLS: dict[str, tuple[str, str]] = {}


def personal_data_register(*, models: dict[str, Callable[[Any], str] | None] | None = None,
                           urls: dict[str, Callable] | None = None) -> None:
    """An app names its models that hold personal data (label → how to name a row, None for "#<pk>") and its pages
    that show or write them (URL name → handler; :func:`admin_write` for a custom admin page that writes)."""
    PERSONAL_DATA_MODELS.update(models or {})
    PORTAL_URLS.update(urls or {})
    ADMIN_URLS.clear()
    ADMIN_URLS.update({
        f"admin:{label.replace('.', '_')}_{view}": (label, view) for label in PERSONAL_DATA_MODELS for view in ADMIN_VIEWS
    })


personal_data_register()


class PersonalDataAccessMiddleware:
    """Records accesses to personal data after the view has answered (only answers below 400 and redirects)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for note in request.__dict__.get("_personal_data_notes", ()):  # the view showed the data, whatever the status
            access_record(request=request, **note)
        match = getattr(request, "resolver_match", None)
        if match is None or response.status_code >= 400 or getattr(response, "access_logged", False):
            return response
        found = None
        handler = PORTAL_URLS.get(match.view_name)
        if handler is not None:
            found = handler(request, response, match)
        elif match.view_name.startswith("admin:"):
            found = _admin_entries(request, response, match)
        if found:
            model, entries = found
            for entry in entries:
                access_record(request=request, model=model, **entry)
        return response
