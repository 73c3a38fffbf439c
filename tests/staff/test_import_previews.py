"""Import previews (issue 12): every upload starts a dry run, whose page previews the changes with a
"Confirm import" button; the confirmation starts the real import with the same bytes and the preview's
fingerprint, once, only for someone allowed to run it; a stale preview fails with a link to upload again.

The staff plumbing is tested with a fake records-import runner that follows the import contract
(/work/notes/import_contract.md): a dry run reports changes and a fingerprint and writes nothing; the real run
refuses a changed state with ``StalePreview`` and records a ``BulkAction``.
"""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from affiliation.jobs import JobKind as AffiliationJobKind
from core.bulk import StalePreview, bulk_record, fingerprint
from core.jobs import runners
from core.jobs.services import PREVIEW_KEEP, job_start, jobs_relay
from core.models import BulkAction, StaffJob
from creditexchange.jobs import JobKind as CreditJobKind

from ..factories import StaffJobFactory, TermFactory

Status = StaffJob.Status
UPLOAD = "/admin/affiliation/studentrecord/import/"


class FakeRecords:
    """The state a fake import works on: ``values`` label → value; the file's lines are ``label,value``."""

    def __init__(self):
        self.values = {"20211234": "old"}
        self.calls = []

    def run(self, job, progress):
        content = bytes(job.input_content or b"")
        rows = dict(line.split(",", 1) for line in content.decode().splitlines() if line)
        progress(len(rows), len(rows))
        current = {label: self.values.get(label, "absent") for label in rows}
        print_ = fingerprint({"file": hashlib.sha256(content).hexdigest(), "current": current})
        changes = [
            {"object": "affiliation.studentrecord", "id": None if label not in self.values else 1, "label": label,
             "before": None if label not in self.values else {"name": self.values[label]}, "after": {"name": value}}
            for label, value in rows.items() if self.values.get(label) != value
        ]
        dry_run, expected = bool(job.params.get("dry_run")), job.params.get("expected", "")
        self.calls.append({"dry_run": dry_run, "expected": expected, "content": content})
        created = sum(1 for c in changes if c["before"] is None)
        report = {"created": created, "updated": len(changes) - created, "changes": changes[:500],
                  "changes_total": len(changes), "fingerprint": print_, "dry_run": dry_run}
        if not dry_run:
            if expected and expected != print_:
                raise StalePreview()
            self.values.update(rows)
            bulk_record(kind="affiliation.records_import", actor=job.created_by, scope="all", changes=changes,
                        inputs={"file": job.input_name, "sha256": job.input_sha256, "expected": expected})
        return runners.Outcome(status=Status.DONE, done=len(changes), total=len(changes), report=report,
                               summary="Imported.")


@pytest.fixture
def fake(monkeypatch):
    fake = FakeRecords()
    real = runners.RUNNERS[AffiliationJobKind.RECORDS_IMPORT]
    monkeypatch.setitem(runners.RUNNERS, AffiliationJobKind.RECORDS_IMPORT, runners.Runner(
        permission=real.permission, scope=real.scope, run=fake.run, back=real.back, upload=real.upload))
    return fake


@pytest.fixture
def committee_client(client, committee):
    client.force_login(committee)
    return client


def _upload(client, capture, content=b"20211234,new\n20219999,added\n"):
    with capture(execute=True):
        response = client.post(UPLOAD, {"file": SimpleUploadedFile("records.csv", content, "text/csv")})
    assert response.status_code == 302, response.content.decode()[:2000]
    return StaffJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def _confirm(client, capture, preview, fingerprint_=None):
    with capture(execute=True):
        return client.post(f"/staff/jobs/{preview.pk}/confirm/", {
            "fingerprint": preview.report.get("fingerprint", "") if fingerprint_ is None else fingerprint_})


