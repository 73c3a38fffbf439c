"""The affiliation committee's journey in chromium, in Korean and in English, at 1280 px and on a 390 px phone (OTP off, as in every test).

A committee member signs in to the admin, runs stage 1 from the round list, enters the document and interview
scores (one applicant in the list's editable columns, the other on the change page), runs stage 2, publishes the
stage-1 and final results; then the home student signs in and sees the admission, the scores and the rank. The
database is checked after each step and axe-core runs on every page visited (no serious or critical violation).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ensure_roles
from affiliation.jobs import JobKind as AffiliationJobKind
from affiliation.models import AffiliationApplication, AffiliationRound, ApplicationEvent
from core.models import OutgoingMail, StaffJob
from tests.browser.conftest import axe_check, submit

from ..affiliation.conftest import history
from ..factories import (
    AffiliationApplicationFactory,
    AffiliationRoundFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    StudentRecordFactory,
    UserFactory,
    affiliation_campus,
)

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
Status = AffiliationApplication.Status
DONE = {"ko": "완료", "en": "Done"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def closed_round():
    """A round whose window closed a minute ago, one department with two places and two submitted applicants."""
    now = timezone.now()
    round = AffiliationRoundFactory(opens_at=now - timedelta(days=10), closes_at=now - timedelta(minutes=1))
    cse = DepartmentFactory(campus=affiliation_campus(main=True), code="cse", name_ko="컴퓨터학과", name_en="Computer Science")
    DepartmentQuotaFactory(round=round, department=cse, general_transfer_number=2)
    applications = []
    for number, gpa, language in (("S2024001", "4.30", "ko"), ("S2024002", "4.10", "en")):
        user = UserFactory(username=number, email=f"{number.lower()}@sejong.example", language=language, kind="home")
        record = StudentRecordFactory(user=user, student_number=number, gpa=Decimal(gpa))
        history(record, "EEEE")
        applications.append(AffiliationApplicationFactory(
            round=round, record=record, target_department=cse, status=Status.SUBMITTED,
            submitted_at=round.opens_at + timedelta(hours=1)))
    return round, applications


def round_action(page, base: str, round: AffiliationRound, action: str) -> None:
    """Select the round in the admin's round list, choose the action and press Go."""
    page.goto(f"{base}/admin/affiliation/affiliationround/")
    axe_check(page, context=f"round list before {action}")
    page.locator(f"#result_list input[name=_selected_action][value='{round.pk}']").check()
    page.select_option("select[name=action]", action)
    submit(page, "#changelist-form button[name=index]")


def job_done(page, expect, language: str, kind: str) -> StaffJob:
    expect(page.locator("#job-state")).to_have_text(DONE[language])
    axe_check(page, context=kind)
    job = StaffJob.objects.get(kind=kind)
    assert job.status == "done"
    return job


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_committee_selects_and_publishes_and_the_student_sees_the_rank(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    ensure_roles()
    member = UserFactory(username="committee", is_staff=True, language=language)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    round, (student, other) = closed_round()
    base = live_server.url
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))

    # 1. The admin's sign-in page.
    page.goto(f"{base}/admin/login/?next=/admin/affiliation/affiliationround/")
    axe_check(page, context="admin login")
    page.fill("#id_username", "committee")
    page.fill("#id_password", PASSWORD)
    submit(page, "#login-form input[type=submit]")
    expect(page).to_have_url(f"{base}/admin/affiliation/affiliationround/")

    # 2. Stage 1 from the round list: a background job whose page says it is done.
    round_action(page, base, round, "run_stage1")
    job = job_done(page, expect, language, AffiliationJobKind.SELECTION_STAGE1)
    assert job.report == {"passed": 2, "failed": 0} and job.created_by == member
    round.refresh_from_db()
    assert round.stage1_run_at is not None
    assert set(AffiliationApplication.objects.values_list("status", flat=True)) == {Status.STAGE1_PASSED}

    # 3a. Scores in the applications list's editable columns (the student's row).
    page.goto(f"{base}/admin/affiliation/affiliationapplication/")
    axe_check(page, context="applications list")
    row = page.locator("#result_list tbody tr", has_text="S2024001")
    row.locator("input[name$=-document_score]").fill("91")
    row.locator("input[name$=-interview_score]").fill("94.5")
    submit(page, "#changelist-form input[name=_save]")
    expect(page.locator(".messagelist .success")).to_have_count(1)
    axe_check(page, context="applications list after save")
    student.refresh_from_db()
    assert (student.document_score, student.interview_score) == (Decimal("91"), Decimal("94.5"))
    event = ApplicationEvent.objects.get(application=student, changes__has_key="document_score")
    assert event.actor == member and event.changes["interview_score"] == [None, "94.5"]

    # 3b. Scores on the other applicant's change page.
    page.goto(f"{base}/admin/affiliation/affiliationapplication/{other.pk}/change/")
    axe_check(page, context="application change page")
    page.fill("#id_document_score", "70")
    page.fill("#id_interview_score", "72.25")
    submit(page, "#affiliationapplication_form input[name=_save]")
    expect(page.locator(".messagelist .success")).to_have_count(1)
    other.refresh_from_db()
    assert (other.document_score, other.interview_score) == (Decimal("70"), Decimal("72.25"))
    assert ApplicationEvent.objects.get(application=other, changes__has_key="document_score").actor == member

    # 4. Stage 2 from the round list.
    round_action(page, base, round, "run_stage2")
    job_done(page, expect, language, AffiliationJobKind.SELECTION_STAGE2)
    student.refresh_from_db()
    other.refresh_from_db()
    assert (student.status, student.final_rank, other.status, other.final_rank) == (Status.ADMITTED, 1, Status.ADMITTED, 2)
    assert student.stage2_score > other.stage2_score

    # 5. Publish the stage-1 results, then the final results (early: the confirmation page asks for a reason);
    #    each applicant gets a mail per stage. tests/browser/test_publication.py looks at that page closely.
    for action, field in (("publish_stage1", "stage1_published_at"), ("publish_final", "final_published_at")):
        round_action(page, base, round, action)
        expect(page.locator("#publish-recipients tbody tr")).to_have_count(2)
        page.fill("#id_reason", "The committee finished early.")
        submit(page, "#confirm-publish")
        expect(page.locator(".messagelist .success")).to_contain_text("2")
        axe_check(page, context=f"round list after {action}")
        round.refresh_from_db()
        assert getattr(round, field) is not None
    assert OutgoingMail.objects.filter(to__in=["s2024001@sejong.example", "s2024002@sejong.example"]).count() == 4
    shot(page, f"committee-journey-{language}-{'phone' if phone else 'desktop'}-published")
    page.context.close()

    # 6. The home student signs in and sees the admission, the scores and the rank.
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    page.goto(f"{base}/accounts/login/")
    axe_check(page, context="student login")
    page.fill("#id_username", "S2024001")
    page.fill("#id_password", PASSWORD)
    submit(page, "main form button[type=submit]")
    page.goto(f"{base}/affiliation/")
    expect(page.locator("#application-state")).to_have_attribute("data-status", Status.ADMITTED)
    expect(page.locator("#final-rank")).to_have_text("1 / 2")
    expect(page.locator("#application-scores")).to_contain_text(str(student.stage2_score))
    axe_check(page, context="student result")
    shot(page, f"committee-journey-{language}-{'phone' if phone else 'desktop'}-student")

    assert problems == [], "\n".join(problems)
