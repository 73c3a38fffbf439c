"""The transcripts mail to a partner's coordinators (issue 15) and its attachments, registered by ``CreditExchangeConfig.ready()``."""

import io
import zipfile

from core.emails import render

from .models import Transcript, TranscriptBatch, TranscriptBatchFile
from .services.transcripts import transcript_filename, transcript_verify_url


def transcripts(mail) -> tuple[str, str, str]:
    """The batch's transcripts (PDFs or one ZIP, and the XLSX) with the public verification address."""
    batch = TranscriptBatch.objects.select_related("partner", "term").get(pk=mail.params["batch_id"])
    return render("transcripts", {
        "batch": batch, "count": batch.transcripts.count(), "link": transcript_verify_url(),
        "corrected": batch.version > 1, "part": mail.params.get("part", 1), "parts": mail.params.get("parts", 1),
    })


def _transcript_pdf(reference: dict) -> tuple[str, bytes, str]:
    transcript = Transcript.objects.select_related("batch__partner", "batch__term").get(pk=reference["id"])
    return transcript_filename(transcript), bytes(transcript.pdf), "application/pdf"


def _transcript_file(reference: dict) -> tuple[str, bytes, str]:
    stored = TranscriptBatchFile.objects.get(pk=reference["id"])
    return stored.filename, bytes(stored.content), stored.content_type


def _transcript_zip(reference: dict) -> tuple[str, bytes, str]:
    batch = TranscriptBatch.objects.select_related("partner", "term").get(pk=reference["batch_id"])
    transcripts = batch.transcripts.select_related("batch__partner", "batch__term")
    if "ids" in reference:  # one part of a batch too big for one mail
        transcripts = transcripts.filter(pk__in=reference["ids"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for transcript in transcripts:
            # A fixed date in the entries: the same batch always gives the same ZIP.
            info = zipfile.ZipInfo(transcript_filename(transcript), date_time=(2000, 1, 1, 0, 0, 0))
            archive.writestr(info, bytes(transcript.pdf), compress_type=zipfile.ZIP_DEFLATED)
    part = f"_part{reference['part']}of{reference['parts']}" if "part" in reference else ""
    name = f"{batch.term.year}-{batch.term.season}_{batch.partner.code}_transcripts_v{batch.version}{part}.zip"
    return name, buffer.getvalue(), "application/zip"


BUILDERS = {"transcripts": transcripts}
ATTACHMENTS = {"transcript_pdf": _transcript_pdf, "transcript_file": _transcript_file, "transcript_zip": _transcript_zip}
