"""Review R1 of issue 12: undo, reinstate and confirmation pages under bad input and crafted requests."""

import pytest

from affiliation import services
from affiliation.models import EligibilityException, StudentRecord
from core.errors import DomainError
from core.models import BulkAction

from ..factories import DepartmentFactory, UserFactory, affiliation_campus
from .test_records_import import _file


@pytest.fixture
def reference(db):
    sejong, seoul = affiliation_campus(main=False), affiliation_campus(main=True)
    DepartmentFactory(code="sj-cse", campus=sejong)
    DepartmentFactory(code="cse", campus=seoul)


def test_undoing_a_first_import_keeps_a_record_the_committee_granted_an_exception_to(reference, fall_round):
    """Deleting the created record would silently delete the exception (and its reason) with it."""
    staff = UserFactory(username="clerk", is_staff=True)
    assert services.records_import(content=_file(), filename="a.csv").ok
    record = StudentRecord.objects.get()
    services.exception_grant(round=fall_round, record=record, rule="credits", reason="Transfer credits pending",
                             actor=staff)
    action = BulkAction.objects.get(kind="affiliation.records_import")
    assert str(record) in services.records_import_undo_preview(action=action)["in_use"]
    with pytest.raises(DomainError) as excinfo:
        services.records_import_undo(action=action, actor=staff, reason="wrong file")
    assert record.student_number in str(excinfo.value.message)
    assert EligibilityException.objects.filter(record=record).exists() and StudentRecord.objects.exists()


# --- crafted requests and bad input on the pages -------------------------------------------------------------------

from .test_after_pass import _preview_url, admitted, check, published_round, statuses  # noqa: E402,F401


def _notice_editor():
    from django.contrib.auth.models import Group

    from accounts.roles import ensure_roles

    ensure_roles()
    user = UserFactory(username="notices", is_staff=True)
    user.groups.add(Group.objects.get(name="notice_editor"))
    return user


def test_a_notice_editor_gets_403_on_every_page_of_the_check_the_undos_and_publication(
    client, published_round, cse  # noqa: F811
):
    from affiliation.models import AffiliationApplication

    application = admitted(published_round, cse, earned_credits=50)
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint
    client.force_login(_notice_editor())
    urls = [_preview_url(published_round), f"/admin/affiliation/affiliationround/{published_round.pk}/reinstate/{application.pk}/",
            "/admin/affiliation/studentrecord/import/undo/1/", "/admin/affiliation/affiliationapplication/import-scores/undo/1/"]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"fingerprint": fingerprint, "reason": "x"}).status_code == 403, url
    response = client.post("/admin/affiliation/affiliationround/", {
        "action": "publish_final", "_selected_action": [published_round.pk], "confirm": "1", "fingerprint": "x"})
    assert response.status_code == 403
    assert statuses(application) == [AffiliationApplication.Status.ADMITTED]


def test_a_committee_member_without_publish_results_cannot_publish_by_a_crafted_action(client, committee, fall_round, cse):
    from django.contrib.auth.models import Permission

    committee.groups.clear()
    committee.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="affiliation", codename__in=["view_affiliationround", "change_affiliationround"]))
    client.force_login(committee)
    for action in ("publish_stage1", "publish_final"):
        response = client.post("/admin/affiliation/affiliationround/", {
            "action": action, "_selected_action": [fall_round.pk], "confirm": "1", "fingerprint": "x", "reason": "r"})
        assert response.status_code in (200, 302)
    fall_round.refresh_from_db()
    assert fall_round.stage1_published_at is None and fall_round.final_published_at is None


