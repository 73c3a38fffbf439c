"""In a real browser (headless Debian chromium): the job page polls itself with htmx and shows the final report
without a reload once the worker has finished."""

import pytest
from django.utils import timezone

from core.models import StaffJob
from creditexchange.jobs import JobKind as CreditJobKind

from ..factories import StaffJobFactory
from ..test_browser_journey import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _new_page, _require_chromium, _submit


@pytest.mark.browser
def test_the_job_page_updates_itself_until_the_report_is_there(live_server, monkeypatch, registrar):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    job = StaffJobFactory(kind=CreditJobKind.OFFERINGS_IMPORT, scope="term:1", params={"term_id": 1}, created_by=registrar,
                          language="ko")
    StaffJob.objects.filter(pk=job.pk).update(status=StaffJob.Status.RUNNING, started_at=timezone.now(), done=10, total=40)
    problems: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context, page = _new_page(browser, problems)
            page.goto(f"{live_server.url}/admin/login/?next=/staff/jobs/{job.pk}/")
            page.fill("#id_username", registrar.username)
            page.fill("#id_password", "correct-horse-battery")
            _submit(page, "#login-form", button="[type=submit]")
            expect(page.locator("#job-status")).to_have_attribute("data-status", "running")
            expect(page.locator("#job-progress")).to_contain_text("10")
            page.evaluate("window.marker = 'same page'")

            StaffJob.objects.filter(pk=job.pk).update(done=30)
            expect(page.locator("#job-progress")).to_contain_text("30")
            StaffJob.objects.filter(pk=job.pk).update(
                status=StaffJob.Status.DONE, done=40, finished_at=timezone.now(), summary="가져오기 완료: 40개 생성",
            )

            expect(page.locator("#job-summary")).to_have_text("가져오기 완료: 40개 생성")
            expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
            expect(page.locator("#job-status")).not_to_have_attribute("hx-trigger", "every 2s")
            assert page.evaluate("window.marker") == "same page"  # updated in place, not reloaded
            context.close()
        finally:
            browser.close()
    assert problems == []
