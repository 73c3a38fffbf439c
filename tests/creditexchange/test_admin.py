import pytest
from django.core import mail

from accounts.models import TemporaryStudentId
from core.models import OutgoingMail, StaffJob
from creditexchange.models import ApplicationEvent, TemporaryIdApplication

from ..factories import TemporaryStudentIdFactory, UserFactory

Status = TemporaryIdApplication.Status
CHANGELIST_URL = "/admin/creditexchange/temporaryidapplication/"
MAIL_CHANGELIST_URL = "/admin/core/outgoingmail/"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _change_url(application) -> str:
    return f"{CHANGELIST_URL}{application.pk}/change/"


def _action(client, action, *applications, url=CHANGELIST_URL, **extra):
    data = {"action": action, "_selected_action": [a.pk for a in applications], **extra}
    return client.post(url, data)


def _change_form_data(response) -> dict:
    """The change form as a browser would post it back: editable fields and inline management forms."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        data[name] = "" if value is None else str(value)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, "")
    return data


def test_it_lets_the_registrar_open_the_applications_changelist(registrar_client, confirmed_application):
    response = registrar_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [confirmed_application]


def test_it_lets_the_registrar_open_an_application(registrar_client, confirmed_application):
    response = registrar_client.get(_change_url(confirmed_application))

    assert response.status_code == 200
    assert confirmed_application.email in response.content.decode()


def test_it_sends_a_non_staff_user_to_the_admin_login(outsider_client, confirmed_application):
    response = outsider_client.get(CHANGELIST_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={CHANGELIST_URL}"


def test_it_refuses_staff_without_the_registrar_role(client, confirmed_application):
    client.force_login(UserFactory(username="clerk", is_staff=True))

    assert client.get(CHANGELIST_URL).status_code == 403
    assert client.get(_change_url(confirmed_application)).status_code == 403


def test_it_approves_selected_applications_and_records_who_did_it(
    registrar_client, registrar, confirmed_application
):
    response = _action(registrar_client, "approve_selected", confirmed_application)

    assert response.status_code == 302
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.APPROVED
    assert confirmed_application.decided_by == registrar
    event = confirmed_application.events.get()
    assert (event.from_status, event.to_status, event.actor) == (Status.CONFIRMED, Status.APPROVED, registrar)


def test_it_skips_an_application_that_cannot_be_approved(registrar_client, submitted_application):
    response = _action(registrar_client, "approve_selected", submitted_application)

    assert response.status_code == 302
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED
    assert not ApplicationEvent.objects.exists()


def test_it_asks_for_a_reason_before_rejecting(
    registrar_client, confirmed_application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(registrar_client, "reject_selected", confirmed_application)

    assert response.status_code == 200
    assert "admin/creditexchange/reject_applications.html" in [t.name for t in response.templates]
    assert 'name="reason"' in response.content.decode()
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.CONFIRMED
    assert mail.outbox == []


def test_it_rejects_with_the_reason_and_mails_the_applicant(
    registrar_client, registrar, confirmed_application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(
            registrar_client, "reject_selected", confirmed_application,
            apply="1", reason="Your home university did not nominate you.",
        )

    assert response.status_code == 302
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.REJECTED
    assert confirmed_application.rejection_reason == "Your home university did not nominate you."
    event = confirmed_application.events.get()
    assert (event.to_status, event.actor, event.reason) == (
        Status.REJECTED, registrar, "Your home university did not nominate you."
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [confirmed_application.email]
    assert "Your home university did not nominate you." in mail.outbox[0].body


def test_it_issues_an_id_now(registrar_client, registrar, approved_application, django_capture_on_commit_callbacks):
    # Issue 12: a preview first (nothing issued), then the confirmation with its fingerprint starts the job.
    preview = _action(registrar_client, "issue_now", approved_application)
    assert preview.status_code == 200 and not StaffJob.objects.exists()
    fingerprint = preview.context["preview"].fingerprint
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(registrar_client, "issue_now", approved_application, apply="1", fingerprint=fingerprint)

    assert response.status_code == 302
    job = StaffJob.objects.get()
    assert response["Location"] == f"/staff/jobs/{job.pk}/"
    assert (job.kind, job.status, job.created_by) == ("temporary_ids_issue", "done", registrar)
    assert (job.done, job.total, job.failures) == (1, 1, [])
    assert (job.report["issued"], job.report["skipped"]) == (1, 0)
    assert "1 temporary student ID issued." in registrar_client.get(response["Location"]).content.decode()
    approved_application.refresh_from_db()
    assert approved_application.status == Status.ISSUED
    identity = TemporaryStudentId.objects.get()
    assert approved_application.temporary_id == identity
    assert identity.user.username == identity.student_id
    assert identity.user.email == approved_application.email
    event = approved_application.events.get()
    assert (event.to_status, event.actor) == (Status.ISSUED, registrar)
    assert [m.to for m in mail.outbox] == [[approved_application.email]]


def test_it_records_an_email_correction_as_an_event(registrar_client, registrar, confirmed_application):
    page = registrar_client.get(_change_url(confirmed_application))
    old_email = confirmed_application.email
    data = {**_change_form_data(page), "email": "corrected@partner.example"}

    response = registrar_client.post(_change_url(confirmed_application), data)

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    confirmed_application.refresh_from_db()
    assert confirmed_application.email == "corrected@partner.example"
    assert confirmed_application.status == Status.CONFIRMED
    event = confirmed_application.events.get()
    assert event.actor == registrar
    assert event.changes == {"email": [old_email, "corrected@partner.example"]}
    assert (event.from_status, event.to_status) == (Status.CONFIRMED, Status.CONFIRMED)


def test_it_does_not_let_the_change_page_alter_the_status(registrar_client, confirmed_application):
    page = registrar_client.get(_change_url(confirmed_application))
    data = {**_change_form_data(page), "status": Status.ISSUED, "phone": "010-7777-6666"}

    registrar_client.post(_change_url(confirmed_application), data)

    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.CONFIRMED
    assert confirmed_application.phone == "010-7777-6666"


def test_it_requeues_a_failed_mail(registrar_client, django_capture_on_commit_callbacks):
    # An exchange student's mail: the registrar re-sends only mail of the accounts its role looks after.
    student = TemporaryStudentIdFactory(student_id="T202700042").user
    student.email = "registrar-test@example.com"
    student.save(update_fields=["email"])
    failed = OutgoingMail.objects.create(
        kind="set_password", to="registrar-test@example.com", language="en", params={"user_id": student.pk},
        status=OutgoingMail.Status.FAILED, attempts=5, last_error="SMTPServerDisconnected: gone",
    )

    preview = _action(registrar_client, "resend", failed, url=MAIL_CHANGELIST_URL)  # a preview first
    assert preview.status_code == 200 and failed.status == OutgoingMail.Status.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        response = _action(registrar_client, "resend", failed, url=MAIL_CHANGELIST_URL, confirm="1",
                           fingerprint=preview.context["preview"]["fingerprint"])

    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == OutgoingMail.Status.SENT
    assert failed.attempts == 1
    assert failed.last_error == ""
    assert [m.to for m in mail.outbox] == [["registrar-test@example.com"]]
