"""Issue 12: temporary-ID issuance from the admin is previewed (who gets an ID, who is skipped and why), confirmed
with the preview's fingerprint (stale or crafted → the new preview, nothing issued), recorded as one BulkAction;
an ID issued by mistake is revoked with a reason while nobody used it."""

import html

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import TemporaryStudentId, User
from accounts.roles import ensure_roles
from core.bulk import StalePreview
from core.errors import DomainError
from core.models import BulkAction, OutgoingMail, StaffJob
from creditexchange import services
from creditexchange.models import TemporaryIdApplication

from ..factories import ApplicationFactory, CourseOfferingFactory, CourseRegistrationFactory, UserFactory

Status = TemporaryIdApplication.Status
URL = "/admin/creditexchange/temporaryidapplication/"


@pytest.fixture
def selection(open_term, partner, approved_application):
    confirmed = ApplicationFactory(term=open_term, partner=partner, status=Status.CONFIRMED, confirmed_at=timezone.now())
    return {"approved": approved_application, "confirmed": confirmed}


def _post(client, *applications, **extra):
    return client.post(URL, {"action": "issue_now", "_selected_action": [a.pk for a in applications], **extra},
                       HTTP_ACCEPT_LANGUAGE="en")


def test_the_preview_lists_who_gets_an_id_and_who_is_skipped_and_changes_nothing(registrar_client, selection):
    response = _post(registrar_client, selection["approved"], selection["confirmed"])
    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "1 application will be issued an ID · 1 skipped" in text
    assert "A new temporary student ID and account" in text and "Only approved applications" in text
    assert not StaffJob.objects.exists() and not TemporaryStudentId.objects.exists()


def test_confirming_issues_and_records_one_bulk_action(registrar_client, registrar, selection, django_capture_on_commit_callbacks):
    preview = services.temporary_ids_issue_preview(application_ids=[selection["approved"].pk, selection["confirmed"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(registrar_client, selection["approved"], selection["confirmed"], apply="1", fingerprint=preview.fingerprint)
    assert response.status_code == 302
    selection["approved"].refresh_from_db()
    assert selection["approved"].status == Status.ISSUED
    action = BulkAction.objects.get(kind="creditexchange.temporary_ids_issue")
    assert action.actor == registrar and [c["id"] for c in action.changes] == [selection["approved"].pk]
    assert action.inputs["skipped"][0][0] == selection["confirmed"].pk
    assert StaffJob.objects.get().status == "done"


def test_a_stale_or_crafted_fingerprint_shows_the_new_preview(registrar_client, selection):
    response = _post(registrar_client, selection["approved"], apply="1", fingerprint="0" * 64)
    assert response.status_code == 200 and 'id="issue-stale"' in response.content.decode()
    fingerprint = services.temporary_ids_issue_preview(application_ids=[selection["approved"].pk]).fingerprint
    TemporaryIdApplication.objects.filter(pk=selection["approved"].pk).update(status=Status.REJECTED, rejection_reason="no")
    response = _post(registrar_client, selection["approved"], apply="1", fingerprint=fingerprint)
    assert 'id="issue-stale"' in response.content.decode()
    assert not StaffJob.objects.exists() and not TemporaryStudentId.objects.exists()


def test_the_job_refuses_a_selection_that_changed_after_the_confirmation(selection):
    fingerprint = services.temporary_ids_issue_preview(application_ids=[selection["approved"].pk]).fingerprint
    TemporaryIdApplication.objects.filter(pk=selection["approved"].pk).update(status=Status.REJECTED, rejection_reason="no")
    with pytest.raises(StalePreview):
        services.temporary_id_issue_batch(application_ids=[selection["approved"].pk], expected=fingerprint)


def test_a_committee_member_may_not_issue(client, selection):
    ensure_roles()
    member = UserFactory(username="committee", is_staff=True)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    client.force_login(member)
    response = _post(client, selection["approved"])
    assert response.status_code == 403 and not TemporaryStudentId.objects.exists()


def test_an_unused_id_is_revoked_with_a_reason_and_the_applicant_mailed(registrar, approved_application):
    services.temporary_id_issue(application_id=approved_application.pk)
    with pytest.raises(DomainError):
        services.temporary_id_revoke(application_id=approved_application.pk, actor=registrar, reason="")
    application = services.temporary_id_revoke(application_id=approved_application.pk, actor=registrar, reason="Wrong partner")
    assert application.status == Status.APPROVED and application.temporary_id is None
    assert not TemporaryStudentId.objects.exists() and not User.objects.filter(kind="exchange").exists()
    assert application.events.order_by("-pk").first().reason == "Wrong partner"
    assert BulkAction.objects.get(kind="creditexchange.temporary_id_revoke").reason == "Wrong partner"
    mail = OutgoingMail.objects.get(kind="application_id_revoked")
    assert mail.to == approved_application.email and mail.params["reason"] == "Wrong partner"
    # It can be issued again later, with a new number (numbers are never reused).
    again = services.temporary_id_issue(application_id=approved_application.pk)
    assert again.temporary_id.student_id == "T202700002"


@pytest.mark.parametrize("used", ["password", "login", "registration"])
def test_an_id_in_use_is_not_revoked(registrar, approved_application, used):
    application = services.temporary_id_issue(application_id=approved_application.pk)
    user = application.temporary_id.user
    if used == "password":
        user.set_password("x-correct-horse")
        user.save()
    elif used == "login":
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    else:
        CourseRegistrationFactory(student=user, offering=CourseOfferingFactory(term=application.term))
    with pytest.raises(DomainError):
        services.temporary_id_revoke(application_id=application.pk, actor=registrar, reason="mistake")
    assert TemporaryStudentId.objects.exists() and not BulkAction.objects.filter(kind__endswith="revoke").exists()
