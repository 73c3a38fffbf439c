"""Background jobs: queued → running → done with a report, failures with reasons, one job per kind and scope,
a duplicated task does nothing, and the relay hands over a job the broker never got."""

import hashlib
import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone, translation

from academics.models import TermWindow
from affiliation.jobs import JobKind as AffiliationJobKind
from affiliation.models import StudentRecord
from core.jobs import runners, services
from core.jobs.services import JobAlreadyActive, job_run, job_start, jobs_relay
from core.models import StaffJob
from core.tasks import relay_staff_jobs_task, run_staff_job_task
from creditexchange.jobs import JobKind as CreditJobKind
from creditexchange.models import ApplicationEvent, CourseOffering, TemporaryIdApplication
from creditexchange.services.offerings import COLUMNS

from ..factories import (
    ApplicationFactory,
    DepartmentFactory,
    StaffJobFactory,
    TermFactory,
    TermWindowFactory,
    affiliation_campus,
    host_campus,
)

Status = StaffJob.Status
RECORD_HEADER = ("student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
                 "liberal_arts_met,teacher_training,applied_before,semesters\n")


def _offerings_csv(*codes: str, campus: str = "main") -> bytes:
    lines = [",".join(COLUMNS)]
    for code in codes:
        lines.append(f"{code},01,과목,Course,3,30,Kim,,{campus},Room 1,yes,Mon 09:00-10:30")
    return ("\n".join(lines) + "\n").encode()


def _records_csv(*rows: str) -> bytes:
    return (RECORD_HEADER + "".join(f"{row}\n" for row in rows)).encode()


def _record_row(number: str, *, gpa: str = "4.00") -> str:
    return f"{number},Kim,{number.lower()}@x.example,en,sejong,sj-x,60,10,{gpa},yes,none,no,2026-2 enrolled"


@pytest.fixture
def term(db):
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.COURSE_OPENING)
    host_campus("main")
    return term


@pytest.fixture
def sejong_department(db):
    return DepartmentFactory(code="sj-x", campus=affiliation_campus(main=False))


class TestLifecycle:
    def test_a_job_is_queued_until_its_transaction_commits_then_runs_once(
        self, registrar, term, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            job = job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar,
                            file=("offerings.csv", _offerings_csv("CSE101", "MAT201")))
        job.refresh_from_db()
        assert (job.status, job.scope, job.created_by, job.started_at) == (Status.QUEUED, f"term:{term.pk}", registrar, None)
        assert bytes(job.input_content) == _offerings_csv("CSE101", "MAT201") and job.input_size == len(job.input_content)
        assert len(callbacks) == 1 and not CourseOffering.objects.exists()

        callbacks[0]()  # the commit hands the job to Celery (eager in tests)

        job.refresh_from_db()
        assert job.status == Status.DONE and job.started_at <= job.finished_at and job.dispatched_at is None
        assert (job.done, job.total, job.failures, job.error) == (2, 2, [], "")
        assert (job.report["created"], job.report["updated"], job.report["dry_run"]) == (2, 0, False)  # + the changes
        assert job.summary == "Imported 2 rows: 2 created, 0 updated."
        assert CourseOffering.objects.filter(term=term).count() == 2
        # The bytes are dropped once imported; name, size and hash remain.
        assert job.input_content is None and job.input_name == "offerings.csv"
        assert job.input_sha256 == hashlib.sha256(_offerings_csv("CSE101", "MAT201")).hexdigest()

    def test_the_job_is_running_while_its_service_works_and_progress_is_written_every_n_items(self, registrar, monkeypatch):
        seen = {}

        def fake(job, progress):
            for done in range(1, 51):
                progress(done, 50)
                if done in (1, 19, 20, 39, 40, 50):
                    row = StaffJob.objects.get(pk=job.pk)
                    seen[done] = (row.status, row.done, row.total)
            return runners.Outcome(status=Status.DONE, done=50, total=50, summary="ok")

        runner = runners.RUNNERS[AffiliationJobKind.SELECTION_STAGE1]
        monkeypatch.setitem(runners.RUNNERS, AffiliationJobKind.SELECTION_STAGE1, runners.Runner(
            permission=runner.permission, scope=runner.scope, run=fake, back=runner.back))
        job = StaffJobFactory(kind=AffiliationJobKind.SELECTION_STAGE1, created_by=registrar)

        assert job_run(job_id=job.pk) is True

        assert seen == {
            1: (Status.RUNNING, 0, None), 19: (Status.RUNNING, 0, None), 20: (Status.RUNNING, 20, 50),
            39: (Status.RUNNING, 20, 50), 40: (Status.RUNNING, 40, 50), 50: (Status.RUNNING, 50, 50),
        }
        job.refresh_from_db()
        assert (job.status, job.summary) == (Status.DONE, "ok")

    def test_a_duplicated_task_does_nothing_the_second_time(self, registrar, approved_application):
        job = StaffJobFactory(kind=CreditJobKind.TEMPORARY_IDS_ISSUE, scope="all", params={"application_ids": [approved_application.pk]},
                              created_by=registrar)

        run_staff_job_task.delay(job.pk)
        job.refresh_from_db()
        finished = (job.status, job.finished_at, job.report, job.done)
        assert job_run(job_id=job.pk) is False
        run_staff_job_task.delay(job.pk)

        job.refresh_from_db()
        assert (job.status, job.finished_at, job.report, job.done) == finished == (
            Status.DONE, job.finished_at, {"issued": 1, "skipped": 0}, 1)
        assert ApplicationEvent.objects.filter(application=approved_application, to_status="issued").count() == 1

    def test_texts_are_written_in_the_language_of_the_person_who_started_the_job(
        self, registrar, term, django_capture_on_commit_callbacks
    ):
        with translation.override("ko"), django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar,
                            file=("offerings.csv", _offerings_csv("CSE101")))
        job.refresh_from_db()
        assert job.language == "ko"
        with translation.override("ko"):
            assert job.summary == "1개 행을 가져왔습니다: 1개 생성, 0개 수정."


