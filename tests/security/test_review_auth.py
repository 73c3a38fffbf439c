"""Attacker review of sign-in, mailed account links and sessions (issue 10): each test failed before its fix."""

import html
import json
import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from accounts import services
from accounts.middleware import LAST_SEEN
from core.mail import mail_queue, mail_resend
from core.models import OutgoingMail

from ..factories import StaffJobFactory, TemporaryStudentIdFactory, UserFactory

LOGIN_URL = "/accounts/login/"
PROFILE_URL = "/accounts/profile/"
PASSWORD = "correct-horse-battery"
WRONG = "wrong-password-123"
NEW_PASSWORD = "Blue-Lantern-Orbit-42"
ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def student(db):
    return TemporaryStudentIdFactory(
        student_id="T202600001", user__email="haneul@hanbit.example", user__language="en"
    ).user


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _mailed_path(message, prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- The public password-link form is for students only -------------------------------------------------------------


@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_staff": True, "is_superuser": True}, {"is_superuser": True}])
def test_it_mails_no_set_password_link_to_a_staff_account_from_the_public_form(client, db, flags, django_capture_on_commit_callbacks):
    UserFactory(username="registrar", email="registrar@ust.example", **flags)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/", {"username": "registrar", "email": "registrar@ust.example"})

    assert response.status_code == 302  # the same answer as for anyone else: nothing to learn from it
    assert mail.outbox == []
    assert not OutgoingMail.objects.filter(kind="set_password").exists()


def test_a_student_still_gets_the_link_from_the_public_form(client, student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/", {"username": "t202600001", "email": "HANEUL@hanbit.example"})

    assert [m.to for m in mail.outbox] == [["haneul@hanbit.example"]]


# --- A lock cannot be got round by a Unicode variant of the user name -----------------------------------------------


@pytest.mark.postgres
def test_a_dotless_i_variant_of_the_user_name_counts_against_the_same_lock(client, db):
    # PostgreSQL's UPPER('ı') is 'I', so 'regıstrar' signs in as 'registrar'; it must share registrar's lock.
    UserFactory(username="registrar", is_staff=True)
    variants = ["registrar", "regıstrar", "regıstrar".upper(), "rEgıstrar", "registrar ", "regıstrar"]
    for name in variants[:5]:
        client.post(LOGIN_URL, {"username": name, "password": WRONG}, REMOTE_ADDR=ADDRESS)

    response = client.post(LOGIN_URL, {"username": variants[5], "password": PASSWORD}, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# --- Status polling is no activity: an idle staff session still ends ------------------------------------------------


def test_the_job_pages_status_poll_does_not_keep_an_idle_staff_session_alive(client, db, settings):
    settings.SESSION_IDLE_MINUTES_STAFF = 30
    officer = UserFactory(username="officer", is_staff=True, is_superuser=True)
    job = StaffJobFactory(created_by=officer)
    client.force_login(officer)
    page = client.get(f"/staff/jobs/{job.pk}/")
    assert page.status_code == 200
    poll_headers = re.search(r"id=\"job-status\"[^>]*hx-headers='([^']+)'", page.content.decode())
    assert poll_headers, "the polling element marks its requests as a poll"
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in json.loads(poll_headers.group(1)).items()}

    session = client.session
    session[LAST_SEEN] = time.time() - 29 * 60
    session.save()
    for _ in range(3):
        assert client.get(f"/staff/jobs/{job.pk}/", HTTP_HX_REQUEST="true", **headers).status_code == 200
    assert time.time() - client.session[LAST_SEEN] > 28 * 60  # the polls did not count as activity

    session = client.session
    session[LAST_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get(f"/staff/jobs/{job.pk}/", HTTP_HX_REQUEST="true", **headers)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(LOGIN_URL)
    assert "_auth_user_id" not in client.session


def test_a_real_htmx_request_still_counts_as_activity(client, db):
    officer = UserFactory(username="officer", is_staff=True, is_superuser=True)
    job = StaffJobFactory(created_by=officer)
    client.force_login(officer)
    client.get(f"/staff/jobs/{job.pk}/")
    session = client.session
    session[LAST_SEEN] = time.time() - 29 * 60
    session.save()

    assert client.get(f"/staff/jobs/{job.pk}/", HTTP_HX_REQUEST="true").status_code == 200

    assert time.time() - client.session[LAST_SEEN] < 60


# --- Mailed account links --------------------------------------------------------------------------------------------


def test_an_email_change_link_dies_with_a_password_change(client, student, django_capture_on_commit_callbacks):
    # Someone who knew the password asked to move the account to their address; the owner changes the password.
    with django_capture_on_commit_callbacks(execute=True):
        services.email_change_request(user=student, new_email="attacker@evil.example", password=PASSWORD)
    link = _mailed_path(mail.outbox[-1], "/accounts/email/confirm/")
    student.set_password(NEW_PASSWORD)
    student.save()

    assert client.get(link).status_code == 400
    response = client.post(link)

    assert response.status_code == 400
    assert "already been used or is out of date" in _text(response)
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"


def _confirm(user, new_email, capture) -> str:
    """Confirm a change of ``user``'s address; the "this wasn't me" link mailed to the address it left."""
    with capture(execute=True):
        services.email_change_confirm(token=services.email_change_token(user=user, new_email=new_email))
    user.refresh_from_db()
    return _mailed_path(mail.outbox[-1], "/accounts/email/report/")


def test_the_intruders_own_report_link_cannot_take_the_account_back_after_the_owner_reported(
    client, student, django_capture_on_commit_callbacks
):
    owners_link = _confirm(student, "attacker@evil.example", django_capture_on_commit_callbacks)
    intruders_link = _confirm(student, "attacker2@evil.example", django_capture_on_commit_callbacks)  # mailed to the intruder
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(owners_link).status_code == 200
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"

    assert Client(HTTP_ACCEPT_LANGUAGE="en").get(intruders_link).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(HTTP_ACCEPT_LANGUAGE="en").post(intruders_link)

    assert response.status_code == 400
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"
    assert not any(m.to == ["attacker@evil.example"] for m in mail.outbox if "/accounts/set-password/" in m.body)


def test_the_owners_report_link_still_works_after_the_intruder_changed_the_address_twice(
    client, student, django_capture_on_commit_callbacks
):
    owners_link = _confirm(student, "attacker@evil.example", django_capture_on_commit_callbacks)
    _confirm(student, "attacker2@evil.example", django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(owners_link).status_code == 200

    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"


def test_a_re_sent_set_password_mail_to_an_address_the_account_left_carries_no_link(
    student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.password_link_request(user=student)
    old = OutgoingMail.objects.get(kind="set_password")
    _confirm(student, "haneul.new@example.org", django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        mail_resend(mail=old)

    assert not any("/accounts/set-password/" in m.body for m in mail.outbox)
    old.refresh_from_db()
    assert old.status != OutgoingMail.Status.SENT


def test_a_set_password_mail_to_the_accounts_own_address_is_sent(student, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mail_queue(kind="set_password", to="HANEUL@hanbit.example", language="en", params={"user_id": student.pk})

    assert "/accounts/set-password/" in mail.outbox[-1].body


def test_a_report_on_a_staff_account_locks_it_but_mails_no_set_password_link(client, db, django_capture_on_commit_callbacks):
    # Whoever holds a staff member's old mailbox (a recycled address) must not get a staff password from it:
    # staff passwords are reset by a superuser, and the report only locks the account.
    officer = UserFactory(username="officer", is_staff=True, email="officer@old.example", language="en")
    report = _confirm(officer, "officer@new.example", django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(report)

    assert response.status_code == 200
    assert "A superuser of the portal sets a new password for staff accounts" in _text(response)
    officer.refresh_from_db()
    assert officer.email == "officer@old.example"
    assert not officer.has_usable_password()
    assert not any("/accounts/set-password/" in m.body for m in mail.outbox)
    assert not OutgoingMail.objects.filter(kind="set_password").exists()


@pytest.mark.postgres
def test_no_second_account_can_differ_only_by_a_case_folding_variant(db):
    # The log-in matches with iexact (UPPER on PostgreSQL), so uniqueness must fold the same way:
    # 'regıstrar' (dotless i) next to 'registrar' would make every sign-in of either a 500.
    from django.db import IntegrityError, transaction

    from accounts.models import User

    User.objects.create_user("registrar", "r@example.com", "Some-Long-Pass-42")
    for variant in ["REGISTRAR", "regıstrar", "Registrar"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(variant, "x@example.com", "Some-Long-Pass-42")
    assert User.objects.get_by_natural_key("regıstrar").username == "registrar"
