from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core import dates
from core.cache import cache_get, cache_set
from core.dates import WindowState, open_q, window_state

from .models import WINDOWS_CACHE_SECONDS, Institution, Term, TermWindow, term_windows_cache_key


def terms_with_open_window(*, kind: str, at: datetime | None = None) -> QuerySet[Term]:
    return Term.objects.filter(
        open_q(at, opens="windows__starts_at", closes="windows__ends_at"), windows__kind=kind
    ).distinct()


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


# --- The term timeline (home page, iCal feed) -------------------------------------------------------------------

AFFILIATION_APPLICATION = "affiliation_application"
AFFILIATION_STAGE1 = "affiliation_stage1"
AFFILIATION_INTERVIEW = "affiliation_interview"
AFFILIATION_FINAL = "affiliation_final"
AFFILIATION_CONDITIONS = "affiliation_conditions"
AFFILIATION_LABELS = {
    AFFILIATION_APPLICATION: _("Change of affiliation: applications"),
    AFFILIATION_STAGE1: _("Change of affiliation: stage-1 results"),
    AFFILIATION_INTERVIEW: _("Change of affiliation: interviews"),
    AFFILIATION_FINAL: _("Change of affiliation: final results"),
    AFFILIATION_CONDITIONS: _("Change of affiliation: check of credits and liberal arts after the pass"),
}


class EntryState(StrEnum):
    """Where a timeline entry stands: a window's :class:`core.dates.WindowState`, with "past" for closed."""

    UPCOMING = WindowState.UPCOMING.value
    OPEN = WindowState.OPEN.value
    PAST = "past"  # a window that has closed, or a moment that has happened

    @property
    def is_open(self) -> bool:
        return self is EntryState.OPEN

    @property
    def is_past(self) -> bool:
        return self is EntryState.PAST

    @property
    def is_upcoming(self) -> bool:
        return self is EntryState.UPCOMING


@dataclass(frozen=True)
class TimelineEntry:
    """One dated item of a term: a half-open window [starts_at, ends_at), a moment (ends_at None) or a day."""

    uid: str  # stable across edits of the dates: the iCal UID and the page anchor
    term: Term
    kind: str  # a TermWindow.Kind value or one of the AFFILIATION_* names
    starts_at: datetime
    ends_at: datetime | None = None
    all_day: bool = False

    @property
    def label(self) -> str:
        if self.kind in AFFILIATION_LABELS:
            return str(AFFILIATION_LABELS[self.kind])
        return str(TermWindow.Kind(self.kind).label)

    @property
    def is_window(self) -> bool:
        """Something can be done during it (apply, register, change): it opens and closes."""
        return self.ends_at is not None and not self.all_day

    def state(self, at: datetime) -> EntryState:
        """Open, upcoming or past by the window rule of core.dates; a moment (no end) is past once it has happened."""
        state = window_state(self.starts_at, self.ends_at or self.starts_at, at)
        return EntryState.PAST if state == WindowState.CLOSED else EntryState(state)


@dataclass(frozen=True)
class Countdown:
    entry: TimelineEntry
    target: datetime
    opens: bool  # True: counting down to the opening; False: to the close
    seconds: int

    @property
    def remaining(self) -> str:
        return format_countdown(self.seconds)


@dataclass(frozen=True)
class TermSchedule:
    term: Term
    entries: list[TimelineEntry]
    at: datetime

    @property
    def rows(self) -> list[tuple[TimelineEntry, EntryState]]:
        """(entry, state) pairs for a template, which cannot pass ``at`` to a method."""
        return [(entry, entry.state(self.at)) for entry in self.entries]


@dataclass(frozen=True)
class Timeline:
    at: datetime
    terms: list[TermSchedule]
    open_now: list[Countdown]  # every open window, soonest close first
    next_opening: Countdown | None  # the window that opens next

    @property
    def countdown(self) -> Countdown | None:
        """The headline: the close of the open window that closes first, else the next opening."""
        return self.open_now[0] if self.open_now else self.next_opening


