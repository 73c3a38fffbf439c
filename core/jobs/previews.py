"""What the job page shows of an import preview and of the staff action log (issue 12).

A dry run's report carries up to 500 ``core.bulk.change`` entries (``report["changes"]``) and their total
(``report["changes_total"]``); the page lists the first ``SHOWN`` as a table, one line per changed field, the
object's label on its first line and created objects marked, then "and N more". The whole list is what the
real import records in its ``BulkAction`` (the staff action log), which the page links once the job wrote one.
"""


from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core import dates
from core.models import BulkAction

from ..models import StaffJob

SHOWN = 100


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


class _Shown:
    """Values as a person reads them: names for related rows (looked up once each), yes/no, Seoul times."""

    # A name a service writes for a reverse relation (the offerings import's ``time_slots``) → the relation's name.
    RELATIONS = {"time_slots": "slots"}

    def __init__(self) -> None:
        self.related: dict[tuple, str] = {}

    def field(self, model, name: str):
        if model is None:
            return None
        for candidate in (name, self.RELATIONS.get(name)):
            try:
                return model._meta.get_field(candidate) if candidate else None
            except FieldDoesNotExist:
                continue
        return None

    def name(self, model, name: str) -> str:
        model_field = self.field(model, name)
        # A reverse relation (e.g. an offering's time slots) has no verbose_name: the related model's plural names it.
        if model_field is not None and getattr(model_field, "verbose_name", None) is None and model_field.related_model:
            return str(model_field.related_model._meta.verbose_name_plural)
        return str(model_field.verbose_name) if model_field is not None else name

    def value(self, model, name: str, value) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        model_field = self.field(model, name)
        if isinstance(model_field, models.ForeignKey):
            key = (model_field.related_model._meta.label_lower, value)
            if key not in self.related:
                row = model_field.related_model._base_manager.filter(pk=value).first()
                self.related[key] = str(row) if row is not None else f"#{value}"
            return self.related[key]
        if isinstance(model_field, models.DateTimeField) and isinstance(value, str) and parse_datetime(value):
            return dates.when(parse_datetime(value))
        return str(value)


def preview_rows(report: dict, *, limit: int = SHOWN) -> list[dict]:
    """The first ``limit`` changes: ``{"label", "kind", "created", "fields": [(name, before, after)]}``."""
    shown, rows = _Shown(), []
    for entry in (report.get("changes") or [])[:limit]:
        model = _model(entry.get("object", ""))
        before, after = entry.get("before"), entry.get("after") or {}
        names = list(after) or list(before or {})
        rows.append({
            "label": entry.get("label") or f"#{entry.get('id')}",
            "kind": str(model._meta.verbose_name) if model is not None else entry.get("object", ""),
            "created": before is None,
            "deleted": entry.get("after") is None,
            "fields": [
                (shown.name(model, name), shown.value(model, name, (before or {}).get(name)),
                 shown.value(model, name, after.get(name))) for name in names
            ],
        })
    return rows


def more_changes(report: dict, *, limit: int = SHOWN) -> int:
    total = report.get("changes_total", len(report.get("changes") or []))
    return max(0, total - min(limit, len(report.get("changes") or [])))


def bulk_actions_for(job: StaffJob) -> list[BulkAction]:
    """The staff-action-log entries the job wrote: by its starter, while it ran, of its kind (``<app>.<kind>``)."""
    if job.started_at is None or job.status != StaffJob.Status.DONE or job.params.get("dry_run"):
        return []
    ids = job.report.get("bulk_action_ids") or ([job.report["bulk_action_id"]] if job.report.get("bulk_action_id") else [])
    if ids:
        return list(BulkAction.objects.filter(pk__in=ids))
    return list(BulkAction.objects.filter(inputs__job=job.pk).order_by("at", "pk"))  # noted by core.bulk.running_job
