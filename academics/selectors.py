from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import Institution, Term


def terms_with_open_window(*, kind: str, at: datetime | None = None) -> QuerySet[Term]:
    at = at or timezone.now()
    return Term.objects.filter(windows__kind=kind, windows__starts_at__lte=at, windows__ends_at__gt=at).distinct()


def active_partners() -> QuerySet[Institution]:
    return Institution.objects.filter(kind=Institution.Kind.PARTNER, agreement_active=True).order_by("name_ko")


def partners() -> QuerySet[Institution]:
    return Institution.objects.filter(kind=Institution.Kind.PARTNER).order_by("name_ko")
