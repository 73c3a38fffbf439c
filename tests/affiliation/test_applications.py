"""Checklist, drafts, uploads, submission once ever, and staff exceptions (services on the database)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone

from academics.models import Term
from affiliation import services
from affiliation.models import AffiliationApplication, ApplicationEvent, EligibilityException
from core.errors import DomainError, InvalidTransition, NotEligible, WindowClosed
from core.models import OutgoingMail

from ..factories import (
    AffiliationApplicationFactory,
    AffiliationRoundFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    StudentRecordFactory,
    TermFactory,
)
from .conftest import JPEG, PDF, PNG, draft, excluded_department, history, pdf

Status = AffiliationApplication.Status


def failing(record, round, application=None):
    return {r.code for r in services.eligibility_checklist(record=record, round=round, application=application) if not r.ok}


def test_before_applying_the_checklist_shows_only_what_is_missing(student, fall_round, cse):
    assert failing(student, fall_round) == {"english", "target"}


def test_a_complete_draft_meets_every_rule(student, fall_round, cse):
    application = draft(student, fall_round, cse)
    assert failing(student, fall_round, application) == set()
    assert application.status == Status.DRAFT


def test_submission_stores_the_evaluated_snapshot_an_event_and_a_mail(
    student, fall_round, cse, django_capture_on_commit_callbacks
):
    application = draft(student, fall_round, cse)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(application_id=application.pk)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.submitted_at is not None
    assert [row["code"] for row in application.eligibility][:2] == ["branch_campus", "semesters"]
    assert all(row["passed"] for row in application.eligibility)
    gpa_row = next(row for row in application.eligibility if row["code"] == "gpa")
    assert "4.00" in gpa_row["message_en"] and "3.75" in gpa_row["message_en"] and "4.00" in gpa_row["message_ko"]
    event = application.events.last()
    assert (event.from_status, event.to_status, event.actor) == (Status.DRAFT, Status.SUBMITTED, student.user)
    mail = OutgoingMail.objects.get(kind="affiliation_submitted")
    assert mail.to == "student@sejong.example" and mail.language == "ko" and mail.status == OutgoingMail.Status.SENT


def test_the_server_rechecks_at_submission(student, fall_round, cse):
    application = draft(student, fall_round, cse)
    student.gpa = Decimal("3.74")  # the record changed after the checklist was seen
    student.save()
    with pytest.raises(NotEligible) as excinfo:
        services.application_submit(application_id=application.pk)
    assert "3.74" in str(excinfo.value.message)
    application.refresh_from_db()
    assert application.status == Status.DRAFT and application.eligibility == []


def test_a_submitted_application_cannot_be_submitted_or_edited_again(student, fall_round, cse):
    application = draft(student, fall_round, cse)
    services.application_submit(application_id=application.pk)
    with pytest.raises(InvalidTransition):
        services.application_submit(application_id=application.pk)
    with pytest.raises(InvalidTransition):
        draft(student, fall_round, cse, english_score=990)


def test_a_second_application_in_a_later_round_is_refused(student, fall_round, cse, main_campus):
    services.application_submit(application_id=draft(student, fall_round, cse).pk)
    later = AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))
    DepartmentQuotaFactory(round=later, department=cse, general_transfer_number=2)
    second = draft(student, later, cse)
    with pytest.raises(NotEligible) as excinfo:
        services.application_submit(application_id=second.pk)
    assert "2026" in str(excinfo.value.message)
    assert AffiliationApplication.objects.filter(record=student).exclude(status=Status.DRAFT).count() == 1


def test_the_database_allows_only_one_submitted_application_per_student(student, fall_round, cse):
    AffiliationApplicationFactory(record=student, round=fall_round, target_department=cse, status=Status.SUBMITTED,
                                  submitted_at=timezone.now())
    later = AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))
    with pytest.raises(IntegrityError):
        AffiliationApplicationFactory(record=student, round=later, target_department=cse, status=Status.SUBMITTED,
                                      submitted_at=timezone.now())


def test_an_unsubmitted_draft_does_not_count_as_an_application(student, fall_round, cse):
    earlier = AffiliationRoundFactory(
        term=TermFactory(year=2025, season="fall"), opens_at=timezone.now() - timedelta(days=400),
        closes_at=timezone.now() - timedelta(days=380),
    )
    AffiliationApplicationFactory(record=student, round=earlier, target_department=cse, status=Status.DRAFT)
    application = draft(student, fall_round, cse)
    services.application_submit(application_id=application.pk)
    assert AffiliationApplication.objects.get(pk=application.pk).status == Status.SUBMITTED


def test_nothing_is_written_outside_the_window(student, cse):
    closed = AffiliationRoundFactory(
        term=TermFactory(year=2027, season="fall"), opens_at=timezone.now() - timedelta(days=30),
        closes_at=timezone.now() - timedelta(seconds=1),
    )
    DepartmentQuotaFactory(round=closed, department=cse)
    with pytest.raises(WindowClosed):
        draft(student, closed, cse)
    assert not AffiliationApplication.objects.filter(round=closed).exists()


def test_submission_after_the_window_closes_is_refused(student, fall_round, cse):
    application = draft(student, fall_round, cse)
    with pytest.raises(WindowClosed):
        services.application_submit(application_id=application.pk, at=fall_round.closes_at)
    assert AffiliationApplication.objects.get(pk=application.pk).status == Status.DRAFT


def test_a_department_of_an_excluded_college_cannot_be_chosen(student, fall_round, cse, main_campus):
    medicine = excluded_department(fall_round, main_campus)
    application = draft(student, fall_round, medicine)
    with pytest.raises(NotEligible) as excinfo:
        services.application_submit(application_id=application.pk)
    assert "College of Medicine" in str(excinfo.value.message)


def test_a_department_with_quota_0_cannot_be_chosen(student, fall_round, cse, main_campus):
    empty = DepartmentFactory(campus=main_campus, name_en="Electrical Engineering")
    DepartmentQuotaFactory(round=fall_round, department=empty, general_transfer_number=3, override=0)
    with pytest.raises(NotEligible) as excinfo:
        services.application_submit(application_id=draft(student, fall_round, empty).pk)
    assert "Electrical Engineering" in str(excinfo.value.message)


def test_similar_major_policy_limits_the_targets(student, fall_round, cse, main_campus):
    from affiliation import selectors
    from affiliation.models import SimilarMajor

    fall_round.target_policy = "similar"
    fall_round.save()
    assert list(selectors.target_departments(round=fall_round, record=student)) == []
    assert failing(student, fall_round, draft(student, fall_round, cse)) == {"target"}
    SimilarMajor.objects.create(from_department=student.department, to_department=cse)
    assert list(selectors.target_departments(round=fall_round, record=student)) == [cse]
    assert failing(student, fall_round, AffiliationApplication.objects.get(record=student)) == set()


@pytest.mark.parametrize(("pattern", "ok"), [("EEEE", True), ("ELEEE", True), ("EEELEE", True), ("EEEEEE", False),
                                             ("EEEELE", False), ("EEE", False)])
def test_semester_history_from_the_database(fall_round, cse, pattern, ok):
    record = StudentRecordFactory()
    history(record, pattern)
    codes = failing(record, fall_round, draft(record, fall_round, cse))
    assert (codes == set()) is ok


def test_a_round_that_existed_in_the_4th_semester_counts(fall_round, cse):
    """5th semester after a leave taken after the 4th: the 4th (fall 2025) had a round in the portal."""
    AffiliationRoundFactory(term=TermFactory(year=2025, season="fall"), opens_at=timezone.now() - timedelta(days=400),
                            closes_at=timezone.now() - timedelta(days=390))
    record = StudentRecordFactory()
    history(record, "EEEELE")
    assert failing(record, fall_round, draft(record, fall_round, cse)) == {"semester_rule"}


def test_an_exception_shows_in_the_checklist_and_allows_submission(student, fall_round, cse, committee):
    student.gpa = Decimal("3.70")
    student.save()
    application = draft(student, fall_round, cse)
    assert failing(student, fall_round, application) == {"gpa"}
    services.exception_grant(round=fall_round, record=student, rule="gpa", reason="Illness, documented", actor=committee)
    check = next(r for r in services.eligibility_checklist(record=student, round=fall_round, application=application)
                 if r.code == "gpa")
    assert check.excepted and check.exception_reason == "Illness, documented" and "3.70" in check.message
    services.application_submit(application_id=application.pk)
    application.refresh_from_db()
    row = next(r for r in application.eligibility if r["code"] == "gpa")
    assert row["passed"] is False and row["excepted"] is True and row["exception_reason"] == "Illness, documented"
    assert EligibilityException.objects.get().granted_by == committee


def test_an_exception_needs_a_reason(student, fall_round, committee):
    with pytest.raises(DomainError):
        services.exception_grant(round=fall_round, record=student, rule="gpa", reason="  ", actor=committee)
    assert not EligibilityException.objects.exists()


def test_a_window_exception_lets_one_student_apply_late(student, cse, committee):
    closed = AffiliationRoundFactory(
        term=TermFactory(year=2027, season="fall"), opens_at=timezone.now() - timedelta(days=30),
        closes_at=timezone.now() - timedelta(hours=1),
    )
    DepartmentQuotaFactory(round=closed, department=cse)
    services.exception_grant(round=closed, record=student, rule="window", reason="Hospitalised", actor=committee)
    application = draft(student, closed, cse)
    services.application_submit(application_id=application.pk)
    assert AffiliationApplication.objects.get(pk=application.pk).status == Status.SUBMITTED


# ---- uploads ----------------------------------------------------------------------------------------------------

def test_uploads_are_stored_under_server_chosen_names(student, fall_round, cse):
    application = draft(student, fall_round, cse)
    for field in (application.english_certificate, application.study_plan):
        assert field.name.startswith("affiliation/") and field.name.endswith(".pdf")
        assert "toeic" not in field.name and "plan" not in field.name
        assert field.read().startswith(b"%PDF-")


def test_a_certificate_may_be_an_image(student, fall_round, cse):
    for content, name in ((PNG, "score.png"), (JPEG, "score.jpg"), (JPEG, "score.jpeg")):
        services.application_save(record=student, round=fall_round, values={},
                                  files={"english_certificate": SimpleUploadedFile(name, content)})
    assert AffiliationApplication.objects.get().english_certificate.name.endswith(".jpg")


@pytest.mark.parametrize(("kind", "name", "content"), [
    ("english_certificate", "score.pdf", b"MZ\x90\x00 this is an executable"),
    ("english_certificate", "score.pdf", PNG),  # content and name disagree
    ("study_plan", "plan.pdf", PNG),  # study plans are PDF only
    ("study_plan", "plan.exe", PDF),
    ("study_plan", "plan.pdf", b""),
])
def test_uploads_are_checked_by_content_not_only_by_name(student, fall_round, cse, kind, name, content):
    with pytest.raises(DomainError) as excinfo:
        services.application_save(record=student, round=fall_round, values={"target_department": cse},
                                  files={kind: SimpleUploadedFile(name, content)})
    assert excinfo.value.code == "upload"
    assert not AffiliationApplication.objects.exists()


def test_uploads_above_the_size_limit_are_refused(student, fall_round, cse, settings):
    settings.AFFILIATION_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(DomainError) as excinfo:
        services.application_save(record=student, round=fall_round, values={},
                                  files={"study_plan": pdf(content=PDF + b"0" * 1024)})
    assert "1 KB" in str(excinfo.value.message)
    services.application_save(record=student, round=fall_round, values={}, files={"study_plan": pdf()})


def test_a_study_plan_is_required_to_submit(student, fall_round, cse):
    application = services.application_save(
        record=student, round=fall_round,
        values={"target_department": cse, "english_test": "toefl", "english_score": 100,
                "english_test_date": timezone.localdate()},
        files={"english_certificate": pdf()},
    )
    with pytest.raises(NotEligible):
        services.application_submit(application_id=application.pk)


def test_draft_changes_are_recorded(student, fall_round, cse):
    application = draft(student, fall_round, cse)
    services.application_save(record=student, round=fall_round, values={"english_score": 900})
    last = ApplicationEvent.objects.filter(application=application).last()
    assert last.changes == {"english_score": [850, 900]}


def test_a_round_belongs_to_a_fall_term(db):
    from django.core.exceptions import ValidationError

    round = AffiliationRoundFactory.build(term=Term.objects.create(year=2026, season="spring"))
    with pytest.raises(ValidationError):
        round.full_clean()


@pytest.mark.parametrize(("test", "score"), [("toefl", 121), ("toeic", 991), ("teps", 1000), ("ielts", 7)])
def test_the_service_refuses_an_impossible_english_score(student, fall_round, cse, test, score):
    """The form's ranges are checked again by the service (a TOEFL 150 would pass rule 5 and break stage 1)."""
    with pytest.raises(DomainError):
        draft(student, fall_round, cse, english_test=test, english_score=score)
    assert not AffiliationApplication.objects.exists()


