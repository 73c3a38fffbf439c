"""Authentication (issue 10, findings 2 and 4; sessions): throttled sign-in, re-authenticated e-mail change, session ends."""

import html
import re
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.middleware import LAST_SEEN, SIGNED_IN_AT
from accounts.roles import ensure_roles

from ..factories import TemporaryStudentIdFactory, UserFactory

LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
PROFILE_URL = "/accounts/profile/"
PASSWORD = "correct-horse-battery"
WRONG = "wrong-password-123"
NEW_PASSWORD = "Blue-Lantern-Orbit-42"
ATTACKER_ADDRESS = "203.0.113.7"
STUDENT_ADDRESS = "198.51.100.20"


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.OTP_REQUIRED_FOR_STAFF = False  # the second factor has its own tests


@pytest.fixture
def student(db):
    identity = TemporaryStudentIdFactory(
        student_id="T202600001", user__email="haneul@hanbit.example", user__language="en"
    )
    return identity.user


@pytest.fixture
def officer(db):
    return UserFactory(username="officer", is_staff=True, email="officer@ust.example")


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _login(client, username, password, address=ATTACKER_ADDRESS, url=LOGIN_URL):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _fail(client, username, times, address=ATTACKER_ADDRESS, url=LOGIN_URL):
    return [_login(client, username, WRONG, address, url) for _ in range(times)]


def _mailed_path(message, prefix: str) -> str:
    match = re.search(rf"https?://[^/\s]+({re.escape(prefix)}\S+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- Finding 2: sign-in throttling ---------------------------------------------------------------------------------


def test_it_locks_the_user_name_after_five_wrong_passwords_and_then_refuses_the_right_one(client, student):
    first_four = _fail(client, "T202600001", 4)
    assert [r.status_code for r in first_four] == [200] * 4

    fifth = _login(client, "T202600001", WRONG)
    assert fifth.status_code == 429
    assert "Too many failed sign-ins" in _text(fifth)
    assert "try again in 15 minutes" in _text(fifth)

    right = _login(client, "T202600001", PASSWORD)
    assert right.status_code == 429
    assert "try again in 15 minutes" in _text(right)
    assert '<form method="post"' in _text(right)  # the login page itself, not axes' bare text
    assert "_auth_user_id" not in client.session


def test_it_shows_the_lock_out_message_in_korean(client, student):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    response = _fail(client, "T202600001", 5)[-1]

    assert response.status_code == 429
    assert "로그인 실패가 너무 많습니다" in _text(response)
    assert "15분" in _text(response)


def test_it_does_not_lock_the_student_out_from_another_address(client, student):
    _fail(client, "T202600001", 6, address=ATTACKER_ADDRESS)

    response = _login(client, "T202600001", PASSWORD, address=STUDENT_ADDRESS)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(student.pk)


@pytest.mark.parametrize("proxies", [0, 1])
def test_a_forged_forwarded_for_header_does_not_get_round_the_lock(client, student, settings, proxies):
    settings.NUM_PROXIES = proxies  # 1: the proxy appends the real address as the last entry
    for n in range(5):
        client.post(
            LOGIN_URL, {"username": "T202600001", "password": WRONG},
            REMOTE_ADDR="10.0.0.1" if proxies else ATTACKER_ADDRESS,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ATTACKER_ADDRESS}" if proxies else f"192.0.2.{n}",
        )

    response = client.post(
        LOGIN_URL, {"username": "T202600001", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1" if proxies else ATTACKER_ADDRESS,
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER_ADDRESS}" if proxies else "192.0.2.99",
    )

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_ADDRESS}


def test_it_logs_in_with_the_user_name_in_another_case(client, student):
    response = _login(client, " t202600001 ", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(student.pk)


def test_a_changed_case_of_the_user_name_counts_against_the_same_lock(client, student):
    for name in ["T202600001", "t202600001", "T202600001 ", "t202600001", "T202600001"]:
        _login(client, name, WRONG)

    response = _login(client, "t202600001", PASSWORD)

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"t202600001"}


def test_the_lock_lifts_after_the_cool_off(client, student):
    _fail(client, "T202600001", 5)
    assert _login(client, "T202600001", PASSWORD).status_code == 429

    # Fifteen minutes pass.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=5))
    response = _login(client, "T202600001", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(student.pk)


def test_the_wait_shown_is_what_is_left_of_the_cool_off(client, student):
    _fail(client, "T202600001", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=11, seconds=30))

    response = _login(client, "T202600001", PASSWORD)

    assert response.status_code == 429
    assert "try again in 4 minutes" in _text(response)