class TestFailures:
    def test_a_failing_row_is_reported_with_its_reason_and_nothing_is_imported(
        self, committee, sejong_department, django_capture_on_commit_callbacks
    ):
        content = _records_csv(_record_row("S1000001"), _record_row("S1000002", gpa="5.10"), _record_row("S1000003"))
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={}, actor=committee, file=("records.csv", content))

        job.refresh_from_db()
        assert job.status == Status.FAILED and job.error == "3 rows checked, 0 imported: 1 error."
        assert job.failures == [{"row": 3, "reason": "gpa must be between 0.00 and 4.50 with at most two decimals"}]
        assert (job.done, job.total) == (0, 3)
        assert not StudentRecord.objects.exists()

    def test_issuance_skips_an_application_that_is_not_approved_and_says_why(
        self, registrar, approved_application, confirmed_application, django_capture_on_commit_callbacks
    ):
        ids = [approved_application.pk, confirmed_application.pk]
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=CreditJobKind.TEMPORARY_IDS_ISSUE, params={"application_ids": ids}, actor=registrar)

        job.refresh_from_db()
        assert (job.status, job.done, job.total, job.report) == (Status.DONE, 1, 2, {"issued": 1, "skipped": 1})
        assert job.failures == [{
            "item": str(confirmed_application),
            "reason": "Only approved applications can be issued an ID; this one is “Confirmed”.",
        }]
        assert job.summary == "1 temporary student ID issued. 1 application skipped."
        assert TemporaryIdApplication.objects.get(pk=approved_application.pk).status == "issued"

    def test_a_whole_job_refusal_fails_the_job_with_the_message(self, committee, django_capture_on_commit_callbacks):
        from ..factories import AffiliationRoundFactory

        round = AffiliationRoundFactory()  # the application window is still open
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=AffiliationJobKind.SELECTION_STAGE1, params={"round_id": round.pk}, actor=committee)

        job.refresh_from_db()
        assert job.status == Status.FAILED
        assert job.error == "Stage 1 can run only after the application window has closed."

    def test_an_unexpected_error_fails_the_job_and_frees_the_scope(self, registrar, monkeypatch, caplog):
        def broken(job, progress):
            raise ZeroDivisionError("bug")

        runner = runners.RUNNERS[CreditJobKind.TEMPORARY_IDS_ISSUE]
        monkeypatch.setitem(runners.RUNNERS, CreditJobKind.TEMPORARY_IDS_ISSUE, runners.Runner(
            permission=runner.permission, scope=runner.scope, run=broken, back=runner.back))
        job = StaffJobFactory(kind=CreditJobKind.TEMPORARY_IDS_ISSUE, scope="all", params={"application_ids": []}, created_by=registrar)

        job_run(job_id=job.pk)

        job.refresh_from_db()
        assert job.status == Status.FAILED and "ZeroDivisionError" in job.error
        assert "Staff job" in caplog.text
        assert StaffJobFactory(kind=CreditJobKind.TEMPORARY_IDS_ISSUE, scope="all").status == Status.QUEUED


