"""The job page hook (issue 13): apps below staffdesk link a job through ``core.jobs.pages``, staffdesk registers it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.jobs import pages
from core.jobs.pages import job_url

from ..factories import StaffJobFactory


def test_staffdesk_registers_the_job_page():
    assert job_url(42) == "/staff/jobs/42/"


@pytest.mark.django_db
def test_it_takes_a_job_or_its_id():
    job = StaffJobFactory()
    assert job_url(job) == job_url(job.pk) == f"/staff/jobs/{job.pk}/"


def test_it_fails_clearly_when_no_job_page_is_registered(monkeypatch):
    monkeypatch.setattr(pages, "_JOB_PAGE", [])
    with pytest.raises(ImproperlyConfigured, match="job_page_register"):
        job_url(1)