def format_countdown(seconds: int) -> str:
    """Remaining time as 3 days 04:05:06 (3일 04:05:06); static/js/countdown.js writes the same while it ticks."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    if not days:
        return clock
    unit = gettext("%(n)s day") if days == 1 else gettext("%(n)s days")
    return f"{unit % {'n': days}} {clock}"


def term_schedule(term: Term) -> list[TimelineEntry]:
    """Every dated item of ``term`` in time order: its windows and its change-of-affiliation round, if any.

    Expects ``windows`` prefetched and ``affiliation_round`` selected (see _schedule_terms).
    """
    entries = [
        TimelineEntry(uid=f"window-{w.pk}", term=term, kind=w.kind, starts_at=w.starts_at, ends_at=w.ends_at)
        for w in term.windows.all()
    ]
    round = getattr(term, "affiliation_round", None)  # the reverse one-to-one raises when absent; getattr catches it
    if round is not None:
        prefix = f"affiliation-round-{round.pk}"
        entries.append(TimelineEntry(uid=f"{prefix}-application", term=term, kind=AFFILIATION_APPLICATION,
                                     starts_at=round.opens_at, ends_at=round.closes_at))
        entries.append(TimelineEntry(uid=f"{prefix}-stage1", term=term, kind=AFFILIATION_STAGE1,
                                     starts_at=round.stage1_publish_at))
        if round.interview_on:
            start = dates.moment(round.interview_on)
            entries.append(TimelineEntry(uid=f"{prefix}-interview", term=term, kind=AFFILIATION_INTERVIEW,
                                         starts_at=start, ends_at=dates.moment(round.interview_on + timedelta(days=1)),
                                         all_day=True))
        entries.append(TimelineEntry(uid=f"{prefix}-final", term=term, kind=AFFILIATION_FINAL,
                                     starts_at=round.final_publish_at))
        entries.append(TimelineEntry(uid=f"{prefix}-conditions", term=term, kind=AFFILIATION_CONDITIONS,
                                     starts_at=round.conditions_check_at))
    return sorted(entries, key=lambda e: (e.starts_at, e.ends_at or e.starts_at, e.uid))


def _schedule_terms(condition: Q) -> list[Term]:
    return list(
        Term.objects.filter(condition).distinct()
        .select_related("affiliation_round").prefetch_related("windows")
    )


def _ends_after(at: datetime) -> Q:
    return (
        Q(windows__ends_at__gt=at) | Q(affiliation_round__closes_at__gt=at)
        | Q(affiliation_round__conditions_check_at__gt=at)
    )


def term_timeline(*, at: datetime | None = None) -> Timeline:
    """The current terms' timelines at ``at``: every term with an item not over yet, earliest first.

    Several terms can be current at once (a winter session registering while next spring takes
    applications), so the home page shows every one of them. Windows are half-open: at
    ``starts_at`` a window is open, at ``ends_at`` it is closed, and the countdown moves on to the next one.
    """
    at = at or timezone.now()
    schedules = []
    for term in _schedule_terms(_ends_after(at)):
        entries = term_schedule(term)
        if any(entry.state(at) != EntryState.PAST for entry in entries):
            schedules.append(TermSchedule(term=term, entries=entries, at=at))
    schedules.sort(key=lambda s: (s.entries[0].starts_at, s.term.pk))
    windows = [e for s in schedules for e in s.entries if e.is_window]
    open_now = sorted(
        (Countdown(entry=e, target=e.ends_at, opens=False, seconds=int((e.ends_at - at).total_seconds()))
         for e in windows if e.state(at) == EntryState.OPEN),
        key=lambda c: (c.target, c.entry.uid),
    )
    upcoming = sorted((e for e in windows if e.state(at) == EntryState.UPCOMING), key=lambda e: (e.starts_at, e.uid))
    next_opening = None
    if upcoming:
        first = upcoming[0]
        next_opening = Countdown(entry=first, target=first.starts_at, opens=True,
                                 seconds=int((first.starts_at - at).total_seconds()))
    return Timeline(at=at, terms=schedules, open_now=open_now, next_opening=next_opening)


def calendar_entries(*, term: Term | None = None, since: datetime | None = None) -> list[TimelineEntry]:
    """Items for the iCal feed: one term's, or those of every term with an item ending after ``since``."""
    if term is not None:
        terms = _schedule_terms(Q(pk=term.pk))
    else:
        terms = _schedule_terms(_ends_after(since or timezone.now()))
    return [entry for t in terms for entry in term_schedule(t)]
