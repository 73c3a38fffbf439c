"""The committee's admin: actions call services, scores edited in the list are recorded, imports, permissions."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from affiliation import services
from affiliation.models import AffiliationApplication, ApplicationEvent, EligibilityException, StudentRecord
from core.models import StaffJob

from ..factories import AffiliationApplicationFactory, StudentRecordFactory

Status = AffiliationApplication.Status


def _close(round):
    round.opens_at, round.closes_at = timezone.now() - timedelta(days=20), timezone.now() - timedelta(days=1)
    round.save()


def _post_and_follow(client, capture, url, data):
    """Post (the job runs when the request's transaction commits, in-process in tests), then open the page it leads to."""
    with capture(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302
    return client.get(response["Location"])


def test_the_committee_runs_stage1_from_the_round_list(
    committee_client, committee, fall_round, cse, django_capture_on_commit_callbacks
):
    _close(fall_round)
    applications = [
        AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.SUBMITTED,
                                      submitted_at=fall_round.opens_at, record=StudentRecordFactory(gpa=Decimal(g)))
        for g in ("4.5", "4.4", "4.3", "4.2", "4.1")
    ]
    response = _post_and_follow(committee_client, django_capture_on_commit_callbacks, "/admin/affiliation/affiliationround/",
                                {"action": "run_stage1", "_selected_action": [fall_round.pk]})
    job = StaffJob.objects.get()
    assert response.request["PATH_INFO"] == f"/staff/jobs/{job.pk}/"
    assert (job.kind, job.status, job.created_by, job.report) == ("selection_stage1", "done", committee, {"passed": 4, "failed": 1})
    assert "4 passed, 1 did not pass stage 1." in response.content.decode()
    assert AffiliationApplication.objects.get(pk=applications[-1].pk).status == Status.STAGE1_FAILED
    assert ApplicationEvent.objects.filter(actor=committee).count() == 5


def test_a_refused_action_shows_the_reason(committee_client, fall_round, django_capture_on_commit_callbacks):
    response = _post_and_follow(committee_client, django_capture_on_commit_callbacks, "/admin/affiliation/affiliationround/",
                                {"action": "run_stage1", "_selected_action": [fall_round.pk]})
    assert "only after the application window has closed" in response.content.decode()
    assert StaffJob.objects.get().status == "failed"
    assert fall_round.__class__.objects.get().stage1_run_at is None


def test_scores_edited_in_the_list_go_through_the_service(committee_client, committee, fall_round, cse):
    application = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.STAGE1_PASSED,
                                                submitted_at=fall_round.opens_at)
    response = committee_client.post("/admin/affiliation/affiliationapplication/", {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": application.pk,
        "form-0-document_score": "88.5", "form-0-interview_score": "", "_save": "Save"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.document_score == Decimal("88.5")
    event = ApplicationEvent.objects.get(application=application)
    assert event.actor == committee and event.changes == {"document_score": [None, "88.5"]}


def _list_edit(client, *rows):
    """POST the applications list's editable score columns: rows of (application, document, interview)."""
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for i, (application, document, interview) in enumerate(rows):
        data.update({f"form-{i}-id": application.pk, f"form-{i}-document_score": document,
                     f"form-{i}-interview_score": interview})
    return client.post("/admin/affiliation/affiliationapplication/", data, follow=True)


def _nothing_changed(*applications):
    for application in applications:
        stored = AffiliationApplication.objects.get(pk=application.pk)
        assert (stored.document_score, stored.interview_score) == (application.document_score, application.interview_score)
    assert not ApplicationEvent.objects.exists() and not LogEntry.objects.exists()


@pytest.mark.parametrize("status, final_published, error", [
    (Status.SUBMITTED, False, "Scores are entered only for applicants who passed stage 1."),
    (Status.STAGE1_PASSED, True, "Final results are published; scores can no longer change."),
])
def test_a_score_refused_in_the_list_shows_only_the_error_and_changes_nothing(
    committee_client, fall_round, cse, status, final_published, error
):
    if final_published:
        fall_round.stage1_published_at = fall_round.final_published_at = timezone.now()
        fall_round.save()
    refused = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=status,
                                            submitted_at=fall_round.opens_at)
    fine = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.STAGE1_PASSED,
                                         submitted_at=fall_round.opens_at)
    response = _list_edit(committee_client, (fine, "70", "75"), (refused, "88.5", ""))
    html = response.content.decode()
    assert response.status_code == 200 and error in html
    assert "changed successfully" not in html
    _nothing_changed(fine, refused)  # the batch is all or nothing, like any other list error