class TestOneJobAtATime:
    def test_a_second_job_of_the_same_kind_and_scope_is_refused_with_a_clear_message(self, registrar, term):
        first = job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar,
                          file=("a.csv", _offerings_csv("CSE101")))

        with pytest.raises(JobAlreadyActive) as refused:
            job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar,
                      file=("b.csv", _offerings_csv("CSE102")))

        assert refused.value.job == first
        assert f"job #{first.pk}, started by registrar" in str(refused.value.message)
        assert "already queued" in str(refused.value.message)
        assert StaffJob.objects.count() == 1

    def test_another_scope_or_kind_may_run_at_the_same_time(self, registrar, term):
        other = TermFactory(year=2027, season="fall")
        job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar, file=("a.csv", b"x"))

        job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": other.pk}, actor=registrar, file=("a.csv", b"x"))
        job_start(kind=CreditJobKind.TEMPORARY_IDS_ISSUE, params={"application_ids": []}, actor=registrar)

        assert StaffJob.objects.filter(status=Status.QUEUED).count() == 3

    def test_a_finished_job_frees_its_scope(self, registrar, term):
        StaffJobFactory(kind=CreditJobKind.OFFERINGS_IMPORT, scope=f"term:{term.pk}", status=Status.DONE)
        StaffJobFactory(kind=CreditJobKind.OFFERINGS_IMPORT, scope=f"term:{term.pk}", status=Status.FAILED)

        job = job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar, file=("a.csv", b"x"))

        assert job.status == Status.QUEUED

    def test_the_database_refuses_a_second_active_job_as_a_backstop(self, db):
        StaffJobFactory(kind=AffiliationJobKind.RECORDS_IMPORT, scope="all", status=Status.RUNNING)

        with pytest.raises(IntegrityError), transaction.atomic():
            StaffJobFactory(kind=AffiliationJobKind.RECORDS_IMPORT, scope="all", status=Status.QUEUED)

    def test_only_staff_whose_role_may_do_the_work_can_start_it(self, committee, term):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=committee, file=("a.csv", b"x"))
        assert not StaffJob.objects.exists()

    def test_an_oversized_file_is_refused(self, registrar, term):
        from core.errors import DomainError

        with pytest.raises(DomainError):
            job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar,
                      file=("big.csv", b"x" * (services.INPUT_MAX_BYTES + 1)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_starting_the_same_job_at_the_same_instant_get_one_job(registrar, monkeypatch):
    monkeypatch.setattr(services, "job_dispatch", lambda **kwargs: None)  # keep every job queued
    term = TermFactory(year=2027, season="spring")
    barrier, outcomes = threading.Barrier(4), []

    def start():
        close_old_connections()
        try:
            barrier.wait()
            job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar, file=("a.csv", b"x"))
            outcomes.append("started")
        except JobAlreadyActive:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "refused", "refused", "started"]
    assert StaffJob.objects.filter(kind=CreditJobKind.OFFERINGS_IMPORT).count() == 1


