"""The basket (희망과목 담기) and the waitlist in chromium (issue 14): Korean and English, at 1280 px and on a 390 px
phone, the real pages submitted and the database checked after each.

a) While courses open, a student fills the basket from the catalogue (two courses clash), sees the panel with the
   clash and the credit total, removes one on the basket page.
b) Registration open: "Register my basket" → one result per course (registered / full / clash / limit).
c) A full course: join its waitlist, the position shows in the row and on My registrations; leave it.
d) Offer mode: a release offers the freed seat → My registrations shows the deadline → claim it.
e) axe-core on the basket page and on My registrations with a waitlist (run in b, c and d).

Elements are found by id, class and data attributes, never by their English text, so the tests hold in both
languages whatever the Korean catalogue says.
"""

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone

from academics.models import Term, TermWindow
from core import dates
from creditexchange import services
from creditexchange.models import BasketItem, CourseOffering, CourseRegistration, WaitlistEntry
from creditexchange.services import waitlist as waitlist_service
from tests.browser.conftest import PHONE, axe_check, log_in, submit
from tests.factories import (
    CourseOfferingFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    UserFactory,
    issued_student,
)

pytestmark = pytest.mark.browser

Kind = TermWindow.Kind
Wait = WaitlistEntry.Status
CATALOGUE = "/credit-exchange/courses/"
MINE = "/credit-exchange/registrations/"
BASKET = "/credit-exchange/basket/"
# What sticks out on the right of a phone's screen (outside a scrolling box), to say what makes a page scroll sideways.
WIDE_JS = """(limit) => Array.from(document.querySelectorAll('body *'))
  .filter(el => el.getBoundingClientRect().right > limit + 1 && !el.closest('.table-responsive, .overflow-auto'))
  .slice(0, 5).map(el => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`)"""


def _fits(page, phone: bool, what: str) -> None:
    """On a phone nothing scrolls sideways."""
    if not phone:
        return
    width = PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, (
        f"{what} scrolls sideways: {page.evaluate(WIDE_JS, width)}"
    )


