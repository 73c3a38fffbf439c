"""What the retention job will destroy, shown ahead to the privacy officer (issue 12: the purge's preview).

The purge itself needs no confirmation (``ustportal.retention``: PIPA art. 21, destruction without delay); this
preview is how a person sees it coming. It runs the purge as a dry run — the same code, rolled back, so the
figures are exactly what the run would destroy — once for now (the next nightly run) and once for
``PREVIEW_DAYS`` ahead, and lists per kind of data the rows and the oldest and newest of them (by the date the
row was made). No personal data is shown, only counts and dates.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.db.models import Max, Min
from django.utils import timezone

from .retention import DestructionReport, personal_data_destroy_expired

PREVIEW_DAYS = 30
DATE_FIELDS = ("created_at", "submitted_at", "at", "sent_at", "attempt_time", "date_joined", "first_issued_at",
               "opened_at", "updated_at")


@dataclass
class Line:
    label: str
    name: str
    rows: int
    oldest: datetime | None = None
    newest: datetime | None = None


@dataclass
class Horizon:
    at: datetime
    cutoff: datetime
    lines: list[Line] = field(default_factory=list)
    files: int = 0
    blocked: list[str] = field(default_factory=list)
    skipped: bool = False

    @property
    def total(self) -> int:
        return sum(line.rows for line in self.lines)


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _span(model, ids: list) -> tuple[datetime | None, datetime | None]:
    names = {f.name for f in model._meta.concrete_fields}
    date_field = next((name for name in DATE_FIELDS if name in names), None)
    if date_field is None or not ids:
        return None, None
    span = model._base_manager.filter(pk__in=ids).aggregate(oldest=Min(date_field), newest=Max(date_field))
    return span["oldest"], span["newest"]


def _horizon(report: DestructionReport, at: datetime) -> Horizon:
    horizon = Horizon(at=at, cutoff=report.cutoff, files=len(report.files), blocked=report.blocked, skipped=report.skipped)
    for label, rows in sorted(report.destroyed.items()):
        if not rows:
            continue
        model = _model(label)
        name = str(model._meta.verbose_name_plural) if model is not None else label
        oldest, newest = _span(model, report.ids.get(label, [])) if model is not None else (None, None)
        horizon.lines.append(Line(label=label, name=name, rows=rows, oldest=oldest, newest=newest))
    return horizon


def retention_preview(*, at: datetime | None = None, days: int = PREVIEW_DAYS) -> list[Horizon]:
    """What the next run destroys, then what is due within ``days`` (that one includes the first)."""
    now = at or timezone.now()
    horizons = []
    for when in (now, now + timedelta(days=days)):
        horizons.append(_horizon(personal_data_destroy_expired(at=when, dry_run=True), when))
    return horizons
