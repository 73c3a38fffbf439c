"""The application form with one good and one bad file: the bad one is named, the good one kept (issue 11)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from affiliation.models import AffiliationApplication
from tests.affiliation.conftest import PDF, PNG, history
from tests.browser.conftest import axe_check, submit

from ..factories import (
    AffiliationRoundFactory,
    CollegeFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    StudentRecordFactory,
    UserFactory,
    affiliation_campus,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
WORDS = {
    "ko": {"department": "컴퓨터학과 (공과대학, 2명)", "uploaded": "이미 올린 파일:", "replace": "바꾸기"},
    "en": {"department": "Computer Science (College of Engineering, 2 places)", "uploaded": "Already uploaded:",
           "replace": "Replace"},
}


@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True), ("en", True)],
                         ids=["ko", "en", "ko-phone", "en-phone"])
def test_it_names_the_refused_file_and_keeps_the_good_one(live_server, open_page, problems, shot, tmp_path, settings,
                                                         language, phone):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    words = WORDS[language]
    round = AffiliationRoundFactory()
    college = CollegeFactory(code="eng", name_ko="공과대학", name_en="College of Engineering")
    cse = DepartmentFactory(campus=affiliation_campus(main=True), college=college, code="cse",
                            name_ko="컴퓨터학과", name_en="Computer Science")
    DepartmentQuotaFactory(round=round, department=cse, general_transfer_number=2)
    record = StudentRecordFactory(user=UserFactory(username="home1", language=language, kind="home"))
    history(record, "EEEE")
    certificate, plan = tmp_path / "toeic.pdf", tmp_path / "plan.pdf"
    certificate.write_bytes(PDF)
    plan.write_bytes(PNG)  # named PDF, holds a PNG: refused

    page = open_page(language=language, phone=phone)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "home1")
    page.fill("#id_password", PASSWORD)
    submit(page, "main form button[type=submit]")
    page.goto(f"{live_server.url}/affiliation/")
    expect(page.locator("#documents-checklist li[data-ok=false]")).to_have_count(2)
    axe_check(page, context="checklist")
    submit(page, "#apply-link")
    axe_check(page, context="application form")
    expect(page.locator("#id_target_department option", has_text=words["department"])).to_have_count(1)
    page.select_option("#id_target_department", str(cse.pk))
    page.select_option("#id_english_test", "toeic")
    page.fill("#id_english_score", "880")
    page.fill("#id_english_test_date", (timezone.localdate() - timedelta(days=40)).isoformat())
    page.set_input_files("#id_english_certificate", str(certificate))
    page.set_input_files("#id_study_plan", str(plan))
    submit(page, "#application-form button[name=submit]")

    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_study_plan ~ .invalid-feedback, #error_1_id_study_plan").first).to_contain_text("plan.pdf")
    kept = page.locator("#english_certificate-uploaded")
    expect(kept).to_contain_text(words["uploaded"])
    expect(kept).to_contain_text("toeic.pdf")
    expect(kept).to_contain_text(words["replace"])
    shot(page, f"affiliation-files-{language}{'-phone' if phone else ''}")
    axe_check(page, context="a file refused")
    application = AffiliationApplication.objects.get()
    assert application.status == AffiliationApplication.Status.DRAFT
    assert application.english_certificate and not application.study_plan and application.english_score == 880

    # Only the refused file is chosen again; the kept certificate goes with the submission.
    plan.write_bytes(PDF)
    page.set_input_files("#id_study_plan", str(plan))
    submit(page, "#application-form button[name=submit]")
    expect(page.locator("#application-state")).to_have_attribute("data-status", "submitted")
    axe_check(page, context="submitted")
    application.refresh_from_db()
    assert application.status == AffiliationApplication.Status.SUBMITTED and application.study_plan
    assert not problems, problems
