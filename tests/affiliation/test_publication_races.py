"""Publication under concurrency (issue 12, findings 2 and 3). PostgreSQL only: SQLite serialises writers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from affiliation import services
from affiliation.models import AffiliationApplication, AffiliationRound, DepartmentQuota
from core.models import BulkAction, OutgoingMail

from .test_publication import applicants
from .test_races import _at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready(fall_round, cse):
    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.stage1_publish_at = now - timedelta(seconds=10)  # due: the beat may publish it too
    fall_round.save()
    applicants(fall_round, cse, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=fall_round.pk)
    return AffiliationRound.objects.get(pk=fall_round.pk)


def test_the_committee_and_the_schedule_publishing_at_once_mail_each_student_once(ready):
    preview = services.results_publish_preview(round_id=ready.pk, stage="stage1")
    outcomes = _at_once(
        lambda: services.results_publish(round_id=ready.pk, stage="stage1", expected=preview.fingerprint),
        lambda: services.results_publish_due(),
    )
    assert sorted(o if isinstance(o, int) else -1 for o in outcomes) in ([-1, 5], [0, 5]), outcomes
    assert OutgoingMail.objects.filter(kind="affiliation_result").count() == 5
    assert BulkAction.objects.filter(kind="affiliation.results_publish").count() == 1


def test_a_quota_raised_while_publishing_is_either_seen_or_waits(ready, cse):
    def raise_quota():
        DepartmentQuota.objects.filter(round=ready, department=cse).update(override=3)
        return "raised"

    outcomes = _at_once(lambda: services.results_publish_due(), raise_quota)
    assert "raised" in outcomes
    ready.refresh_from_db()
    mails = OutgoingMail.objects.filter(kind="affiliation_result").count()
    if ready.stage1_published_at is None:  # the check saw the new quota: refused, nobody mailed
        assert mails == 0
    else:  # published on the quota it was run with, before the change committed
        assert mails == 5
        assert AffiliationApplication.objects.filter(status="stage1_passed").count() == 4