def test_a_huge_reinstatement_reason_is_refused_with_a_message_and_nothing_is_mailed(
    committee_client, published_round, cse, django_capture_on_commit_callbacks  # noqa: F811
):
    from affiliation.models import AffiliationApplication
    from core.models import OutgoingMail

    application = admitted(published_round, cse, earned_credits=50)
    check(published_round)
    url = f"/admin/affiliation/affiliationround/{published_round.pk}/reinstate/{application.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = committee_client.post(url, {"reason": "x" * 100_000})
    assert response.status_code == 200 and "at most" in response.content.decode()
    assert statuses(application) == [AffiliationApplication.Status.CANCELLED]
    assert not OutgoingMail.objects.filter(kind="affiliation_reinstated").exists()
    response = committee_client.post(url, {"reason": "   "})
    assert response.status_code == 200 and statuses(application) == [AffiliationApplication.Status.CANCELLED]


# --- fingerprints cover every input the outcome depends on --------------------------------------------------------

@pytest.mark.parametrize("change", ["min_credits", "status", "liberal_arts", "winter_end", "credits", "new_admitted"])
def test_the_check_refuses_a_preview_when_an_input_it_judged_changed(published_round, cse, change):  # noqa: F811
    from datetime import timedelta

    from affiliation.models import AffiliationApplication, AffiliationRound
    from core.bulk import StalePreview

    application = admitted(published_round, cse, earned_credits=61)
    other = admitted(published_round, cse, earned_credits=61)
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint
    round = AffiliationRound.objects.filter(pk=published_round.pk)
    if change == "min_credits":
        round.update(min_credits=62)
    elif change == "status":
        AffiliationApplication.objects.filter(pk=other.pk).update(status=AffiliationApplication.Status.CANCELLED)
    elif change == "liberal_arts":
        StudentRecord.objects.filter(pk=application.record_id).update(liberal_arts_met=False)
    elif change == "winter_end":
        round.update(winter_session_ends_on=published_round.winter_session_ends_on - timedelta(days=1))
    elif change == "credits":
        StudentRecord.objects.filter(pk=application.record_id).update(earned_credits=50)
    else:
        admitted(published_round, cse, earned_credits=50)
    with pytest.raises(StalePreview):
        services.conditions_check(round_id=published_round.pk, expected=fingerprint)
    assert statuses(application) == [AffiliationApplication.Status.ADMITTED]


@pytest.mark.parametrize("change", ["email", "language"])
def test_publication_refuses_a_preview_when_a_recipients_address_or_language_changed(fall_round, cse, change):
    from datetime import timedelta

    from django.utils import timezone

    from affiliation.models import AffiliationRound
    from core.bulk import StalePreview
    from core.models import OutgoingMail

    from .test_publication import applicants

    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.save()
    made = applicants(fall_round, cse, [("4.5", 800), ("4.4", 810)])
    services.selection_run_stage1(round_id=fall_round.pk)
    preview = services.results_publish_preview(round_id=fall_round.pk, stage="stage1")
    user = made[0].record.user
    if change == "email":
        user.email = "elsewhere@example.org"
    else:
        user.language = "ko" if user.language == "en" else "en"
    user.save()
    with pytest.raises(StalePreview):
        services.results_publish(round_id=fall_round.pk, stage="stage1", expected=preview.fingerprint, reason="early")
    assert AffiliationRound.objects.get(pk=fall_round.pk).stage1_published_at is None
    assert not OutgoingMail.objects.filter(kind="affiliation_result").exists()


def test_the_check_and_reinstate_posts_need_the_csrf_token(committee, published_round, cse):  # noqa: F811
    from django.test import Client

    from affiliation.models import AffiliationApplication

    application = admitted(published_round, cse, earned_credits=50)
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint
    client = Client(enforce_csrf_checks=True)
    client.force_login(committee)
    assert client.post(_preview_url(published_round), {"fingerprint": fingerprint}).status_code == 403
    assert statuses(application) == [AffiliationApplication.Status.ADMITTED]
    check(published_round)
    url = f"/admin/affiliation/affiliationround/{published_round.pk}/reinstate/{application.pk}/"
    assert client.post(url, {"reason": "forged"}).status_code == 403
    assert client.get(url).status_code == 200  # a GET only shows the form
    assert statuses(application) == [AffiliationApplication.Status.CANCELLED]
