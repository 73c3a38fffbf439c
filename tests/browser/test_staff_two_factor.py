"""In a real browser: a staff member has the enrolment code mailed to the address on record, enrols an authenticator
app from the QR page (typing the mailed code and the code an app would compute from the shown key), keeps the recovery
codes, and signs in again with a code, then with a recovery code."""

import base64
import re
import time

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import ensure_roles
from tests.browser.conftest import submit

from ..factories import UserFactory

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
HEADINGS = {
    "ko": {"setup": "2단계 인증 설정", "codes": "복구 코드", "verify": "로그인 인증 코드 입력",
           "wrong": "등록 코드가 올바르지 않습니다", "warning": "누군가 비밀번호를 알고 있습니다"},
    "en": {"setup": "Set up the second factor", "codes": "Your recovery codes", "verify": "Enter your sign-in code",
           "wrong": "That enrolment code is not right", "warning": "your password is known to someone"},
}


def app_code(secret: str, steps: int = 0) -> str:
    """What an authenticator app shows for the key typed in by hand (RFC 6238: SHA-1, 30 s, 6 digits)."""
    totp = TOTP(base64.b32decode(secret.replace(" ", "")), step=30, digits=6)
    totp.time = time.time() + steps * 30
    return f"{totp.token():06d}"


def log_in(page, base_url: str, *, next_url: str = "/staff/") -> None:
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.fill("#id_username", "clerk")
    page.fill("#id_password", PASSWORD)
    submit(page, "main form button[type=submit]")


def log_out(page, phone: bool) -> None:
    if phone:
        page.locator(".navbar-toggler").click()
        page.wait_for_selector("#mainnav.show:not(.collapsing)")  # the menu has finished opening
    submit(page, "nav form[action$='/logout/'] button")


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True)], ids=["ko", "en", "ko-phone"])
def test_staff_enrol_and_sign_in_with_a_code_then_a_recovery_code(open_page, live_server, problems, shot, settings,
                                                                 language, phone):
    from playwright.sync_api import expect

    settings.OTP_REQUIRED_FOR_STAFF = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong enrolment code below would otherwise make the next try wait a second
    ensure_roles()
    staff = UserFactory(username="clerk", is_staff=True, language=language)
    staff.groups.add(Group.objects.get(name="registrar"))
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # the portal has none; chromium logs the 404
    words = HEADINGS[language]

    # 1. password, then the enrolment page: nothing is made until the code is mailed to the address on record
    log_in(page, live_server.url)
    assert "/accounts/two-factor/setup/" in page.url
    expect(page.locator("h1")).to_have_text(words["setup"])
    assert page.locator("#two-factor-secret").count() == 0 and not TOTPDevice.objects.exists()
    shot(page, f"two_factor_send_{language}{'_phone' if phone else ''}")
    submit(page, "#two-factor-send button[type=submit]")
    message = mail.outbox[-1]
    assert message.to == [staff.email] and words["warning"] in message.body
    enrolment_code = re.search(r"\b(\d{4} \d{4})\b", message.body).group(1)

    # 2. the QR code drawn server-side, the key in text; the mailed code and the app's code turn it on
    expect(page.locator(".two-factor-qr-box svg path").first).to_be_attached()
    assert page.locator("svg [style]").count() == 0
    secret = page.locator("#two-factor-secret").inner_text()
    page.fill("#id_enrolment_code", "0000 0000" if enrolment_code != "0000 0000" else "1111 1111")
    page.fill("#id_token", app_code(secret))
    submit(page, "#two-factor-setup button[type=submit]")
    expect(page.locator("#two-factor-setup .invalid-feedback")).to_contain_text(words["wrong"])
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    shot(page, f"two_factor_setup_{language}{'_phone' if phone else ''}")
    page.fill("#id_enrolment_code", enrolment_code)
    page.fill("#id_token", app_code(secret))
    submit(page, "#two-factor-setup button[type=submit]")

    # 3. ten recovery codes, shown once, with a print button (static JS)
    expect(page.locator("h1")).to_have_text(words["codes"])
    codes = [code.replace("-", "").lower() for code in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10
    expect(page.locator("[data-two-factor-print]")).to_be_visible()
    shot(page, f"two_factor_codes_{language}{'_phone' if phone else ''}")
    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed and base64.b32encode(device.bin_key).decode() == secret.replace(" ", "")
    assert sorted(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == sorted(codes)
    submit(page, "#two-factor-continue")
    assert page.url == f"{live_server.url}/staff/"

    # 4. next sign-in: the 6-digit code (the next time step: the enrolment code cannot be replayed)
    log_out(page, phone)
    log_in(page, live_server.url)
    assert "/accounts/two-factor/verify/" in page.url
    expect(page.locator("h1")).to_have_text(words["verify"])
    page.fill("#id_token", app_code(secret, steps=1))
    submit(page, "#two-factor-verify button[type=submit]")
    assert page.url == f"{live_server.url}/staff/"

    # 5. and once with a recovery code, which is then used up
    log_out(page, phone)
    log_in(page, live_server.url, next_url="/admin/")
    page.fill("#id_token", f"{codes[0][:4]}-{codes[0][4:]}".upper())  # as printed
    submit(page, "#two-factor-verify button[type=submit]")
    assert page.url == f"{live_server.url}/admin/"
    tokens = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert codes[0] not in tokens and len(tokens) == 9
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).count() == 1
    assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ko", "en"])
def test_staff_make_new_recovery_codes_then_remove_the_app(open_page, live_server, problems, shot, settings, language):
    from playwright.sync_api import expect

    settings.OTP_REQUIRED_FOR_STAFF = True
    staff = UserFactory(username="clerk", is_staff=True, language=language)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    secret = base64.b32encode(device.bin_key).decode()
    page = open_page(language=language)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, live_server.url, next_url="/accounts/two-factor/")
    page.fill("#id_token", app_code(secret))
    submit(page, "#two-factor-verify button[type=submit]")
    assert page.url == f"{live_server.url}/accounts/two-factor/"
    shot(page, f"two_factor_manage_{language}")

    # a wrong code changes nothing and says why, in the page's language
    page.fill("#regenerate-token", "12345")
    submit(page, "#two-factor-regenerate button[type=submit]")
    expect(page.locator("#two-factor-regenerate .invalid-feedback")).to_contain_text(
        "코드가 올바르지 않습니다" if language == "ko" else "That code is not right")
    assert not StaticToken.objects.exists()

    page.fill("#regenerate-token", app_code(secret, steps=1))
    submit(page, "#two-factor-regenerate button[type=submit]")
    codes = [code.replace("-", "").lower() for code in page.locator("#recovery-codes code").all_inner_texts()]
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    submit(page, "#two-factor-continue")

    # removing takes a current code too; a recovery code will do
    page.fill("#remove-token", codes[0])
    submit(page, "#two-factor-remove button[type=submit]")
    assert page.url == f"{live_server.url}/accounts/two-factor/setup/"  # required: straight to a new enrolment
    expect(page.locator("#two-factor-send button[type=submit]")).to_be_visible()  # which again starts with a mailed code
    assert not TOTPDevice.objects.filter(user=staff, confirmed=True).exists() and not StaticToken.objects.exists()
    assert problems == []
