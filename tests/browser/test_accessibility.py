"""WCAG 2.2 AA with axe-core: the main public pages and the signed-in student's pages, in Korean and English,
on a desktop and at 390 px (a phone), have no serious or critical axe violation (contrast, names, labels,
landmarks...). axe-core comes from node_modules/ (package-lock.json, `make install`), never from the network.

Also the skip link: the first thing a keyboard reaches, visible when focused, and it moves focus to the content.
"""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from academics.models import TermWindow
from tests.browser.conftest import axe_failures, log_in
from tests.factories import (
    CourseOfferingFactory,
    CourseRegistrationFactory,
    NoticeFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    issued_student,
)

pytestmark = pytest.mark.browser

VARIANTS = [("ko", False), ("en", False), ("ko", True), ("en", True)]
VARIANT_IDS = ["ko-desktop", "en-desktop", "ko-phone", "en-phone"]
PUBLIC_PAGES = [
    ("home", "/"),
    ("apply", "/credit-exchange/apply/"),
    ("result", "/credit-exchange/apply/result/"),
    ("courses", "/credit-exchange/courses/"),
    ("notices", "/notices/"),
    ("login", "/accounts/login/"),
    ("password", "/accounts/password/"),
]


def _visit(page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, (url, response and response.status)
    page.wait_for_load_state("load")




@pytest.fixture
def registration_term(db):
    """Registration open, two courses: the student will hold one, the other shows its register button."""
    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1),
                      ends_at=now + timedelta(days=5))
    for code, ko, en, weekday in [("CSE101", "자료구조", "Data Structures", 2), ("MAT201", "선형대수", "Linear Algebra", 4)]:
        course = CourseOfferingFactory(term=term, code=code, title_ko=ko, title_en=en, capacity=30)
        TimeSlotFactory(offering=course, weekday=weekday, starts_at=time(10), ends_at=time(11, 30))
    return term


@pytest.fixture
def notices(db):
    """A pinned notice (its row is tinted) and an ordinary one, so both kinds of row are checked."""
    pinned = NoticeFactory(pinned=True, title_ko="고정 공지", title_en="Pinned notice",
                           body_ko="## 일정\n\n| 항목 | 일시 |\n|--|--|\n| 신청 | 12월 1일 |\n\n> 주의",
                           body_en="## Dates\n\n| Item | When |\n|--|--|\n| Apply | 1 Dec |\n\n> Note")
    NoticeFactory()
    return pinned


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=VARIANT_IDS)
def test_it_finds_no_serious_violation_on_the_public_pages(live_server, open_page, problems, shot, language, phone,
                                                           open_term, notices):
    page = open_page(language=language, phone=phone)
    failures = []
    for name, path in [*PUBLIC_PAGES, ("notice", notices.get_absolute_url())]:
        _visit(page, live_server.url + path)
        failures.append(axe_failures(page, context=name))
        if phone:
            width = page.evaluate("() => document.documentElement.scrollWidth")
            failures.append(f"{name}: the page is {width} px wide at 390 px" if width > 390 else "")
        if name in ("home", "notices"):
            shot(page, f"a11y-{name}-{language}-{'phone' if phone else 'desktop'}")
    failures = [f for f in failures if f]
    assert failures == [], "\n\n".join(failures)
    assert problems == []


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=VARIANT_IDS)
def test_it_finds_no_serious_violation_on_the_student_pages(live_server, open_page, problems, shot, language, phone,
                                                            registration_term):
    student = issued_student(registration_term)
    CourseRegistrationFactory(student=student, offering=registration_term.offerings.get(code="CSE101"))
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, student)
    failures = []
    for name, path in [("profile", "/accounts/profile/"), ("registrations", "/credit-exchange/registrations/"),
                       ("courses", "/credit-exchange/courses/"), ("home", "/")]:
        _visit(page, live_server.url + path)
        failures.append(axe_failures(page, context=f"{name} (signed in)"))
        if phone:  # reflow (WCAG 1.4.10): wide tables scroll inside their box, the page itself never sideways
            width = page.evaluate("() => document.documentElement.scrollWidth")
            failures.append(f"{name}: the page is {width} px wide at 390 px" if width > 390 else "")
        if name in ("courses", "home"):
            shot(page, f"a11y-student-{name}-{language}-{'phone' if phone else 'desktop'}")
    failures = [f for f in failures if f]
    assert failures == [], "\n\n".join(failures)
    assert problems == []


@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", True)], ids=["ko-desktop", "en-phone"])
def test_it_offers_a_skip_link_as_the_first_stop_of_the_keyboard(live_server, open_page, problems, shot, language,
                                                                 phone):
    page = open_page(language=language, phone=phone)
    _visit(page, live_server.url + "/notices/")
    skip = page.locator("a.skip-link")
    hidden = skip.bounding_box()
    assert hidden["y"] + hidden["height"] <= 0  # out of sight until focused

    page.keyboard.press("Tab")

    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent.trim()]")
    assert "skip-link" in focused[0]
    assert focused[1] == ("본문 바로가기" if language == "ko" else "Skip to main content")
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["width"] > 40 and box["height"] > 20  # shown on focus
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline not in ("", "none")
    shot(page, f"a11y-skip-link-{language}-{'phone' if phone else 'desktop'}")

    page.keyboard.press("Enter")

    assert page.evaluate("() => document.activeElement.id") == "main-content"
    assert problems == []
