"""Helpers shared by the affiliation services: the event trail and JSON-safe values."""

from datetime import date, datetime
from decimal import Decimal

from core.mail import mail_queue

from ..models import AffiliationApplication, ApplicationEvent


def plain(value):
    """A value as the event table stores it (JSON): decimals and dates as strings, models as their id."""
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def event_record(
    *, application: AffiliationApplication, from_status: str, actor=None, reason: str = "", changes: dict | None = None
) -> ApplicationEvent:
    """One audit row: who, when, from → to (the application's current status), why, before/after values."""
    return ApplicationEvent.objects.create(
        application=application, from_status=from_status, to_status=application.status,
        actor=actor if actor is not None and actor.is_authenticated else None, reason=reason,
        changes={k: [plain(old), plain(new)] for k, (old, new) in (changes or {}).items() if plain(old) != plain(new)},
    )


def mail_to(*, user, kind: str, params: dict) -> None:
    """Queue a mail in the student's language (inside the caller's transaction); no address, no mail."""
    if user.email:
        mail_queue(kind=kind, to=user.email, language=user.language, params=params)
