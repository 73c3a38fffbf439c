"""Issue 11: from the expired confirmation-link page the applicant gets a new link in one press (ko, en, 390 px)."""

import re
import time
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail
from django.utils import timezone

from creditexchange import services
from creditexchange.models import TemporaryIdApplication
from tests.browser.conftest import submit
from tests.factories import ApplicationFactory, InstitutionFactory, TermFactory, TermWindowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = TemporaryIdApplication.Status
VARIANTS = [("ko", False), ("en", False), ("ko", True), ("en", True)]
IDS = ["ko", "en", "ko-phone", "en-phone"]


def _mailed_link(to: str, pattern: str, *, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            if to in message.to and (match := re.search(pattern, message.body)):
                return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} matching {pattern!r}: {[(m.to, m.subject) for m in mail.outbox]}")


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=IDS)
def test_the_applicant_gets_a_new_link_from_the_expired_page(
    open_page, problems, shot, live_server, settings, language, phone
):
    from playwright.sync_api import expect

    settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = 72
    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind="application", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5))
    partner = InstitutionFactory(code="hanbit", name_ko="한빛대학교", name_en="Hanbit University")
    application = ApplicationFactory(
        term=term, partner=partner, email="haneul@hanbit.example", language=language,
        confirmation_sent_at=now - timedelta(hours=73),
    )
    with patch("time.time", return_value=time.time() - timedelta(hours=73).total_seconds()):
        expired_link = f"{live_server.url}/credit-exchange/apply/confirm/{services.confirmation_token(application)}/"
    mail.outbox.clear()

    page = open_page(language=language, phone=phone, ignore_status=(410,))
    response = page.goto(expired_link)
    assert response.status == 410
    expect(page.locator("#confirm-refusal")).to_be_visible()
    expect(page.locator("#resend-button")).to_be_visible()
    shot(page, f"resend-expired-{language}{'-phone' if phone else ''}")

    submit(page, "#resend-button")

    assert page.url == f"{live_server.url}/credit-exchange/apply/sent/"
    shot(page, f"resend-sent-{language}{'-phone' if phone else ''}")
    new_link = _mailed_link(application.email, re.escape(live_server.url) + r"/credit-exchange/apply/confirm/[^\s\"<>]+/")
    assert new_link != expired_link
    application.refresh_from_db()
    assert application.confirmation_resends == 1 and application.status == Status.SUBMITTED

    page.goto(new_link)
    submit(page, "#confirm-button")

    expect(page.locator("#confirm-done")).to_be_visible()
    application.refresh_from_db()
    assert application.status == Status.CONFIRMED and application.confirmed_at is not None
    assert [p for p in problems if "favicon" not in p and "status of 410" not in p] == []
