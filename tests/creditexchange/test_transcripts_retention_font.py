"""The retention job and transcripts (ustportal/retention.py), and the PDF's font fallback (issue 15)."""

import io
from datetime import UTC, datetime

import pytest

from creditexchange import transcript_pdf
from creditexchange.models import Grade, Transcript, TranscriptBatch, TranscriptBatchFile
from creditexchange.services.transcripts import transcripts_issue
from ustportal.retention import personal_data_destroy_expired

from .transcript_helpers import build_scene

pytestmark = pytest.mark.django_db


def test_retention_destroys_an_old_terms_transcripts_and_grades_and_keeps_a_young_ones(settings):
    old = build_scene(year=2019, code="oldu")
    young = build_scene(year=2025, code="young")
    for scene in (old, young):
        transcripts_issue(term=scene["term"], partner=scene["partner"])

    report = personal_data_destroy_expired(at=datetime(2026, 12, 1, tzinfo=UTC))  # 5 years: 2019 spring ended 2019-09

    assert not report.skipped
    assert not Transcript.objects.filter(batch__term=old["term"]).exists()
    assert not TranscriptBatch.objects.filter(term=old["term"]).exists()
    assert not TranscriptBatchFile.objects.filter(batch__term=old["term"]).exists()
    assert not Grade.objects.filter(term=old["term"]).exists()
    assert Transcript.objects.filter(batch__term=young["term"]).count() == 2
    assert TranscriptBatch.objects.filter(term=young["term"]).exists()
    assert Grade.objects.filter(term=young["term"]).exists()


SNAPSHOT = {
    "student": {"name_ko": "김하늘", "name_latin": "KIM HANEUL", "student_id": "T1", "home_student_number": "1"},
    "partner": {"ko": "한빛대학교", "en": "Hanbit"}, "host": {"ko": "과학기술연합대학원대학교", "en": "UST"},
    "term": {"ko": "2027 1학기", "en": "2027 Spring"},
    "lines": [{"code": "CSE1", "section": "01", "title_ko": "기계학습", "title_en": "ML", "credits": 3, "grade": "A+",
               "points": "4.5", "no_credit": False, "earns_credit": True}],
    "credits_attempted": 3, "credits_earned": 3, "gpa": "4.50", "withheld": False, "code": "ABCDEFGHJKMNPQRS",
    "issued_on": "2027-07-01", "verify_url": "http://x/verify/", "version": 1,
}


def _fonts(data: bytes) -> set[str]:
    from pypdf import PdfReader

    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_with_the_nanum_ttf_the_font_is_embedded(settings):
    if transcript_pdf._font_files() is None:
        pytest.skip("fonts-nanum is not installed here (.ci/run installs it)")
    data = transcript_pdf.render_transcript_pdf(snapshot=SNAPSHOT, language="ko")
    assert any("NanumGothic" in name for name in _fonts(data))


def test_without_a_ttf_it_falls_back_to_the_cid_font_and_still_reads_in_hangul(settings):
    settings.TRANSCRIPT_FONT_PATH = "/nonexistent/font.ttf"
    data = transcript_pdf.render_transcript_pdf(snapshot=SNAPSHOT, language="ko")
    assert any(transcript_pdf.CID_FALLBACK in name for name in _fonts(data))
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "김하늘" in text and "A+" in text


def test_the_same_snapshot_gives_the_same_bytes():
    first = transcript_pdf.render_transcript_pdf(snapshot=SNAPSHOT, language="en")
    assert transcript_pdf.render_transcript_pdf(snapshot=SNAPSHOT, language="en") == first


def test_the_first_page_renders_to_a_png_for_a_person_to_look_at(tmp_path):
    """poppler's pdftoppm (.ci/run installs poppler-utils) reads the PDF; the page lands in var/screenshots."""
    import shutil
    import subprocess  # nosec B404 - a fixed local tool on a file this test wrote
    from pathlib import Path

    from django.conf import settings

    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.skip("pdftoppm is missing (apt-get install poppler-utils)")
    pdf = tmp_path / "transcript.pdf"
    pdf.write_bytes(transcript_pdf.render_transcript_pdf(snapshot=SNAPSHOT, language="ko"))
    out = Path(settings.BASE_DIR) / "var" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([tool, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out / "transcript-pdf-ko")],  # nosec B603
                   check=True, timeout=60)
    png = out / "transcript-pdf-ko.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
