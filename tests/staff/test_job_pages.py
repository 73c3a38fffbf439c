"""The job page (polling until finished, final report), who may see it, the read-only job admin, and refusals
of a second job in the admin entry points."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from affiliation.jobs import JobKind as AffiliationJobKind
from core.models import StaffJob
from creditexchange.jobs import JobKind as CreditJobKind

from ..factories import AffiliationRoundFactory, StaffJobFactory, TermFactory

Status = StaffJob.Status


@pytest.fixture
def credit_job(registrar):
    return StaffJobFactory(kind=CreditJobKind.OFFERINGS_IMPORT, scope="term:1", params={"term_id": 1}, created_by=registrar)


@pytest.fixture
def affiliation_job(committee):
    return StaffJobFactory(kind=AffiliationJobKind.SELECTION_STAGE1, scope="round:7", params={"round_id": 7}, created_by=committee)


def _finish(job, **values):
    StaffJob.objects.filter(pk=job.pk).update(status=Status.DONE, started_at=timezone.now(), finished_at=timezone.now(), **values)


def test_a_queued_job_page_polls_itself_every_two_seconds(registrar_client, credit_job):
    response = registrar_client.get(f"/staff/jobs/{credit_job.pk}/")

    text = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert f'hx-get="/staff/jobs/{credit_job.pk}/"' in text and 'hx-trigger="every 2s"' in text
    assert 'data-status="queued"' in text and "Waiting for a worker" in text


def test_the_htmx_request_gets_only_the_status_part(registrar_client, credit_job):
    StaffJob.objects.filter(pk=credit_job.pk).update(status=Status.RUNNING, done=40, total=100)

    response = registrar_client.get(f"/staff/jobs/{credit_job.pk}/", HTTP_HX_REQUEST="true")

    text = response.content.decode()
    assert text.lstrip().startswith('<div id="job-status"') and "<html" not in text
    assert "40 of 100 done" in text and 'data-percent="40"' in text and 'hx-trigger="every 2s"' in text


def test_a_finished_job_stops_polling_and_shows_its_report(registrar_client, credit_job):
    _finish(credit_job, done=1, total=3, summary="Imported 1 row: 1 created, 0 updated.", failures=[
        {"row": 3, "reason": "unknown campus code “x”"}, {"item": "2027 Spring · hanbit · 1", "reason": "not approved"}])

    text = registrar_client.get(f"/staff/jobs/{credit_job.pk}/").content.decode()

    assert "hx-trigger" not in text and 'data-status="done"' in text
    assert "of 3 done" not in text and "Imported 1 row: 1 created, 0 updated." in text
    assert "Row 3: unknown campus code “x”" in text and "2027 Spring · hanbit · 1: not approved" in text
    assert "2 failures" in text
    assert "/admin/creditexchange/courseoffering/?term__id__exact=1" in text


def test_a_failed_job_shows_its_error(registrar_client, credit_job):
    StaffJob.objects.filter(pk=credit_job.pk).update(status=Status.FAILED, finished_at=timezone.now(), error="The file is empty.")

    text = registrar_client.get(f"/staff/jobs/{credit_job.pk}/").content.decode()

    assert 'id="job-error"' in text and "The file is empty." in text


def test_job_pages_follow_the_roles(client, registrar, committee, outsider, clerk, credit_job, affiliation_job):
    assert client.get(f"/staff/jobs/{credit_job.pk}/").status_code == 302  # anonymous: to the login page
    client.force_login(outsider)
    assert client.get(f"/staff/jobs/{credit_job.pk}/").status_code == 403
    client.force_login(clerk)
    assert client.get(f"/staff/jobs/{credit_job.pk}/").status_code == 403
    client.force_login(registrar)
    assert client.get(f"/staff/jobs/{credit_job.pk}/").status_code == 200
    assert client.get(f"/staff/jobs/{affiliation_job.pk}/").status_code == 403
    client.force_login(committee)
    assert client.get(f"/staff/jobs/{affiliation_job.pk}/").status_code == 200
    assert client.get(f"/staff/jobs/{credit_job.pk}/").status_code == 403
    assert client.get("/staff/jobs/999999/").status_code == 404


def test_the_job_admin_is_read_only_and_shows_each_role_its_own_kinds(client, registrar, committee, credit_job, affiliation_job):
    _finish(credit_job, failures=[{"row": 2, "reason": "bad"}])
    client.force_login(registrar)
    changelist = client.get("/admin/core/staffjob/")
    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [credit_job]
    assert client.get("/admin/core/staffjob/?kind__exact=offerings_import&status__exact=done").status_code == 200
    detail = client.get(f"/admin/core/staffjob/{credit_job.pk}/change/")
    assert detail.status_code == 200 and "<li>2: bad</li>" in detail.content.decode()
    assert client.get(f"/admin/core/staffjob/{affiliation_job.pk}/change/").status_code == 302  # not in its list
    assert client.get("/admin/core/staffjob/add/").status_code == 403
    assert client.post(f"/admin/core/staffjob/{credit_job.pk}/delete/", {"post": "yes"}).status_code == 403

    client.force_login(committee)
    assert list(client.get("/admin/core/staffjob/").context["cl"].result_list) == [affiliation_job]


class TestAdminEntryPointsRefuseASecondJob:
    def test_the_offering_import_names_the_running_job(self, registrar_client, registrar):
        term = TermFactory(year=2027, season="spring")
        running = StaffJobFactory(kind=CreditJobKind.OFFERINGS_IMPORT, scope=f"term:{term.pk}", status=Status.RUNNING, created_by=registrar)

        response = registrar_client.post("/admin/creditexchange/courseoffering/import/", {
            "term": term.pk, "file": SimpleUploadedFile("o.csv", b"code\n", "text/csv")})

        assert response.status_code == 200
        assert f"job #{running.pk}" in response.content.decode() and "already running" in response.content.decode()
        assert StaffJob.objects.count() == 1

    def test_a_selection_run_names_the_running_job(self, client, committee):
        client.force_login(committee)
        round = AffiliationRoundFactory()
        running = StaffJobFactory(kind=AffiliationJobKind.SELECTION_STAGE2, scope=f"round:{round.pk}", status=Status.RUNNING)

        response = client.post("/admin/affiliation/affiliationround/", {
            "action": "run_stage2", "_selected_action": [round.pk]}, follow=True)

        assert f"job #{running.pk}" in response.content.decode()
        assert StaffJob.objects.count() == 1

    def test_two_rounds_at_once_give_a_link_to_each_job(self, client, committee, django_capture_on_commit_callbacks):
        client.force_login(committee)
        rounds = [AffiliationRoundFactory(), AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))]

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/admin/affiliation/affiliationround/", {
                "action": "run_stage1", "_selected_action": [r.pk for r in rounds]})

        assert response.status_code == 302 and response["Location"] == "/admin/affiliation/affiliationround/"
        jobs = StaffJob.objects.order_by("pk")
        assert sorted(j.params["round_id"] for j in jobs) == sorted(r.pk for r in rounds)
        text = client.get(response["Location"]).content.decode()
        assert all(f'href="/staff/jobs/{job.pk}/"' in text for job in jobs)

    def test_the_partner_list_send_refuses_what_would_fail_before_any_job(self, registrar_client):
        from ..factories import InstitutionFactory

        term = TermFactory(year=2027, season="spring")
        partner = InstitutionFactory()

        response = registrar_client.post("/admin/creditexchange/partnerlist/send/", {
            "partner": partner.pk, "term": term.pk, "kind": "final"})

        assert response.status_code == 200 and "has no students" in response.content.decode()
        assert not StaffJob.objects.exists()


def test_a_failed_import_says_what_happened_instead_of_0_of_n_done(registrar_client, credit_job):
    StaffJob.objects.filter(pk=credit_job.pk).update(
        status=Status.FAILED, finished_at=timezone.now(), done=0, total=25,
        error="25 rows checked, 0 imported: 3 errors.", failures=[{"row": 4, "reason": "bad"}],
    )

    text = registrar_client.get(f"/staff/jobs/{credit_job.pk}/").content.decode()

    assert "0 of 25 done" not in text and 'id="job-progress"' not in text and "progress-bar" not in text
    assert "25 rows checked, 0 imported: 3 errors." in text and "Row 4: bad" in text
