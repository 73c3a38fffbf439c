from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from ustportal.cache import cache_get, cache_set

from .models import WINDOWS_CACHE_SECONDS, Institution, Term, TermWindow, term_windows_cache_key


def terms_with_open_window(*, kind: str, at: datetime | None = None) -> QuerySet[Term]:
    at = at or timezone.now()
    return Term.objects.filter(windows__kind=kind, windows__starts_at__lte=at, windows__ends_at__gt=at).distinct()


def active_partners() -> QuerySet[Institution]:
    return Institution.objects.filter(kind=Institution.Kind.PARTNER, agreement_active=True).order_by("name_ko")


def partners() -> QuerySet[Institution]:
    return Institution.objects.filter(kind=Institution.Kind.PARTNER).order_by("name_ko")


def term_windows(*, term_id: int) -> dict[str, TermWindow]:
    """The term's windows by kind, from the cache when possible (read on every registration click).

    Only the instants are cached, never "open or not": the caller still compares them with the
    server clock, so a window opens and closes on the second. A write to a window clears the entry
    (TermWindow.save/delete and its queryset); the short timeout bounds any race with a reader.
    """
    key = term_windows_cache_key(term_id)
    rows = cache_get(key)
    if rows is None:
        rows = list(TermWindow.objects.filter(term_id=term_id).values_list("pk", "kind", "starts_at", "ends_at"))
        cache_set(key, rows, WINDOWS_CACHE_SECONDS)
    return {
        kind: TermWindow(pk=pk, term_id=term_id, kind=kind, starts_at=starts_at, ends_at=ends_at)
        for pk, kind, starts_at, ends_at in rows
    }
