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
from decimal import Decimal

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
        return str(value.normalize()) if value == value.to_integral() else str(value)
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
    return BulkAction.objects.create(
        kind=kind, scope=scope[:100], actor=actor, actor_name=actor.get_username() if actor is not None else "",
        inputs=json.loads(json.dumps(inputs or {}, default=_plain)), changes=json.loads(json.dumps(changes, default=_plain)),
        count=len(changes) if count is None else count, summary=str(summary), reason=str(reason), undoes=undoes,
    )
