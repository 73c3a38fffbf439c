"""Home page (SPEC §2 terms and windows, §3.4 notices): every window of the current terms, what is open, a countdown."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone, translation

from academics.models import TermWindow
from academics.selectors import format_countdown, term_timeline

from ..factories import AffiliationRoundFactory, NoticeFactory, TermFactory, TermWindowFactory

SEOUL = ZoneInfo("Asia/Seoul")
Kind = TermWindow.Kind


def seoul(*args) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


@pytest.fixture
def spring(db):
    """2030 spring with the seed's schedule (registration Feb 19 09:00 – Feb 28 18:00, change Mar 2 – Mar 15)."""
    term = TermFactory(year=2030, season="spring")
    TermWindowFactory(term=term, kind=Kind.APPLICATION, starts_at=seoul(2030, 1, 2), ends_at=seoul(2030, 2, 15))
    TermWindowFactory(term=term, kind=Kind.COURSE_OPENING, starts_at=seoul(2030, 2, 1), ends_at=seoul(2030, 2, 15))
    TermWindowFactory(term=term, kind=Kind.REGISTRATION, starts_at=seoul(2030, 2, 19, 9), ends_at=seoul(2030, 2, 28, 18))
    TermWindowFactory(term=term, kind=Kind.CHANGE, starts_at=seoul(2030, 3, 2), ends_at=seoul(2030, 3, 16))
    return term


def _kinds(countdowns) -> list[str]:
    return [c.entry.kind for c in countdowns]


def test_it_lists_every_window_of_the_term_in_time_order(spring):
    timeline = term_timeline(at=seoul(2030, 1, 10))

    assert [s.term for s in timeline.terms] == [spring]
    assert [e.kind for e in timeline.terms[0].entries] == [
        Kind.APPLICATION, Kind.COURSE_OPENING, Kind.REGISTRATION, Kind.CHANGE,
    ]


def test_a_window_is_open_from_its_first_instant(spring):
    at = seoul(2030, 2, 19, 9)

    timeline = term_timeline(at=at)

    assert _kinds(timeline.open_now) == [Kind.REGISTRATION]
    assert timeline.countdown.target == seoul(2030, 2, 28, 18)
    assert timeline.countdown.opens is False
    assert timeline.countdown.seconds == int((seoul(2030, 2, 28, 18) - at).total_seconds())


def test_one_second_before_it_opens_the_countdown_targets_the_opening(spring):
    timeline = term_timeline(at=seoul(2030, 2, 19, 8, 59, 59))

    assert timeline.open_now == []
    assert timeline.countdown.entry.kind == Kind.REGISTRATION
    assert timeline.countdown.opens is True
    assert timeline.countdown.target == seoul(2030, 2, 19, 9)
    assert timeline.countdown.seconds == 1


def test_at_its_closing_instant_the_window_is_closed_and_the_countdown_moves_on(spring):
    just_before = term_timeline(at=seoul(2030, 2, 28, 17, 59, 59))
    at_close = term_timeline(at=seoul(2030, 2, 28, 18))

    assert _kinds(just_before.open_now) == [Kind.REGISTRATION]
    assert just_before.countdown.seconds == 1
    assert at_close.open_now == []
    assert at_close.countdown.entry.kind == Kind.CHANGE
    assert at_close.countdown.opens is True
    assert at_close.countdown.target == seoul(2030, 3, 2)
    states = dict((e.kind, state) for e, state in at_close.terms[0].rows)
    assert states == {Kind.APPLICATION: "past", Kind.COURSE_OPENING: "past", Kind.REGISTRATION: "past",
                      Kind.CHANGE: "upcoming"}


def test_with_several_windows_open_the_headline_is_the_one_closing_first(spring):
    timeline = term_timeline(at=seoul(2030, 2, 5))

    assert _kinds(timeline.open_now) == [Kind.APPLICATION, Kind.COURSE_OPENING]  # both close Feb 15: same instant
    assert timeline.countdown.target == seoul(2030, 2, 15)
    assert timeline.next_opening.entry.kind == Kind.REGISTRATION