def test_a_successful_sign_in_resets_the_count(client, student):
    _fail(client, "T202600001", 4)
    assert _login(client, "T202600001", PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    responses = _fail(client, "T202600001", 4)

    assert [r.status_code for r in responses] == [200] * 4


def test_the_admin_login_is_throttled_too(client, officer):
    _fail(client, "officer", 4, url=ADMIN_LOGIN_URL)
    fifth = _login(client, "OFFICER", WRONG, url=ADMIN_LOGIN_URL)

    assert fifth.status_code == 429
    assert "Too many failed sign-ins" in _text(fifth)
    right = _login(client, "officer", PASSWORD, url=ADMIN_LOGIN_URL)
    assert right.status_code == 429
    assert "try again in 15 minutes" in _text(right)
    assert 'id="login-form"' in _text(right)  # the admin's own login page
    assert "_auth_user_id" not in client.session


def test_a_registrar_resets_a_lock_out_from_the_admin(client, student):
    ensure_roles()
    registrar = UserFactory(username="registrar", is_staff=True)
    registrar.groups.add(Group.objects.get(name="registrar"))
    _fail(client, "T202600001", 5)
    attempt = AccessAttempt.objects.get()

    client.force_login(registrar)
    listing = client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200
    assert "Reset the lock-out of the selected attempts" in _text(listing)
    response = client.post(
        "/admin/axes/accessattempt/", {"action": "reset_lockouts", "_selected_action": [attempt.pk]}, follow=True
    )

    assert response.status_code == 200
    assert not AccessAttempt.objects.exists()
    client.logout()
    assert _login(client, "T202600001", PASSWORD).status_code == 302


def test_other_staff_cannot_see_or_reset_lock_outs(client, student):
    ensure_roles()
    committee = UserFactory(username="committee", is_staff=True)
    committee.groups.add(Group.objects.get(name="affiliation_committee"))
    _fail(client, "T202600001", 5)
    attempt = AccessAttempt.objects.get()

    client.force_login(committee)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    assert client.get("/admin/axes/accesslog/").status_code == 403
    response = client.post("/admin/axes/accessattempt/", {"action": "reset_lockouts", "_selected_action": [attempt.pk]})

    assert response.status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


# --- Finding 4: the e-mail change needs the password and tells the old address --------------------------------------


def _change_email(client, capture, password=PASSWORD, new_email="haneul.new@example.org"):
    data = {"change_email": "", "new_email": new_email}
    if password is not None:
        data["current_password"] = password
    with capture(execute=True):
        return client.post(PROFILE_URL, data)


def test_the_email_change_needs_the_current_password(client, student, django_capture_on_commit_callbacks):
    client.force_login(student)

    response = _change_email(client, django_capture_on_commit_callbacks, password=None)

    assert response.status_code == 200
    assert "This field is required." in _text(response)
    assert mail.outbox == []


def test_the_email_change_refuses_a_wrong_password(client, student, django_capture_on_commit_callbacks):
    client.force_login(student)

    response = _change_email(client, django_capture_on_commit_callbacks, password=WRONG)

    assert response.status_code == 200
    assert "The password is not correct." in _text(response)
    assert mail.outbox == []
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"


def test_wrong_passwords_on_the_email_change_are_rate_limited(client, student, django_capture_on_commit_callbacks, settings):
    settings.REAUTH_FAILURE_LIMIT = 5
    client.force_login(student)
    for _ in range(5):
        _change_email(client, django_capture_on_commit_callbacks, password=WRONG)

    response = _change_email(client, django_capture_on_commit_callbacks, password=PASSWORD)

    assert response.status_code == 200
    assert "Too many wrong passwords" in _text(response)
    assert mail.outbox == []


def test_the_confirmed_change_notifies_the_old_address(client, student, django_capture_on_commit_callbacks):
    client.force_login(student)
    assert _change_email(client, django_capture_on_commit_callbacks).status_code == 302
    assert [m.to for m in mail.outbox] == [["haneul.new@example.org"]]
    link = _mailed_path(mail.outbox[0], "/accounts/email/confirm/")

    page = client.get(link)
    student.refresh_from_db()
    assert page.status_code == 200 and student.email == "haneul@hanbit.example"  # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(link)

    assert confirmed.status_code == 200
    student.refresh_from_db()
    assert student.email == "haneul.new@example.org"
    notice = mail.outbox[1]
    assert notice.to == ["haneul@hanbit.example"]
    assert "haneul.new@example.org" not in notice.body
    assert "ha****@ex****.org" in notice.body
    seoul = timezone.localtime(student.email_changed_at, timezone=timezone.get_fixed_timezone(9 * 60))
    assert seoul.strftime("%Y-%m-%d %H:%M") in notice.body
    assert "(Asia/Seoul)" in notice.body
    assert "/accounts/email/report/" in notice.body
    assert LogEntry.objects.filter(object_id=str(student.pk), change_message__contains="E-mail address changed").exists()


def test_the_notice_goes_out_in_the_users_language(db, django_capture_on_commit_callbacks):
    user = UserFactory(email="minji@univ.example", language="ko")
    token = services.email_change_token(user=user, new_email="minji@new.example")
    with django_capture_on_commit_callbacks(execute=True):
        services.email_change_confirm(token=token)

    assert mail.outbox[0].to == ["minji@univ.example"]
    assert "이메일 주소가 변경되었습니다" in mail.outbox[0].subject


def _confirmed_change(student, capture) -> str:
    token = services.email_change_token(user=student, new_email="attacker@evil.example")
    with capture(execute=True):
        services.email_change_confirm(token=token)
    return _mailed_path(mail.outbox[-1], "/accounts/email/report/")


def test_this_wasnt_me_restores_the_address_and_locks_the_intruder_out(
    client, student, django_capture_on_commit_callbacks, django_user_model
):
    from django.test import Client

    intruder = Client(HTTP_ACCEPT_LANGUAGE="en")
    intruder.force_login(student)
    assert intruder.get(PROFILE_URL).status_code == 200
    report = _confirmed_change(student, django_capture_on_commit_callbacks)

    page = client.get(report)
    assert page.status_code == 200
    assert "<form method=\"post\"" in _text(page)
    student.refresh_from_db()
    assert student.email == "attacker@evil.example"  # opening the link changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(report)

    assert response.status_code == 200
    assert "We restored haneul@hanbit.example" in _text(response)
    student.refresh_from_db()
    assert student.email == "haneul@hanbit.example"
    assert not student.has_usable_password()
    assert mail.outbox[-1].to == ["haneul@hanbit.example"]
    assert "/accounts/set-password/" in mail.outbox[-1].body
    assert intruder.get(PROFILE_URL).status_code == 302  # the intruder's session is over
    assert LogEntry.objects.filter(object_id=str(student.pk), change_message__contains="not made by the owner").exists()

    again = client.post(report)
    assert again.status_code == 200
    assert "already" in _text(again)


def test_a_report_link_expires_after_fourteen_days(client, student, django_capture_on_commit_callbacks, settings):
    report = _confirmed_change(student, django_capture_on_commit_callbacks)
    settings.EMAIL_CHANGE_REPORT_MAX_AGE_DAYS = 0

    response = client.post(report)

    assert response.status_code == 400
    assert "This link has expired" in _text(response)
    student.refresh_from_db()
    assert student.email == "attacker@evil.example"


def test_a_tampered_report_link_is_refused(client, student, django_capture_on_commit_callbacks):
    report = _confirmed_change(student, django_capture_on_commit_callbacks)

    response = client.post(report.replace(":", ":x", 1))

    assert response.status_code == 400
    student.refresh_from_db()
    assert student.email == "attacker@evil.example"


# --- Sessions ------------------------------------------------------------------------------------------------------


def _age_session(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"signed_in": SIGNED_IN_AT, "last_seen": LAST_SEEN}[key]] = now - ago
    session.save()


