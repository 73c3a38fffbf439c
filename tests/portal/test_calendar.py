"""The iCalendar feed of the windows (RFC 5545), read back with the icalendar library as a calendar app would."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from academics.models import TermWindow

from ..factories import AffiliationRoundFactory, TermFactory, TermWindowFactory

SEOUL = ZoneInfo("Asia/Seoul")
Kind = TermWindow.Kind


@pytest.fixture
def term(db):
    now = timezone.now().replace(microsecond=0)
    term = TermFactory(year=2030, season="fall")
    TermWindowFactory(term=term, kind=Kind.APPLICATION, starts_at=now - timedelta(days=2), ends_at=now + timedelta(days=20))
    TermWindowFactory(term=term, kind=Kind.REGISTRATION, starts_at=now + timedelta(days=30, hours=9),
                      ends_at=now + timedelta(days=39, hours=18))
    AffiliationRoundFactory(
        term=term, opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=10),
        stage1_publish_at=now + timedelta(days=15), interview_on=date(2030, 10, 2),
        final_publish_at=now + timedelta(days=25), conditions_check_at=now + timedelta(days=120),
    )
    return term


def _events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_a_calendar_with_one_event_per_window_and_date(term):
    response = Client().get("/calendar.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and "UST Portal" in str(calendar["PRODID"])
    events = _events(response)
    round_id = term.affiliation_round.pk
    assert sorted(events) == sorted(
        [f"window-{w.pk}@127.0.0.1" for w in term.windows.all()]
        + [f"affiliation-round-{round_id}-{part}@127.0.0.1"
           for part in ("application", "stage1", "interview", "final", "conditions")]
    )


def test_each_window_event_spans_the_window_exactly(term):
    events = _events(Client().get("/calendar.ics"))

    for window in term.windows.all():
        event = events[f"window-{window.pk}@127.0.0.1"]
        assert event.decoded("DTSTART") == window.starts_at.astimezone(UTC)
        assert event.decoded("DTEND") == window.ends_at.astimezone(UTC)
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)


def test_summaries_are_in_korean_and_english(term):
    events = _events(Client().get("/calendar.ics"))

    registration = events[f"window-{term.window(Kind.REGISTRATION).pk}@127.0.0.1"]
    assert str(registration["SUMMARY"]) == "[2030 2학기] 수강신청 / [2030 Fall] Course registration"
    assert "(Asia/Seoul)" in str(registration["DESCRIPTION"])


def test_results_are_moments_and_the_interview_is_a_whole_day(term):
    events = _events(Client().get("/calendar.ics"))
    prefix = f"affiliation-round-{term.affiliation_round.pk}"

    stage1 = events[f"{prefix}-stage1@127.0.0.1"]
    assert stage1.decoded("DTSTART") == term.affiliation_round.stage1_publish_at
    assert "DTEND" not in stage1
    interview = events[f"{prefix}-interview@127.0.0.1"]
    assert interview.decoded("DTSTART") == date(2030, 10, 2)
    assert interview.decoded("DTEND") == date(2030, 10, 3)


def test_uids_stay_the_same_when_staff_move_a_window(term):
    window = term.window(Kind.REGISTRATION)
    before = _events(Client().get("/calendar.ics"))

    window.starts_at += timedelta(days=1)
    window.save()
    after = _events(Client().get("/calendar.ics"))

    assert sorted(before) == sorted(after)
    uid = f"window-{window.pk}@127.0.0.1"
    assert after[uid].decoded("DTSTART") == before[uid].decoded("DTSTART") + timedelta(days=1)


def test_the_feed_keeps_a_year_of_history_and_drops_older_terms(term):
    now = timezone.now()
    recent = TermFactory(year=2029, season="fall")
    TermWindowFactory(term=recent, kind=Kind.APPLICATION, starts_at=now - timedelta(days=200), ends_at=now - timedelta(days=180))
    old = TermFactory(year=2020, season="spring")
    TermWindowFactory(term=old, kind=Kind.APPLICATION, starts_at=now - timedelta(days=800), ends_at=now - timedelta(days=790))

    events = _events(Client().get("/calendar.ics"))

    assert f"window-{recent.window(Kind.APPLICATION).pk}@127.0.0.1" in events
    assert f"window-{old.window(Kind.APPLICATION).pk}@127.0.0.1" not in events


def test_a_term_has_its_own_feed(term):
    other = TermFactory(year=2031, season="spring")
    TermWindowFactory(term=other, kind=Kind.APPLICATION)

    response = Client().get("/calendar/2030-fall.ics")

    calendar = Calendar.from_ical(response.content)
    assert "2030 2학기 / 2030 Fall" in str(calendar["X-WR-CALNAME"])
    assert len(calendar.walk("VEVENT")) == 2 + 5
    assert Client().get("/calendar/2031-spring.ics").status_code == 200
    assert Client().get("/calendar/2040-spring.ics").status_code == 404


def test_an_empty_feed_is_still_a_valid_calendar(db):
    calendar = Calendar.from_ical(Client().get("/calendar.ics").content)

    assert calendar.walk("VEVENT") == []


def test_the_uid_host_follows_the_portal_address(term, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.ac.kr"

    events = _events(Client().get("/calendar.ics"))

    assert all(uid.endswith("@portal.example.ac.kr") for uid in events)


def test_a_seoul_midnight_window_is_written_as_the_previous_utc_evening(db):
    term = TermFactory(year=2030, season="spring")
    window = TermWindowFactory(term=term, kind=Kind.CHANGE, starts_at=datetime(2030, 3, 2, tzinfo=SEOUL),
                               ends_at=datetime(2030, 3, 16, tzinfo=SEOUL))

    body = Client().get("/calendar/2030-spring.ics").content.decode().replace("\r\n ", "")

    assert "DTSTART:20300301T150000Z" in body
    assert "DTEND:20300315T150000Z" in body
    assert f"UID:window-{window.pk}@127.0.0.1" in body
