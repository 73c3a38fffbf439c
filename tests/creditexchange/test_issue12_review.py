"""Issue 12, review R3 of credit exchange: what an attacker or a registrar office could still do wrong.

- Revoking an ID issued by mistake deletes the account: never a staff account, one with a role, or another kind's.
- Re-activating a deactivated account on purpose: only an exchange student's own account, never a staff one.
- The offering change's fingerprint holds the change, not the language the page was shown in.
- Every step of issuance and the import undo is 403 for another role, and CSRF-protected.
"""

from datetime import time

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation

from accounts.models import TemporaryStudentId, User
from accounts.roles import ensure_roles
from core.errors import DomainError
from core.models import BulkAction, OutgoingMail
from creditexchange import services
from creditexchange.models import CourseOffering, TemporaryIdApplication, TimeSlot

from ..factories import (
    ApplicationFactory,
    CourseOfferingFactory,
    CourseRegistrationFactory,
    TermFactory,
    TimeSlotFactory,
    UserFactory,
    issued_student,
)
from .test_offering_change import timetable  # noqa: F401 - the fixture

Status = TemporaryIdApplication.Status
URL = "/admin/creditexchange/temporaryidapplication/"


# --- Revoke: the account it deletes ------------------------------------------------------------------------------

def _make(user: User, what: str) -> None:
    if what == "staff":
        User.objects.filter(pk=user.pk).update(is_staff=True)
    elif what == "superuser":
        User.objects.filter(pk=user.pk).update(is_superuser=True)
    elif what == "role":
        ensure_roles()
        user.groups.add(Group.objects.get(name="notice_editor"))
    elif what == "home":
        User.objects.filter(pk=user.pk).update(kind=User.Kind.HOME)


@pytest.mark.parametrize("what", ["staff", "superuser", "role", "home"])
def test_revoke_never_deletes_a_staff_or_another_kinds_account(registrar, approved_application, what):
    application = services.temporary_id_issue(application_id=approved_application.pk)
    user = application.temporary_id.user
    _make(user, what)
    with pytest.raises(DomainError):
        services.temporary_id_revoke(application_id=application.pk, actor=registrar, reason="mistake")
    assert User.objects.filter(pk=user.pk).exists() and TemporaryStudentId.objects.filter(user=user).exists()
    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert not BulkAction.objects.filter(kind="creditexchange.temporary_id_revoke").exists()
    assert not OutgoingMail.objects.filter(kind="application_id_revoked").exists()


# --- Re-activation: whose account -----------------------------------------------------------------------------------

@pytest.fixture
def returning(db, partner):
    student = issued_student(TermFactory(year=2026, season="spring"), partner=partner)
    identity = student.temporary_id
    first = identity.applications.get()
    User.objects.filter(pk=student.pk).update(is_active=False)
    application = ApplicationFactory(
        term=TermFactory(year=2026, season="fall"), partner=partner, home_student_number=identity.home_student_number,
        date_of_birth=first.date_of_birth, status=Status.APPROVED,
    )
    return {"student": student, "application": application}


@pytest.mark.parametrize("what", ["staff", "superuser", "role", "home"])
def test_reactivation_never_reactivates_a_staff_or_another_kinds_account(returning, registrar, what):
    _make(returning["student"], what)
    with pytest.raises(DomainError):
        services.temporary_id_reactivate_and_issue(
            application_id=returning["application"].pk, actor=registrar, reason="Returns for the fall term",
        )
    assert not User.objects.get(pk=returning["student"].pk).is_active
    returning["application"].refresh_from_db()
    assert returning["application"].status == Status.APPROVED
    assert not BulkAction.objects.filter(kind="creditexchange.account_reactivate").exists()


# --- Offering change: the fingerprint --------------------------------------------------------------------------------