def test_a_term_whose_windows_are_all_over_is_not_current(spring):
    later = TermFactory(year=2030, season="fall")
    TermWindowFactory(term=later, kind=Kind.APPLICATION, starts_at=seoul(2030, 7, 1), ends_at=seoul(2030, 8, 1))

    timeline = term_timeline(at=seoul(2030, 3, 16))

    assert [s.term for s in timeline.terms] == [later]
    assert timeline.countdown.entry.term == later


def test_overlapping_terms_are_all_shown_earliest_first(spring):
    winter = TermFactory(year=2029, season="winter")
    TermWindowFactory(term=winter, kind=Kind.REGISTRATION, starts_at=seoul(2029, 12, 1), ends_at=seoul(2030, 1, 20))

    timeline = term_timeline(at=seoul(2030, 1, 10))

    assert [s.term for s in timeline.terms] == [winter, spring]
    assert [(c.entry.term, c.entry.kind) for c in timeline.open_now] == [(winter, Kind.REGISTRATION), (spring, Kind.APPLICATION)]


def test_nothing_scheduled_means_no_countdown(db):
    timeline = term_timeline(at=seoul(2030, 1, 1))

    assert timeline.terms == [] and timeline.open_now == [] and timeline.countdown is None


def test_the_affiliation_round_is_part_of_its_fall_term(db):
    term = TermFactory(year=2030, season="fall")
    TermWindowFactory(term=term, kind=Kind.REGISTRATION, starts_at=seoul(2030, 8, 20, 9), ends_at=seoul(2030, 8, 30, 18))
    AffiliationRoundFactory(
        term=term, opens_at=seoul(2030, 9, 1, 9), closes_at=seoul(2030, 9, 15, 18),
        stage1_publish_at=seoul(2030, 9, 25, 10), interview_on=date(2030, 10, 2),
        final_publish_at=seoul(2030, 10, 10, 10), conditions_check_at=seoul(2031, 2, 28, 6),
    )

    timeline = term_timeline(at=seoul(2030, 9, 1, 9))

    entries = {e.kind: e for e in timeline.terms[0].entries}
    assert list(entries) == [
        Kind.REGISTRATION, "affiliation_application", "affiliation_stage1", "affiliation_interview",
        "affiliation_final", "affiliation_conditions",
    ]
    assert _kinds(timeline.open_now) == ["affiliation_application"]
    assert timeline.countdown.target == seoul(2030, 9, 15, 18)
    assert entries["affiliation_interview"].all_day
    assert (entries["affiliation_interview"].starts_at, entries["affiliation_interview"].ends_at) == (
        seoul(2030, 10, 2), seoul(2030, 10, 3))
    assert entries["affiliation_stage1"].ends_at is None  # a moment, not a window
    # Results are not windows: they are never "open" and never the countdown's target.
    assert term_timeline(at=seoul(2030, 9, 20)).countdown is None