def _reachable(page, locator) -> None:
    """The button is on the page, scrolled to, not cut off on either side and not covered by anything."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    width = page.viewport_size["width"]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, f"a button is cut off: {box}"
    top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('button, a')?.outerHTML ?? ''",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert top == locator.evaluate("el => el.closest('button, a').outerHTML"), f"something covers the button: {top[:80]}"


def _course(term, code: str, title_ko: str, title_en: str, *, weekday: int, start: int, credits: int = 3,
            capacity: int = 30) -> CourseOffering:
    offering = CourseOfferingFactory(
        term=term, code=code, title_ko=title_ko, title_en=title_en, credits=credits, capacity=capacity,
        instructor="김교수", location="공학관 401",
    )
    TimeSlotFactory(offering=offering, weekday=weekday, starts_at=time(start), ends_at=time(start + 1, 30))
    return offering


def _term(*, registration_open: bool, mode: str = Term.WaitlistMode.AUTO) -> Term:
    """A term whose course-opening window is open now (the basket fills), or whose registration is open now."""
    now = timezone.now()
    term = TermFactory(year=2027, season="spring", credit_limit=12, waitlist_mode=mode)
    opening, registration = ((-10, -3), (-1, 4)) if registration_open else ((-3, 2), (2, 5))
    for kind, (start, end) in ((Kind.COURSE_OPENING, opening), (Kind.REGISTRATION, registration), (Kind.CHANGE, (6, 10))):
        TermWindowFactory(term=term, kind=kind, starts_at=now + timedelta(days=start), ends_at=now + timedelta(days=end))
    return term


def _taken(offering: CourseOffering, *, by) -> None:
    """``by`` registers for the offering through the service (registration must be open)."""
    services.registration_submit(student=by, offering_id=offering.pk)


def _row_button(page, offering, action: str):
    return page.locator(f"#offering-{offering.pk} form[action$='{action}'] button[type=submit]")


phones = pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
languages = pytest.mark.parametrize("language", ["ko", "en"])


@phones
@languages
def test_a_student_fills_the_basket_from_the_catalogue_and_removes_a_course(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    term = _term(registration_open=False)
    student = issued_student(term)
    data = _course(term, "CSE2010", "자료구조", "Data Structures", weekday=0, start=9)
    algebra = _course(term, "MAT2030", "선형대수학및응용", "Linear Algebra and Its Applications", weekday=0, start=10)
    physics = _course(term, "PHY1500", "일반물리학", "General Physics", weekday=3, start=13, credits=2)
    width = "phone" if phone else "desktop"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, student)

    page.goto(f"{live_server.url}{CATALOGUE}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#basket .basket-line")).to_have_count(0)
    for number, course in enumerate((data, algebra, physics), start=1):
        button = _row_button(page, course, f"/basket/{course.pk}/add/")
        _reachable(page, button)
        submit(page, f"#offering-{course.pk} form[action$='/basket/{course.pk}/add/'] button[type=submit]")
        expect(page.locator("main .alert-success[role=alert]")).to_contain_text(course.code)
        expect(page.locator("#basket .basket-line")).to_have_count(number)
        expect(page.locator(f"#offering-{course.pk} .in-basket")).to_be_visible()
        assert BasketItem.objects.filter(student=student).count() == number
    # Registration is not open yet: no row offers a Register button that could only be refused.
    expect(page.locator("#catalogue form[action$='/register/']")).to_have_count(0)

    panel = page.locator("#basket")
    expect(panel.locator(f".basket-line[data-offering='{data.pk}'] .basket-clash")).to_contain_text("MAT2030")
    expect(panel.locator(f".basket-line[data-offering='{algebra.pk}'] .basket-clash")).to_contain_text("CSE2010")
    expect(panel.locator(f".basket-line[data-offering='{physics.pk}'] .basket-clash")).to_have_count(0)
    expect(panel.locator(".basket-credits")).to_have_text(re.compile(r"\b8\b.*\b12\b|\b12\b.*\b8\b"))
    _fits(page, phone, "the catalogue with a basket")
    axe_check(page, context="catalogue with a basket")
    shot(page, f"basket-{language}-{width}-catalogue")

    # The basket page: the same three, then one removed.
    page.locator("#basket a[href^='/credit-exchange/basket/']").click()
    expect(page).to_have_url(f"{live_server.url}{BASKET}?term={term.pk}")
    expect(page.locator("#basket-table .basket-line")).to_have_count(3)
    expect(page.locator("#basket-credits")).to_have_text(re.compile(r"\b8\b.*\b12\b|\b12\b.*\b8\b"))
    expect(page.locator("#register-basket")).to_have_count(0)  # registration is not open yet
    _fits(page, phone, "the basket page")
    axe_check(page, context="basket page")
    shot(page, f"basket-{language}-{width}-basket")
    remove = f"#basket-table .basket-line[data-offering='{algebra.pk}'] form[action$='/remove/'] button"
    _reachable(page, page.locator(remove))
    submit(page, remove)
    expect(page).to_have_url(f"{live_server.url}{BASKET}?term={term.pk}")
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("MAT2030")
    expect(page.locator("#basket-table .basket-line")).to_have_count(2)
    expect(page.locator("#basket-table .basket-clash")).to_have_count(0)
    expect(page.locator("#basket-credits")).to_have_text(re.compile(r"\b5\b.*\b12\b|\b12\b.*\b5\b"))
    assert set(BasketItem.objects.filter(student=student).values_list("offering_id", flat=True)) == {data.pk, physics.pk}
    assert not CourseRegistration.objects.exists()  # the basket reserves nothing
    assert problems == [], "\n".join(problems)


@phones
@languages
def test_registration_opens_and_one_click_registers_the_basket_with_a_result_per_course(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    term = _term(registration_open=True)
    term.credit_limit = 8
    term.save()
    student, rival = issued_student(term), issued_student(term)
    data = _course(term, "CSE2010", "자료구조", "Data Structures", weekday=0, start=9)
    full = _course(term, "CSE3050", "운영체제", "Operating Systems", weekday=1, start=9, capacity=1)
    _taken(full, by=rival)
    clash = _course(term, "MAT2030", "선형대수학및응용", "Linear Algebra and Its Applications", weekday=0, start=10)
    physics = _course(term, "PHY1500", "일반물리학", "General Physics", weekday=3, start=13, credits=3)
    art = _course(term, "ART1010", "미술의이해", "Understanding Art", weekday=4, start=15, credits=3)  # 3 + 3 + 3 > 8
    for course in (data, full, clash, physics, art):  # filled while courses were opening
        BasketItem.objects.create(student=student, offering=course, term=term)
    width = "phone" if phone else "desktop"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, student)

    # From the menu (behind the toggler on a phone) to the basket; the button is in sight without scrolling.
    page.goto(f"{live_server.url}/")
    if phone:
        page.locator(".navbar-toggler").click()
    with page.expect_navigation():
        page.locator("#nav-basket").click()
    expect(page.locator("#basket-table .basket-line")).to_have_count(5)
    expect(page.locator("#register-basket")).to_be_in_viewport()
    _reachable(page, page.locator("#register-basket"))
    axe_check(page, context="basket before registering")
    submit(page, "#register-basket")

    results = page.locator("#basket-results .basket-result")
    expect(results).to_have_count(5)
    outcomes = [results.nth(n).get_attribute("data-outcome") for n in range(5)]
    assert outcomes == ["registered", "full", "clash", "registered", "limit"]
    for n, course in enumerate((data, full, clash, physics, art)):
        expect(results.nth(n)).to_contain_text(course.code)
    _fits(page, phone, "the basket's results")
    axe_check(page, context="basket results")
    shot(page, f"basket-{language}-{width}-results")
    mine = CourseRegistration.objects.filter(student=student, status=CourseRegistration.Status.REGISTERED)
    assert sorted(mine.values_list("offering__code", flat=True)) == ["CSE2010", "PHY1500"]
    assert CourseOffering.objects.get(pk=full.pk).seats_taken == 1
    assert CourseRegistration.objects.filter(offering=full, status="registered").get().student == rival

    # The full course's result offers its waitlist in one click; the page comes back to the basket.
    join = f"#basket-results .basket-result[data-outcome='full'] form[action$='/courses/{full.pk}/waitlist/'] button"
    _reachable(page, page.locator(join))
    submit(page, join)
    expect(page).to_have_url(f"{live_server.url}{BASKET}?term={term.pk}")
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("CSE3050")
    entry = WaitlistEntry.objects.get(student=student)
    assert (entry.offering_id, entry.status, entry.sequence) == (full.pk, Wait.WAITING, 1)

    # My registrations shows the two, and the basket marks them registered.
    page.goto(f"{live_server.url}{MINE}")
    expect(page.locator("#my-registrations tbody tr")).to_have_count(2)
    expect(page.locator("#total-credits")).to_contain_text("6")
    expect(page.locator(f"#basket .basket-line[data-offering='{data.pk}'] .badge")).to_be_visible()
    shot(page, f"basket-{language}-{width}-registrations")
    _fits(page, phone, "My registrations after the basket")
    assert problems == [], "\n".join(problems)


@phones
@languages
def test_a_student_joins_the_waitlist_of_a_full_course_sees_the_position_and_leaves(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    term = _term(registration_open=True)
    student, rival, first = issued_student(term), issued_student(term), issued_student(term)
    full = _course(term, "CSE3050", "운영체제", "Operating Systems", weekday=1, start=9, capacity=1)
    _taken(full, by=rival)
    waitlist_service.waitlist_join(student=first, offering_id=full.pk)  # someone already waits: we are second
    width = "phone" if phone else "desktop"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, student)

    page.goto(f"{live_server.url}{CATALOGUE}")
    join = _row_button(page, full, f"/courses/{full.pk}/waitlist/")
    _reachable(page, join)
    submit(page, f"#offering-{full.pk} form[action$='/courses/{full.pk}/waitlist/'] button[type=submit]")
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("CSE3050")
    row = page.locator(f"#offering-{full.pk}")
    expect(row.locator(".waitlist-position")).to_contain_text("2")
    expect(row.locator(".waitlist-count")).to_contain_text("2")
    _reachable(page, row.locator("form[action$='/leave/'] button"))
    entry = WaitlistEntry.objects.get(student=student)
    assert (entry.status, entry.sequence, entry.offering_id) == (Wait.WAITING, 2, full.pk)
    assert CourseOffering.objects.get(pk=full.pk).waiting == 2
    _fits(page, phone, "the catalogue with a waitlist")
    shot(page, f"waitlist-{language}-{width}-catalogue")

    page.goto(f"{live_server.url}{MINE}")
    item = page.locator(f"#waitlists .waitlist-entry[data-offering='{full.pk}']")
    expect(item.locator(".waitlist-position")).to_contain_text("2")
    release = waitlist_service.next_release(term=term)
    expect(item).to_contain_text(dates.when(release))
    _fits(page, phone, "My registrations with a waitlist")
    axe_check(page, context="my registrations with a waitlist")
    shot(page, f"waitlist-{language}-{width}-registrations")

    leave = f"#waitlists .waitlist-entry[data-offering='{full.pk}'] form[action$='/waitlist/{entry.pk}/leave/'] button"
    _reachable(page, page.locator(leave))
    submit(page, leave)
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("CSE3050")
    expect(page.locator("#waitlists")).to_have_count(0)
    entry.refresh_from_db()
    assert entry.status == Wait.LEFT
    assert CourseOffering.objects.get(pk=full.pk).waiting == 1
    assert problems == [], "\n".join(problems)


@phones
@languages
def test_in_offer_mode_a_released_seat_is_claimed_before_its_deadline(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    term = _term(registration_open=True, mode=Term.WaitlistMode.OFFER)
    student, rival = issued_student(term), issued_student(term)
    full = _course(term, "CSE3050", "운영체제", "Operating Systems", weekday=1, start=9, capacity=1)
    _taken(full, by=rival)
    entry = waitlist_service.waitlist_join(student=student, offering_id=full.pk)
    # The rival's seat frees (staff drop it: the change window is later), and the next release offers it.
    registration = CourseRegistration.objects.get(student=rival, offering=full)
    services.registration_drop(student=rival, registration_id=registration.pk, actor=UserFactory(is_staff=True), reason="test")
    waitlist_service.waitlist_release(term=term, scheduled_for=timezone.now())
    entry.refresh_from_db()
    assert entry.status == Wait.OFFERED
    width = "phone" if phone else "desktop"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, student)

    # The catalogue row points to My registrations, which shows the deadline and the claim button.
    page.goto(f"{live_server.url}{CATALOGUE}")
    page.locator(f"#offering-{full.pk} a[href^='{MINE}']").click()
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}{MINE}")))
    item = page.locator(f"#waitlists .waitlist-entry[data-offering='{full.pk}']")
    expect(item).to_contain_text(dates.when(entry.claim_until))
    claim = f"#waitlists form[action$='/waitlist/{entry.pk}/claim/'] button"
    _reachable(page, page.locator(claim))
    _fits(page, phone, "My registrations with an offered seat")
    axe_check(page, context="my registrations with an offered seat")
    shot(page, f"waitlist-{language}-{width}-offered")

    submit(page, claim)
    expect(page.locator("main .alert-success[role=alert]")).to_contain_text("CSE3050")
    expect(page.locator("#waitlists")).to_have_count(0)
    expect(page.locator("#my-registrations tbody tr")).to_have_count(1)
    entry.refresh_from_db()
    assert entry.status == Wait.REGISTERED
    assert entry.registration.student == student and entry.registration.status == "registered"
    offering = CourseOffering.objects.get(pk=full.pk)
    assert (offering.seats_taken, offering.waiting) == (1, 0)
    _fits(page, phone, "My registrations after the claim")
    shot(page, f"waitlist-{language}-{width}-claimed")
    assert problems == [], "\n".join(problems)
