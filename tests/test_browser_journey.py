"""The whole temporary-student-ID journey in a real browser (headless Debian chromium via Playwright).

Apply → confirm by mail → registrar approves and issues in the admin → the student looks up the
result, sets a password from the mailed link, logs out, logs in again and switches to English.

Mail: pytest-django installs the locmem backend and conftest runs Celery tasks eagerly, so every
message the live-server thread sends lands in ``django.core.mail.outbox`` of this process.
"""

import os
import re
import time
from datetime import date

import pytest
from django.core import mail
from django.utils import translation

from accounts.models import TemporaryStudentId
from creditexchange.models import TemporaryIdApplication

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 10_000
STRONG_PASSWORD = "Violet-Harbor-2931!"

APPLICANT = {
    "home_student_number": "20241234",
    "name_ko": "김하늘",
    "name_latin": "KIM HANEUL",
    "date_of_birth": date(2004, 4, 4),
    "email": "haneul@hanbit.example",
    "phone": "010-2222-3333",
    "home_department": "컴퓨터공학과",
    "degree_level": "bachelor",
}

Status = TemporaryIdApplication.Status


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium); the browser journey cannot run"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _in(language: str, message: str) -> str:
    """``message`` as the portal renders it in ``language`` (the portal's own ko catalogue may be incomplete)."""
    with translation.override(language):
        return translation.gettext(message)


def _wait_for_mail(page, *, to: str, link_pattern: str, already_seen: int) -> str:
    """The first link matching ``link_pattern`` in a mail to ``to`` sent after ``already_seen`` messages."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while True:
        for message in mail.outbox[already_seen:]:
            if to in message.to:
                match = re.search(link_pattern, message.body)
                if match:
                    return match.group(0)
        if time.monotonic() > deadline:
            summary = [(m.to, m.subject) for m in mail.outbox]
            raise AssertionError(f"no mail to {to} with a link matching {link_pattern!r}; outbox: {summary}")
        page.wait_for_timeout(100)  # keeps Playwright's loop turning while the server thread works


def _submit(page, form_selector: str, *, button: str = "button[type=submit]") -> None:
    """Click a form's submit button and wait until the answer (or its redirect target) has loaded."""
    with page.expect_navigation():
        page.locator(f"{form_selector} {button}").click()


def _new_page(browser, problems: list[str]):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda exc: problems.append(f"JS error on {page.url}: {exc}"))
    page.on(
        "response",
        lambda response: problems.append(f"HTTP {response.status} for {response.url}")
        if response.status >= 400 and not response.url.endswith("/favicon.ico") else None,
    )
    return context, page


