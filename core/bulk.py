"""Bulk and irreversible staff actions: preview, refuse stale inputs, record, undo (issue 12).

Every bulk action of the portal follows one pattern, whoever runs it (a staff member in the admin, a
background job, a beat task):

1. **Preview.** A service computes what the action would do *without doing it* and returns it together
   with ``fingerprint(state)``: a SHA-256 over exactly the inputs the outcome depends on (ids, values,
   settings). The page shows the preview and carries the fingerprint in a hidden field.
2. **Confirm.** The confirming service recomputes the state under its locks and calls
   ``preview_check(expected=…, current=…)``: if anything changed since the preview it raises
   ``StalePreview`` and changes nothing; the page then shows the new preview to decide on again.
3. **Record.** In the same transaction as the change, ``bulk_record`` writes one ``BulkAction`` row: who
   (or which schedule) ran it, the inputs, what changed (before → after per object), a summary, a reason.
   This table is the one place staff read what every bulk action did (admin: "Staff action log").
4. **Undo.** Where undoing is possible, an undo service takes a reason, checks that the objects still hold
   the values the action wrote (else it refuses, naming them), restores them and records a ``BulkAction``
   whose ``undoes`` points at the original. Where it is not (mail already delivered, data destroyed by
   law), the preview says so before the confirmation.
"""

import hashlib
import json
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from django.apps import apps
from django.db import transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import DomainError


class StalePreview(DomainError):
    """The inputs changed between the preview and the confirmation: nothing was done."""

    def __init__(self, message=None):
        super().__init__(
            message or _("The data changed since the preview was shown; nothing was done. Check the new preview and confirm again."),
            code="stale",
        )


