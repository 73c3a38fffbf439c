"""The one rule for "is it open now" (issue 13): [opens, closes) on the server clock, in Python and in SQL alike."""

from datetime import UTC, datetime, timedelta

import pytest

from academics.models import TermWindow
from core import dates
from core.dates import WindowState
from tests.factories import TermFactory

OPENS = datetime(2027, 2, 19, 0, 0, tzinfo=UTC)  # 09:00 in Seoul
CLOSES = OPENS + timedelta(days=3)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(("at", "state"), [
    (OPENS - TICK, WindowState.UPCOMING),
    (OPENS, WindowState.OPEN),  # open on its first instant
    (CLOSES - TICK, WindowState.OPEN),
    (CLOSES, WindowState.CLOSED),  # closed on its closing instant
])
def test_a_window_is_half_open(at, state):
    assert dates.window_state(OPENS, CLOSES, at) == state
    assert dates.is_open(OPENS, CLOSES, at) is (state == WindowState.OPEN)


def test_a_window_without_an_opening_never_opened_and_one_without_a_close_stays_open():
    assert dates.window_state(None, CLOSES, OPENS) == WindowState.UPCOMING
    assert dates.window_state(OPENS, None, CLOSES + timedelta(days=999)) == WindowState.OPEN


def test_a_deadline_is_exclusive_like_a_closing_instant():
    assert dates.before(CLOSES, CLOSES - TICK)
    assert not dates.before(CLOSES, CLOSES)


@pytest.mark.django_db
@pytest.mark.parametrize("at", [OPENS - TICK, OPENS, CLOSES - TICK, CLOSES])
def test_the_query_form_agrees_with_the_python_form(at):
    window = TermWindow.objects.create(term=TermFactory(), kind=TermWindow.Kind.REGISTRATION, starts_at=OPENS, ends_at=CLOSES)
    found = TermWindow.objects.filter(dates.open_q(at), pk=window.pk).exists()
    assert found is window.is_open(at) is dates.is_open(OPENS, CLOSES, at)
