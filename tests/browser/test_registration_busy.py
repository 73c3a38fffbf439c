"""A busy portal (issue 14): the Register click answered 503 + Retry-After retries by itself, in the same page for
htmx and from the busy page for a plain form post. The first answer is the admission middleware's own 503
(``core.admission.busy_response``), handed to the browser by Playwright; the retry reaches the real server."""

from datetime import time, timedelta
from urllib.parse import urlparse

import pytest
from django.test import RequestFactory
from django.utils import timezone

from academics.models import TermWindow
from core.admission import busy_response
from creditexchange.models import CourseRegistration

from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, TimeSlotFactory, issued_student
from .conftest import log_in


def _unexpected(problems: list[str]) -> list[str]:
    """The browser logs the 503 it was given as a console error; anything else is a problem."""
    return [p for p in problems if "responded with a status of 503" not in p]


@pytest.fixture
def course(transactional_db):
    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))
    course = CourseOfferingFactory(term=term, code="CSE101", title_ko="자료구조", capacity=30)
    TimeSlotFactory(offering=course, weekday=2, starts_at=time(10), ends_at=time(11, 30))
    return course


def _busy_once(page, path: str, answered: list):
    """The first request to ``path`` gets the middleware's 503 (Retry-After: 1), every later one the server."""

    def handle(route):
        if answered:
            answered.append(route.request.method)
            return route.continue_()
        request = route.request
        factory = RequestFactory(HTTP_ACCEPT_LANGUAGE="ko")
        if request.headers.get("hx-request"):
            django_request = factory.post(path, HTTP_HX_REQUEST="true")
        else:
            django_request = factory.post(path, request.post_data or "", content_type="application/x-www-form-urlencoded")
        response = busy_response(django_request, 1)
        answered.append(response.status_code)
        route.fulfill(status=503, headers={"Retry-After": response["Retry-After"], "Content-Type": "text/html; charset=utf-8"},
                      body=response.content.decode())

    page.route(f"**{path}", handle)


@pytest.mark.browser
def test_a_registration_answered_busy_is_sent_again_by_the_page_itself(live_server, open_page, problems, course):
    from playwright.sync_api import expect

    student = issued_student(course.term)
    page = open_page("ko", ignore_status=(503,))
    log_in(page, live_server, student)
    page.goto(f"{live_server.url}/credit-exchange/courses/")
    row = page.locator(f"#offering-{course.pk}")
    path = f"/credit-exchange/courses/{course.pk}/register/"
    answered: list = []
    _busy_once(page, path, answered)

    page.evaluate("window.__sameDocument = true")
    row.get_by_role("button", name="수강신청").click()
    expect(row.locator(".busy-note")).to_contain_text("포털 접속이 많습니다")  # the server's words, in Korean
    expect(row.locator("[role=status]").last).to_contain_text("CSE101-01", timeout=10_000)  # no second click
    expect(row.locator(".seats-left")).to_have_text("29 / 30")

    assert answered == [503, "POST"]
    assert page.evaluate("window.__sameDocument") is True
    assert CourseRegistration.objects.filter(student=student, offering=course, status="registered").count() == 1
    assert _unexpected(problems) == []


@pytest.mark.browser
def test_a_plain_registration_post_answered_busy_is_sent_again_from_the_busy_page(live_server, open_page, problems, course):
    from playwright.sync_api import expect

    student = issued_student(course.term)
    page = open_page("ko", ignore_status=(503,))
    log_in(page, live_server, student)
    page.goto(f"{live_server.url}/credit-exchange/courses/")
    path = f"/credit-exchange/courses/{course.pk}/register/"
    # The same form without htmx (as with JavaScript off for htmx): a clone carries no htmx listener.
    page.evaluate(f"""() => {{
        const form = document.querySelector('#offering-{course.pk} form');
        const plain = form.cloneNode(true);
        plain.removeAttribute('hx-post');
        form.replaceWith(plain);
    }}""")
    answered: list = []
    _busy_once(page, path, answered)

    with page.expect_navigation():
        page.locator(f"#offering-{course.pk} button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("포털 접속이 많습니다")
    expect(page.locator("[data-busy-retry]")).to_contain_text("초 후 다시 시도합니다")
    page.wait_for_url(lambda url: urlparse(url).path == "/credit-exchange/courses/", timeout=10_000)
    expect(page.locator("main")).to_contain_text("CSE101-01")  # the success message after the redirect

    assert answered == [503, "POST"]
    assert CourseRegistration.objects.filter(student=student, offering=course, status="registered").count() == 1
    assert _unexpected(problems) == []
