"""Eligibility → application → published result, in headless Debian chromium (as tests/test_browser_journey.py)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from affiliation import services
from affiliation.models import AffiliationApplication

from ..test_browser_journey import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _new_page, _require_chromium, _submit
from .conftest import PDF


@pytest.mark.browser
def test_a_home_student_checks_applies_and_sees_the_published_result(
    live_server, settings, monkeypatch, student, fall_round, cse, tmp_path
):
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PORTAL_BASE_URL = live_server.url
    base = live_server.url
    problems: list[str] = []
    certificate, plan = tmp_path / "toeic.pdf", tmp_path / "plan.pdf"
    certificate.write_bytes(PDF)
    plan.write_bytes(PDF)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context, page = _new_page(browser, problems)
            # ---- 1. Log in; the menu leads to the checklist, which shows what is missing. ----
            page.goto(f"{base}/accounts/login/")
            page.fill("#id_username", student.user.username)
            page.fill("#id_password", "correct-horse-battery")
            _submit(page, "main form")
            page.locator("#nav-affiliation").click()
            expect(page).to_have_url(f"{base}/affiliation/")
            checklist = page.locator("#eligibility-checklist")
            expect(checklist.locator("li")).to_have_count(9)
            expect(checklist.locator("li[data-ok=false]")).to_have_count(2)
            expect(checklist.locator("li[data-rule=english]")).to_have_attribute("data-ok", "false")
            expect(checklist.locator("li[data-rule=gpa]")).to_contain_text(str(student.gpa))

            # ---- 2. Apply: department, English score, uploads; submit. ----
            page.locator("#apply-link").click()
            expect(page).to_have_url(f"{base}/affiliation/apply/")
            page.select_option("#id_target_department", str(cse.pk))
            page.select_option("#id_english_test", "toeic")
            page.fill("#id_english_score", "880")
            page.fill("#id_english_test_date", (timezone.localdate() - timedelta(days=40)).isoformat())
            page.set_input_files("#id_english_certificate", str(certificate))
            page.set_input_files("#id_study_plan", str(plan))
            _submit(page, "#application-form", button="button[name=submit]")
            expect(page).to_have_url(f"{base}/affiliation/")
            expect(page.locator("#application-state")).to_have_attribute("data-status", "submitted")
            expect(page.locator("#eligibility-snapshot li[data-ok=true]")).to_have_count(9)
            application = AffiliationApplication.objects.get(record=student)
            assert application.status == "submitted" and application.study_plan.name.startswith("affiliation/")

            # ---- 3. The committee selects; results are hidden until published. ----
            now = timezone.now()
            fall_round.closes_at = now - timedelta(minutes=5)
            fall_round.stage1_publish_at = now + timedelta(days=1)
            fall_round.final_publish_at = now + timedelta(days=2)
            fall_round.save()
            services.selection_run_stage1(round_id=fall_round.pk)
            services.application_scores_set(application_id=application.pk, document_score=85, interview_score=92)
            services.selection_run_stage2(round_id=fall_round.pk)
            page.reload()
            expect(page.locator("#application-state")).to_have_attribute("data-status", "submitted")
            expect(page.locator("#application-scores")).to_have_count(0)

            # ---- 4. Published: state, own scores and rank. ----
            for stage in ("stage1", "final"):  # early, as the committee confirms it: the preview and a reason
                preview = services.results_publish_preview(round_id=fall_round.pk, stage=stage)
                services.results_publish(round_id=fall_round.pk, stage=stage, expected=preview.fingerprint, reason="early")
            page.reload()
            expect(page.locator("#application-state")).to_have_attribute("data-status", "admitted")
            expect(page.locator("#final-rank")).to_have_text("1 / 1")
            application.refresh_from_db()
            expect(page.locator("#application-scores")).to_contain_text(str(application.stage2_score))
            context.close()
        finally:
            browser.close()

    assert not problems, "\n".join(problems)