def test_a_score_cannot_be_emptied_in_the_list(committee_client, fall_round, cse):
    application = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.STAGE1_PASSED,
                                                submitted_at=fall_round.opens_at, document_score=Decimal("80"))
    response = _list_edit(committee_client, (application, "", ""))
    html = response.content.decode()
    assert "A score cannot be removed" in html and "changed successfully" not in html
    _nothing_changed(application)


def test_a_score_refused_only_when_saving_shows_only_the_error(committee_client, fall_round, cse, monkeypatch):
    """The state may change between the list's validation and the save (another committee member, a stage run):
    the service's refusal then undoes the whole batch and is the only message."""
    refused = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.SUBMITTED,
                                            submitted_at=fall_round.opens_at)
    fine = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.STAGE1_PASSED,
                                         submitted_at=fall_round.opens_at)
    monkeypatch.setattr(services, "application_scores_check", lambda **kwargs: None)  # validation saw the old state
    response = _list_edit(committee_client, (fine, "70", "75"), (refused, "88.5", ""))
    html = response.content.decode()
    assert "Scores are entered only for applicants who passed stage 1." in html
    assert "changed successfully" not in html
    _nothing_changed(fine, refused)


def test_a_score_refused_in_the_change_form_shows_only_the_error(committee_client, fall_round, cse):
    application = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.SUBMITTED,
                                                submitted_at=fall_round.opens_at)
    response = committee_client.post(f"/admin/affiliation/affiliationapplication/{application.pk}/change/", {
        "document_score": "88.5", "interview_score": "", "events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0",
        "_save": "Save"}, follow=True)
    html = response.content.decode()
    assert "Scores are entered only for applicants who passed stage 1." in html and "changed successfully" not in html
    _nothing_changed(application)


def test_the_score_import_page_lists_row_errors(committee_client, fall_round, cse, django_capture_on_commit_callbacks):
    _close(fall_round)
    response = _post_and_follow(committee_client, django_capture_on_commit_callbacks,
                                "/admin/affiliation/affiliationapplication/import-scores/", {
        "round": fall_round.pk,
        "file": SimpleUploadedFile("s.csv", b"student_number,document_score,interview_score\nNOBODY,1,1\n")})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Row 2:" in html and "0 imported" in html
    job = StaffJob.objects.get()
    assert (job.kind, job.status, job.params, job.input_name) == ("scores_import", "failed", {"round_id": fall_round.pk, "dry_run": True}, "s.csv")
    assert [failure["row"] for failure in job.failures] == [2]


def test_the_record_import_page_imports(committee_client, committee, fall_round, cse, django_capture_on_commit_callbacks):
    from ..factories import DepartmentFactory, affiliation_campus

    DepartmentFactory(code="sj-x", campus=affiliation_campus(main=False))
    content = (b"student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
               b"liberal_arts_met,teacher_training,applied_before,semesters\n"
               b"S7777777,Kim,k@x.example,en,sejong,sj-x,60,10,4.00,yes,none,no,2026-2 enrolled\n")
    response = _post_and_follow(committee_client, django_capture_on_commit_callbacks,
                                "/admin/affiliation/studentrecord/import/", {"file": SimpleUploadedFile("r.csv", content)})
    assert response.status_code == 200 and "Confirm import" in response.content.decode()  # a preview first
    assert not StudentRecord.objects.filter(student_number="S7777777").exists()
    preview = StaffJob.objects.get()
    response = _post_and_follow(committee_client, django_capture_on_commit_callbacks,
                                f"/staff/jobs/{preview.pk}/confirm/", {"fingerprint": preview.report["fingerprint"]})
    assert response.status_code == 200 and "Imported 1 row" in response.content.decode()
    assert StudentRecord.objects.filter(student_number="S7777777").exists()
    job = StaffJob.objects.get(confirms=preview)
    assert (job.kind, job.status, job.done, job.total, job.created_by) == ("records_import", "done", 1, 1, committee)


def test_an_exception_is_granted_through_the_service(committee_client, committee, fall_round, student):
    response = committee_client.post("/admin/affiliation/eligibilityexception/add/", {
        "round": fall_round.pk, "record": student.pk, "rule": "gpa", "reason": "Documented illness"})
    assert response.status_code == 302
    exception = EligibilityException.objects.get()
    assert exception.granted_by == committee and exception.reason == "Documented illness"


