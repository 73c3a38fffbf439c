"""The portal's one way of writing a date or a moment: pages, mails, exports and messages all call this.

Every moment is shown in Asia/Seoul (the rules' clock, SPEC §1), whatever time zone the process or the
reader has, in the active language's ``DATE_FORMAT`` / ``DATETIME_FORMAT`` from ``ustportal/formats`` —
``2026-12-02 07:43`` in both languages (see those modules for why). Templates use the ``when`` and ``day``
filters of ``{% load portal %}``; Python code calls :func:`when` and :func:`day`. Machine formats keep their
own standard (iCalendar's ``DTSTART``, ISO strings stored in a job's parameters) and are not for reading.
"""

from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format, time_format

from .language import ENGLISH, KOREAN, page_language

SEOUL = ZoneInfo("Asia/Seoul")


def seoul(at: datetime) -> datetime:
    """The same moment on the Seoul clock (a naive value is taken as already in Seoul)."""
    if timezone.is_naive(at):
        return at.replace(tzinfo=SEOUL)
    return at.astimezone(SEOUL)


def seoul_day(value: date | datetime) -> date:
    """The Seoul day of a moment; a date is its own day."""
    return seoul(value).date() if isinstance(value, datetime) else value


def today() -> date:
    """The Seoul day it is now."""
    return seoul_day(timezone.now())


def moment(value: date, at: time = time.min) -> datetime:
    """The instant a Seoul clock shows ``at`` (midnight by default) on the day ``value``."""
    return seoul(datetime.combine(value, at))


WEEKDAYS = {KOREAN: "월화수목금토일", ENGLISH: ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def _weekday(value: date) -> str:
    names = WEEKDAYS[page_language()]
    return f" ({names[value.weekday()]})"


def when(at: datetime | None, *, seconds: bool = False, weekday: bool = False) -> str:
    """``2026-12-02 07:43``; ``… 07:43:05`` with seconds (audit logs); ``2026-12-02 (수) 07:43`` with the weekday
    (schedules); ``""`` for no moment."""
    if at is None:
        return ""
    local = seoul(at)
    if weekday:
        return day(local, weekday=True) + " " + date_format(local, "TIME_FORMAT")
    text = date_format(local, "DATETIME_FORMAT")
    return text + local.strftime(":%S") if seconds else text


def day(value: date | datetime | None, *, weekday: bool = False) -> str:
    """``2026-12-02`` (``2026-12-02 (수)`` with the weekday): a date, or the Seoul day of a moment; ``""`` for none."""
    if value is None:
        return ""
    value = seoul_day(value)
    return date_format(value, "DATE_FORMAT") + (_weekday(value) if weekday else "")


MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def prose_day(value: date | datetime, language: str | None = None) -> str:
    """``3월 2일(화)`` / ``Tue 2 Mar``: a Seoul day as a registrar writes it in running text (the demo notices' bodies),
    in ``language`` (default the page's)."""
    value, language = seoul_day(value), language or page_language()
    weekday = WEEKDAYS[language][value.weekday()]
    if language == KOREAN:
        return f"{value.month}월 {value.day}일({weekday})"
    return f"{weekday} {value.day} {MONTHS_EN[value.month - 1]}"


def clock(value: time) -> str:
    """``09:00``: a time of day (a course's time slot), in the active language's ``TIME_FORMAT``."""
    return time_format(value, "TIME_FORMAT")


# --- Windows: the one rule for "is it open now" ---------------------------------------------------------------------
#
# A window (registration, change, an application round, a list's answer period) is the half-open interval
# [opens, closes): open on its first instant, closed on its closing instant, compared with the server clock
# (SPEC §2). Python code asks :func:`window_state` / :func:`is_open`; a query asks :func:`open_q`, the same rule
# in SQL. ``closes`` may be None for something that opens and never closes.


class WindowState(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


def window_state(opens: datetime | None, closes: datetime | None, at: datetime | None = None) -> str:
    """:class:`WindowState` of [opens, closes) at ``at`` (default now). No opening instant: never opened (upcoming)."""
    at = at or timezone.now()
    if opens is None or at < opens:
        return WindowState.UPCOMING
    if closes is None or before(closes, at):
        return WindowState.OPEN
    return WindowState.CLOSED


def is_open(opens: datetime | None, closes: datetime | None, at: datetime | None = None) -> bool:
    """``opens <= at < closes`` (default now): the window is open."""
    return window_state(opens, closes, at) == WindowState.OPEN


def before(deadline: datetime, at: datetime | None = None) -> bool:
    """``at < deadline`` (default now): a deadline is exclusive, like a window's closing instant."""
    return (at or timezone.now()) < deadline


def open_q(at: datetime | None = None, *, opens: str = "starts_at", closes: str = "ends_at") -> Q:
    """The rule of :func:`is_open` as a filter: rows whose ``opens``/``closes`` fields hold ``at`` (default now)."""
    at = at or timezone.now()
    return Q(**{f"{opens}__lte": at, f"{closes}__gt": at})
