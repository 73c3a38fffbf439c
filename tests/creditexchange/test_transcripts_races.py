"""Two issues of the same partner's transcripts at the same instant (PostgreSQL): one batch, one set of mails."""

import pytest

from core.errors import AlreadySent
from core.models import OutgoingMail
from creditexchange.models import Transcript, TranscriptBatch
from creditexchange.services.transcripts import transcripts_issue, transcripts_issue_due

from ..concurrency import run_at_once
from .transcript_helpers import build_scene

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_staff_issuing_at_once_issue_one_batch():
    scene = build_scene()

    outcomes = run_at_once(
        [lambda: transcripts_issue(term=scene["term"], partner=scene["partner"]) for _ in range(2)], workers=2,
    )

    batches = [o for o in outcomes if isinstance(o, TranscriptBatch)]
    refusals = [o for o in outcomes if isinstance(o, AlreadySent)]
    assert len(batches) == 1 and len(refusals) == 1, outcomes
    assert TranscriptBatch.objects.filter(partner=scene["partner"]).count() == 1
    assert Transcript.objects.filter(batch__partner=scene["partner"]).count() == 2
    assert OutgoingMail.objects.filter(kind="transcripts").count() == 2  # one per coordinator, once


def test_the_schedule_and_staff_at_once_issue_one_batch_per_partner():
    scene = build_scene()

    outcomes = run_at_once([
        transcripts_issue_due,
        lambda: transcripts_issue(term=scene["term"], partner=scene["partner"]),
    ], workers=2)

    assert not [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, AlreadySent)], outcomes
    assert TranscriptBatch.objects.filter(partner=scene["partner"]).count() == 1
    assert TranscriptBatch.objects.filter(partner=scene["other"]).count() == 1


def test_two_corrections_at_once_make_versions_two_and_three_never_a_duplicate():
    scene = build_scene()
    transcripts_issue(term=scene["term"], partner=scene["partner"])

    outcomes = run_at_once([
        lambda: transcripts_issue(term=scene["term"], partner=scene["partner"], reason="first"),
        lambda: transcripts_issue(term=scene["term"], partner=scene["partner"], reason="second"),
    ], workers=2)

    assert all(isinstance(o, TranscriptBatch) for o in outcomes), outcomes
    assert sorted(TranscriptBatch.objects.filter(partner=scene["partner"]).values_list("version", flat=True)) == [1, 2, 3]
