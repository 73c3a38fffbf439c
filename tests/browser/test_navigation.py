"""In a real browser: each role's menu (exchange student, home student, staff, visitor) in Korean and English fits one
line at 1280 px, and at 390 px the collapsed menu opens and shows the same items; the home student's checklist verdict."""

import pytest

from tests.affiliation.conftest import history
from tests.browser.conftest import log_in

from ..factories import AffiliationRoundFactory, StudentRecordFactory, TemporaryStudentIdFactory, UserFactory

LANGUAGES = ["ko", "en"]
ONE_LINE_PX = 70  # the navbar's height with every item on one line is about 56 px
ITEMS = {
    "visitor": ["#nav-courses", "#nav-affiliation", "#nav-notices"],
    "exchange": ["#nav-courses", "#nav-registrations", "#nav-basket", "#nav-notices"],
    "home": ["#nav-affiliation", "#nav-notices"],
    "staff": ["#nav-courses", "#nav-notices", "#nav-admin", "#nav-staffdesk"],
}
ABSENT = {
    "visitor": ["#nav-registrations", "#nav-basket", "#nav-admin"],
    "exchange": ["#nav-affiliation", "#nav-admin"],
    "home": ["#nav-registrations", "#nav-basket", "#nav-admin"],
    "staff": ["#nav-registrations", "#nav-basket", "#nav-affiliation"],
}


def _user(role: str):
    if role == "exchange":
        return TemporaryStudentIdFactory(student_id="T202600001").user
    if role == "home":
        record = StudentRecordFactory(student_number="21011234", user__username="21011234")
        history(record, "EEEE")
        return record.user
    if role == "staff":
        return UserFactory(username="registrar", is_staff=True, kind="staff")
    return None


def _log_in(page, live_server, user) -> None:
    if user is not None:
        log_in(page, live_server, user)


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ITEMS))
def test_it_fits_each_roles_menu_on_one_line_at_1280_px(open_page, live_server, problems, shot, role, language):
    from playwright.sync_api import expect

    AffiliationRoundFactory()
    page = open_page(language=language)
    _log_in(page, live_server, _user(role))
    page.goto(f"{live_server.url}/")
    for selector in ITEMS[role]:
        expect(page.locator(selector)).to_be_visible()
    for selector in ABSENT[role]:
        expect(page.locator(selector)).to_have_count(0)
    box = page.locator("nav.navbar").bounding_box()
    shot(page, f"nav-{role}-{language}-1280")
    assert box is not None and box["height"] < ONE_LINE_PX, (role, language, box)
    assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", list(ITEMS))
def test_it_opens_the_collapsed_menu_on_a_phone_with_the_same_items(open_page, live_server, problems, shot, role,
                                                                    language):
    from playwright.sync_api import expect

    AffiliationRoundFactory()
    page = open_page(language=language, phone=True)
    _log_in(page, live_server, _user(role))
    page.goto(f"{live_server.url}/")
    expect(page.locator(ITEMS[role][0])).to_be_hidden()
    page.locator(".navbar-toggler").click()
    for selector in ITEMS[role]:
        expect(page.locator(selector)).to_be_visible()
    for selector in ABSENT[role]:
        expect(page.locator(selector)).to_have_count(0)
    shot(page, f"nav-{role}-{language}-390")
    assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_it_shows_the_home_student_the_checklist_verdict_first(open_page, live_server, problems, shot, language):
    from playwright.sync_api import expect

    AffiliationRoundFactory()
    page = open_page(language=language, phone=True)
    _log_in(page, live_server, _user("home"))
    page.goto(f"{live_server.url}/")
    page.locator(".navbar-toggler").click()
    with page.expect_navigation():
        page.locator("#nav-affiliation").click()
    verdict = page.locator("#eligibility-verdict")
    expect(verdict).to_be_visible()
    expect(verdict).to_have_attribute("data-may-apply", "true")
    expect(verdict).to_contain_text("지원할 수 있습니다" if language == "ko" else "You may apply")
    expect(page.locator("#apply-link")).to_be_visible()
    assert verdict.bounding_box()["y"] < page.locator("#eligibility-checklist").bounding_box()["y"]
    shot(page, f"affiliation-verdict-{language}-390")
    assert problems == []
