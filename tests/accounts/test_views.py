import html
import re

import pytest
from django.core import mail

from accounts import services

from ..factories import TemporaryStudentIdFactory

LOGIN_URL = "/accounts/login/"
LOGOUT_URL = "/accounts/logout/"
PROFILE_URL = "/accounts/profile/"
NEW_PASSWORD = "Blue-Lantern-Orbit-42"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def student(db):
    identity = TemporaryStudentIdFactory(
        student_id="T202700001", user__email="haneul@hanbit.example", user__phone="010-2222-3333"
    )
    return identity.user


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _mailed_path(message, prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_it_logs_a_student_in_with_the_temporary_student_id(client, student):
    response = client.post(LOGIN_URL, {"username": "T202700001", "password": "correct-horse-battery"})

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    assert client.session["_auth_user_id"] == str(student.pk)


def test_it_refuses_a_wrong_password(client, student):
    response = client.post(LOGIN_URL, {"username": "T202700001", "password": "wrong-password-123"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_logs_out_only_on_post(student_client):
    assert student_client.get(LOGOUT_URL).status_code == 405
    assert "_auth_user_id" in student_client.session

    response = student_client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "_auth_user_id" not in student_client.session
    assert student_client.get(PROFILE_URL).status_code == 302


def test_it_sends_an_anonymous_visitor_of_the_profile_to_the_login_page(client, db):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={PROFILE_URL}"


def test_it_shows_each_student_only_their_own_data(client, student):
    other = TemporaryStudentIdFactory(student_id="T202700002", user__email="byeol@nuri.example").user

    client.force_login(student)
    own = _text(client.get(PROFILE_URL))
    client.force_login(other)
    others = _text(client.get(PROFILE_URL))

    assert re.search(r'id="profile-username">\s*T202700001\s*<', own)
    assert re.search(r'id="profile-email">\s*haneul@hanbit.example\s*<', own)
    assert "T202700002" not in own
    assert "byeol@nuri.example" not in own
    assert re.search(r'id="profile-username">\s*T202700002\s*<', others)
    assert re.search(r'id="profile-email">\s*byeol@nuri.example\s*<', others)
    assert "T202700001" not in others
    assert "haneul@hanbit.example" not in others


def test_it_shows_the_profile_of_a_user_without_a_temporary_id(client, registrar):
    client.force_login(registrar)

    response = client.get(PROFILE_URL)

    assert response.status_code == 200
    assert re.search(r'id="profile-username">\s*registrar\s*<', _text(response))
    assert "Temporary student ID" not in _text(response)


def test_it_updates_the_phone_number(student_client, student):
    response = student_client.post(PROFILE_URL, {"save_profile": "", "phone": "010-9999-8888", "language": "en"})

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    student.refresh_from_db()
    assert student.phone == "010-9999-8888"
    assert student.language == "en"


def test_it_keeps_the_phone_number_when_the_new_one_is_malformed(student_client, student):
    response = student_client.post(PROFILE_URL, {"save_profile": "", "phone": "call me", "language": "ko"})

    assert response.status_code == 200
    assert "Enter a phone number: digits, with an optional leading + and hyphens or spaces." in _text(response)
    student.refresh_from_db()
    assert student.phone == "010-2222-3333"


def _request_email_change(client, capture, new_email="haneul.new@example.org"):
    with capture(execute=True):
        response = client.post(
            PROFILE_URL, {"change_email": "", "new_email": new_email, "current_password": "correct-horse-battery"}
        )
    return response


def test_it_mails_an_email_change_link_to_the_new_address_only(
    student_client, student, django_capture_on_commit_callbacks
):
    response = _request_email_change(student_client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["haneul.new@example.org"]
    assert "/accounts/email/confirm/" in mail.outbox[0].body
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"


def test_it_changes_the_address_when_the_mailed_link_is_opened_once(
    student_client, student, django_capture_on_commit_callbacks
):
    _request_email_change(student_client, django_capture_on_commit_callbacks)
    link = _mailed_path(mail.outbox[0], "/accounts/email/confirm/")

    opened = student_client.get(link)  # opening the link only shows the button (issue 10)
    assert opened.status_code == 200
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"
    response = student_client.post(link)

    assert response.status_code == 200
    assert "Your e-mail address is now haneul.new@example.org." in _text(response)
    student.refresh_from_db()
    assert student.email == "haneul.new@example.org"

    again = student_client.post(link)

    assert again.status_code == 400
    assert "This confirmation link has already been used or is out of date." in _text(again)
    student.refresh_from_db()
    assert student.email == "haneul.new@example.org"


def test_it_rate_limits_email_change_requests(student_client, django_capture_on_commit_callbacks):
    _request_email_change(student_client, django_capture_on_commit_callbacks)

    response = _request_email_change(student_client, django_capture_on_commit_callbacks, "third@example.org")

    assert response.status_code == 200
    assert "A confirmation link was sent a moment ago." in _text(response)
    assert [m.to for m in mail.outbox] == [["haneul.new@example.org"]]


def test_it_refuses_a_tampered_email_change_link(client, student):
    token = services.email_change_token(user=student, new_email="attacker@evil.example")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(f"/accounts/email/confirm/{tampered}/")

    assert response.status_code == 400
    assert "This confirmation link is not valid." in _text(response)
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"


def test_it_refuses_an_email_change_to_the_current_address(
    student_client, student, django_capture_on_commit_callbacks
):
    response = _request_email_change(student_client, django_capture_on_commit_callbacks, "HANEUL@hanbit.example")

    assert response.status_code == 200
    assert "That is already your e-mail address." in _text(response)
    assert mail.outbox == []


def test_it_lets_the_set_password_link_work_once(client, student, django_capture_on_commit_callbacks):
    student.set_unusable_password()
    student.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.password_link_request(user=student) is True
    assert mail.outbox[0].to == ["haneul@hanbit.example"]
    link = _mailed_path(mail.outbox[0], "/accounts/set-password/")

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    assert "Temporary student ID: T202700001" in _text(form_page)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert client.session["_auth_user_id"] == str(student.pk)

    client.post(LOGOUT_URL)
    reused = client.get(link, follow=True)

    assert reused.status_code == 200
    assert reused.context["validlink"] is False
    assert "This link is no longer valid: it was already used, has expired, or is incomplete." in _text(reused)
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)


def test_it_keeps_the_page_language_when_the_preferred_mail_language_is_saved(student_client, student, settings):
    """Issue 11: the preferred language is for mails; saving it must not switch the language of the pages."""
    student_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = student_client.post(PROFILE_URL, {"save_profile": "", "phone": "010-2222-3333", "language": "ko"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert student_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    student.refresh_from_db()
    assert student.language == "ko"
    page = student_client.get(PROFILE_URL)
    assert page["Content-Language"] == "en" and "Your profile has been saved." in _text(page)
    assert "The preferred language is the language of the e-mails we send you" in _text(page)


def test_it_sets_no_language_cookie_for_a_visitor_without_one(student_client, settings):
    response = student_client.post(PROFILE_URL, {"save_profile": "", "phone": "010-2222-3333", "language": "en"})

    assert response.status_code == 302 and settings.LANGUAGE_COOKIE_NAME not in response.cookies