def test_an_upload_starts_a_dry_run_that_changes_nothing_and_previews_every_change(
    committee_client, fake, django_capture_on_commit_callbacks
):
    preview = _upload(committee_client, django_capture_on_commit_callbacks)

    assert preview.params["dry_run"] is True and preview.status == Status.DONE
    assert fake.values == {"20211234": "old"} and not BulkAction.objects.exists()
    assert bytes(preview.input_content) == b"20211234,new\n20219999,added\n"  # kept for the confirmation
    text = committee_client.get(f"/staff/jobs/{preview.pk}/").content.decode()
    assert "Preview: 1 to create, 1 to change. Nothing has been imported yet" in text
    assert 'id="job-preview-table"' in text and "20211234" in text and "old" in text and "→ new" in text
    assert 'class="table-success"' in text and ">new</span>" in text  # the created row is marked
    assert f'action="/staff/jobs/{preview.pk}/confirm/"' in text and "csrfmiddlewaretoken" in text
    assert f'value="{preview.report["fingerprint"]}"' in text and "Confirm import" in text


def test_confirming_imports_the_same_bytes_once_and_links_the_staff_action_log(
    committee_client, committee, fake, django_capture_on_commit_callbacks
):
    preview = _upload(committee_client, django_capture_on_commit_callbacks)

    response = _confirm(committee_client, django_capture_on_commit_callbacks, preview)

    real = StaffJob.objects.exclude(pk=preview.pk).get()
    assert response["Location"] == f"/staff/jobs/{real.pk}/"
    assert real.confirms == preview and real.created_by == committee and real.status == Status.DONE
    same = {key: value for key, value in preview.params.items() if key != "dry_run"}
    assert real.params == {**same, "expected": preview.report["fingerprint"]} and real.input_sha256 == preview.input_sha256
    assert fake.calls[-1] == {"dry_run": False, "expected": preview.report["fingerprint"],
                              "content": b"20211234,new\n20219999,added\n"}
    assert fake.values == {"20211234": "new", "20219999": "added"}
    preview.refresh_from_db()
    real.refresh_from_db()
    assert preview.input_content is None and real.input_content is None  # the bytes are not kept twice
    action = BulkAction.objects.get()
    text = committee_client.get(f"/staff/jobs/{real.pk}/").content.decode()
    assert f'href="/admin/core/bulkaction/{action.pk}/change/"' in text and "Started by committee" in text
    assert f"carries out the preview of job #{preview.pk}" in text
    assert "Confirmed by committee" in committee_client.get(f"/staff/jobs/{preview.pk}/").content.decode()

    again = _confirm(committee_client, django_capture_on_commit_callbacks, preview)

    assert again["Location"] == f"/staff/jobs/{preview.pk}/"
    assert "cannot be confirmed twice" in committee_client.get(again["Location"]).content.decode()
    assert StaffJob.objects.count() == 2 and BulkAction.objects.count() == 1


def test_a_stale_preview_fails_the_import_with_a_link_to_upload_again(
    committee_client, fake, django_capture_on_commit_callbacks
):
    preview = _upload(committee_client, django_capture_on_commit_callbacks)
    fake.values["20211234"] = "changed by someone else"

    _confirm(committee_client, django_capture_on_commit_callbacks, preview)

    real = StaffJob.objects.exclude(pk=preview.pk).get()
    assert real.status == Status.FAILED and "changed since the preview" in real.error and real.report == {"stale": True}
    assert fake.values["20211234"] == "changed by someone else" and not BulkAction.objects.exists()
    text = committee_client.get(f"/staff/jobs/{real.pk}/").content.decode()
    assert f'href="{UPLOAD}"' in text and "Upload the file again" in text


def test_nobody_without_the_permission_may_confirm(
    client, committee_client, registrar, fake, django_capture_on_commit_callbacks
):
    preview = _upload(committee_client, django_capture_on_commit_callbacks)
    client.force_login(registrar)  # staff, but records are the committee's

    response = _confirm(client, django_capture_on_commit_callbacks, preview)

    assert response.status_code == 403 and StaffJob.objects.count() == 1 and fake.values == {"20211234": "old"}


