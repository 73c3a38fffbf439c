"""Staff sign in with a second factor (TOTP + one-time recovery codes); students are never asked."""

import base64
import re
import time

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import ensure_roles
from core.models import OutgoingMail

from ..factories import UserFactory

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
VERIFY, SETUP, MANAGE = "/accounts/two-factor/verify/", "/accounts/two-factor/setup/", "/accounts/two-factor/"


def code(device: TOTPDevice, steps: int = 0) -> str:
    """The code the staff member's app shows now (or ``steps`` time steps later, within the tolerance)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user, recovery: tuple[str, ...] = ()) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    if recovery:
        static = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
        for token in recovery:
            static.token_set.create(token=token)
    return device


@pytest.fixture
def required(settings):
    settings.OTP_REQUIRED_FOR_STAFF = True


@pytest.fixture
def no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def staff(db):
    ensure_roles()
    user = UserFactory(username="clerk", is_staff=True)
    user.groups.add(Group.objects.get(name="registrar"))
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def mailed_code(message) -> str:
    """The enrolment code as the mail shows it (two groups of four digits)."""
    return re.search(r"\b(\d{4} \d{4})\b", message.body).group(1)


@pytest.fixture
def send_code(django_capture_on_commit_callbacks):
    """``send_code(client)``: press "send the code" on the setup page; the code from the mail it sends."""

    def _send(client) -> str:
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(SETUP, {"action": "send"})
        assert response.status_code == 302, response.content.decode()[:500]
        assert len(mail.outbox) == before + 1
        return mailed_code(mail.outbox[-1])

    return _send


# --- who is asked ---------------------------------------------------------------------------------


def test_it_refuses_unverified_staff_from_the_admin_and_the_staff_pages_when_required(required, staff_client):
    for page in ("/admin/", "/admin/accounts/user/", "/staff/"):
        response = staff_client.get(page)

        assert response.status_code == 302, page
        assert response["Location"].startswith(SETUP + "?next=" + page.replace("/", "%2F")), page


def test_it_tells_htmx_to_load_the_verify_page_instead_of_swapping_it_in(required, staff_client, staff):
    enrol(staff)

    response = staff_client.get("/staff/jobs/1/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/staff/jobs/1/")
    elsewhere = staff_client.get("/staff/jobs/1/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/x")

    assert response.status_code == 204 and response["HX-Redirect"] == VERIFY + "?next=%2Fstaff%2Fjobs%2F1%2F"
    assert elsewhere["HX-Redirect"] == VERIFY


def test_it_sends_staff_with_a_device_to_verify_even_when_the_setting_is_off(staff_client, staff):
    enrol(staff)

    for page in ("/admin/", "/staff/", "/accounts/profile/"):
        assert staff_client.get(page)["Location"].startswith(VERIFY + "?next="), page


def test_it_leaves_the_admin_as_before_when_the_setting_is_off_and_there_is_no_device(staff_client):
    assert staff_client.get("/admin/").status_code == 200
    assert staff_client.get("/staff/").status_code == 200


def test_it_never_asks_students(db, required, client):
    student = UserFactory(username="T202600001")
    client.force_login(student)

    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # the admin's own refusal, as before
    assert client.get("/staff/").status_code == 403
    assert client.get(VERIFY).status_code == 403
    assert client.get(SETUP).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_it_sends_staff_to_verify_right_after_the_password_on_either_login_page(required, client, staff):
    enrol(staff)

    portal = client.post("/accounts/login/", {"username": "CLERK", "password": PASSWORD, "next": "/staff/"}, follow=True)
    assert portal.redirect_chain[-1][0] == VERIFY + "?next=%2Fstaff%2F"
    client.logout()
    admin = client.post("/admin/login/?next=/admin/", {"username": "clerk", "password": PASSWORD, "next": "/admin/"}, follow=True)
    assert admin.redirect_chain[-1][0] == VERIFY + "?next=%2Fadmin%2F"


def test_it_still_throttles_wrong_passwords_with_axes(required, client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/accounts/login/", {"username": "clerk", "password": "wrong-password"})
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})

    assert response.status_code != 302 and "_auth_user_id" not in client.session


# --- verify ---------------------------------------------------------------------------------------


def test_it_refuses_a_wrong_code_and_stays_unverified(staff_client, staff):
    device = enrol(staff)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"

    response = staff_client.post(VERIFY, {"token": wrong, "next": "/admin/"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert staff_client.get("/admin/")["Location"].startswith(VERIFY)
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_it_lets_staff_in_with_the_right_code(staff_client, staff):
    device = enrol(staff)

    response = staff_client.post(VERIFY, {"token": code(device), "next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert staff_client.get("/admin/").status_code == 200
    assert staff_client.get("/staff/").status_code == 200


def test_it_refuses_the_same_code_twice(no_throttle, client, staff):
    device = enrol(staff)
    token = code(device)
    client.force_login(staff)
    client.post(VERIFY, {"token": token})
    client.logout()
    client.force_login(staff)

    response = client.post(VERIFY, {"token": token})

    assert response.status_code == 200 and client.get("/admin/").status_code == 302


def test_it_shows_django_otps_throttle_message_in_korean(client, staff):
    device = enrol(staff)
    client.force_login(staff)
    client.post(VERIFY, {"token": "000000"} if code(device) != "000000" else {"token": "111111"})

    response = client.post(VERIFY, {"token": code(device)}, HTTP_ACCEPT_LANGUAGE="ko")

    assert response.status_code == 200
    assert "잘못된 코드가 1번 입력되어 확인이 잠시 중지되었습니다" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_it_accepts_a_recovery_code_once(no_throttle, client, staff):
    enrol(staff, recovery=("abcd2345", "wxyz6789"))
    client.force_login(staff)

    assert client.post(VERIFY, {"token": "ABCD-2345", "next": "/staff/"})["Location"] == "/staff/"
    assert client.get("/admin/").status_code == 200
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["wxyz6789"]
    client.logout()
    client.force_login(staff)
    again = client.post(VERIFY, {"token": "abcd2345"})
    assert again.status_code == 200 and client.get("/admin/").status_code == 302


def test_it_ignores_an_off_site_next(no_throttle, client, staff):
    device = enrol(staff)
    client.force_login(staff)

    for target in ("https://evil.example/", "//evil.example/admin/", "/\\evil.example"):
        response = client.post(VERIFY, {"token": code(device), "next": target})
        assert response["Location"] == "/accounts/profile/", target
        client.logout()
        client.force_login(staff)
        device.refresh_from_db()
        device.last_t = -1  # a fresh code for the next round; replay protection is tested above
        device.save()


def test_it_rejects_an_empty_or_absurd_code_without_crashing(client, staff):
    enrol(staff)
    client.force_login(staff)

    for token in ("", " ", "x" * 5000, "\x00", "１２３４５６"):
        response = client.post(VERIFY, {"token": token})
        assert response.status_code == 200, repr(token)
    assert client.get("/admin/").status_code == 302


# --- setup ----------------------------------------------------------------------------------------


def test_it_enrols_from_the_setup_page_and_shows_ten_recovery_codes_once(required, staff_client, staff, send_code):
    enrolment_code = send_code(staff_client)
    page = staff_client.get(SETUP + "?next=/staff/")
    html = page.content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    shown_secret = re.search(r'id="two-factor-secret"[^>]*>([A-Z2-7 ]+)<', html).group(1)
    secret = shown_secret.replace(" ", "")
    device = TOTPDevice.objects.get(user=staff, confirmed=False)

    assert "style=" not in svg and "data:" not in svg and "<script" not in svg
    assert base64.b32decode(secret) == device.bin_key
    assert shown_secret in staff_client.get(SETUP).content.decode()  # a reload keeps the same secret
    assert TOTPDevice.objects.filter(user=staff).count() == 1

    done = staff_client.post(SETUP, {"action": "confirm", "enrolment_code": enrolment_code, "token": code(device),
                                     "next": "/staff/"})

    assert done.status_code == 302 and done["Location"].startswith("/accounts/two-factor/recovery-codes/")
    device.refresh_from_db()
    assert device.confirmed
    shown = staff_client.get(done["Location"])
    tokens = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert len(tokens) == 10
    assert all(f"{t[:4]}-{t[4:]}".upper() in shown.content.decode() for t in tokens)
    assert 'href="/staff/"' in shown.content.decode()
    assert staff_client.get(done["Location"])["Location"] == MANAGE  # shown once
    assert staff_client.get("/staff/").status_code == 200  # verified by the enrolment


def test_it_keeps_the_device_unconfirmed_after_a_wrong_first_code(required, staff_client, staff, send_code):
    enrolment_code = send_code(staff_client)
    device = TOTPDevice.objects.get(user=staff)

    response = staff_client.post(SETUP, {"action": "confirm", "enrolment_code": enrolment_code,
                                         "token": f"{(int(code(device)) + 7) % 1_000_000:06d}"})

    assert response.status_code == 200 and "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and not StaticDevice.objects.exists()
    assert staff_client.get("/admin/").status_code == 302


def test_it_does_not_let_a_staff_member_with_a_device_enrol_another_without_the_code(staff_client, staff):
    enrol(staff)

    response = staff_client.get(SETUP)

    assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=staff).count() == 1


# --- manage ---------------------------------------------------------------------------------------


@pytest.fixture
def verified_client(no_throttle, staff_client, staff):
    device = enrol(staff, recovery=("aaaa2222",))
    staff_client.post(VERIFY, {"token": code(device)})
    staff_client.device = device
    return staff_client


def test_it_regenerates_recovery_codes_only_with_the_current_code(verified_client, staff):
    refused = verified_client.post(MANAGE, {"action": "regenerate", "token": "123"})
    assert refused.status_code == 200 and list(StaticToken.objects.values_list("token", flat=True)) == ["aaaa2222"]

    done = verified_client.post(MANAGE, {"action": "regenerate", "token": code(verified_client.device, steps=1)})

    assert done["Location"].startswith("/accounts/two-factor/recovery-codes/")
    tokens = list(StaticToken.objects.values_list("token", flat=True))
    assert len(tokens) == 10 and "aaaa2222" not in tokens
    assert verified_client.get("/admin/").status_code == 200


def test_it_removes_the_device_only_with_the_current_code(verified_client, staff, settings):
    refused = verified_client.post(MANAGE, {"action": "remove", "token": "000000" if code(verified_client.device, 1) != "000000" else "111111"})
    assert refused.status_code == 200 and TOTPDevice.objects.filter(user=staff).exists()

    settings.OTP_REQUIRED_FOR_STAFF = True
    done = verified_client.post(MANAGE, {"action": "remove", "token": code(verified_client.device, steps=1)})

    assert done["Location"] == SETUP
    assert not TOTPDevice.objects.filter(user=staff).exists() and not StaticDevice.objects.filter(user=staff).exists()
    assert verified_client.get("/admin/")["Location"].startswith(SETUP)


def test_the_manage_page_asks_an_unverified_staff_member_to_verify_first(staff_client, staff):
    enrol(staff)

    assert staff_client.get(MANAGE)["Location"].startswith(VERIFY)
    assert staff_client.post(MANAGE, {"action": "remove", "token": "123456"})["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=staff).exists()


# --- the device admins ----------------------------------------------------------------------------


def test_a_superuser_can_open_the_device_admins_to_remove_a_lost_device(client, staff):
    device = enrol(staff)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    assert client.get("/admin/otp_totp/totpdevice/").status_code == 200
    assert client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.exists()
    assert client.get("/admin/otp_static/staticdevice/").status_code == 200


def test_staff_with_device_permissions_still_cannot_open_the_device_admins(staff_client, staff):
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label__in=["otp_totp", "otp_static"]))

    assert staff_client.get("/admin/otp_totp/totpdevice/").status_code == 403
    assert staff_client.get("/admin/otp_static/staticdevice/").status_code == 403
    assert "otp_totp" not in staff_client.get("/admin/").content.decode()


# --- enrolment is bound to the address on record (trust on first use) ----------------------------
# Whoever holds the password alone cannot enrol their own phone: the setup page also wants the
# one-time code mailed to the staff member's address on record.

WARNING = {
    "en": "If you did not try to set up a second factor, tell the security office; your password is known to someone.",
    "ko": "2단계 인증을 설정하려고 한 적이 없다면 보안 담당 부서에 알려 주세요. 누군가 비밀번호를 알고 있습니다.",
}


def _confirm(client, device, enrolment_code=None, steps=0, follow=False):
    data = {"action": "confirm", "token": code(device, steps)}
    if enrolment_code is not None:
        data["enrolment_code"] = enrolment_code
    return client.post(SETUP, data, follow=follow)


def _wrong(enrolment_code: str) -> str:
    digits = enrolment_code.replace(" ", "")
    return f"{(int(digits) + 1) % 10**8:08d}"


def test_it_changes_nothing_when_the_setup_page_is_only_opened(required, staff_client, staff):
    def session():  # less the idle-timeout stamp every request refreshes
        return {k: v for k, v in staff_client.session.items() if k != "_last_seen"}

    staff_client.get("/accounts/two-factor/verify/")  # the session's sign-in stamps are written on a first request
    session_before = session()
    for _ in range(2):
        response = staff_client.get(SETUP + "?next=/staff/")
        assert response.status_code == 200

    html = response.content.decode()
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert not OutgoingMail.objects.exists() and mail.outbox == []
    assert session() == session_before
    assert "<svg" not in html and "two-factor-secret" not in html  # no key before the mailed code is asked for
    assert 'name="action" value="send"' in html and "us****@ex****.com" in html


@pytest.mark.parametrize("language", ["en", "ko"])
def test_it_mails_the_code_to_the_address_on_record_in_the_staff_members_language(required, staff_client, staff,
                                                                                  send_code, language):
    staff.language = language
    staff.save()

    enrolment_code = send_code(staff_client)

    message = mail.outbox[-1]
    assert message.to == [staff.email]
    assert message.subject == ("[UST Portal] Your code to set up the second factor" if language == "en"
                               else "[UST Portal] 2단계 인증 설정 코드")
    assert WARNING[language] in message.body and WARNING[language] in message.alternatives[0][0]
    assert "30" in message.body and "clerk" in message.body
    sent = OutgoingMail.objects.get(kind="two_factor_enrolment")
    assert enrolment_code.replace(" ", "") not in str(sent.params) and set(sent.params) == {"user_id", "device_id"}
    assert TOTPDevice.objects.filter(user=staff, confirmed=False).count() == 1


def test_it_enrols_with_the_mailed_code(required, staff_client, staff, send_code):
    enrolment_code = send_code(staff_client)
    device = TOTPDevice.objects.get(user=staff)

    done = _confirm(staff_client, device, enrolment_code.replace(" ", "-"))

    assert done.status_code == 302 and done["Location"].startswith("/accounts/two-factor/recovery-codes/")
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert staff_client.get("/admin/").status_code == 200


def test_it_refuses_enrolment_without_the_mailed_code(required, staff_client, staff, send_code):
    send_code(staff_client)
    device = TOTPDevice.objects.get(user=staff)

    for value in (None, "", "   "):
        response = _confirm(staff_client, device, value)
        assert response.status_code == 200
        assert "Enter the enrolment code from the e-mail" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists() and not StaticDevice.objects.exists()
    assert staff_client.get("/admin/").status_code == 302


def test_it_refuses_enrolment_before_any_code_was_sent(required, staff_client, staff):
    device = TOTPDevice.objects.create(user=staff, name="planted", confirmed=False)  # e.g. left by another session

    response = staff_client.post(SETUP, {"action": "confirm", "enrolment_code": "12345678", "token": code(device)},
                                 follow=True)

    assert response.status_code == 200 and "First have the enrolment code sent" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and not StaticDevice.objects.exists()


def test_it_refuses_a_wrong_enrolment_code_and_counts_it(required, no_throttle, staff_client, staff, send_code):
    enrolment_code = send_code(staff_client)
    device = TOTPDevice.objects.get(user=staff)

    response = _confirm(staff_client, device, _wrong(enrolment_code))

    assert response.status_code == 200
    assert "That enrolment code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed and device.throttling_failure_count == 1 and not StaticDevice.objects.exists()


def test_it_throws_the_enrolment_away_after_five_wrong_codes(required, no_throttle, staff_client, staff, send_code):
    enrolment_code = send_code(staff_client)
    device = TOTPDevice.objects.get(user=staff)

    for attempt in range(5):
        response = _confirm(staff_client, device, _wrong(enrolment_code), follow=attempt == 4)
    right = _confirm(staff_client, device, enrolment_code)

    assert "Too many wrong enrolment codes" in response.content.decode()
    assert 'name="action" value="send"' in response.content.decode()
    assert right.status_code == 302 and right["Location"].startswith(SETUP)  # back to "send a code"
    assert not TOTPDevice.objects.exists()


def test_it_refuses_an_expired_enrolment_code(required, staff_client, staff, send_code):
    from datetime import timedelta

    from django.utils import timezone

    enrolment_code = send_code(staff_client)
    device = TOTPDevice.objects.get(user=staff)
    TOTPDevice.objects.filter(pk=device.pk).update(created_at=timezone.now() - timedelta(minutes=31))

    response = staff_client.post(SETUP, {"action": "confirm", "enrolment_code": enrolment_code, "token": code(device)},
                                 follow=True)

    assert "The enrolment code has expired" in response.content.decode()
    assert 'name="action" value="send"' in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists() and not StaticDevice.objects.exists()


def test_it_refuses_a_code_used_once_already(required, no_throttle, client, staff, send_code):
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    enrolment_code = send_code(client)
    first = TOTPDevice.objects.get(user=staff)
    assert _confirm(client, first, enrolment_code).status_code == 302
    TOTPDevice.objects.filter(user=staff).delete()  # a superuser removed the lost phone in the admin
    StaticDevice.objects.filter(user=staff).delete()
    client.logout()
    client.force_login(staff)
    cache.clear()  # the re-send limit's minute has passed
    send_code(client)
    second = TOTPDevice.objects.get(user=staff)

    response = _confirm(client, second, enrolment_code)

    assert response.status_code == 200 and "That enrolment code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_it_binds_the_key_to_the_session_that_asked_for_the_code(required, client, staff, send_code):
    """Someone with the password asks for a code: they never see the key the owner will later use."""
    from django.test import Client

    client.force_login(staff)
    send_code(client)
    attacker_device = TOTPDevice.objects.get(user=staff)
    owner = Client(HTTP_ACCEPT_LANGUAGE="en")
    owner.force_login(staff)

    page = owner.get(SETUP).content.decode()
    cache.clear()  # the re-send limit's minute has passed
    owner_code = send_code(owner)
    owner_device = TOTPDevice.objects.get(user=staff)

    assert "two-factor-secret" not in page and 'name="action" value="send"' in page
    assert owner_device.pk != attacker_device.pk and owner_device.key != attacker_device.key
    assert _confirm(client, owner_device, owner_code).status_code == 302  # the attacker's session holds no enrolment
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_it_limits_how_often_the_code_is_re_sent(required, staff_client, staff, send_code, django_capture_on_commit_callbacks):
    send_code(staff_client)
    first = TOTPDevice.objects.get(user=staff)

    with django_capture_on_commit_callbacks(execute=True):
        again = staff_client.post(SETUP, {"action": "send"}, follow=True)

    assert "Please try again in 1 minute." in again.content.decode()
    assert len(mail.outbox) == 1 and list(TOTPDevice.objects.values_list("pk", flat=True)) == [first.pk]


def test_it_sends_a_staff_member_without_an_address_to_a_superuser(required, staff_client, staff):
    staff.email = ""
    staff.save()

    page = staff_client.get(SETUP)
    sent = staff_client.post(SETUP, {"action": "send"}, follow=True)

    for response in (page, sent):
        assert response.status_code == 200
        assert "Your account has no e-mail address on record" in response.content.decode()
        assert "ask a superuser" in response.content.decode()
        assert 'value="send"' not in response.content.decode()
    assert not TOTPDevice.objects.exists() and not OutgoingMail.objects.exists()
    assert staff_client.get("/admin/")["Location"].startswith(SETUP)


def test_it_does_not_mail_a_code_to_an_address_the_account_has_left(required, staff_client, staff):
    from core.mail import mail_deliver

    staff_client.post(SETUP, {"action": "send"})  # queued, not yet delivered
    staff.email = "somewhere-else@example.com"
    staff.save()

    mail_deliver(mail_id=OutgoingMail.objects.get().pk)

    assert mail.outbox == []


def test_after_a_superuser_removed_the_device_the_owner_enrols_again_with_a_mailed_code(no_throttle, client, staff,
                                                                                       send_code, settings):
    old = enrol(staff)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.post(f"/admin/otp_totp/totpdevice/{old.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.exists()
    settings.OTP_REQUIRED_FOR_STAFF = True
    client.logout()
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    assert client.get("/admin/")["Location"].startswith(SETUP)
    refused = client.post(SETUP, {"action": "confirm", "token": "123456"}, follow=True)
    assert "First have the enrolment code sent" in refused.content.decode()
    enrolment_code = send_code(client)

    assert _confirm(client, TOTPDevice.objects.get(user=staff), enrolment_code).status_code == 302
    assert TOTPDevice.objects.get(user=staff).confirmed
