"""The object store down (FILE_STORAGE=s3, issue 16), in a real browser: a download opens a clear 503 page in the
reader's language (the portal's navigation around it), which passes axe, on a desktop and a phone."""

import pytest

from affiliation.models import AffiliationApplication
from tests.browser.conftest import axe_check, log_in

from ..factories import AffiliationApplicationFactory, AffiliationRoundFactory, StudentRecordFactory, UserFactory
from ..s3 import dead_store  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", True)], ids=["ko", "en-phone"])
def test_a_download_while_the_store_is_down_opens_a_clear_page(
        live_server, open_page, problems, shot, dead_store, language, phone):  # noqa: F811
    from playwright.sync_api import expect

    owner = UserFactory(username="home1", language=language, kind="home")
    application = AffiliationApplicationFactory(record=StudentRecordFactory(user=owner), round=AffiliationRoundFactory(),
                                                study_plan="affiliation/x/plan.pdf")
    assert AffiliationApplication.objects.get().study_plan

    page = open_page(language=language, phone=phone, ignore_status=(503,))
    log_in(page, live_server, owner)
    response = page.goto(f"{live_server.url}/affiliation/applications/{application.pk}/study_plan/")

    assert response.status == 503 and response.headers["retry-after"]
    expect(page.locator("#file-store-unavailable h1")).to_be_visible()
    expect(page.locator("#file-store-unavailable [role=alert]")).not_to_be_empty()
    assert page.locator("html").get_attribute("lang") == language
    shot(page, f"file-store-unavailable-{language}{'-phone' if phone else ''}")
    axe_check(page, context="file store unavailable")
    unexpected = [p for p in problems if "status of 503" not in p]  # the browser's own note of the expected 503
    assert not unexpected, unexpected
