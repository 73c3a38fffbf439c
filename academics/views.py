from datetime import timedelta

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from . import selectors
from .calendar import build_calendar
from .models import Term

# The subscription feed keeps a year of past items, so last term's dates stay in the reader's calendar.
FEED_HISTORY_DAYS = 365


def _ics(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def calendar_feed(request):
    """Every window and change-of-affiliation date of current and recent terms, for calendar subscriptions."""
    entries = selectors.calendar_entries(since=timezone.now() - timedelta(days=FEED_HISTORY_DAYS))
    return _ics(build_calendar(entries), "ust-portal.ics")


@require_safe
def term_calendar(request, year: int, season: str):
    # A season outside the choices (a NUL byte among them: PostgreSQL refuses it) matches no term.
    term = Term.objects.filter(year=year, season=season).first() if season in Term.Season.values else None
    if term is None:
        raise Http404
    return _ics(build_calendar(selectors.calendar_entries(term=term), term=term), f"ust-portal-{year}-{season}.ics")
