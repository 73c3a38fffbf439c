"""Findings of the attacker's and registrar's review of the transcripts (issue 15, helper h6)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from creditexchange.services.transcripts import transcripts_issue

from .transcript_helpers import build_scene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    cache.clear()


@pytest.fixture
def issued():
    scene = build_scene()
    scene["batch"] = transcripts_issue(term=scene["term"], partner=scene["partner"])
    scene["kim_transcript"] = scene["batch"].transcripts.get(student=scene["kim"])
    return scene


def test_mistyped_codes_from_many_addresses_do_not_lock_out_the_next_visitor(client, issued, settings):
    """Finding 1: every malformed code counted under one shared per-code bucket ("-"), so a day's 20 typos from
    anywhere (or an attacker's 20 requests) made every later visitor's typo answer "too many checks"."""
    for number in range(settings.LOOKUP_RATE_LIMIT_PER_KEY + 5):
        client.get(reverse("transcripts:verify_code", args=["0000"]), REMOTE_ADDR=f"198.51.100.{number + 1}")

    response = client.get(reverse("transcripts:verify_code", args=["0000"]), REMOTE_ADDR="203.0.113.7")

    body = response.content.decode()
    assert 'id="verify-unknown"' in body and 'id="verify-error"' not in body


def test_malformed_codes_still_count_against_the_address(client, issued, settings):
    settings.LOOKUP_RATE_LIMIT = 3
    for _attempt in range(3):
        client.get(reverse("transcripts:verify_code", args=["0000"]), REMOTE_ADDR="203.0.113.8")
    response = client.get(reverse("transcripts:verify_code", args=[issued["kim_transcript"].code]), REMOTE_ADDR="203.0.113.8")
    assert 'id="verify-error"' in response.content.decode()