def test_the_countdown_reads_as_days_and_a_clock():
    with translation.override("en"):
        assert format_countdown(59) == "00:00:59"
        assert format_countdown(86400 + 1) == "1 day 00:00:01"
        assert format_countdown(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == "3 days 04:05:06"
        assert format_countdown(-5) == "00:00:00"
    with translation.override("ko"):
        assert format_countdown(3 * 86400 + 4 * 3600 + 5 * 60 + 6) == "3일 04:05:06"


# --- The page -----------------------------------------------------------------------------------------------------

@pytest.fixture
def live_term(db):
    """A term with registration open now and a change window opening in two days."""
    now = timezone.now()
    term = TermFactory(year=2030, season="spring")
    TermWindowFactory(term=term, kind=Kind.APPLICATION, starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=10))
    TermWindowFactory(term=term, kind=Kind.REGISTRATION, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    TermWindowFactory(term=term, kind=Kind.CHANGE, starts_at=now + timedelta(days=5), ends_at=now + timedelta(days=9))
    return term


def _english_home() -> str:
    return Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()


def test_the_home_page_shows_the_timeline_with_states(live_term):
    page = _english_home()

    registration, change, application = (live_term.window(k) for k in (Kind.REGISTRATION, Kind.CHANGE, Kind.APPLICATION))
    assert f'data-entry="window-{registration.pk}" data-state="open"' in page
    assert f'data-entry="window-{change.pk}" data-state="upcoming"' in page
    assert f'data-entry="window-{application.pk}" data-state="past"' in page
    assert "Course registration" in page and "Course change and cancellation" in page


def test_the_home_page_counts_down_to_the_close_of_the_open_window(live_term):
    page = _english_home()

    now_box = page.split('id="now"', 1)[1].split("</section>", 1)[0]
    seconds = [int(s) for s in re.findall(r'data-countdown-seconds="(\d+)"', now_box)]
    assert len(seconds) == 2  # the open window's close and the next opening
    assert 3 * 86400 - 60 < seconds[0] <= 3 * 86400
    assert 5 * 86400 - 60 < seconds[1] <= 5 * 86400
    assert re.search(r">\s*(2 days 23:5\d:\d\d|3 days 00:00:00)\s*<", now_box)
    local_close = timezone.localtime(live_term.window(Kind.REGISTRATION).ends_at)
    assert f"Closes {local_close:%Y-%m-%d} ({local_close:%a}) {local_close:%H:%M}" in now_box
    assert 'src="/static/js/countdown.js"' in page


def test_the_home_page_says_when_nothing_is_open(db):
    page = _english_home()

    assert 'id="nothing-open"' in page
    assert "No term is scheduled at the moment." in page


def test_the_home_page_lists_the_latest_notices(db):
    now = timezone.now()
    for n in range(7):
        NoticeFactory(title_en=f"News {n}", published_at=now - timedelta(hours=n + 1))
    NoticeFactory(title_en="Unpublished", published_at=None)

    page = _english_home()

    box = page.split('id="latest-notices"', 1)[1]
    assert re.findall(r">(News \d)</a>", box) == [f"News {n}" for n in range(5)]
    assert "Unpublished" not in page
    assert 'href="/notices/"' in box


def test_the_home_page_keeps_the_quick_links(db):
    page = _english_home()

    links = page.split('class="card quick-links"', 1)[1].split("</div>\n    </div>", 1)[0]
    assert "Apply for a temporary student ID" in links and 'href="/credit-exchange/apply/"' in links
    assert "Check the application and verify for student ID" in links and 'href="/credit-exchange/apply/result/"' in links


def test_the_home_page_offers_the_calendar_feed(live_term):
    page = _english_home()

    assert 'href="webcal://testserver/calendar.ics"' in page
    assert f'href="/calendar/{live_term.year}-{live_term.season}.ics"' in page


def test_the_countdown_script_is_vendored():
    path = finders.find("js/countdown.js")

    assert path is not None
    source = open(path, encoding="utf-8").read()
    assert "data-countdown-seconds" in source and "setInterval" in source


def test_the_home_page_shows_every_term_with_an_open_or_upcoming_window(db, client):
    """Issue 11: the timeline used to keep only the first three terms."""
    at = seoul(2030, 1, 10)
    terms = [TermFactory(year=2030 + n // 4, season=("spring", "summer", "fall", "winter")[n % 4]) for n in range(5)]
    for n, term in enumerate(terms):
        opens = at + timedelta(days=-1 if n == 0 else 30 * n)
        TermWindowFactory(term=term, kind=Kind.APPLICATION, starts_at=opens, ends_at=opens + timedelta(days=10))
    past = TermFactory(year=2029, season="fall")
    TermWindowFactory(term=past, kind=Kind.APPLICATION, starts_at=seoul(2029, 6, 1), ends_at=seoul(2029, 7, 1))

    timeline = term_timeline(at=at)

    assert [s.term for s in timeline.terms] == terms
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/")
    assert all(str(term) in page.content.decode() for term in terms)  # their windows are after today too
