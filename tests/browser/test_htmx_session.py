"""In a real browser: Register and Drop (htmx) after the session ended lead the whole page to the login page,
and signing in comes back to the catalogue (issue 11) — never a login form inside a table row."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from academics.models import TermWindow
from creditexchange.models import CourseRegistration

from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, issued_student
from .conftest import submit

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
CASES = [("ko", False, "logout"), ("en", False, "deleted"), ("ko", True, "logout"), ("en", True, "deleted")]
IDS = ["ko-logout", "en-deleted", "ko-phone-logout", "en-phone-deleted"]
WORDS = {"ko": {"register": "수강신청", "drop": "수강취소"}, "en": {"register": "Register", "drop": "Drop"}}


@pytest.fixture
def offering(db):
    term = TermFactory(year=2027, season="spring")
    now = timezone.now()
    for kind in (TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE):
        TermWindowFactory(term=term, kind=kind, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    return CourseOfferingFactory(term=term, code="CSE101", title_en="Data Structures", title_ko="자료구조", capacity=30)


def _sign_in(page) -> None:
    page.fill("#id_username", page.context.username)
    page.fill("#id_password", PASSWORD)
    submit(page, "main form button[type=submit]")


def _end_session(page, how: str) -> None:
    if how == "deleted":
        Session.objects.all().delete()
        return
    other = page.context.new_page()  # "another tab" of the same browser
    other.goto(page.url)
    with other.expect_navigation():
        other.locator("form[action$='/accounts/logout/']").first.evaluate("form => form.requestSubmit()")
    other.close()


def _assert_on_login_coming_back(page, live_server) -> None:
    page.wait_for_url("**/accounts/login/**")
    url = urlsplit(page.url)
    assert parse_qs(url.query)["next"] == ["/credit-exchange/courses/?q=CSE"]
    assert page.locator("#id_username").count() == 1
    assert page.locator("tr #id_username").count() == 0  # the login form is the page, not a row


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone", "how"), CASES, ids=IDS)
def test_register_and_drop_after_the_session_ended_go_to_the_login_page_and_back(
    open_page, live_server, problems, shot, offering, language, phone, how
):
    from playwright.sync_api import expect

    student = issued_student(offering.term)
    words = WORDS[language]
    page = open_page(language=language, phone=phone)
    page.context.username = student.username
    catalogue = f"{live_server.url}/credit-exchange/courses/?q=CSE"
    page.goto(f"{live_server.url}/accounts/login/?next=/credit-exchange/courses/%3Fq%3DCSE")
    _sign_in(page)
    assert page.url == catalogue
    row = page.locator(f"#offering-{offering.pk}")

    _end_session(page, how)
    row.get_by_role("button", name=words["register"]).click()
    _assert_on_login_coming_back(page, live_server)
    shot(page, f"htmx-session-login-{language}{'-phone' if phone else ''}")
    assert not CourseRegistration.objects.exists()

    _sign_in(page)
    assert page.url == catalogue
    row.get_by_role("button", name=words["register"]).click()
    expect(row.get_by_role("button", name=words["drop"])).to_be_visible()
    registration = CourseRegistration.objects.get(student=student, offering=offering)
    assert registration.status == CourseRegistration.Status.REGISTERED
    shot(page, f"htmx-session-registered-{language}{'-phone' if phone else ''}")

    _end_session(page, how)
    row.get_by_role("button", name=words["drop"]).click()
    _assert_on_login_coming_back(page, live_server)
    registration.refresh_from_db()
    assert registration.status == CourseRegistration.Status.REGISTERED

    _sign_in(page)
    assert page.url == catalogue
    row.get_by_role("button", name=words["drop"]).click()
    expect(row.get_by_role("button", name=words["register"])).to_be_visible()
    registration.refresh_from_db()
    assert registration.status == CourseRegistration.Status.DROPPED
    assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", True), ("en", False)], ids=["ko-phone", "en"])
def test_before_the_change_window_the_row_says_when_drop_opens(open_page, live_server, problems, shot, offering, language, phone):
    from playwright.sync_api import expect

    now = timezone.now()
    TermWindow.objects.filter(term=offering.term, kind=TermWindow.Kind.CHANGE).update(
        starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=17)
    )
    student = issued_student(offering.term)
    page = open_page(language=language, phone=phone)
    page.context.username = student.username
    page.goto(f"{live_server.url}/accounts/login/?next=/credit-exchange/courses/")
    _sign_in(page)
    row = page.locator(f"#offering-{offering.pk}")

    row.get_by_role("button", name=WORDS[language]["register"]).click()

    expect(row.locator(".drop-when")).to_contain_text("부터 가능합니다" if language == "ko" else "Drop opens")
    assert row.get_by_role("button", name=WORDS[language]["drop"]).count() == 0
    assert CourseRegistration.objects.filter(student=student, status=CourseRegistration.Status.REGISTERED).count() == 1
    shot(page, f"drop-opens-{language}{'-phone' if phone else ''}")
    assert problems == []