@pytest.mark.browser
def test_temporary_student_id_journey_in_a_real_browser(
    live_server, settings, monkeypatch, open_term, partner, registrar
):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    # Playwright's sync API keeps an asyncio loop in this thread; the ORM would refuse to run here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PORTAL_BASE_URL = live_server.url
    base = live_server.url
    link_prefix = re.escape(settings.PORTAL_BASE_URL)
    problems: list[str] = []
    mail.outbox.clear()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # ---- 1. The applicant finds the form from the home page and applies. ----
            student_context, page = _new_page(browser, problems)
            page.goto(f"{base}/")
            expect(page.locator("html")).to_have_attribute("lang", "ko")
            page.locator(".quick-links a[href='/credit-exchange/apply/']").click()
            expect(page).to_have_url(f"{base}/credit-exchange/apply/")

            form = "main form[novalidate]"
            expect(page.locator("#id_term")).to_have_value(str(open_term.pk))  # the only open term is preselected
            page.select_option("#id_term", str(open_term.pk))
            page.select_option("#id_partner", str(partner.pk))
            page.fill("#id_home_student_number", APPLICANT["home_student_number"])
            page.fill("#id_date_of_birth", APPLICANT["date_of_birth"].isoformat())
            page.fill("#id_name_ko", APPLICANT["name_ko"])
            page.fill("#id_name_latin", APPLICANT["name_latin"])
            page.fill("#id_email", APPLICANT["email"])
            page.fill("#id_phone", APPLICANT["phone"])
            page.fill("#id_home_department", APPLICANT["home_department"])
            page.select_option("#id_degree_level", APPLICANT["degree_level"])
            page.check("#id_consent")
            _submit(page, form)

            expect(page).to_have_url(f"{base}/credit-exchange/apply/sent/")
            expect(page.locator("main h1")).to_have_text(_in("ko", "Check your e-mail"))
            expect(page.locator("main")).to_contain_text(APPLICANT["email"])
            application = TemporaryIdApplication.objects.get()
            assert application.status == Status.SUBMITTED
            assert (application.partner, application.term) == (partner, open_term)
            assert application.date_of_birth == APPLICANT["date_of_birth"]
            assert application.language == "ko"

            # ---- 2. The confirmation mail's link opens a page whose one button completes the application. ----
            confirm_link = _wait_for_mail(
                page, to=APPLICANT["email"], already_seen=0,
                link_pattern=link_prefix + r"/credit-exchange/apply/confirm/[^\s\"<>]+/",
            )
            seen = len(mail.outbox)
            page.goto(confirm_link)
            application.refresh_from_db()
            assert application.status == Status.SUBMITTED  # opening the link (a GET) changes nothing
            _submit(page, "#confirm-form")
            with translation.override("ko"):
                term_label = str(open_term)
            expect(page.locator("main .alert-success[role=status]")).to_contain_text(term_label)
            application.refresh_from_db()
            assert application.status == Status.CONFIRMED

            # ---- 3. The registrar approves, then issues the ID, in the admin. ----
            staff_context, admin = _new_page(browser, problems)
            admin.goto(f"{base}/admin/login/?next=/admin/")
            admin.fill("#id_username", registrar.username)
            admin.fill("#id_password", "correct-horse-battery")
            _submit(admin, "#login-form", button="[type=submit]")
            expect(admin).to_have_url(f"{base}/admin/")

            changelist = f"{base}/admin/creditexchange/temporaryidapplication/"
            admin.goto(changelist)
            for action, status in (("approve_selected", Status.APPROVED), ("issue_now", Status.ISSUED)):
                admin.check(f"input[name=_selected_action][value='{application.pk}']")
                admin.select_option("select[name=action]", action)
                _submit(admin, "#changelist-form", button="button[name=index]")
                if action == "issue_now":
                    # A preview first (issue 12); then issuance runs as a background job (in-process here).
                    expect(admin.locator("#issue-preview .issue-new")).to_have_count(1)
                    _submit(admin, "#content form", button="#confirm-issue")
                    expect(admin).to_have_url(re.compile(re.escape(f"{base}/staff/jobs/") + r"\d+/$"))
                    expect(admin.locator("#job-status")).to_have_attribute("data-status", "done")
                    expect(admin.locator("#job-summary")).to_be_visible()
                    expect(admin.locator("#job-failures, #job-error")).to_have_count(0)
                    admin.goto(changelist)
                else:
                    expect(admin).to_have_url(changelist)
                    expect(admin.locator("ul.messagelist li.success")).to_have_count(1)
                    expect(admin.locator("ul.messagelist li.warning, ul.messagelist li.error")).to_have_count(0)
                application.refresh_from_db()
                assert application.status == status, f"after {action}: {application.status}"
                assert application.decided_by == registrar

            identity = TemporaryStudentId.objects.get()
            student_id = identity.student_id
            assert re.fullmatch(rf"T{open_term.year}\d{{5}}", student_id), student_id
            assert application.temporary_id == identity
            expect(admin.locator("#result_list")).to_contain_text(student_id)
            # The issue mail points the student at the result page.
            _wait_for_mail(
                admin, to=APPLICANT["email"], already_seen=seen,
                link_pattern=link_prefix + r"/credit-exchange/apply/result/",
            )
            seen = len(mail.outbox)

            with admin.expect_navigation():
                admin.locator("#logout-form button[type=submit]").click()
            admin.goto(changelist)
            expect(admin).to_have_url(re.compile(re.escape(f"{base}/admin/login/")))
            staff_context.close()

            # ---- 4. The student (a fresh browser) looks up the result and gets a set-password mail. ----
            student_context.close()
            student_context, page = _new_page(browser, problems)
            page.goto(f"{base}/credit-exchange/apply/result/")
            page.select_option("#id_partner", str(partner.pk))
            page.fill("#id_home_student_number", APPLICANT["home_student_number"])
            page.fill("#id_date_of_birth", APPLICANT["date_of_birth"].isoformat())
            _submit(page, "main form", button="button[name=lookup]")

            shown_id = page.locator("#result-student-id")
            expect(shown_id).to_have_text(re.compile(rf"^\s*T{open_term.year}\d{{5}}\s*$"))
            assert shown_id.inner_text().strip() == student_id
            expect(page.locator("#application-result .alert-success")).to_contain_text("@hanbit.example")

            set_password_link = _wait_for_mail(
                page, to=APPLICANT["email"], already_seen=seen,
                link_pattern=link_prefix + r"/accounts/set-password/[^\s\"<>/]+/[^\s\"<>/]+/",
            )
            page.goto(set_password_link)
            page.fill("#id_new_password1", STRONG_PASSWORD)
            page.fill("#id_new_password2", STRONG_PASSWORD)
            _submit(page, "main form")

            expect(page).to_have_url(f"{base}/accounts/profile/")
            expect(page.locator("#profile-username")).to_have_text(student_id)
            expect(page.locator("main .alert-success")).to_have_count(1)
            identity.user.refresh_from_db()
            assert identity.user.check_password(STRONG_PASSWORD)

            # ---- 5. Log out from the navbar, log in again with the ID and the new password. ----
            _submit(page, "nav form[action='/accounts/logout/']")
            expect(page).to_have_url(f"{base}/")
            login_link = page.locator("nav a[href='/accounts/login/']")
            expect(login_link).to_be_visible()
            expect(page.locator("#profile-username")).to_have_count(0)

            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", student_id)
            page.fill("#id_password", STRONG_PASSWORD)
            _submit(page, "main form")
            expect(page).to_have_url(f"{base}/accounts/profile/")
            expect(page.locator("#profile-username")).to_have_text(student_id)
            expect(page.locator("#profile-email")).to_have_text(APPLICANT["email"])

            # ---- 6. Switch the language from the navbar: Korean (default) → English. ----
            logout_button = page.locator("nav form[action='/accounts/logout/'] button")
            expect(page.locator("html")).to_have_attribute("lang", "ko")
            korean_logout = _in("ko", "Log out")  # "로그아웃", at least from Django's own Korean catalogue
            assert korean_logout != "Log out"
            expect(logout_button).to_have_text(korean_logout)
            with page.expect_navigation():
                page.select_option("#language-form select[name=language]", "en")
            expect(page).to_have_url(f"{base}/accounts/profile/")
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator("#language-form select[name=language]")).to_have_value("en")
            expect(page.locator("main h1")).to_have_text("My profile")
            expect(logout_button).to_have_text("Log out")
            expect(page.locator("#profile-username")).to_have_text(student_id)
            student_context.close()
        finally:
            browser.close()

    assert not problems, "\n".join(problems)
