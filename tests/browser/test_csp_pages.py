"""Every main page under the real Content-Security-Policy in Debian's chromium: no violation in the console
(Chromium logs each refused inline script or style as a console error), no JS error, no HTTP error, and
the behaviour that moved from inline handlers to static/js/portal.js still works (language and term pickers,
print, progress bars, htmx registration).

Public pages are opened at 390 px (phones); staff pages on a desktop. Korean and English each.
"""

from datetime import time, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.utils import timezone

from academics.models import TermWindow
from core.models import StaffJob
from creditexchange.jobs import JobKind as CreditJobKind
from creditexchange.models import CourseRegistration
from tests.browser.conftest import log_in
from tests.factories import (
    CourseOfferingFactory,
    NoticeFactory,
    StaffJobFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    UserFactory,
    issued_student,
)

pytestmark = pytest.mark.browser

LANGUAGES = ["ko", "en"]
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
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe" not in policy, url
    page.wait_for_load_state("load")




@pytest.fixture
def registration_term(db):
    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1),
                      ends_at=now + timedelta(days=5))
    course = CourseOfferingFactory(term=term, code="CSE101", title_ko="자료구조", title_en="Data Structures", capacity=30)
    TimeSlotFactory(offering=course, weekday=2, starts_at=time(10), ends_at=time(11, 30))
    return term


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_on_a_phone_run_under_the_policy(live_server, open_page, problems, shot, language, open_term,
                                                      registration_term):
    body = "## 일정 / Dates\n\n| 항목 | 일시 |\n|:--|--:|\n| 신청 | 12월 1일 |\n\n> **주의** <span style=\"color:red\">x</span>\n"
    notice = NoticeFactory(body_ko=body, body_en=body)  # a table with alignment, a quote, a stray style attribute
    page = open_page(language=language, phone=True)

    for name, path in [*PUBLIC_PAGES, ("notice", notice.get_absolute_url())]:
        _visit(page, live_server.url + path)
        if name in ("home", "apply", "courses"):
            shot(page, f"csp-{name}-{language}-phone")

    # The language picker submits itself (data-autosubmit, formerly onchange="this.form.submit()").
    other = "en" if language == "ko" else "ko"
    _visit(page, live_server.url + "/notices/")
    if page.locator("#language-form select").is_hidden():
        page.locator(".navbar-toggler").click()
    with page.expect_navigation():
        page.locator("#language-form select").select_option(other)
    assert page.locator("html").get_attribute("lang") == other
    assert problems == []


