"""Layout at 390 px (a phone), Korean and English: no page scrolls sideways, and no table cell of the course
catalogue, the home schedule or the admin's staff-desk module is squeezed below about 4em (one syllable per
line); the staff dashboard's charts keep a legible size. Screenshots of every page: `make screens` (docs/screens.md).
"""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from academics.models import TermWindow
from tests.browser.conftest import axe_check, log_in
from tests.factories import (
    CourseOfferingFactory,
    NoticeFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    UserFactory,
    issued_student,
)

pytestmark = pytest.mark.browser

PHONE_WIDTH = 390
MIN_CELL_EM = 4
LANGUAGES = ["ko", "en"]

# Cells of the tables that used to collapse; a cell with three characters or fewer ("3") or only a badge may be narrow.
NARROW_CELLS_JS = """(minEm) => {
  const em = parseFloat(getComputedStyle(document.documentElement).fontSize);
  const cells = document.querySelectorAll(
    '#catalogue tbody td, table.timeline-stack td, #staff-desk-module th, #staff-desk-module td');
  const narrow = [];
  for (const cell of cells) {
    const text = cell.innerText.trim();
    const box = cell.getBoundingClientRect();
    const badge = cell.querySelector('.badge');
    if (badge && badge.innerText.trim() === text) continue;  // a one-word state badge, kept on one line
    if (box.width > 0 && text.length > 3 && box.width < minEm * em) narrow.push(`${Math.round(box.width)}px: ${text.slice(0, 30)}`);
  }
  return narrow;
}"""
# What sticks out of the page on the right (to say *what* makes it scroll sideways).
WIDE_JS = """(limit) => Array.from(document.querySelectorAll('body *'))
  .filter(el => el.getBoundingClientRect().right > limit + 1 && !el.closest('.table-responsive, .overflow-auto'))
  .slice(0, 5).map(el => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`)"""


@pytest.fixture
def portal_data(db):
    """An open registration window with long Korean and English titles, a schedule, a notice, a student, an admin."""
    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1),
                      ends_at=now + timedelta(days=5))
    TermWindowFactory(term=term, kind=TermWindow.Kind.APPLICATION, starts_at=now - timedelta(days=30),
                      ends_at=now - timedelta(days=10))
    for code, ko, en in [
        ("CSE2020", "데이터베이스시스템설계및구현", "Design and Implementation of Database Systems"),
        ("EE2080", "전자기학", "Electromagnetics"),
    ]:
        course = CourseOfferingFactory(term=term, code=code, title_ko=ko, title_en=en, capacity=30)
        TimeSlotFactory(offering=course, weekday=2, starts_at=time(10), ends_at=time(11, 30))
    NoticeFactory(title_ko="2027학년도 1학기 학점교류 수강신청 일정 안내", title_en="Registration dates for spring 2027")
    student = issued_student(term)
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    return {"student": student, "admin": admin}




def _check(page, url: str, shot, name: str) -> None:
    response = page.goto(url)
    assert response is not None and response.ok, (url, response and response.status)
    page.wait_for_load_state("load")
    shot(page, name)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, (url, width, page.evaluate(WIDE_JS, PHONE_WIDTH))
    assert page.evaluate(NARROW_CELLS_JS, MIN_CELL_EM) == [], url
    axe_check(page, context=f"{name} at {PHONE_WIDTH} px")


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_fits_the_public_pages_on_a_phone(live_server, open_page, problems, shot, portal_data, language):
    page = open_page(language=language, phone=True)
    for name, path in [("home", "/"), ("courses", "/credit-exchange/courses/"), ("notices", "/notices/")]:
        _check(page, f"{live_server.url}{path}", shot, f"layout-{name}-{language}-390")
        if name == "home":
            assert page.locator("table.timeline-stack tbody tr").count() >= 2  # the schedule was there to measure
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_fits_the_students_catalogue_with_its_buttons_on_a_phone(
    live_server, open_page, problems, shot, portal_data, language
):
    page = open_page(language=language, phone=True)
    log_in(page, live_server, portal_data["student"])
    _check(page, f"{live_server.url}/credit-exchange/courses/", shot, f"layout-courses-student-{language}-390")
    button = page.locator("#catalogue button[type=submit]").first
    box = button.bounding_box()
    assert box is not None and box["width"] >= 48 and box["height"] <= 48  # a readable one-line button
    title = page.locator("#catalogue td .cell").first.bounding_box()
    assert title is not None and title["width"] >= 150
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_it_fits_the_admin_index_and_the_staff_dashboard_on_a_phone(
    live_server, open_page, problems, shot, portal_data, language, settings
):
    settings.OTP_REQUIRED_FOR_STAFF = False  # the second factor has its own tests
    page = open_page(language=language, phone=True)
    log_in(page, live_server, portal_data["admin"])
    _check(page, f"{live_server.url}/admin/", shot, f"layout-admin-{language}-390")
    assert page.locator("#staff-desk-module th").count() >= 1
    _check(page, f"{live_server.url}/staff/", shot, f"layout-staff-{language}-390")
    charts = page.locator(".chart-box svg")
    assert charts.count() >= 1
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None and box["width"] >= 600, box  # 720-unit drawing at >= 10px text, scrolls in its box
    assert problems == []