def test_the_rule_of_a_granted_exception_stays_and_only_its_reason_changes(
    committee_client, committee, fall_round, student
):
    """An exception is one rule for one student in one round: changing the rule or the student means granting a new
    exception (and deleting this one); the change page edits the reason of this very exception."""
    committee_client.post("/admin/affiliation/eligibilityexception/add/", {
        "round": fall_round.pk, "record": student.pk, "rule": "gpa", "reason": "Documented illness"})
    exception = EligibilityException.objects.get()
    url = f"/admin/affiliation/eligibilityexception/{exception.pk}/change/"
    page = committee_client.get(url).content.decode()
    assert 'name="rule"' not in page and 'name="record"' not in page and 'name="round"' not in page
    assert 'name="reason"' in page and "only the reason can be edited" in page
    other = StudentRecordFactory()
    response = committee_client.post(url, {"round": fall_round.pk, "record": other.pk, "rule": "credits",
                                           "reason": "Documented illness (hospital letter of 3 May)"})
    assert response.status_code == 302
    changed = EligibilityException.objects.get()  # still one exception, the same row
    assert (changed.pk, changed.record, changed.rule) == (exception.pk, student, "gpa")
    assert changed.reason == "Documented illness (hospital letter of 3 May)" and changed.granted_by == committee
    trail = LogEntry.objects.filter(object_id=str(exception.pk)).order_by("pk")
    assert [(e.action_flag, e.user) for e in trail] == [(ADDITION, committee), (CHANGE, committee)]
    assert "Reason" in trail[1].get_change_message()


def test_confirm_action_needs_the_conditions_check(committee_client, fall_round, cse):
    application = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.ADMITTED,
                                                submitted_at=fall_round.opens_at)
    response = committee_client.post("/admin/affiliation/affiliationapplication/", {
        "action": "confirm_selected", "_selected_action": [application.pk]}, follow=True)
    assert "Check the conditions after the winter session" in response.content.decode()
    assert AffiliationApplication.objects.get().status == Status.ADMITTED


def test_outsiders_and_registrars_cannot_use_the_committee_admin(client, outsider, registrar, fall_round):
    client.force_login(outsider)
    assert client.get("/admin/affiliation/affiliationapplication/").status_code == 302
    client.force_login(registrar)
    assert client.get("/admin/affiliation/affiliationapplication/").status_code == 403
    response = client.post("/admin/affiliation/affiliationround/", {"action": "run_stage1", "_selected_action": [fall_round.pk]})
    assert response.status_code == 403
    assert fall_round.__class__.objects.get().stage1_run_at is None


def test_every_page_of_the_committee_admin_opens(committee_client, fall_round, cse, student):
    application = AffiliationApplicationFactory(round=fall_round, record=student, target_department=cse,
                                                status=Status.SUBMITTED, submitted_at=timezone.now())
    for url in [
        "/admin/affiliation/", "/admin/affiliation/studentrecord/", f"/admin/affiliation/studentrecord/{student.pk}/change/",
        "/admin/affiliation/affiliationround/", f"/admin/affiliation/affiliationround/{fall_round.pk}/change/",
        "/admin/affiliation/affiliationapplication/", f"/admin/affiliation/affiliationapplication/{application.pk}/change/",
        "/admin/affiliation/departmentquota/", "/admin/affiliation/similarmajor/", "/admin/affiliation/applicationevent/",
        "/admin/affiliation/eligibilityexception/", "/admin/affiliation/semesterrecord/",
        "/admin/affiliation/studentrecord/import/", "/admin/affiliation/affiliationapplication/import-scores/",
    ]:
        assert committee_client.get(url).status_code == 200, url


def test_the_application_page_reads_its_event_trail_in_a_fixed_number_of_queries(committee_client, fall_round, cse):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import UserFactory

    application = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.SUBMITTED,
                                                submitted_at=timezone.now())
    url = f"/admin/affiliation/affiliationapplication/{application.pk}/change/"

    def queries_with(events: int) -> int:
        for _ in range(events):
            ApplicationEvent.objects.create(application=application, to_status=Status.SUBMITTED, actor=UserFactory())
        with CaptureQueriesContext(connection) as captured:
            assert committee_client.get(url).status_code == 200
        return len(captured.captured_queries)

    queries_with(0)  # warm the per-request caches (permissions, content types)
    assert queries_with(2) == queries_with(6)


def test_it_labels_each_editable_score_in_the_list_with_the_column_and_the_applicant(committee_client, fall_round, cse):
    """axe-core (WCAG 1.3.1/4.1.2): a score box in the list has no <label>; its accessible name says which score of
    which applicant it is."""
    application = AffiliationApplicationFactory(round=fall_round, target_department=cse, status=Status.STAGE1_PASSED,
                                                submitted_at=fall_round.opens_at)
    html = committee_client.get("/admin/affiliation/affiliationapplication/").content.decode()
    assert f'aria-label="Document score: {application}"' in html
    assert f'aria-label="Interview score: {application}"' in html