class TestRelay:
    def test_a_job_the_broker_never_got_stays_queued_and_the_relay_hands_it_over_once(
        self, registrar, term, monkeypatch, django_capture_on_commit_callbacks
    ):
        monkeypatch.setattr(services, "broker_publish", lambda task, *args: False)  # the broker is down
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=CreditJobKind.OFFERINGS_IMPORT, params={"term_id": term.pk}, actor=registrar,
                            file=("a.csv", _offerings_csv("CSE101")))
        job.refresh_from_db()
        assert (job.status, job.dispatched_at) == (Status.QUEUED, None)
        assert jobs_relay() == 0  # younger than 30 s: its own dispatch may still be on the way

        monkeypatch.undo()  # the broker is back
        StaffJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
        assert relay_staff_jobs_task.delay().get() == 1

        job.refresh_from_db()
        assert job.status == Status.DONE and CourseOffering.objects.count() == 1
        assert jobs_relay() == 0

    def test_the_relay_stops_at_the_first_failed_hand_over(self, db, monkeypatch):
        old = timezone.now() - timedelta(minutes=2)
        for _ in range(3):
            StaffJobFactory()
        StaffJob.objects.update(created_at=old)
        calls = []
        monkeypatch.setattr(services, "broker_publish", lambda task, *args: calls.append(args) and False)

        assert jobs_relay() == 0 and len(calls) == 1

    def test_a_job_handed_over_recently_is_left_to_its_worker(self, db, monkeypatch):
        now = timezone.now()
        waiting = StaffJobFactory()
        lost = StaffJobFactory()
        StaffJob.objects.update(created_at=now - timedelta(minutes=30))
        StaffJob.objects.filter(pk=waiting.pk).update(dispatched_at=now - timedelta(minutes=1))
        StaffJob.objects.filter(pk=lost.pk).update(dispatched_at=now - timedelta(minutes=11))
        handed = []
        monkeypatch.setattr(services, "broker_publish", lambda task, *args: handed.append(args[0]) or True)

        assert jobs_relay() == 1 and handed == [lost.pk]

    def test_a_job_whose_worker_died_is_marked_failed_and_frees_its_scope(self, registrar):
        job = StaffJobFactory(kind=AffiliationJobKind.RECORDS_IMPORT, scope="all", status=Status.RUNNING, created_by=registrar)
        StaffJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=1))
        recent = StaffJobFactory(kind=AffiliationJobKind.SCORES_IMPORT, scope="round:1", status=Status.RUNNING)
        StaffJob.objects.filter(pk=recent.pk).update(started_at=timezone.now() - timedelta(minutes=5))

        jobs_relay()

        job.refresh_from_db()
        assert job.status == Status.FAILED and "worker stopped" in job.error and job.finished_at
        assert StaffJob.objects.get(pk=recent.pk).status == Status.RUNNING
        assert StaffJobFactory(kind=AffiliationJobKind.RECORDS_IMPORT, scope="all").status == Status.QUEUED

    def test_the_beat_runs_the_relay_every_minute(self, settings):
        schedule = settings.CELERY_BEAT_SCHEDULE["relay-staff-jobs"]
        assert (schedule["task"], schedule["schedule"]) == ("staffdesk.tasks.relay_staff_jobs_task", 60.0)


def test_the_service_keeps_working_without_a_job(term):
    """The services the jobs call stay callable on their own (commands, beat tasks), progress optional."""
    from creditexchange.services import offerings_import, temporary_id_issue_batch

    assert offerings_import(term=term, content=_offerings_csv("CSE101"), filename="a.csv").created == 1
    ApplicationFactory(term=term, status="approved")
    report = temporary_id_issue_batch()
    assert (report.issued, report.skipped, report.failures) == (1, 0, [])


def test_the_services_report_progress_row_by_row_when_asked(term, sejong_department, approved_application):
    from affiliation.services import records_import
    from creditexchange.services import offerings_import, temporary_id_issue_batch

    calls = []
    offerings_import(term=term, content=_offerings_csv("A1", "A2", "A3"), filename="a.csv",
                     progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]

    calls.clear()
    records_import(content=_records_csv(_record_row("S2000001"), _record_row("S2000002", gpa="x")), filename="r.csv",
                   progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]

    calls.clear()
    report = temporary_id_issue_batch(application_ids=[approved_application.pk, approved_application.pk],
                                      progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 1)] and report.issued == 1  # a repeated id is tried once


class TestWhatHappened:
    """Issue 11: a finished job says what happened ("25 rows checked, 0 imported: 3 errors"), not "0 of 25 done"."""

    def test_it_counts_checked_rows_and_errors_of_a_refused_import(
        self, committee, sejong_department, django_capture_on_commit_callbacks
    ):
        rows = [_record_row(f"S10000{n:02d}", gpa="5.10" if n in (3, 7, 9) else "3.50") for n in range(1, 26)]
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={}, actor=committee, file=("records.csv", _records_csv(*rows)))

        job.refresh_from_db()
        assert job.status == Status.FAILED and job.error == "25 rows checked, 0 imported: 3 errors."
        assert job.report == {"rows": 25, "errors": 3} and not StudentRecord.objects.exists()

    def test_it_says_how_many_rows_were_imported_in_the_singular_and_in_korean(
        self, committee, sejong_department, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={}, actor=committee,
                            file=("records.csv", _records_csv(_record_row("S1000001"))))
        job.refresh_from_db()
        assert (job.status, job.summary) == (Status.DONE, "Imported 1 row.")

        with translation.override("ko"), django_capture_on_commit_callbacks(execute=True):
            job = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={}, actor=committee,
                            file=("records.csv", _records_csv(_record_row("S1000001"), _record_row("S1000002"))))
        job.refresh_from_db()
        assert (job.status, job.summary) == (Status.DONE, "2개 행을 가져왔습니다.")
