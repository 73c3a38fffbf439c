"""What the demo notices share: the portal's own words for its menus and buttons, and dates written as prose."""

from datetime import datetime, timedelta

from django.utils import translation
from django.utils.translation import gettext

from core import dates
from core.dates import prose_day
from core.language import ENGLISH, KOREAN

CONTACT = "registrar@portal.invalid"


# The menu items, links and buttons the guides send students to, in the words the pages really use: a guide
# that names a menu item that does not exist sends students looking for nothing (tests/notices check them).
UI_LABELS = {
    "quick_links": "Quick links", "apply": "Apply for a temporary student ID",
    "lookup": "Check the application and verify for student ID", "courses": "Courses",
    "my_registrations": "My registrations", "profile": "My profile", "affiliation": "Change of affiliation",
    "resend": "Re-send confirmation mail",
}


def ui_labels(language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(gettext(msgid)) for key, msgid in UI_LABELS.items()}


# The guides are prose: they write a day as a registrar would (core.dates.prose_day: "3월 2일(화)", "Tue 2 Mar"),
# in each body's language whatever the active one (each guide has a Korean and an English body).


def clock(at: datetime) -> str:
    return dates.clock(dates.seoul(at).time())


def _is_midnight(at: datetime) -> bool:
    return clock(at) == "00:00"


def span_ko(start: datetime, end: datetime) -> str:
    """A window [start, end) as people read it: a window that ends at midnight ends on the day before."""
    if _is_midnight(start) and _is_midnight(end):
        return f"{prose_day(start, KOREAN)} ~ {prose_day(end - timedelta(days=1), KOREAN)}"
    return f"{prose_day(start, KOREAN)} {clock(start)} ~ {prose_day(end, KOREAN)} {clock(end)}"


def span_en(start: datetime, end: datetime) -> str:
    if _is_midnight(start) and _is_midnight(end):
        return f"{prose_day(start, ENGLISH)} – {prose_day(end - timedelta(days=1), ENGLISH)}"
    return f"{prose_day(start, ENGLISH)}, {clock(start)} – {prose_day(end, ENGLISH)}, {clock(end)}"
