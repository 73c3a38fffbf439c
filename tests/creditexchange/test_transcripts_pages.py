"""The public verification page, the staff admin (issue now, correction, downloads) and the attacks (issue 15)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse

from creditexchange.models import Transcript, TranscriptBatch
from creditexchange.services.transcripts import transcript_code_normalise, transcripts_issue

from ..factories import UserFactory
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


def test_a_code_is_found_with_dashes_spaces_or_lower_case_and_shows_who_and_when_but_no_grade(client, issued):
    transcript = issued["kim_transcript"]
    for typed in (transcript.code_display, transcript.code.lower(), " " + " ".join(transcript.code_display.split("-"))):
        response = client.get(reverse("transcripts:verify_code", args=[typed]))
        body = response.content.decode()
        assert response.status_code == 200
        assert 'id="verify-found"' in body and "김하늘 / KIM HANEUL" in body and "Hanbit University" in body
        assert "A+" not in body and "CSE5001" not in body and "Machine Learning" not in body
        assert 'id="verify-superseded"' not in body
        assert response["X-Robots-Tag"] == "noindex" and "no-cache" in response["Cache-Control"]


def test_the_form_posts_to_the_code_page(client, issued):
    code = issued["kim_transcript"].code_display
    response = client.post(reverse("transcripts:verify"), {"code": code.lower()})
    assert response.status_code == 302 and response.url == reverse("transcripts:verify_code", args=[code])


@pytest.mark.parametrize("typed", ["ABCD-EFGH-JKMN-PQRS", "-", "0" * 16, "A" * 200, "<script>", "%00", "ABCDEFGHJKMNPQR"])
def test_an_unknown_or_crafted_code_is_a_plain_not_found(client, issued, typed):
    response = client.get(reverse("transcripts:verify_code", args=[typed]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="verify-unknown"' in body and "김하늘" not in body and "<script>" not in body.split("<main")[-1].split('id="verify-result"')[-1]


def test_a_superseded_transcript_says_a_later_version_exists(client, issued):
    transcripts_issue(term=issued["term"], partner=issued["partner"], reason="Grade corrected")
    old = client.get(reverse("transcripts:verify_code", args=[issued["kim_transcript"].code])).content.decode()
    new_code = Transcript.objects.get(student=issued["kim"], batch__version=2).code
    new = client.get(reverse("transcripts:verify_code", args=[new_code])).content.decode()
    assert 'id="verify-superseded"' in old and 'id="verify-superseded"' not in new and 'id="verify-found"' in new


def test_the_page_is_in_korean_for_a_korean_reader(client, issued):
    client.cookies["django_language"] = "ko"
    body = client.get(reverse("transcripts:verify_code", args=[issued["kim_transcript"].code])).content.decode()
    assert "한빛대학교" in body and 'lang="ko"' in body


def test_checks_are_rate_limited_per_address_known_codes_included(client, issued, settings):
    settings.LOOKUP_RATE_LIMIT = 3
    code = issued["kim_transcript"].code
    for _attempt in range(3):
        client.get(reverse("transcripts:verify_code", args=["ABCD-EFGH-JKMN-PQRS"]))
    response = client.get(reverse("transcripts:verify_code", args=[code]))
    body = response.content.decode()
    assert response.status_code == 200 and 'id="verify-error"' in body and "김하늘" not in body


def test_normalising_accepts_only_the_alphabet():
    assert transcript_code_normalise("abcd-efgh-jkmn-pqrs") == "ABCDEFGHJKMNPQRS"
    assert transcript_code_normalise("ABCD-EFGH-JKMN-PQR0") == ""  # 0 is not in the alphabet
    assert transcript_code_normalise("ＡＢＣＤ" * 4) == ""


# --- Staff: issue now, correction, downloads ----------------------------------------------------------------------

def test_the_registrar_issues_now_after_a_confirmation_listing_partners_and_counts(registrar_client, registrar):
    scene = build_scene()
    url = reverse("admin:creditexchange_transcriptbatch_issue")

    preview = registrar_client.get(url, {"term": scene["term"].pk})
    body = preview.content.decode()
    assert preview.status_code == 200 and "Hanbit University" in body and 'id="confirm-issue"' in body
    assert not TranscriptBatch.objects.exists()
    fingerprint = preview.context["preview"].fingerprint
    assert [(p.code, n) for p, n in preview.context["preview"].partners] == [("hanbit", 2), ("hanbit-other", 1)]

    response = registrar_client.post(url, {"term": scene["term"].pk, "fingerprint": fingerprint, "confirm": "1"})

    assert response.status_code == 302
    assert TranscriptBatch.objects.filter(term=scene["term"], issued_by=registrar, trigger="staff").count() == 2


def test_a_stale_confirmation_issues_nothing(registrar_client):
    scene = build_scene()
    url = reverse("admin:creditexchange_transcriptbatch_issue")
    fingerprint = registrar_client.get(url, {"term": scene["term"].pk}).context["preview"].fingerprint
    from ..factories import CourseOfferingFactory, issued_student
    from .transcript_helpers import grade

    late = issued_student(scene["term"], scene["partner"])
    grade(late, CourseOfferingFactory(term=scene["term"], code="MAT1"), "A0")

    response = registrar_client.post(url, {"term": scene["term"].pk, "fingerprint": fingerprint, "confirm": "1"})

    assert response.status_code == 200 and 'id="issue-stale"' in response.content.decode()
    assert not TranscriptBatch.objects.exists()


def test_a_correction_needs_a_reason_and_issues_version_two(registrar_client, issued):
    url = reverse("admin:creditexchange_transcriptbatch_correct", args=[issued["batch"].pk])
    assert registrar_client.post(url, {"reason": ""}).status_code == 200
    assert TranscriptBatch.objects.count() == 1

    response = registrar_client.post(url, {"reason": "A grade was entered wrongly"})

    corrected = TranscriptBatch.objects.get(version=2)
    assert response.status_code == 302 and corrected.reason == "A grade was entered wrongly"


def test_staff_with_permission_download_the_pdf_and_the_files(registrar_client, issued):
    transcript = issued["kim_transcript"]
    response = registrar_client.get(reverse("admin:creditexchange_transcript_pdf", args=[transcript.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response) == bytes(transcript.pdf)
    stored = issued["batch"].files.get(filename__endswith=".xlsx")
    response = registrar_client.get(reverse("admin:creditexchange_transcriptbatch_file", args=[issued["batch"].pk, stored.pk]))
    assert response.status_code == 200


def test_the_batch_page_lists_transcripts_and_offers_the_correction(registrar_client, issued):
    body = registrar_client.get(reverse("admin:creditexchange_transcriptbatch_change", args=[issued["batch"].pk])).content.decode()
    assert 'id="correct-transcripts"' in body and reverse("admin:creditexchange_transcript_pdf", args=[issued["kim_transcript"].pk]) in body


def test_a_student_an_outsider_or_staff_without_permission_get_no_pdf_and_issue_nothing(client, issued):
    pdf = reverse("admin:creditexchange_transcript_pdf", args=[issued["kim_transcript"].pk])
    issue = reverse("admin:creditexchange_transcriptbatch_issue")
    correct = reverse("admin:creditexchange_transcriptbatch_correct", args=[issued["batch"].pk])
    # The student the transcript is about, and another student: no staff access at all (to the admin's login).
    for user in (issued["kim"], issued["lee"]):
        client.force_login(user)
        for url in (pdf, issue, correct):
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response.url
    staff = UserFactory(username="plainstaff", is_staff=True)
    client.force_login(staff)
    assert client.get(pdf).status_code == 403
    assert client.get(issue).status_code == 403
    assert client.post(correct, {"reason": "x"}).status_code == 403
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_transcript"))
    client.force_login(viewer)
    assert client.get(issue).status_code == 403  # viewing is not issuing
    assert TranscriptBatch.objects.count() == 1


def test_crafted_ids_are_404_not_500(registrar_client, issued):
    batch = issued["batch"]
    other = transcripts_issue(term=issued["term"], partner=issued["other"])
    stray_file = other.files.first()
    assert registrar_client.get(reverse("admin:creditexchange_transcript_pdf", args=[999999])).status_code == 404
    assert registrar_client.get(reverse("admin:creditexchange_transcriptbatch_file", args=[batch.pk, stray_file.pk])).status_code == 404
    assert registrar_client.post(reverse("admin:creditexchange_transcriptbatch_correct", args=[999999]), {"reason": "x"}).status_code == 404
    assert registrar_client.get(reverse("admin:creditexchange_transcriptbatch_issue"), {"term": "abc"}).status_code == 200


def test_the_registrar_sees_the_transcripts_mails_in_the_outbox_and_the_committee_does_not(client, registrar, issued):
    from django.contrib.auth.models import Group

    client.force_login(registrar)
    body = client.get(reverse("admin:core_outgoingmail_changelist"), {"kind": "transcripts"}).content.decode()
    assert "coord@hanbit.example" in body
    committee = UserFactory(username="committee", is_staff=True)
    committee.groups.add(Group.objects.get(name="affiliation_committee"))
    client.force_login(committee)
    body = client.get(reverse("admin:core_outgoingmail_changelist")).content.decode()
    assert "coord@hanbit.example" not in body
