"""Issue 12, finding 5b: issuing a new application never re-activates an account staff deactivated.

The single issuance and the daily batch skip it with the reason; staff re-activate on purpose, with a reason,
from the application admin (recorded in the application's trail and the staff action log), and then it is issued.
"""

import html

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ensure_roles
from core.errors import DomainError
from core.models import BulkAction, OutgoingMail
from creditexchange import services
from creditexchange.models import TemporaryIdApplication

from ..factories import ApplicationFactory, TermFactory, UserFactory, issued_student

Status = TemporaryIdApplication.Status
URL = "/admin/creditexchange/temporaryidapplication/"


@pytest.fixture
def returning(db, partner):
    """A student issued an ID for spring, whose account staff deactivated; a new approved application for fall."""
    student = issued_student(TermFactory(year=2026, season="spring"), partner=partner)
    identity = student.temporary_id
    first = identity.applications.get()
    student.is_active = False
    student.save(update_fields=["is_active"])
    application = ApplicationFactory(
        term=TermFactory(year=2026, season="fall"), partner=partner, home_student_number=identity.home_student_number,
        date_of_birth=first.date_of_birth, status=Status.APPROVED,
    )
    return {"student": student, "application": application}


def _user(returning):
    returning["student"].refresh_from_db()
    return returning["student"]


def test_issuing_skips_an_account_staff_deactivated(returning):
    with pytest.raises(services.AccountDeactivated, match="deactivated"):
        services.temporary_id_issue(application_id=returning["application"].pk)
    assert not _user(returning).is_active
    returning["application"].refresh_from_db()
    assert returning["application"].status == Status.APPROVED and not OutgoingMail.objects.exists()


def test_the_daily_batch_does_not_reactivate_and_says_why(returning):
    report = services.temporary_id_issue_batch()
    assert (report.issued, report.skipped) == (0, 1)
    assert report.failures[0][0] == returning["application"].pk and "deactivated" in report.failures[0][1]
    assert not _user(returning).is_active


def test_the_explicit_decision_reactivates_records_and_issues(returning, registrar):
    with pytest.raises(DomainError):
        services.temporary_id_reactivate_and_issue(application_id=returning["application"].pk, actor=registrar, reason=" ")
    application = services.temporary_id_reactivate_and_issue(
        application_id=returning["application"].pk, actor=registrar, reason="Returns for the fall term, checked by phone",
    )
    assert _user(returning).is_active and application.status == Status.ISSUED and application.returning
    event = application.events.get(to_status=Status.ISSUED)
    assert event.reason == "Returns for the fall term, checked by phone" and event.changes["reactivated"] is True
    action = BulkAction.objects.get(kind="creditexchange.account_reactivate")
    assert action.actor == registrar and action.changes[0]["before"] == {"is_active": False}
    assert action.reason == "Returns for the fall term, checked by phone"


def test_reactivating_an_active_account_is_refused(approved_application, registrar):
    with pytest.raises(DomainError, match="not deactivated"):
        services.temporary_id_reactivate_and_issue(application_id=approved_application.pk, actor=registrar, reason="x")
    assert not BulkAction.objects.exists()


def test_the_admin_action_asks_for_a_reason_then_reactivates(registrar_client, returning):
    data = {"action": "reactivate_and_issue", "_selected_action": [returning["application"].pk]}
    page = registrar_client.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")
    text = html.unescape(page.content.decode())
    assert page.status_code == 200 and "deactivated" in text and returning["student"].username in text
    assert not _user(returning).is_active
    response = registrar_client.post(URL, {**data, "apply": "1", "reason": "Returning student"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and _user(returning).is_active


def test_a_committee_member_cannot_reactivate(client, returning):
    ensure_roles()
    member = UserFactory(username="committee", is_staff=True)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    client.force_login(member)
    data = {"action": "reactivate_and_issue", "_selected_action": [returning["application"].pk], "apply": "1", "reason": "x"}
    assert client.post(URL, data).status_code == 403
    assert not _user(returning).is_active
