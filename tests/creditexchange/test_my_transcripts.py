"""A student sees the transcript of records their grades were sent in, and downloads only their own (issue 15)."""

import pytest
from django.test import Client
from django.urls import reverse

from creditexchange.models import Transcript
from creditexchange.services.transcripts import transcripts_issue

from .transcript_helpers import build_scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene():
    scene = build_scene(language="en")
    transcripts_issue(term=scene["term"], partner=scene["partner"])
    return scene


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_grade_page_names_the_transcript_sent_and_links_its_pdf(scene):
    mine = Transcript.objects.get(student=scene["kim"])

    content = _client(scene["kim"]).get(reverse("creditexchange:my_grades"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Transcript of records sent to Hanbit University" in content
    assert mine.code_display in content
    assert reverse("creditexchange:my_transcript_pdf", args=[mine.code]) in content


def test_the_student_downloads_their_own_pdf_as_it_was_sent(scene):
    mine = Transcript.objects.get(student=scene["kim"])

    response = _client(scene["kim"]).get(reverse("creditexchange:my_transcript_pdf", args=[mine.code.lower()]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(mine.pdf)
    assert "attachment" in response["Content-Disposition"]


def test_another_students_code_is_a_404_and_an_anonymous_visitor_is_sent_to_log_in(scene):
    others = Transcript.objects.get(student=scene["lee"])
    url = reverse("creditexchange:my_transcript_pdf", args=[others.code])

    assert _client(scene["kim"]).get(url).status_code == 404
    assert _client(scene["stranger"]).get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for crafted in ("x" * 500, "%00", "ABCD-EFGH", "..%2F..%2Fetc"):
        assert _client(scene["kim"]).get(f"/credit-exchange/grades/transcripts/{crafted}/pdf/").status_code == 404


def test_after_a_correction_the_page_shows_the_latest_version_and_the_old_pdf_stays_the_students(scene):
    first = Transcript.objects.get(student=scene["kim"])
    transcripts_issue(term=scene["term"], partner=scene["partner"], reason="a grade was corrected")
    latest = Transcript.objects.filter(student=scene["kim"]).order_by("-batch__version").first()

    client = _client(scene["kim"])
    content = client.get(reverse("creditexchange:my_grades"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert latest.batch.version == 2 and latest.code_display in content and first.code_display not in content
    assert client.get(reverse("creditexchange:my_transcript_pdf", args=[first.code])).status_code == 200
