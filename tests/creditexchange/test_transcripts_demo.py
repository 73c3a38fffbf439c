"""The demo (``load_demo``): a past term with final grades and transcripts issued to Hanbit, mails in the outbox."""

import os

import pytest
from django.core.management import call_command

from core.models import OutgoingMail
from creditexchange.models import TermGrades, Transcript, TranscriptBatch

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_past_term_with_final_grades_and_transcripts_and_loads_again(settings):
    settings.DEBUG = True

    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    batch = TranscriptBatch.objects.get(partner__code="hanbit")
    assert TermGrades.objects.get(term=batch.term).is_final
    transcript = Transcript.objects.get(batch=batch)
    assert [line["grade"] for line in transcript.rows["lines"]] == ["A0", "B+"]
    assert OutgoingMail.objects.filter(kind="transcripts", params__batch_id=batch.pk).exists()

    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - idempotent
    assert TranscriptBatch.objects.count() == 1
