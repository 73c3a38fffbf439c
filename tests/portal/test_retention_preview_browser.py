"""The privacy officer reads the retention preview in a real browser (ko, en, 390 px): from the access log's
list to the page that says what the nightly purge destroys and that it cannot be undone; axe finds nothing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ensure_roles
from core.models import OutgoingMail
from core.privacy import years_before
from tests.browser.conftest import axe_check, browser, log_in, open_page, problems, shot  # noqa: F401 - fixtures

from ..factories import UserFactory

WORDS = {
    "ko": {"link": "보유 기간: 파기 예정 자료", "irreversible": "파기는 되돌릴 수 없습니다", "next": "오늘 밤 파기 예정"},
    "en": {"link": "Retention: what will be destroyed", "irreversible": "Destruction cannot be undone",
           "next": "The next nightly run"},
}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True)], ids=["ko", "en", "ko-phone"])
def test_the_privacy_officer_sees_what_the_purge_will_destroy(open_page, live_server, problems, shot, settings, language, phone):  # noqa: F811
    from playwright.sync_api import expect

    settings.PERSONAL_DATA_RETENTION_YEARS = 5
    ensure_roles()
    officer = UserFactory(username="privacy", is_staff=True, language=language)
    officer.groups.add(Group.objects.get(name="privacy_officer"))
    mail = OutgoingMail.objects.create(kind="application_confirm", to="old@hanbit.example", status="sent")
    OutgoingMail.objects.filter(pk=mail.pk).update(created_at=years_before(timezone.now(), 5) - timedelta(days=9))
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, officer)

    page.goto(f"{live_server.url}/admin/core/personaldataaccess/")
    with page.expect_navigation():
        page.locator("#retention-preview-link").click()

    expect(page.locator("#retention-irreversible")).to_contain_text(WORDS[language]["irreversible"])
    expect(page.locator("#retention-horizon-1")).to_have_text(WORDS[language]["next"])
    expect(page.locator("#retention-table-1")).to_contain_text("core.outgoingmail")
    shot(page, f"retention-preview-{language}{'-phone' if phone else ''}")
    axe_check(page, context=f"retention preview {language}")
    assert OutgoingMail.objects.filter(pk=mail.pk).exists()
    assert problems == []
