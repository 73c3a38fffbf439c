"""Issue 15, the partner API in chromium (ko on a 1280 px screen, en on a 390 px phone).

A registrar issues a partner's key in the admin, sees it once (a reload shows only its prefix), and a curl-like
request with it reads the API; the registrar revokes it with a reason (refused without one), and the same request
then gets 401. The docs page (Swagger UI from the sidecar) renders the operations with no CSP complaint.
"""

import pytest
import requests

from partnerapi.models import ApiCall, ApiKey
from tests.browser.conftest import axe_check, log_in, submit

from ..factories import InstitutionFactory

LANGUAGES = pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", True)], ids=["ko", "en-phone"])
WORDS = {
    "ko": {"once": "이번 한 번만 표시", "gone": "다시 볼 수 없습니다", "revoked": "키 1개를 폐기했습니다."},
    "en": {"once": "shown only this once", "gone": "cannot be shown again", "revoked": "1 key revoked."},
}


def _fits_the_phone(page, phone: bool) -> None:
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@LANGUAGES
def test_the_registrar_issues_a_key_sees_it_once_and_revokes_it(
    open_page, live_server, problems, shot, registrar, language, phone
):
    partner = InstitutionFactory(code="hanbit", name_ko="한빛대학교", name_en="Hanbit University")
    page = open_page(language, phone=phone)
    log_in(page, live_server, registrar)
    page.goto(f"{live_server.url}/admin/partnerapi/apikey/add/")
    page.select_option("select[name=partner]", str(partner.pk))
    page.fill("input[name=name]", "Student office system")
    submit(page, "input[name=_save]")
    key = page.locator("#api-key").inner_text().strip()
    assert WORDS[language]["once"] in page.content()
    shot(page, f"partnerapi-key-issued-{language}")
    axe_check(page, context="key issued")
    _fits_the_phone(page, phone)
    row = ApiKey.objects.get()
    assert (row.partner, row.name, row.created_by) == (partner, "Student office system", registrar)
    assert key.startswith(row.prefix + ".")

    page.reload()
    assert page.locator("#api-key").count() == 0 and WORDS[language]["gone"] in page.content()
    assert key.partition(".")[2] not in page.content()

    answer = requests.get(f"{live_server.url}/api/v1/terms/", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 200 and answer.json() == []

    page.goto(f"{live_server.url}/admin/partnerapi/apikey/")
    page.check(f"input[name=_selected_action][value='{row.pk}']")
    page.select_option("select[name=action]", "revoke_selected")
    submit(page, "#changelist-form button[name=index]")
    axe_check(page, context="revoke confirmation")
    assert page.locator("textarea[name=reason]").get_attribute("required") is not None  # no reason, no revoking
    assert ApiKey.objects.get().revoked_at is None
    page.fill("textarea[name=reason]", "Leaked in a forwarded mail")
    shot(page, f"partnerapi-key-revoke-{language}")
    submit(page, "input[type=submit]")
    assert WORDS[language]["revoked"] in page.content()
    row.refresh_from_db()
    assert row.revoked_at and row.revoked_by == registrar and row.revoke_reason == "Leaked in a forwarded mail"

    refused = requests.get(f"{live_server.url}/api/v1/terms/", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert refused.status_code == 401 and "detail" in refused.json()
    assert list(ApiCall.objects.order_by("pk").values_list("status", flat=True)) == [200, 401]
    page.goto(f"{live_server.url}/admin/partnerapi/apicall/")
    shot(page, f"partnerapi-calls-{language}")
    axe_check(page, context="call log")
    assert problems == []


@pytest.mark.browser
def test_the_docs_page_renders_offline(open_page, live_server, problems, shot):
    page = open_page("en")
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() == 9
    assert "UST Portal partner API" in page.content()
    shot(page, "partnerapi-docs")
    assert problems == []