def _plain(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 80.00 → "80", 60.50 → "60.5" (never "8E+1")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    return str(value)


def fingerprint(state) -> str:
    """SHA-256 of ``state`` as canonical JSON (sorted keys; Decimals, dates, models and sets made plain)."""
    text = json.dumps(state, sort_keys=True, default=_plain, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def preview_check(*, expected: str, current) -> None:
    """Raise ``StalePreview`` unless ``fingerprint(current)`` equals the fingerprint the preview showed."""
    if not expected or fingerprint(current) != expected:
        raise StalePreview()


# Per process: the id of the job this task is running (a context variable, reset when it ends), never another's.
_running_job: ContextVar[int | None] = ContextVar("bulk_running_job", default=None)


@contextmanager
def running_job(job_id: int):
    """While a background job runs, every ``bulk_record`` notes its id (``inputs["job"]``), so the job's page finds
    exactly the entries it wrote, even when the same person runs two jobs at once."""
    token = _running_job.set(job_id)
    try:
        yield
    finally:
        _running_job.reset(token)


def bulk_record(
    *, kind: str, actor=None, scope: str = "", inputs: dict | None = None, changes: list[dict] | None = None,
    summary: str = "", reason: str = "", undoes=None, count: int | None = None,
):
    """Write the ``BulkAction`` row for an action that just changed data (call it inside that transaction).

    ``kind`` is a dotted code (``"affiliation.conditions_check"``); ``scope`` what it worked on (``"round:3"``);
    ``inputs`` the values it decided on (incl. the preview's fingerprint); ``changes`` one dict per changed object,
    e.g. ``{"object": "affiliation.affiliationapplication", "id": 7, "label": "20211234", "before": {...},
    "after": {...}}``; ``actor`` None means the schedule (beat) ran it.
    """
    from .models import BulkAction

    changes = changes or []
    inputs = dict(inputs or {})
    if _running_job.get() is not None:
        inputs.setdefault("job", _running_job.get())
    return BulkAction.objects.create(
        kind=kind, scope=scope[:100], actor=actor, actor_name=actor.get_username() if actor is not None else "",
        inputs=json.loads(json.dumps(inputs, default=_plain)), changes=json.loads(json.dumps(changes, default=_plain)),
        count=len(changes) if count is None else count, summary=str(summary), reason=str(reason), undoes=undoes,
    )


def change(obj, *, before: dict | None, after: dict | None, label: str = "") -> dict:
    """One entry of ``BulkAction.changes``: ``before`` None means the action created ``obj``; ``after`` None, deleted it.

    Values are stored plain (``fingerprint``'s rules), as the field's ``to_python`` reads them back on undo.
    """
    return {
        "object": obj._meta.label_lower, "id": obj.pk, "label": label or str(obj),
        "before": None if before is None else {k: _plain_json(v) for k, v in before.items()},
        "after": None if after is None else {k: _plain_json(v) for k, v in after.items()},
    }


def _plain_json(value):
    return value if value is None or isinstance(value, bool | int | float | str) else _plain(value)


def _current(obj, names) -> dict:
    return {name: _plain_json(getattr(obj, obj._meta.get_field(name).attname)) for name in names}


class UndoRefused(DomainError):
    """An object no longer holds what the action wrote (someone changed it since): nothing was undone."""


def bulk_undo(*, action, actor, reason: str, kind: str = "", summary: str = ""):
    """Undo the field changes ``action`` recorded: every object must still hold the ``after`` values (else
    ``UndoRefused`` names them and nothing changes); objects it created are deleted, changed ones get ``before``
    back. Records the undo as a new ``BulkAction`` (``undoes=action``) and returns it. One undo per action.

    Services with side effects beyond fields (mail, accounts) write their own undo and use this only for the fields.
    """
    from .models import BulkAction

    if not (reason or "").strip():
        raise DomainError(_("Give the reason for undoing this action."))
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().get(pk=action.pk)
        if action.undoes_id is not None:
            raise DomainError(_("This entry is itself an undo; it cannot be undone."))
        if BulkAction.objects.filter(undoes=action).exists():
            raise DomainError(_("This action was already undone."))
        planned, moved = [], []
        for entry in action.changes:
            model = apps.get_model(entry["object"])
            # order_by("pk"): a model's Meta ordering may join a nullable relation, which FOR UPDATE refuses on PostgreSQL.
            obj = model._default_manager.select_for_update().filter(pk=entry["id"]).order_by("pk").first()
            after, before = entry.get("after"), entry.get("before")
            if after is None:  # the action deleted it: cannot come back from here
                raise DomainError(_("This action deleted data; it cannot be undone here."))
            if obj is None or _current(obj, after) != after:
                moved.append(entry.get("label") or f"#{entry['id']}")
                continue
            planned.append((obj, before, after, entry))
        if moved:
            raise UndoRefused(
                gettext("Changed since this action, so nothing was undone: %(objects)s.") % {"objects": ", ".join(moved)}
            )
        undone = []
        for obj, before, after, entry in planned:
            if before is None:
                obj.delete()
                undone.append({**entry, "before": after, "after": None})
                continue
            for name, value in before.items():
                field = obj._meta.get_field(name)
                setattr(obj, field.attname, field.to_python(value) if value is not None else None)
            obj.save(update_fields=[obj._meta.get_field(name).name for name in before])
            undone.append({**entry, "before": after, "after": before})
        return bulk_record(
            kind=kind or action.kind, actor=actor, scope=action.scope, inputs={"undoes": action.pk}, changes=undone,
            summary=summary or gettext("Undone: %(summary)s") % {"summary": action.summary}, reason=reason.strip(),
            undoes=action,
        )


# --- Where each kind of action is undone -------------------------------------------------------------------------
# Apps register their undo pages in ``AppConfig.ready()`` (the kernel never imports an app): the staff action log
# then links "Undo…" on an entry of that kind that is not yet undone. The page takes the entry's id, shows what the
# undo would do now, and asks for a reason. Kinds without a page cannot be undone from the log (mail sent,
# data destroyed, or undone another way: a stage run by running it again, a cancelled pass by reinstating it).
# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
_UNDO_PAGES: dict[str, str] = {}


def undo_page_register(kind: str, url_name: str) -> None:
    """``url_name`` (e.g. ``"admin:affiliation_studentrecord_import_undo"``) takes the BulkAction id as its argument."""
    _UNDO_PAGES[kind] = url_name


def undo_page(action) -> str:
    """The URL of the page that undoes ``action``, or "" (no page for its kind, an undo itself, or already undone)."""
    from django.urls import reverse

    url_name = _UNDO_PAGES.get(action.kind)
    if not url_name or action.undoes_id is not None or action.undone_by.exists():
        return ""
    return reverse(url_name, args=[action.pk])
