"""The committee's admin: actions call services, scores edited in the list are recorded, imports, permissions."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from affiliation.models import AffiliationApplication, ApplicationEvent, EligibilityException, StudentRecord
from staffdesk.models import StaffJob

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


def test_the_score_import_page_lists_row_errors(committee_client, fall_round, cse, django_capture_on_commit_callbacks):
    _close(fall_round)
    response = _post_and_follow(committee_client, django_capture_on_commit_callbacks,
                                "/admin/affiliation/affiliationapplication/import-scores/", {
        "round": fall_round.pk,
        "file": SimpleUploadedFile("s.csv", b"student_number,document_score,interview_score\nNOBODY,1,1\n")})
    assert response.status_code == 200
    assert "Row 2:" in response.content.decode() and "Nothing was imported." in response.content.decode()
    job = StaffJob.objects.get()
    assert (job.kind, job.status, job.params, job.input_name) == ("scores_import", "failed", {"round_id": fall_round.pk}, "s.csv")
    assert [failure["row"] for failure in job.failures] == [2]


def test_the_record_import_page_imports(committee_client, committee, fall_round, cse, django_capture_on_commit_callbacks):
    from ..factories import DepartmentFactory, affiliation_campus

    DepartmentFactory(code="sj-x", campus=affiliation_campus(main=False))
    content = (b"student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
               b"liberal_arts_met,teacher_training,applied_before,semesters\n"
               b"S7777777,Kim,k@x.example,en,sejong,sj-x,60,10,4.00,yes,none,no,2026-2 enrolled\n")
    response = _post_and_follow(committee_client, django_capture_on_commit_callbacks,
                                "/admin/affiliation/studentrecord/import/", {"file": SimpleUploadedFile("r.csv", content)})
    assert response.status_code == 200 and "Imported 1 rows." in response.content.decode()
    assert StudentRecord.objects.filter(student_number="S7777777").exists()
    job = StaffJob.objects.get()
    assert (job.kind, job.status, job.done, job.total, job.created_by) == ("records_import", "done", 1, 1, committee)


def test_an_exception_is_granted_through_the_service(committee_client, committee, fall_round, student):
    response = committee_client.post("/admin/affiliation/eligibilityexception/add/", {
        "round": fall_round.pk, "record": student.pk, "rule": "gpa", "reason": "Documented illness"})
    assert response.status_code == 302
    exception = EligibilityException.objects.get()
    assert exception.granted_by == committee and exception.reason == "Documented illness"


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