def test_a_crafted_confirmation_is_refused(committee_client, committee, fake, django_capture_on_commit_callbacks):
    preview = _upload(committee_client, django_capture_on_commit_callbacks)
    other = _upload(committee_client, django_capture_on_commit_callbacks, content=b"20211234,other\n")
    not_a_preview = StaffJobFactory(kind=AffiliationJobKind.RECORDS_IMPORT, scope="x", params={}, status=Status.DONE,
                                    report={"fingerprint": "f", "dry_run": True}, created_by=committee,
                                    finished_at=timezone.now(), input_content=b"x")

    refusals = [
        _confirm(committee_client, django_capture_on_commit_callbacks, preview, other.report["fingerprint"]),
        _confirm(committee_client, django_capture_on_commit_callbacks, preview, ""),
        _confirm(committee_client, django_capture_on_commit_callbacks, not_a_preview, "f"),
    ]

    assert [r.status_code for r in refusals] == [302, 302, 302]
    assert "does not match the preview" in committee_client.get(refusals[0]["Location"]).content.decode()
    assert StaffJob.objects.filter(confirms__isnull=False).count() == 0 and fake.values == {"20211234": "old"}
    assert committee_client.get(f"/staff/jobs/{preview.pk}/confirm/").status_code == 405


def test_a_failed_dry_run_offers_no_confirmation(committee_client, committee, fake, django_capture_on_commit_callbacks):
    failed = StaffJobFactory(kind=AffiliationJobKind.RECORDS_IMPORT, scope="all", params={"dry_run": True}, status=Status.FAILED,
                             report={"rows": 3, "errors": 1}, error="3 rows checked, 0 imported: 1 error.",
                             created_by=committee, finished_at=timezone.now(), input_content=b"x")

    text = committee_client.get(f"/staff/jobs/{failed.pk}/").content.decode()
    response = _confirm(committee_client, django_capture_on_commit_callbacks, failed, "")

    assert "Confirm import" not in text and response.status_code == 302
    assert StaffJob.objects.count() == 1


def test_an_unconfirmed_preview_expires_and_its_bytes_are_dropped(
    committee_client, fake, django_capture_on_commit_callbacks
):
    preview = _upload(committee_client, django_capture_on_commit_callbacks)
    StaffJob.objects.filter(pk=preview.pk).update(finished_at=timezone.now() - PREVIEW_KEEP - timedelta(minutes=1))

    response = _confirm(committee_client, django_capture_on_commit_callbacks, preview)
    text = committee_client.get(response["Location"]).content.decode()
    jobs_relay()

    assert "This preview has expired" in text and f'href="{UPLOAD}"' in text and "Confirm import" not in text
    assert StaffJob.objects.count() == 1 and StaffJob.objects.get().input_content is None


def test_the_preview_shows_the_first_100_changes_and_says_how_many_more(
    committee_client, fake, django_capture_on_commit_callbacks
):
    content = "".join(f"2021{n:04d},name {n}\n" for n in range(150)).encode()

    preview = _upload(committee_client, django_capture_on_commit_callbacks, content=content)

    text = committee_client.get(f"/staff/jobs/{preview.pk}/").content.decode()
    assert "150 changes" in text and "20210099" in text and "20210100" not in text
    assert "and 50 more changes" in text


def test_the_offering_and_score_uploads_start_dry_runs(registrar_client, client, committee):
    from ..factories import AffiliationRoundFactory

    term = TermFactory(year=2027, season="spring")
    registrar_client.post("/admin/creditexchange/courseoffering/import/", {
        "term": term.pk, "file": SimpleUploadedFile("o.csv", b"code\n", "text/csv")})
    client.force_login(committee)
    round = AffiliationRoundFactory()
    client.post("/admin/affiliation/affiliationapplication/import-scores/", {
        "round": round.pk, "file": SimpleUploadedFile("s.csv", b"student_number\n", "text/csv")})

    assert sorted((job.kind, job.params.get("dry_run")) for job in StaffJob.objects.all()) == [
        (CreditJobKind.OFFERINGS_IMPORT, True), (AffiliationJobKind.SCORES_IMPORT, True)]


def test_a_job_started_outside_the_admin_still_runs_for_real(committee, fake, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={}, actor=committee, file=("r.csv", b"20211234,x\n"))

    job.refresh_from_db()
    assert job.status == Status.DONE and fake.values["20211234"] == "x" and job.input_content is None


