"""The registrar's journey in a real browser (chromium), in Korean and in English: admin login, approve one
application, reject another with a reason (the reason page), issue the ID now (the staff job page), send a
partner list from "Lists to partners by term" (Send now → the job page), and record a recommendation received by
other means with its source. The database is checked after each form; axe-core runs on every page visited.

OTP is off (tests/conftest.py sets OTP_REQUIRED_FOR_STAFF = False), as in a DEBUG-like set-up.
"""

import re

import pytest

from creditexchange.models import PartnerList, Recommendation, TemporaryIdApplication
from tests.browser.conftest import axe_check, submit

from ..creditexchange.partner_list_helpers import build_scene

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
CHANGELIST = "/admin/creditexchange/temporaryidapplication/"
Status = TemporaryIdApplication.Status


def _select_and_run(page, application: TemporaryIdApplication, action: str) -> None:
    page.check(f"input[name=_selected_action][value='{application.pk}']")
    page.select_option("select[name=action]", action)
    submit(page, "#changelist-form button[name=index]")


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_registrar_decides_issues_sends_a_list_and_records_an_answer(
    open_page, live_server, problems, shot, registrar, language
):
    from playwright.sync_api import expect

    scene = build_scene()
    applicant = scene.applicant  # hanbit, confirmed, no ID yet
    doubtful = TemporaryIdApplication.objects.get(term=scene.term, home_student_number="H004")  # submitted
    base = live_server.url
    page = open_page(language=language)

    # ---- Admin login. ----
    page.goto(f"{base}/admin/login/?next=/admin/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    axe_check(page, context="admin login")
    page.fill("#id_username", registrar.username)
    page.fill("#id_password", PASSWORD)
    submit(page, "#login-form [type=submit]")
    expect(page).to_have_url(f"{base}/admin/")
    axe_check(page, context="admin index")

    # ---- Approve one application. ----
    page.goto(f"{base}{CHANGELIST}")
    axe_check(page, context="applications")
    _select_and_run(page, applicant, "approve_selected")
    expect(page).to_have_url(f"{base}{CHANGELIST}")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    applicant.refresh_from_db()
    assert (applicant.status, applicant.decided_by) == (Status.APPROVED, registrar)
    axe_check(page, context="after approve")

    # ---- Reject another, with a reason typed on the reason page. ----
    _select_and_run(page, doubtful, "reject_selected")
    expect(page.locator("#id_reason")).to_be_visible()
    axe_check(page, context="reject reason page")
    doubtful.refresh_from_db()
    assert doubtful.status == Status.SUBMITTED  # the reason page itself decides nothing
    reason = "학번이 확인되지 않습니다." if language == "ko" else "The student number could not be confirmed."
    page.fill("#id_reason", reason)
    submit(page, "#content form [type=submit]")
    expect(page).to_have_url(f"{base}{CHANGELIST}")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    doubtful.refresh_from_db()
    assert (doubtful.status, doubtful.rejection_reason, doubtful.decided_by) == (Status.REJECTED, reason, registrar)
    axe_check(page, context="after reject")

    # ---- Issue the approved application's ID now: a staff job whose page shows the report. ----
    _select_and_run(page, applicant, "issue_now")
    expect(page.locator("#issue-preview .issue-new")).to_have_count(1)  # issue 12: the preview comes first
    axe_check(page, context="issue preview")
    applicant.refresh_from_db()
    assert applicant.status == Status.APPROVED
    submit(page, "#confirm-issue")
    expect(page).to_have_url(re.compile(re.escape(f"{base}/staff/jobs/") + r"\d+/$"))
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#job-failures, #job-error")).to_have_count(0)
    axe_check(page, context="issue job page")
    shot(page, f"registrar-issue-job-{language}")
    applicant.refresh_from_db()
    assert applicant.status == Status.ISSUED
    identity = applicant.temporary_id
    assert re.fullmatch(rf"T{scene.term.year}\d{{5}}", identity.student_id), identity.student_id

    # ---- Lists to partners by term → Send now (Hanbit's applicants list) → the job page. ----
    page.goto(f"{base}/admin/creditexchange/partnerlist/term/{scene.term.pk}/")
    expect(page.locator("#partner-list-overview")).to_be_visible()
    axe_check(page, context="lists by term")
    shot(page, f"registrar-lists-by-term-{language}")
    hanbit_row = page.locator("#partner-list-overview tbody tr", has_text=scene.hanbit.name_ko if language == "ko"
                              else scene.hanbit.name_en)
    with page.expect_navigation():
        hanbit_row.locator(".cell-applicants input[type=submit]").click()
    expect(page.locator("#send-rows")).to_contain_text("H003")  # issue 12: the exact rows and recipients first
    expect(page.locator("#send-recipients")).to_contain_text("exchange@hanbit.example")
    axe_check(page, context="send preview")
    assert not PartnerList.objects.exists()
    submit(page, "#confirm-send")
    expect(page).to_have_url(re.compile(re.escape(f"{base}/staff/jobs/") + r"\d+/$"))
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    expect(page.locator("#job-failures, #job-error")).to_have_count(0)
    axe_check(page, context="send job page")
    partner_list = PartnerList.objects.get()
    assert (partner_list.partner, partner_list.kind, partner_list.trigger, partner_list.sent_by) == (
        scene.hanbit, PartnerList.Kind.APPLICANTS, PartnerList.Trigger.STAFF, registrar,
    )
    assert partner_list.recommendations.filter(application=applicant).exists()
    page.goto(f"{base}/admin/creditexchange/partnerlist/term/{scene.term.pk}/")
    expect(page.locator("#partner-list-overview .cell-applicants a").first).to_be_visible()  # "Sent …" now
    axe_check(page, context="lists by term after the send")

    # ---- Record a recommendation received another way, with its source. ----
    page.goto(f"{base}{CHANGELIST}")
    _select_and_run(page, applicant, "record_recommendation")
    expect(page.locator("#id_source_note")).to_be_visible()
    axe_check(page, context="record recommendation page")
    assert not Recommendation.objects.filter(source=Recommendation.Source.STAFF).exists()
    page.check("input[name=decision][value=recommended]")
    source = "3월 3일 담당자 이메일" if language == "ko" else "e-mail of 3 March from the coordinator"
    page.fill("#id_source_note", source)
    page.fill("#id_comment", "성실함" if language == "ko" else "Diligent")
    submit(page, "#content form [type=submit]")
    expect(page).to_have_url(f"{base}{CHANGELIST}")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    axe_check(page, context="after record")
    line = Recommendation.objects.get(application=applicant)
    assert (line.partner_list, line.decision, line.source, line.source_note, line.decided_by) == (
        partner_list, Recommendation.Decision.RECOMMENDED, Recommendation.Source.STAFF, source, registrar,
    )
    assert problems == []
