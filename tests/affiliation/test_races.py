"""Submission and selection under concurrency. PostgreSQL only: SQLite serialises writers."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import translation

from affiliation import services
from affiliation.models import AffiliationApplication, ApplicationEvent

from ..factories import AffiliationRoundFactory, DepartmentQuotaFactory, TermFactory
from .conftest import draft

Status = AffiliationApplication.Status


def _at_once(*calls) -> list:
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        translation.activate("en")
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except Exception as exc:  # collected and asserted by the test
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_of_one_student_leave_exactly_one(student, fall_round, cse):
    other = AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))
    DepartmentQuotaFactory(round=other, department=cse)
    first, second = draft(student, fall_round, cse), draft(student, other, cse)
    outcomes = _at_once(
        lambda: services.application_submit(application_id=first.pk),
        lambda: services.application_submit(application_id=second.pk),
    )
    assert sum(isinstance(o, AffiliationApplication) for o in outcomes) == 1
    assert AffiliationApplication.objects.filter(record=student).exclude(status=Status.DRAFT).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_stage1_runs_give_one_consistent_result(student, fall_round, cse):
    services.application_submit(application_id=draft(student, fall_round, cse).pk)
    at = fall_round.closes_at + timedelta(minutes=1)
    outcomes = _at_once(
        lambda: services.selection_run_stage1(round_id=fall_round.pk, at=at),
        lambda: services.selection_run_stage1(round_id=fall_round.pk, at=at),
    )
    assert all(o == {"passed": 1, "failed": 0} for o in outcomes), outcomes
    application = AffiliationApplication.objects.get(record=student)
    assert application.status == Status.STAGE1_PASSED and application.stage1_rank == 1
    # The round lock serialises the runs: the second finds nothing to change and records nothing.
    assert ApplicationEvent.objects.filter(application=application, to_status=Status.STAGE1_PASSED).count() == 1