def test_it_names_every_refused_file_and_keeps_the_one_that_passed(student, fall_round, cse):
    with pytest.raises(services.UploadsRefused) as excinfo:
        services.application_save(
            record=student, round=fall_round, values={"target_department": cse},
            files={"english_certificate": pdf("toeic.pdf"), "study_plan": SimpleUploadedFile("plan.pdf", PNG)},
        )
    assert set(excinfo.value.problems) == {"study_plan"} and "plan.pdf" in excinfo.value.problems["study_plan"]
    application = AffiliationApplication.objects.get()
    assert application.status == Status.DRAFT and application.english_certificate and not application.study_plan
    assert application.target_department == cse
    documents = {row["kind"]: row for row in services.documents_checklist(application=application)}
    assert documents["english_certificate"]["uploaded"] and documents["english_certificate"]["name"] == "toeic.pdf"
    assert documents["english_certificate"]["size"] == len(PDF)
    assert not documents["study_plan"]["uploaded"]


def test_it_names_both_files_when_both_are_refused_and_writes_nothing(student, fall_round, cse):
    with pytest.raises(services.UploadsRefused) as excinfo:
        services.application_save(
            record=student, round=fall_round, values={"target_department": cse},
            files={"english_certificate": SimpleUploadedFile("score.pdf", b"MZ"), "study_plan": pdf("plan.exe")},
        )
    assert set(excinfo.value.problems) == {"english_certificate", "study_plan"}
    assert "score.pdf" in excinfo.value.message and "plan.exe" in excinfo.value.message
    assert not AffiliationApplication.objects.exists()


def test_it_reports_every_missing_file_at_submission_at_once(student, fall_round, cse):
    application = services.application_save(
        record=student, round=fall_round,
        values={"target_department": cse, "english_test": "toeic", "english_score": 900,
                "english_test_date": timezone.localdate()},
    )
    with pytest.raises(NotEligible) as excinfo:
        services.application_submit(application_id=application.pk)
    assert "upload its certificate" in excinfo.value.message and "study plan" in excinfo.value.message


def test_it_lists_the_documents_needed_before_any_draft(student, fall_round):
    documents = services.documents_checklist(application=None)
    assert [row["kind"] for row in documents] == ["english_certificate", "study_plan"]
    assert not any(row["uploaded"] for row in documents)
    assert "PDF" in str(documents[1]["needed"])