def test_the_preview_reads_in_korean(client, committee, fake, django_capture_on_commit_callbacks):
    client.force_login(committee)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    preview = _upload(client, django_capture_on_commit_callbacks)

    text = client.get(f"/staff/jobs/{preview.pk}/").content.decode()

    assert "가져오기 확정" in text and "변경 내용 미리보기" in text and "변경 전" in text and "신규" in text
    assert "Confirm import" not in text


class TestWithTheRealRecordsImport:
    """End to end with ``affiliation.services.records_import`` (it follows the import contract)."""

    HEADER = (b"student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
              b"liberal_arts_met,teacher_training,applied_before,semesters\n")

    def _file(self, credits: int) -> bytes:
        return self.HEADER + f"S7777777,Kim,k@x.example,en,sejong,sj-x,{credits},10,4.00,yes,none,no,2026-2 enrolled\n".encode()

    @pytest.fixture
    def department(self, db):
        from ..factories import DepartmentFactory, affiliation_campus

        return DepartmentFactory(code="sj-x", campus=affiliation_campus(main=False))

    def test_preview_then_confirm_imports_and_records_it(self, committee_client, department, django_capture_on_commit_callbacks):
        from affiliation.models import StudentRecord

        preview = _upload(committee_client, django_capture_on_commit_callbacks, content=self._file(60))
        assert preview.status == Status.DONE and preview.report["dry_run"] is True and not StudentRecord.objects.exists()

        _confirm(committee_client, django_capture_on_commit_callbacks, preview)

        real = StaffJob.objects.get(confirms=preview)
        assert real.status == Status.DONE and StudentRecord.objects.get().earned_credits == 60
        action = BulkAction.objects.get(kind="affiliation.records_import")
        text = committee_client.get(f"/staff/jobs/{real.pk}/").content.decode()
        assert f'href="/admin/core/bulkaction/{action.pk}/change/"' in text

    def test_a_record_changed_after_the_preview_makes_it_stale(
        self, committee_client, department, django_capture_on_commit_callbacks
    ):
        from affiliation.models import StudentRecord

        first = _upload(committee_client, django_capture_on_commit_callbacks, content=self._file(60))
        _confirm(committee_client, django_capture_on_commit_callbacks, first)
        preview = _upload(committee_client, django_capture_on_commit_callbacks, content=self._file(75))
        StudentRecord.objects.update(earned_credits=66)  # someone corrects the record meanwhile

        _confirm(committee_client, django_capture_on_commit_callbacks, preview)

        real = StaffJob.objects.get(confirms=preview)
        assert real.status == Status.FAILED and real.report == {"stale": True}
        assert StudentRecord.objects.get().earned_credits == 66
        assert "Upload the file again" in committee_client.get(f"/staff/jobs/{real.pk}/").content.decode()


def test_a_change_to_a_reverse_relation_is_named_by_the_related_rows(db):
    from core.jobs.previews import preview_rows

    report = {"changes": [{"object": "creditexchange.courseoffering", "id": 1, "label": "CSE101",
                           "before": {"slots": "Mon 09:00–10:30"}, "after": {"slots": "Tue 09:00–10:30"}}]}
    rows = preview_rows(report)
    assert len(rows) == 1
    assert "time slot" in str(rows[0]).lower()


def test_a_job_page_links_only_the_entries_its_own_run_wrote(db):
    from django.utils import timezone as tz

    from core.bulk import running_job
    from core.jobs.previews import bulk_actions_for

    from ..factories import UserFactory

    member = UserFactory(username="twojobs", is_staff=True)
    first, second = (StaffJobFactory(kind=AffiliationJobKind.SCORES_IMPORT, scope=f"round:{n}", created_by=member,
                                     status=StaffJob.Status.DONE, started_at=tz.now(), finished_at=tz.now())
                     for n in (1, 2))
    with running_job(first.pk):
        mine = bulk_record(kind="affiliation.scores_import", actor=member, scope="round:1")
    with running_job(second.pk):
        theirs = bulk_record(kind="affiliation.scores_import", actor=member, scope="round:2")
    assert bulk_actions_for(first) == [mine] and bulk_actions_for(second) == [theirs]
    assert "job" not in bulk_record(kind="affiliation.scores_import", actor=member).inputs  # outside a job
