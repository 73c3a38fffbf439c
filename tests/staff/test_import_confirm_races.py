"""Review R2 (issue 12, import previews): a preview's confirmation on PostgreSQL, as an attacker and a hurried
office would send it — four confirmations of one preview at the same instant start exactly one real import, and a
GET of the confirmation URL changes nothing."""

import pytest

from affiliation.jobs import JobKind as AffiliationJobKind
from core.jobs.services import job_confirm, job_start
from core.models import BulkAction, StaffJob
from tests.concurrency import run_at_once

from .test_import_previews import fake  # noqa: F401 - fixture

Status = StaffJob.Status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_confirmations_of_one_preview_at_once_start_one_import(committee, fake):  # noqa: F811
    preview = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={"dry_run": True}, actor=committee,
                        file=("records.csv", b"20211234,new\n"))
    preview.refresh_from_db()
    assert preview.status == Status.DONE and preview.report["dry_run"] is True

    outcomes = run_at_once([
        lambda: job_confirm(job_id=preview.pk, fingerprint=preview.report["fingerprint"], actor=committee)
        for _ in range(4)
    ], workers=4)

    started = [o for o in outcomes if isinstance(o, StaffJob)]
    assert len(started) == 1, outcomes
    assert all(type(o).__name__ in ("PreviewRefused", "JobAlreadyActive") for o in outcomes if o not in started), outcomes
    assert StaffJob.objects.filter(confirms=preview).count() == 1
    assert BulkAction.objects.filter(kind="affiliation.records_import").count() == 1
    assert fake.values == {"20211234": "new"}


def test_a_get_of_the_confirmation_changes_nothing(client, committee, fake, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        preview = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={"dry_run": True}, actor=committee,
                            file=("records.csv", b"20211234,new\n"))
    client.force_login(committee)

    response = client.get(f"/staff/jobs/{preview.pk}/confirm/", {"fingerprint": "x"})

    assert response.status_code == 405 and StaffJob.objects.count() == 1 and fake.values == {"20211234": "old"}


def test_a_confirmation_without_the_csrf_token_is_refused(committee, fake, django_capture_on_commit_callbacks):  # noqa: F811
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        preview = job_start(kind=AffiliationJobKind.RECORDS_IMPORT, params={"dry_run": True}, actor=committee,
                            file=("records.csv", b"20211234,new\n"))
    preview.refresh_from_db()
    client = Client(enforce_csrf_checks=True)
    client.force_login(committee)

    response = client.post(f"/staff/jobs/{preview.pk}/confirm/", {"fingerprint": preview.report["fingerprint"]})

    assert response.status_code == 403 and StaffJob.objects.count() == 1 and fake.values == {"20211234": "old"}