def test_an_offering_change_confirmed_in_one_language_applies_in_the_other(db):
    """The preview is shown in Korean (the dry-run job, one staff member); the confirmation runs in English (the
    confirm job, another staff member): the same change and the same students, so it applies."""
    mon, tue = TimeSlot.Weekday.MON, TimeSlot.Weekday.TUE
    term = TermFactory(year=2027, season="spring", credit_limit=12)
    a = CourseOfferingFactory(term=term, code="CSE101", title_ko="자료구조", title_en="Data Structures")
    b = CourseOfferingFactory(term=term, code="MAT201")
    TimeSlotFactory(offering=a, weekday=mon, starts_at=time(9), ends_at=time(10, 30))
    TimeSlotFactory(offering=b, weekday=tue, starts_at=time(9), ends_at=time(10, 30))
    student = issued_student(term)
    CourseRegistrationFactory(student=student, offering=a)
    CourseRegistrationFactory(student=student, offering=b)
    moved = [(tue, time(9, 30), time(11))]
    with translation.override("ko"):
        preview = services.offering_change_preview(proposed={a.pk: (a.credits, moved)})
    assert preview.needs_confirmation
    with translation.override("en"):
        services.offering_save(offering=CourseOffering.objects.get(pk=a.pk), slots=moved, expected=preview.fingerprint)
    assert list(TimeSlot.objects.filter(offering=a).values_list("weekday", flat=True)) == [tue]


# --- Permissions and CSRF ----------------------------------------------------------------------------------------------

@pytest.fixture
def other_role_client(client, db):
    def make(role):
        ensure_roles()
        member = UserFactory(username=f"member-{role}", is_staff=True)
        if role:
            member.groups.add(Group.objects.get(name=role))
        client.force_login(member)
        return client
    return make


@pytest.mark.parametrize("role", ["affiliation_committee", "notice_editor", None])
@pytest.mark.parametrize("action", ["issue_now", "revoke_ids", "reactivate_and_issue"])
def test_issuance_steps_are_403_for_another_role(other_role_client, approved_application, role, action):
    client = other_role_client(role)
    for data in ({}, {"apply": "1", "reason": "x", "fingerprint": "0" * 64}):
        response = client.post(URL, {"action": action, "_selected_action": [approved_application.pk], **data})
        assert response.status_code == 403
    approved_application.refresh_from_db()
    assert approved_application.status == Status.APPROVED and not TemporaryStudentId.objects.exists()


@pytest.mark.parametrize("role", ["affiliation_committee", "notice_editor", None])
def test_the_import_undo_is_403_for_another_role(other_role_client, registrar, role):
    action = BulkAction.objects.create(kind="creditexchange.offerings_import", actor=registrar, changes=[])
    client = other_role_client(role)
    url = f"/admin/creditexchange/courseoffering/import/undo/{action.pk}/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert not BulkAction.objects.filter(undoes=action).exists()


def test_revoke_without_the_csrf_token_is_refused(registrar, approved_application):
    application = services.temporary_id_issue(application_id=approved_application.pk)
    client = Client(enforce_csrf_checks=True)
    client.force_login(registrar)
    data = {"action": "revoke_ids", "_selected_action": [application.pk], "apply": "1", "reason": "mistake"}
    assert client.post(URL, data).status_code == 403
    application.refresh_from_db()
    assert application.status == Status.ISSUED


# --- Revoke: the issuance mail not sent yet ---------------------------------------------------------------------------

def test_the_issuance_mail_not_yet_sent_is_never_delivered_after_a_revoke(registrar, approved_application, mailoutbox):
    """SMTP was down when the ID was issued: the "issued" mail is still queued when the ID is revoked. It must not
    reach the applicant after the "withdrawn" one (nor on a staff re-send): only the revoke mail goes out."""
    from core.mail import mail_deliver, mail_resend

    application = services.temporary_id_issue(application_id=approved_application.pk)
    issued = OutgoingMail.objects.get(kind="application_issued")
    services.temporary_id_revoke(application_id=application.pk, actor=registrar, reason="Wrong partner")
    mail_deliver(mail_id=issued.pk)
    issued.refresh_from_db()
    assert issued.status == OutgoingMail.Status.FAILED and issued.sent_at is None
    mail_resend(mail=issued)
    mail_deliver(mail_id=issued.pk)
    issued.refresh_from_db()
    assert issued.sent_at is None
    revoked = OutgoingMail.objects.get(kind="application_id_revoked")
    assert mail_deliver(mail_id=revoked.pk)
    assert len(mailoutbox) == 1 and approved_application.email in mailoutbox[0].to


