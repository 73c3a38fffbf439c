"""Student pages and file access: permissions, the happy path, domain errors (SPEC §5: own data only)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from affiliation.models import AffiliationApplication, ApplicationEvent

from ..factories import AffiliationApplicationFactory, StudentRecordFactory
from .conftest import PNG, draft, pdf

Status = AffiliationApplication.Status


def test_the_checklist_quotes_the_students_values(student_client, student, cse):
    response = student_client.get("/affiliation/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-rule="gpa" data-ok="true"' in html and 'data-rule="english" data-ok="false"' in html
    assert f"is {student.gpa}" in html and student.student_number in html


def test_an_account_without_a_record_gets_no_affiliation_pages(outsider_client, fall_round):
    assert outsider_client.get("/affiliation/").status_code == 404
    assert outsider_client.get("/affiliation/apply/").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, fall_round):
    response = client.get("/affiliation/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_apply_saves_a_draft_then_submits(student_client, student, fall_round, cse):
    data = {"target_department": cse.pk, "english_test": "toeic", "english_score": 870,
            "english_test_date": (timezone.localdate() - timedelta(days=10)).isoformat(),
            "english_certificate": pdf("score.pdf"), "study_plan": pdf("plan.pdf"), "save": "1"}
    response = student_client.post("/affiliation/apply/", data)
    assert response.status_code == 302
    application = AffiliationApplication.objects.get()
    assert application.status == Status.DRAFT and application.english_score == 870
    fields = ("target_department", "english_test", "english_score", "english_test_date")
    response = student_client.post("/affiliation/apply/", {**{k: data[k] for k in fields}, "submit": "1"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.study_plan  # the earlier files were kept
    page = student_client.get("/affiliation/").content.decode()
    assert 'id="affiliation-status"' in page and 'data-status="submitted"' in page
    assert student_client.get("/affiliation/apply/").status_code == 302  # nothing left to edit


def test_a_refused_submission_shows_why_and_keeps_the_draft(student_client, student, fall_round, cse):
    data = {"target_department": cse.pk, "english_test": "toefl", "english_score": 95,
            "english_test_date": timezone.localdate().isoformat(), "english_certificate": pdf(), "study_plan": pdf(),
            "submit": "1"}
    response = student_client.post("/affiliation/apply/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "TOEFL iBT score is 95; at least 96" in response.content.decode()
    assert AffiliationApplication.objects.get().status == Status.DRAFT


def test_a_disguised_upload_is_refused_with_a_message(student_client, fall_round, cse):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = student_client.post("/affiliation/apply/", {
        "target_department": cse.pk, "study_plan": SimpleUploadedFile("plan.pdf", PNG), "save": "1"},
        HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "not a PDF file" in response.content.decode()
    assert not AffiliationApplication.objects.exists()


def test_files_are_served_only_to_their_owner_and_the_committee(client, student, fall_round, cse, committee, outsider):
    application = draft(student, fall_round, cse)
    url = f"/affiliation/applications/{application.pk}/study_plan/"
    client.force_login(student.user)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    other = StudentRecordFactory()
    client.force_login(other.user)
    assert client.get(url).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(committee)
    assert client.get(url).status_code == 200
    assert client.get(f"/affiliation/applications/{application.pk}/passport/").status_code == 404


def test_uploads_are_not_reachable_through_a_media_url(client, student, fall_round, cse):
    application = draft(student, fall_round, cse)
    assert client.get(f"/media/{application.study_plan.name}").status_code == 404


def test_results_and_ranks_appear_only_after_publication(student_client, student, fall_round, cse):
    application = AffiliationApplicationFactory(
        round=fall_round, record=student, target_department=cse, status=Status.STAGE1_PASSED,
        submitted_at=fall_round.opens_at, stage1_score="91.250", stage1_rank=1,
    )
    page = student_client.get("/affiliation/").content.decode()
    assert 'data-status="submitted"' in page and "91.250" not in page
    fall_round.closes_at = timezone.now() - timedelta(hours=2)
    fall_round.stage1_publish_at = fall_round.stage1_published_at = timezone.now() - timedelta(hours=1)
    fall_round.stage1_run_at = timezone.now() - timedelta(hours=1)
    fall_round.save()
    page = student_client.get("/affiliation/").content.decode()
    assert 'data-status="stage1_passed"' in page and "91.250" in page and 'id="stage1-rank">1 / 1' in page
    assert application.pk


def test_the_menu_shows_the_link_to_home_students_only(client, student, outsider, fall_round):
    client.force_login(outsider)
    assert 'id="nav-affiliation"' not in client.get("/").content.decode()
    client.force_login(student.user)
    assert 'id="nav-affiliation"' in client.get("/").content.decode()


def test_draft_saving_records_the_student_as_actor(student_client, student, fall_round, cse):
    student_client.post("/affiliation/apply/", {"target_department": cse.pk, "save": "1"})
    assert ApplicationEvent.objects.get().actor == student.user


def test_a_student_with_a_window_exception_gets_the_apply_link_after_the_window(student_client, student, fall_round,
                                                                                 cse, committee):
    from affiliation import services

    fall_round.opens_at, fall_round.closes_at = timezone.now() - timedelta(days=20), timezone.now() - timedelta(hours=1)
    fall_round.save()
    assert 'id="apply-link"' not in student_client.get("/affiliation/").content.decode()
    services.exception_grant(round=fall_round, record=student, rule="window", reason="Hospitalised", actor=committee)
    page = student_client.get("/affiliation/").content.decode()
    assert 'data-rule="window" data-ok="true"' in page and 'id="apply-link"' in page


# --- An applicant of an earlier round (one application ever, rule 6) -------------------------------------------------


def _earlier_round(**progress):
    """Fall 2025: window a year ago; the stages run and published only as told."""
    from ..factories import AffiliationRoundFactory, TermFactory

    closed = timezone.now() - timedelta(days=365)
    return AffiliationRoundFactory(
        term=TermFactory(year=2025, season="fall"), opens_at=closed - timedelta(days=14), closes_at=closed,
        stage1_publish_at=closed + timedelta(days=7), final_publish_at=closed + timedelta(days=21),
        conditions_check_at=closed + timedelta(days=80), **progress,
    )


def _published(*, final: bool) -> dict:
    closed = timezone.now() - timedelta(days=365)
    stage1, stage2 = closed + timedelta(days=7), closed + timedelta(days=21)
    return {"stage1_run_at": stage1, "stage1_published_at": stage1, "stage2_run_at": stage2,
            "final_published_at": stage2 if final else None}


def _earlier_application(round, record, department, **values):
    scores = {"stage1_score": "91.250", "stage1_rank": 1, "document_score": "80.00", "interview_score": "90.00",
              "stage2_score": "88.125", "final_rank": 1}
    return AffiliationApplicationFactory(
        round=round, record=record, target_department=department, submitted_at=round.opens_at,
        decided_at=round.final_publish_at, **{**scores, **values},
    )


@pytest.mark.parametrize("status, shown", [
    (Status.CONFIRMED, "Change of affiliation confirmed"),
    (Status.CANCELLED, "Only 60 credits at the end of the winter session"),
])
def test_an_applicant_of_an_earlier_round_still_sees_their_result_after_a_new_round_opens(
    student_client, student, fall_round, cse, status, shown
):
    earlier = _earlier_round(**_published(final=True))
    _earlier_application(earlier, student, cse, status=status, cancel_reason="Only 60 credits at the end of the "
                         "winter session" if status == Status.CANCELLED else "")
    assert fall_round.window_open()  # the 2026 round is open now
    page = student_client.get("/affiliation/").content.decode()
    assert f'data-status="{status}"' in page and shown in page
    assert "2025" in page and "91.250" in page and "88.125" in page and 'id="final-rank">1 / 1' in page
    assert 'id="eligibility-checklist"' not in page and 'id="apply-link"' not in page  # they cannot apply again
    assert 'id="later-round"' in page and "The 2026 Fall round is not open to you" in page
    response = student_client.get("/affiliation/apply/")
    assert response.status_code == 302 and response["Location"] == "/affiliation/"


def test_an_earlier_rounds_unpublished_stages_stay_hidden(student_client, student, fall_round, cse):
    earlier = _earlier_round(**_published(final=False))  # stage 2 has run, its results are not published
    application = _earlier_application(earlier, student, cse, status=Status.ADMITTED)
    page = student_client.get("/affiliation/").content.decode()
    assert 'data-status="stage1_passed"' in page and 'id="stage1-rank">1 / 1' in page
    assert "91.250" in page and "80.00" not in page  # committee scores come with the final results
    assert "88.125" not in page and 'id="final-rank"' not in page and "Admitted" not in page
    earlier.stage1_published_at = None  # nothing published yet
    earlier.save()
    page = student_client.get("/affiliation/").content.decode()
    assert 'data-status="submitted"' in page and "91.250" not in page and 'id="stage1-rank"' not in page
    assert application.pk


def test_another_students_application_never_shows(student_client, student, fall_round, cse):
    earlier = _earlier_round(**_published(final=True))
    other = StudentRecordFactory()
    _earlier_application(earlier, other, cse, status=Status.CONFIRMED, stage1_score="77.777")
    AffiliationApplicationFactory(round=fall_round, record=StudentRecordFactory(), target_department=cse,
                                  status=Status.SUBMITTED, submitted_at=timezone.now(), english_score=935)
    AffiliationApplicationFactory(round=earlier, record=student, target_department=cse)  # their own unsubmitted draft
    page = student_client.get("/affiliation/").content.decode()
    assert 'id="affiliation-status"' not in page and "77.777" not in page and other.student_number not in page
    assert "935" not in page
    assert 'id="eligibility-checklist"' in page and 'id="apply-link"' in page  # a draft does not count (rule 6)


# --- The checklist's overall verdict, the Apply link and the closed form (issue 11) ----------------------------------


def test_it_opens_the_checklist_with_a_verdict_that_the_student_may_apply(student_client, student, fall_round, cse):
    page = student_client.get("/affiliation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="eligibility-verdict" data-may-apply="true" data-eligible="false"' in page
    assert page.index('id="eligibility-verdict"') < page.index('id="eligibility-checklist"')
    assert "You may apply" in page and "5. English test score" in page  # what the application still needs
    assert 'id="apply-link"' in page


def test_it_names_the_failing_rules_and_hides_apply_when_the_student_may_not_apply(student_client, student, fall_round,
                                                                                    cse):
    student.gpa, student.earned_credits = "3.10", 20
    student.save()
    page = student_client.get("/affiliation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="eligibility-verdict" data-may-apply="false" data-eligible="false"' in page
    assert "Not eligible yet" in page
    verdict = page[page.index('id="eligibility-verdict"'):page.index('id="eligibility-checklist"')]
    assert "3. Earned and in-progress credits" in verdict and "4. Cumulative GPA" in verdict
    assert "1. Belongs to the branch campus" not in verdict
    assert 'id="apply-link"' not in page and 'id="apply-refused"' in page


def test_it_says_eligible_when_every_rule_is_met(student_client, student, fall_round, cse):
    student_client.post("/affiliation/apply/", {
        "target_department": cse.pk, "english_test": "toeic", "english_score": 870,
        "english_test_date": (timezone.localdate() - timedelta(days=10)).isoformat(),
        "english_certificate": pdf("score.pdf"), "study_plan": pdf("plan.pdf"), "save": "1"})
    page = student_client.get("/affiliation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="eligibility-verdict" data-may-apply="true" data-eligible="true"' in page
    assert "You are eligible" in page and 'id="apply-link"' in page


def test_it_refuses_to_open_the_form_after_the_window_in_the_past_tense(student_client, student, fall_round, cse):
    fall_round.opens_at, fall_round.closes_at = timezone.now() - timedelta(days=20), timezone.now() - timedelta(hours=1)
    fall_round.save()
    response = student_client.get("/affiliation/apply/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/affiliation/"
    page = response.content.decode()
    assert "closed on" in page and 'id="application-form"' not in page and 'id="apply-link"' not in page
    response = student_client.post("/affiliation/apply/", {"target_department": cse.pk, "save": "1"})
    assert response.status_code == 302 and not AffiliationApplication.objects.exists()
    ko = student_client.get("/affiliation/apply/", HTTP_ACCEPT_LANGUAGE="ko", follow=True).content.decode()
    assert "마감되었습니다" in ko


def test_it_refuses_to_open_the_form_before_the_window(student_client, student, fall_round, cse):
    fall_round.opens_at, fall_round.closes_at = timezone.now() + timedelta(days=2), timezone.now() + timedelta(days=9)
    fall_round.save()
    response = student_client.get("/affiliation/apply/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "open on" in response.content.decode() and 'id="application-form"' not in response.content.decode()


def test_it_gives_no_apply_link_for_a_window_exception_once_stage_1_has_run(student_client, student, fall_round, cse,
                                                                             committee):
    from affiliation import services

    fall_round.opens_at, fall_round.closes_at = timezone.now() - timedelta(days=20), timezone.now() - timedelta(hours=1)
    fall_round.save()
    services.exception_grant(round=fall_round, record=student, rule="window", reason="Hospitalised", actor=committee)
    fall_round.stage1_run_at = timezone.now()
    fall_round.save()
    page = student_client.get("/affiliation/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-may-apply="false"' in page and 'id="apply-link"' not in page
    assert "8. Fall round application window" in page[page.index('id="verdict-reasons"'):]
    assert student_client.get("/affiliation/apply/").status_code == 302


def test_it_keeps_the_good_file_and_names_the_refused_one_on_the_form(student_client, student, fall_round, cse):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = student_client.post("/affiliation/apply/", {
        "target_department": cse.pk, "english_certificate": pdf("toeic.pdf"),
        "study_plan": SimpleUploadedFile("plan.pdf", PNG), "save": "1"})
    page = response.content.decode()
    assert response.status_code == 200 and "plan.pdf is not a PDF file" in page
    assert 'id="english_certificate-uploaded"' in page and "toeic.pdf" in page and "Replace" in page
    assert AffiliationApplication.objects.get().english_certificate


def test_it_shows_the_documents_on_the_checklist(student_client, student, fall_round, cse):
    draft(student, fall_round, cse)
    page = student_client.get("/affiliation/").content.decode()
    assert 'id="documents-checklist"' in page and "Study plan" in page and "plan.pdf" in page


@pytest.mark.parametrize(("language", "label"), [
    ("ko", "컴퓨터학과 (공과대학, 2명)"), ("en", "Computer Science (College of Engineering, 2 places)")])
def test_it_names_the_college_and_places_of_each_department(student_client, fall_round, cse, language, label):
    cse.college.name_ko, cse.college.name_en = "공과대학", "College of Engineering"
    cse.college.save()
    page = student_client.get("/affiliation/apply/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert label in page