def test_a_student_session_ends_after_two_idle_hours(client, student):
    client.force_login(student)
    assert client.get(PROFILE_URL).status_code == 200
    _age_session(client, last_seen=119 * 60)
    assert client.get(PROFILE_URL).status_code == 200

    _age_session(client, last_seen=121 * 60)
    response = client.get(PROFILE_URL, follow=True)

    assert response.redirect_chain[0][0].startswith(LOGIN_URL)
    assert "Your session ended after 120 minutes without activity." in _text(response)
    assert "_auth_user_id" not in client.session


def test_a_staff_session_ends_after_thirty_idle_minutes(client, officer):
    client.force_login(officer)
    assert client.get(PROFILE_URL).status_code == 200
    _age_session(client, last_seen=31 * 60)

    response = client.get(PROFILE_URL, follow=True)

    assert "Your session ended after 30 minutes without activity." in _text(response)
    assert "_auth_user_id" not in client.session


def test_a_session_ends_twelve_hours_after_sign_in_even_when_active(client, student):
    client.force_login(student)
    assert client.get(PROFILE_URL).status_code == 200
    _age_session(client, signed_in=12 * 3600 + 60, last_seen=10)

    response = client.get(PROFILE_URL, follow=True)

    assert "Your session ended 12 hours after you signed in." in _text(response)
    assert "_auth_user_id" not in client.session


def test_a_fresh_sign_in_starts_a_fresh_lifetime(client, student):
    client.force_login(student)
    client.get(PROFILE_URL)
    _age_session(client, signed_in=11 * 3600)

    client.post("/accounts/logout/")
    assert _login(client, "T202600001", PASSWORD).status_code == 302
    _age_session(client, last_seen=0)

    assert time.time() - client.session[SIGNED_IN_AT] < 60


def test_a_password_change_ends_every_other_session(client, student):
    from django.test import Client

    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(student)
    client.force_login(student)
    assert other.get(PROFILE_URL).status_code == 200

    response = client.post("/accounts/password/change/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    assert client.get(PROFILE_URL).status_code == 200  # the changing session stays
    assert other.get(PROFILE_URL).status_code == 302  # every other one is over
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)


def test_the_set_password_link_ends_every_other_session(client, student, django_capture_on_commit_callbacks):
    from django.test import Client

    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(student)
    assert other.get(PROFILE_URL).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.password_link_request(user=student)
    link = _mailed_path(mail.outbox[0], "/accounts/set-password/")

    form_page = client.get(link, follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert client.get(PROFILE_URL).status_code == 200
    assert other.get(PROFILE_URL).status_code == 302