# --- Offering change: the term -------------------------------------------------------------------------------------

def test_an_offering_with_registrations_cannot_move_to_another_term(registrar_client, timetable):  # noqa: F811
    """Moving it would leave registrations for one term on an offering of another: its seats, clashes and credits
    would count in neither timetable. A clear message on the form, nothing saved; the service refuses too."""
    from .test_offering_change_admin import URL as CHANGE_URL
    from .test_offering_change_admin import _form

    a = timetable["a"]
    other = TermFactory(year=2027, season="fall")
    data = {**_form(a, [(TimeSlot.Weekday.MON, time(9), time(10, 30))]), "term": other.pk}
    response = registrar_client.post(CHANGE_URL.format(a.pk), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "registered students" in response.content.decode()
    assert CourseOffering.objects.get(pk=a.pk).term_id == timetable["term"].pk
    moved = CourseOffering.objects.get(pk=a.pk)
    moved.term = other
    with pytest.raises(DomainError):
        services.offering_save(offering=moved)
    assert CourseOffering.objects.get(pk=a.pk).term_id == timetable["term"].pk


# --- Offering change: the mails ---------------------------------------------------------------------------------------

def test_lowering_credits_mails_what_changed_and_nothing_about_breaks(timetable):  # noqa: F811
    from core.emails import render_mail

    a = CourseOffering.objects.get(pk=timetable["a"].pk)
    a.credits = 2
    services.offering_save(offering=a)  # nothing breaks: no confirmation needed
    mails = {m.to: m for m in OutgoingMail.objects.filter(kind="offering_changed")}
    assert set(mails) == {"mina@partner.example", "joon@partner.example"}
    _subject, text, _html = render_mail(mails["joon@partner.example"])
    assert "Credits: 3 → 2" in text and "you need not do anything" in text and "limit" not in text


def test_a_double_submitted_confirmation_mails_each_student_once(registrar_client, timetable):  # noqa: F811
    from .test_offering_change_admin import URL as CHANGE_URL
    from .test_offering_change_admin import _fingerprint, _form

    a = timetable["a"]
    data = _form(a, [(TimeSlot.Weekday.TUE, time(9, 30), time(11))])
    page = registrar_client.post(CHANGE_URL.format(a.pk), data, HTTP_ACCEPT_LANGUAGE="en")
    confirmed = {**data, "_offering_change_fingerprint": _fingerprint(page)}
    assert registrar_client.post(CHANGE_URL.format(a.pk), confirmed, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    data_again = {**_form(CourseOffering.objects.get(pk=a.pk), [(TimeSlot.Weekday.TUE, time(9, 30), time(11))]),
                  "_offering_change_fingerprint": confirmed["_offering_change_fingerprint"]}
    assert registrar_client.post(CHANGE_URL.format(a.pk), data_again, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    assert OutgoingMail.objects.filter(kind="offering_changed").count() == 2
    assert BulkAction.objects.filter(kind="creditexchange.offering_change").count() == 1


# --- Offering change: the time-slot admin of its own -------------------------------------------------------------------

def test_the_stand_alone_time_slot_admin_cannot_change_slots_under_students(registrar_client, timetable):  # noqa: F811
    """The slots are changed on the offering's page only (through the check, the confirmation and the mails); the
    separate time-slot admin let the registrar move, add or delete a slot with no check, no record and no mail."""
    a = timetable["a"]
    slot = TimeSlot.objects.get(offering=a)
    base = "/admin/creditexchange/timeslot/"
    moved = {"offering": a.pk, "weekday": TimeSlot.Weekday.TUE, "starts_at": "09:30", "ends_at": "11:00"}
    assert registrar_client.post(f"{base}{slot.pk}/change/", moved).status_code == 403
    assert registrar_client.post(f"{base}add/", moved).status_code == 403
    assert registrar_client.post(f"{base}{slot.pk}/delete/", {"post": "yes"}).status_code == 403
    registrar_client.post(base, {"action": "delete_selected", "_selected_action": [slot.pk], "post": "yes"})
    assert list(TimeSlot.objects.filter(offering=a).values_list("weekday", "starts_at")) == [(TimeSlot.Weekday.MON, time(9))]
    assert registrar_client.get(f"{base}{slot.pk}/change/").status_code == 200  # still readable


# --- Fingerprints: inputs the outcome depends on -----------------------------------------------------------------------

def test_a_list_preview_is_stale_once_the_partners_language_changed(db):
    from academics.models import Institution
    from core.bulk import StalePreview

    from .partner_list_helpers import build_scene, send

    scene = build_scene()
    preview = services.partner_list_preview(partner=scene.garam, term=scene.term, kind="registrations")
    Institution.objects.filter(pk=scene.garam.pk).update(mail_language="ko")
    with pytest.raises(StalePreview):
        send(scene, scene.garam, "registrations", expected=preview.fingerprint)
    assert not OutgoingMail.objects.exists()


def test_an_issuance_preview_is_stale_once_the_returning_account_was_deactivated(partner, registrar):
    from core.bulk import StalePreview

    student = issued_student(TermFactory(year=2026, season="spring"), partner=partner)
    first = student.temporary_id.applications.get()
    application = ApplicationFactory(
        term=TermFactory(year=2026, season="fall"), partner=partner, home_student_number=first.home_student_number,
        date_of_birth=first.date_of_birth, status=Status.APPROVED,
    )
    preview = services.temporary_ids_issue_preview(application_ids=[application.pk])
    assert preview.rows[0].outcome == "returning"
    User.objects.filter(pk=student.pk).update(is_active=False)
    with pytest.raises(StalePreview):
        services.temporary_id_issue_batch(application_ids=[application.pk], expected=preview.fingerprint, actor=registrar)
    application.refresh_from_db()
    assert application.status == Status.APPROVED and not User.objects.get(pk=student.pk).is_active


# --- Offering change: a refusal at save time --------------------------------------------------------------------------

def test_a_refusal_when_saving_the_offering_form_is_a_message_not_a_500(registrar_client, timetable):  # noqa: F811
    """The form checked the capacity, then a student registered before the save: the service refuses at save time
    (here simulated). The registrar sees why on the form; nothing is saved."""
    from unittest import mock

    from .test_offering_change_admin import URL as CHANGE_URL
    from .test_offering_change_admin import _form

    a = timetable["a"]
    data = {**_form(a, [(TimeSlot.Weekday.MON, time(9), time(10, 30))]), "location": "Eng 305"}

    def full(**_kwargs):
        raise DomainError("The capacity cannot be lower than the 3 students already registered.")

    with mock.patch("creditexchange.services.offerings.offering_capacity_check", full):
        response = registrar_client.post(CHANGE_URL.format(a.pk), data, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert "lower than the 3 students" in response.content.decode()
    assert CourseOffering.objects.get(pk=a.pk).location != "Eng 305"


# --- Confirmations that do not match their preview ---------------------------------------------------------------------

def test_an_issuance_confirmation_with_an_application_the_preview_did_not_include_is_stale(registrar_client, open_term, partner, approved_application):
    other = ApplicationFactory(term=open_term, partner=partner, status=Status.APPROVED)
    fingerprint = services.temporary_ids_issue_preview(application_ids=[approved_application.pk]).fingerprint
    data = {"action": "issue_now", "_selected_action": [approved_application.pk, other.pk], "apply": "1", "fingerprint": fingerprint}
    response = registrar_client.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and 'id="issue-stale"' in response.content.decode()
    assert not TemporaryStudentId.objects.exists()


def test_a_list_confirmation_with_another_partners_fingerprint_is_stale(registrar_client):
    from creditexchange.models import PartnerList

    from .partner_list_helpers import build_scene

    scene = build_scene()
    hanbit = services.partner_list_preview(partner=scene.hanbit, term=scene.term, kind="applicants").fingerprint
    data = {"partner": scene.garam.pk, "term": scene.term.pk, "kind": "registrations", "confirm": "1", "fingerprint": hanbit}
    response = registrar_client.post("/admin/creditexchange/partnerlist/send/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and 'id="send-stale"' in response.content.decode()
    assert not PartnerList.objects.exists()
