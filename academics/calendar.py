"""The schedule as an iCalendar feed (RFC 5545) that calendar apps subscribe to.

Decisions: times are written in UTC (``…Z``), which every calendar app reads without a VTIMEZONE
block, and shown by the app in the reader's zone; X-WR-TIMEZONE names Asia/Seoul as a display hint,
and each description repeats the times in Asia/Seoul. A window is one VEVENT with DTSTART and DTEND
(exclusive, like the window); a result publication is a VEVENT with DTSTART only (a moment); the
interview day is an all-day event. UIDs are built from the row ids, not the dates, so an app updates an
event when staff move a window instead of adding a second one. Summaries carry Korean and English.
"""

from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from icalendar import Calendar, Event

from core import dates

from .models import Term
from .selectors import TimelineEntry

PRODID = "-//UST Portal//Academic calendar//KO"


def _in(language: str, entry_or_term) -> str:
    with translation.override(language):
        if isinstance(entry_or_term, Term):
            return str(entry_or_term)
        return entry_or_term.label


def _description(entry: TimelineEntry) -> str:
    if entry.all_day:
        day = dates.day(entry.starts_at)
        return f"{day} (Asia/Seoul)"
    if entry.ends_at is None:
        return f"{dates.when(entry.starts_at)} (Asia/Seoul)"
    return (
        f"신청·처리 기간 / Window: {dates.when(entry.starts_at)} – {dates.when(entry.ends_at)} (Asia/Seoul)\n"
        "마감 시각부터는 닫힙니다. / Closed from the closing time on."
    )


def build_calendar(entries: list[TimelineEntry], *, term: Term | None = None) -> bytes:
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or "ustportal.invalid"
    stamp = timezone.now()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    name = "UST 포털 학사일정 / UST Portal academic calendar"
    if term is not None:
        name += f" · {_in('ko', term)} / {_in('en', term)}"
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", settings.TIME_ZONE)
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry.uid}@{host}")
        event.add("dtstamp", stamp)
        event.add("summary", f"[{_in('ko', entry.term)}] {_in('ko', entry)} / [{_in('en', entry.term)}] {_in('en', entry)}")
        if entry.all_day:
            event.add("dtstart", dates.seoul_day(entry.starts_at))
            event.add("dtend", dates.seoul_day(entry.ends_at))
        else:
            event.add("dtstart", entry.starts_at.astimezone(UTC))
            if entry.ends_at is not None:
                event.add("dtend", entry.ends_at.astimezone(UTC))
        event.add("description", _description(entry))
        event.add("url", settings.PORTAL_BASE_URL + "/")
        event.add("transp", "TRANSPARENT")  # a window does not make anyone busy
        calendar.add_component(event)
    return calendar.to_ical()
