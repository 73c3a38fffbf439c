"""Issue 11: the expired confirmation-link page offers a working re-send in one step (no application id in the page)."""

import html
import re
import time
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail
from django.utils import timezone

from creditexchange import services
from creditexchange.models import TemporaryIdApplication

from ..factories import ApplicationFactory

Status = TemporaryIdApplication.Status
RESEND_URL = "/credit-exchange/apply/resend/"
SENT_URL = "/credit-exchange/apply/sent/"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _confirm_url(token: str) -> str:
    return f"/credit-exchange/apply/confirm/{token}/"


def _expired_token(application, settings) -> str:
    settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = 72
    issued_at = time.time() - timedelta(hours=73).total_seconds()
    with patch("time.time", return_value=issued_at):
        return services.confirmation_token(application)


def _resend_token(response) -> str:
    match = re.search(r'name="token" value="([^"]+)"', response.content.decode())
    assert match, "the expired page has no re-send button"
    return html.unescape(match.group(1))


@pytest.fixture
def stale_application(open_term, partner):
    """Mailed 73 hours ago and never confirmed: its link has expired."""
    return ApplicationFactory(term=open_term, partner=partner, confirmation_sent_at=timezone.now() - timedelta(hours=73))


def test_it_offers_a_resend_button_on_the_expired_page_without_the_application_id(client, settings, stale_application):
    response = client.get(_confirm_url(_expired_token(stale_application, settings)))

    assert response.status_code == 410
    body = response.content.decode()
    assert 'action="/credit-exchange/apply/resend/"' in body
    token = _resend_token(response)
    assert token != str(stale_application.pk) and not token.startswith(f"{stale_application.pk}:")
    assert "Re-send confirmation mail" in body


def test_it_mails_a_new_link_from_the_expired_page_and_that_link_confirms(
    client, settings, stale_application, django_capture_on_commit_callbacks
):
    expired = client.get(_confirm_url(_expired_token(stale_application, settings)))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND_URL, {"token": _resend_token(expired)})

    assert response.status_code == 302 and response["Location"] == SENT_URL
    assert [m.to for m in mail.outbox] == [[stale_application.email]]
    link = re.search(r"/credit-exchange/apply/confirm/[^\s\"<>]+/", mail.outbox[0].body).group(0)
    confirmed = client.post(link)
    assert confirmed.status_code == 200
    stale_application.refresh_from_db()
    assert stale_application.status == Status.CONFIRMED
    assert stale_application.confirmation_resends == 1


def test_it_keeps_the_resend_rate_limit_from_the_expired_page(
    client, settings, stale_application, django_capture_on_commit_callbacks
):
    settings.TEMP_ID_RESEND_MAX = 1
    settings.TEMP_ID_RESEND_COOLDOWN_SECONDS = 0
    expired = client.get(_confirm_url(_expired_token(stale_application, settings)))
    token = _resend_token(expired)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RESEND_URL, {"token": token})
        refused = client.post(RESEND_URL, {"token": token}, follow=True)

    assert "The confirmation mail has been re-sent 1 times." in html.unescape(refused.content.decode())
    assert len(mail.outbox) == 1
    stale_application.refresh_from_db()
    assert stale_application.confirmation_resends == 1


def test_it_offers_no_resend_for_a_tampered_or_closed_link(client, settings, stale_application):
    token = _expired_token(stale_application, settings)
    tampered = client.get(_confirm_url(token[:-2] + ("yy" if token.endswith("xx") else "xx")))
    assert tampered.status_code == 400 and 'name="token"' not in tampered.content.decode()

    stale_application.status, stale_application.rejection_reason = Status.REJECTED, "Not enrolled"
    stale_application.save(update_fields=["status", "rejection_reason"])
    closed = client.get(_confirm_url(token))
    assert closed.status_code == 410 and 'name="token"' not in closed.content.decode()
