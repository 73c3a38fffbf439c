"""Register and drop in a real browser: the row updates in place (htmx), My registrations shows the result."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from academics.models import TermWindow
from creditexchange.models import CourseRegistration

from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, TimeSlotFactory, issued_student
from ..test_browser_journey import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _in, _new_page, _require_chromium, _submit

PASSWORD = "correct-horse-battery"  # UserFactory's


@pytest.mark.browser
def test_a_student_registers_sees_a_full_course_and_drops_without_reloading(live_server, monkeypatch):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    # Registration is over and the change window is open: add and drop are both allowed.
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=2))
    TermWindowFactory(term=term, kind=TermWindow.Kind.CHANGE, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5))
    student = issued_student(term)
    course = CourseOfferingFactory(term=term, code="CSE101", title_ko="자료구조", capacity=30)
    TimeSlotFactory(offering=course, weekday=2, starts_at=time(10), ends_at=time(11, 30))
    full = CourseOfferingFactory(term=term, code="MAT201", title_ko="선형대수", capacity=1)
    full.seats_taken = 1
    full.save()
    problems: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context, page = _new_page(browser, problems)
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", student.username)
            page.fill("#id_password", PASSWORD)
            _submit(page, "main form")
            page.goto(f"{live_server.url}/credit-exchange/courses/")
            row, full_row = page.locator(f"#offering-{course.pk}"), page.locator(f"#offering-{full.pk}")
            expect(full_row).to_contain_text(_in("ko", "Full"))
            expect(row.locator(".seats-left")).to_have_text("30 / 30")

            page.evaluate("window.__sameDocument = true")  # survives only if the page is not reloaded
            row.get_by_role("button", name=_in("ko", "Register")).click()
            expect(row.locator("[role=status]")).to_contain_text("CSE101-01")
            expect(row.locator(".seats-left")).to_have_text("29 / 30")
            expect(row.get_by_role("button", name=_in("ko", "Drop"))).to_be_visible()
            assert page.evaluate("window.__sameDocument") is True
            assert CourseRegistration.objects.filter(student=student, status="registered").count() == 1

            page.goto(f"{live_server.url}/credit-exchange/registrations/")
            expect(page.locator("main")).to_contain_text("자료구조")
            expect(page.locator("#total-credits")).to_contain_text("3")

            page.goto(f"{live_server.url}/credit-exchange/courses/")
            page.evaluate("window.__sameDocument = true")
            row.get_by_role("button", name=_in("ko", "Drop")).click()
            expect(row.get_by_role("button", name=_in("ko", "Register"))).to_be_visible()
            expect(row.locator(".seats-left")).to_have_text("30 / 30")
            assert page.evaluate("window.__sameDocument") is True
            assert not CourseRegistration.objects.filter(student=student, status="registered").exists()
            context.close()
        finally:
            browser.close()
    assert problems == []
