"""The committee's publication page (issue 12, finding 3): preview, reason when early, fingerprint, refusals."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ensure_roles
from affiliation import services
from affiliation.models import AffiliationRound, DepartmentQuota
from core import dates
from core.models import BulkAction, OutgoingMail

from ..factories import UserFactory
from .test_publication import applicants

LIST = "/admin/affiliation/affiliationround/"


@pytest.fixture
def ready(fall_round, cse):
    """Window closed, stage 1 run: 4 of 5 pass (quota 2, multiplier 2); results announced a week ahead."""
    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.save()
    applicants(fall_round, cse, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=fall_round.pk)
    fall_round.refresh_from_db()
    return fall_round


def open_page(client, round, action="publish_stage1"):
    return client.post(LIST, {"action": action, "_selected_action": [round.pk], "index": 0})


def confirm(client, round, action="publish_stage1", **data):
    return client.post(LIST, {"action": action, "_selected_action": [round.pk], "confirm": "1", **data})


def fingerprint_of(response) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]{64})"', response.content.decode()).group(1)


def published(round) -> bool:
    return AffiliationRound.objects.get(pk=round.pk).stage1_published_at is not None


def test_the_page_shows_the_announced_time_the_outcome_and_every_student_to_be_mailed(committee_client, ready):
    response = open_page(committee_client, ready)
    page = response.content.decode()
    assert response.status_code == 200 and 'id="publish-confirm"' in page
    assert dates.when(ready.stage1_publish_at) in page and 'id="publish-early"' in page
    assert "cannot be undone" in page and "Publish now and mail 5 students" in page
    assert re.search(r'data-department="Computer Science"><td>Computer Science</td><td>4</td><td>1</td>', page)
    for application in ready.applications.select_related("record"):
        assert f'data-student="{application.record.student_number}"' in page
    assert not published(ready) and not OutgoingMail.objects.exists()


def test_a_post_without_the_fingerprint_is_refused(committee_client, ready):
    page = confirm(committee_client, ready, reason="Ready early").content.decode()
    assert 'id="publish-stale"' in page and not published(ready)
    assert not BulkAction.objects.filter(kind="affiliation.results_publish").exists()


def test_early_needs_a_reason(committee_client, ready):
    fingerprint = fingerprint_of(open_page(committee_client, ready))
    page = confirm(committee_client, ready, fingerprint=fingerprint, reason="").content.decode()
    assert 'id="publish-error"' in page and "reason" in page and not published(ready)


def test_a_quota_changed_after_the_preview_is_refused_and_the_new_preview_says_why(committee_client, ready, cse):
    fingerprint = fingerprint_of(open_page(committee_client, ready))
    DepartmentQuota.objects.filter(round=ready, department=cse).update(override=3)
    page = confirm(committee_client, ready, fingerprint=fingerprint, reason="Ready early").content.decode()
    assert 'id="publish-stale"' in page and not published(ready)
    assert 'id="publish-refusals"' in page and "quota of Computer Science 2 → 3" in page
    assert 'id="publish-confirm"' not in page  # nothing to confirm until stage 1 runs again


def test_a_fingerprint_of_another_round_is_refused(committee_client, ready, main_campus):
    from ..factories import AffiliationRoundFactory, TermFactory

    other = AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))
    other_print = services.results_publish_preview(round_id=other.pk, stage="stage1").fingerprint
    page = confirm(committee_client, ready, fingerprint=other_print, reason="Ready early").content.decode()
    assert 'id="publish-stale"' in page and not published(ready)


def test_confirming_publishes_records_it_and_the_round_page_says_so(committee_client, committee, ready):
    announced = ready.stage1_publish_at
    fingerprint = fingerprint_of(open_page(committee_client, ready))
    response = confirm(committee_client, ready, fingerprint=fingerprint, reason="Interviews moved forward")
    assert response.status_code == 302 and response["Location"] == LIST
    ready.refresh_from_db()
    assert ready.stage1_published_at == ready.stage1_publish_at < announced
    action = BulkAction.objects.get(kind="affiliation.results_publish")
    assert (action.actor, action.reason, action.inputs["announced_before"]) == (
        committee, "Interviews moved forward", announced.isoformat())
    assert OutgoingMail.objects.filter(kind="affiliation_result").count() == 5
    assert "results published; 5 result mails queued" in committee_client.get(LIST).content.decode()
    page = committee_client.get(f"{LIST}{ready.pk}/change/").content.decode()
    assert 'id="publication-state"' in page and dates.when(ready.stage1_published_at) in page
    # A second confirmation of the same preview publishes nothing more.
    page = confirm(committee_client, ready, fingerprint=fingerprint, reason="again").content.decode()
    assert OutgoingMail.objects.filter(kind="affiliation_result").count() == 5 and "already published" in page


def test_the_round_page_says_why_results_cannot_be_published(committee_client, ready):
    AffiliationRound.objects.filter(pk=ready.pk).update(stage1_gpa_weight=Decimal(0), stage1_english_weight=Decimal(100))
    page = committee_client.get(f"{LIST}{ready.pk}/change/").content.decode()
    assert "stage-1 weights 60:40 → 0:100" in page and "Run stage 1 again" in page


def test_one_round_at_a_time(committee_client, ready):
    from ..factories import AffiliationRoundFactory, TermFactory

    other = AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))
    response = committee_client.post(LIST, {"action": "publish_stage1", "_selected_action": [ready.pk, other.pk], "index": 0},
                                     follow=True)
    assert "Choose one round" in response.content.decode() and not published(ready)


def test_without_the_publish_permission_there_is_no_such_action(client, ready):
    ensure_roles()
    registrar = UserFactory(is_staff=True)
    registrar.groups.add(Group.objects.get(name="registrar"))
    client.force_login(registrar)
    preview = services.results_publish_preview(round_id=ready.pk, stage="stage1")
    response = confirm(client, ready, fingerprint=preview.fingerprint, reason="early")
    assert response.status_code in (302, 403) and not published(ready)
    member = UserFactory(is_staff=True)  # staff without the committee's group either
    client.force_login(member)
    response = confirm(client, ready, fingerprint=preview.fingerprint, reason="early")
    assert response.status_code in (302, 403) and not published(ready)
