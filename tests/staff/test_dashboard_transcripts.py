"""The staff dashboard's grades and transcripts section (issue 15)."""

import pytest
from django.urls import reverse

from core.models import OutgoingMail
from creditexchange.services.transcripts import transcripts_issue
from staffdesk.selectors import grade_figures

from ..creditexchange.transcript_helpers import build_scene
from ..factories import CourseOfferingFactory, CourseRegistrationFactory

pytestmark = pytest.mark.django_db


def test_it_counts_registered_graded_and_missing_and_the_transcripts_and_their_mails():
    scene = build_scene()
    CourseRegistrationFactory(student=scene["nobody"], offering=CourseOfferingFactory(term=scene["term"], code="ZZZ9"))
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    OutgoingMail.objects.filter(kind="transcripts", params__batch_id=batch.pk, to="office@hanbit.example").update(status="failed")

    entry, transcripts = grade_figures(scene["term"])

    assert entry.rows[-1][1:4] == [5, 4, 1]  # registered, graded, missing
    hanbit = next(row for row in transcripts.rows if "Hanbit" in row[0] or "한빛" in row[0])
    assert hanbit[1:] == [3, 1, 0, 1, 1]  # students with courses, batches, sent, failed, waiting


def test_the_registrar_sees_the_section_and_an_outsider_does_not(client, registrar, outsider):
    scene = build_scene()
    client.force_login(registrar)
    body = client.get(reverse("staffdesk:dashboard"), {"term": scene["term"].pk}).content.decode()
    assert "협정대학별 성적증명서" in body or "Transcripts per partner university" in body
    client.force_login(outsider)
    assert client.get(reverse("staffdesk:dashboard")).status_code in (302, 403)