def test_the_local_mailbox_runs_under_the_policy(live_server, open_page, problems, settings):
    settings.DEBUG = True  # the mailbox exists only then
    mail_dir = Path(settings.MAIL_DIR)
    mail_dir.mkdir(parents=True, exist_ok=True)
    message = EmailMessage()
    message["To"], message["Subject"] = "jiwoo@hanbit.example", "확인 / Confirm"
    message.set_content("긴 줄이 있는 본문입니다. " * 20 + "\nhttps://portal.invalid/confirm/abc")
    (mail_dir / "0001.eml").write_bytes(message.as_bytes())
    page = open_page(phone=True)

    _visit(page, live_server.url + "/dev/mailbox/")

    assert page.locator(".mail-body").evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_student_pages_and_htmx_registration_run_under_the_policy(live_server, open_page, problems, shot, language,
                                                                  registration_term):
    student = issued_student(registration_term)
    course = registration_term.offerings.get(code="CSE101")
    page = open_page(language=language, phone=True)
    log_in(page, live_server, student)

    _visit(page, live_server.url + "/accounts/profile/")
    _visit(page, live_server.url + "/accounts/password/change/")
    _visit(page, live_server.url + "/credit-exchange/courses/")
    row = page.locator(f"#offering-{course.pk}")
    row.locator("button[type=submit]").click()
    row.locator("[role=status]").filter(has_text="CSE101-01").wait_for()
    assert CourseRegistration.objects.filter(student=student, offering=course, status="registered").exists()
    shot(page, f"csp-courses-registered-{language}-phone")

    _visit(page, live_server.url + "/credit-exchange/registrations/")
    page.evaluate("window.print = function () { window.__printed = true; }")
    page.locator("[data-print]").click()
    assert page.evaluate("window.__printed") is True
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_admin_and_staff_pages_run_under_the_policy(live_server, open_page, problems, shot, settings, language,
                                                    confirmed_application, registration_term):
    settings.OTP_REQUIRED_FOR_STAFF = False  # the second factor has its own tests
    admin = UserFactory(username="csp-admin", is_staff=True, is_superuser=True)
    job = StaffJobFactory(kind=CreditJobKind.OFFERINGS_IMPORT, scope="term:1", params={"term_id": 1}, created_by=admin)
    StaffJob.objects.filter(pk=job.pk).update(status=StaffJob.Status.RUNNING, started_at=timezone.now(), done=10, total=40)
    page = open_page(language=language)
    log_in(page, live_server, admin)

    for path in [
        "/admin/",
        "/admin/creditexchange/temporaryidapplication/",
        f"/admin/creditexchange/temporaryidapplication/{confirmed_application.pk}/change/",
        "/admin/creditexchange/courseoffering/import/",
        "/admin/affiliation/studentrecord/import/",
        "/admin/notices/notice/add/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{admin.pk}/change/",
        "/admin/django_celery_beat/periodictask/add/",  # its template is shadowed (its inline script moved out)
        "/admin/axes/accessattempt/",
        "/admin/otp_totp/totpdevice/add/",
    ]:
        _visit(page, live_server.url + path)
    shot(page, f"csp-admin-user-change-{language}")

    # The admin's own widgets build their markup in JS: select2 autocomplete, inline rows, calendar, actions.
    _visit(page, live_server.url + "/admin/affiliation/studentrecord/add/")
    page.locator(".field-campus .select2-selection").click()
    page.locator(".select2-results__option").first.wait_for()
    page.keyboard.press("Escape")
    page.locator(".add-row a").first.click()
    _visit(page, live_server.url + "/admin/notices/notice/add/")
    page.locator(".field-published_at .datetimeshortcuts a").first.click()  # "Now"/"Today"
    page.locator(".field-published_at .datetimeshortcuts a").nth(1).click()  # the calendar pop-up
    page.locator(".calendarbox").first.wait_for()
    shot(page, f"csp-admin-notice-calendar-{language}")
    _visit(page, live_server.url + "/admin/creditexchange/temporaryidapplication/")
    page.locator("#action-toggle").check()
    assert page.locator(".action-counter").is_visible()

    # The partner-list overview's term picker navigates (data-navigate, formerly an inline onchange).
    _visit(page, live_server.url + "/admin/creditexchange/partnerlist/term/")
    target = page.locator("#term-select option").last.get_attribute("value")
    with page.expect_navigation():
        page.locator("#term-select").select_option(value=target)
    assert page.url.endswith(target)

    _visit(page, live_server.url + "/staff/")
    with page.expect_navigation():
        page.locator("#term-select").select_option(str(registration_term.pk))
    assert f"term={registration_term.pk}" in page.url
    shot(page, f"csp-staff-dashboard-{language}")

    _visit(page, live_server.url + f"/staff/jobs/{job.pk}/")
    bar = page.locator("#job-status .progress-bar")
    assert bar.evaluate("el => el.style.width") == "25%"  # set from data-percent through the CSSOM
    shot(page, f"csp-staff-job-{language}")

    # The second-factor enrolment page (its first step; the QR page itself is checked in test_staff_two_factor.py).
    settings.OTP_REQUIRED_FOR_STAFF = True
    _visit(page, live_server.url + "/accounts/two-factor/setup/")
    shot(page, f"csp-two-factor-setup-{language}")
    assert problems == []
