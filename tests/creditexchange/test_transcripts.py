"""Issuing transcripts of records to a partner (creditexchange/services/transcripts.py, issue 15)."""

import hashlib
import io
import zipfile

import pytest
from django.core import mail
from openpyxl import load_workbook

from core.errors import AlreadySent, NotEligible
from core.models import OutgoingMail
from creditexchange.models import Grade, Transcript, TranscriptBatch
from creditexchange.models.partner_lists import ImmutableSnapshot
from creditexchange.services.transcripts import transcripts_issue, transcripts_issue_due

from .transcript_helpers import build_scene

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def scene():
    return build_scene()


def test_it_refuses_while_the_grades_are_not_final():
    scene = build_scene(final=False)

    with pytest.raises(NotEligible, match="not final"):
        transcripts_issue(term=scene["term"], partner=scene["partner"])

    assert not TranscriptBatch.objects.exists() and not OutgoingMail.objects.exists()


def test_it_issues_one_transcript_per_student_with_courses_and_none_for_the_others(scene):
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])

    students = set(batch.transcripts.values_list("student", flat=True))
    assert students == {scene["kim"].pk, scene["lee"].pk}  # not the student without courses, not another partner's
    assert batch.version == 1 and batch.language == "ko"
    assert sorted(batch.recipients) == ["coord@hanbit.example", "office@hanbit.example"]
    for transcript in batch.transcripts.all():
        assert transcript.sha256 == hashlib.sha256(bytes(transcript.pdf)).hexdigest()
        assert transcript.size == len(bytes(transcript.pdf))
    assert sorted(f.filename.rsplit(".", 1)[1] for f in batch.files.all()) == ["csv", "xlsx"]


def test_the_rows_are_a_snapshot_that_later_grade_changes_do_not_touch(scene):
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    transcript = batch.transcripts.get(student=scene["kim"])
    Grade.objects.filter(student=scene["kim"]).update(value="F")

    transcript.refresh_from_db()
    assert [(line["code"], line["grade"], line["points"]) for line in transcript.rows["lines"]] == [
        ("CSE5001", "A+", "4.5"), ("PHY5002", "B0", "3.0"),
    ]
    assert transcript.rows["credits_earned"] == 5 and transcript.rows["gpa"] == "3.90"
    transcript.rows = []
    with pytest.raises(ImmutableSnapshot):
        transcript.save()


def test_a_second_issue_without_a_reason_is_refused_and_with_one_is_version_two(scene):
    first = transcripts_issue(term=scene["term"], partner=scene["partner"])
    mails = OutgoingMail.objects.count()

    with pytest.raises(AlreadySent, match="already issued"):
        transcripts_issue(term=scene["term"], partner=scene["partner"])
    with pytest.raises(AlreadySent):
        transcripts_issue(term=scene["term"], partner=scene["partner"], reason="   ")
    assert OutgoingMail.objects.count() == mails

    second = transcripts_issue(term=scene["term"], partner=scene["partner"], reason="PHY5002 grade corrected")

    assert (first.version, second.version) == (1, 2) and second.reason == "PHY5002 grade corrected"
    assert TranscriptBatch.objects.filter(partner=scene["partner"]).count() == 2
    codes = set(Transcript.objects.values_list("code", flat=True))
    assert len(codes) == 4  # a new code for every transcript of the correction


def test_a_student_not_recommended_gets_the_no_credit_mark_in_rows_pdf_and_xlsx(scene):
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    lee = batch.transcripts.get(student=scene["lee"])

    assert lee.rows["withheld"] is True and lee.rows["credits_earned"] == 0
    assert [line["no_credit"] for line in lee.rows["lines"]] == [True]
    text = pdf_text(bytes(lee.pdf))
    assert "학점 불인정(비추천)" in text.replace("\n", "")  # the ko label of "No credit (not recommended)"
    workbook = load_workbook(io.BytesIO(bytes(batch.files.get(filename__endswith=".xlsx").content)))
    cells = [[c.value for c in row] for row in workbook.active.iter_rows()]
    lee_lines = [line for line in cells[1:] if line[3] == "LEE BADA"]
    kim_lines = [line for line in cells[1:] if line[3] == "KIM HANEUL"]
    assert lee_lines and all(line[11] for line in lee_lines)
    assert kim_lines and not any(line[11] for line in kim_lines)


def test_the_pdf_holds_the_hangul_name_the_grades_and_the_grouped_code(scene):
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    kim = batch.transcripts.get(student=scene["kim"])

    text = pdf_text(bytes(kim.pdf))

    assert "김하늘" in text and "KIM HANEUL" in text
    assert "A+" in text and "B0" in text and "3.90" in text
    assert kim.code_display in text
    assert "한빛대학교" in text and "UST 학사관리팀" in text
    assert "/verify/" in text


def test_an_english_partner_gets_english_labels_titles_and_mail():
    scene = build_scene(language="en", code="garam")
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    kim = batch.transcripts.get(student=scene["kim"])

    text = pdf_text(bytes(kim.pdf))

    assert "Transcript of records" in text and "Machine Learning" in text and "Hanbit University" in text
    assert "기계학습" not in text
    lee_text = pdf_text(bytes(batch.transcripts.get(student=scene["lee"]).pdf))
    assert "No credit (not recommended)" in lee_text.replace("\n", " ")
    assert OutgoingMail.objects.filter(kind="transcripts").first().language == "en"


def test_the_mail_goes_to_each_coordinator_in_their_language_with_pdfs_xlsx_and_the_address(
    scene, django_capture_on_commit_callbacks, settings,
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = transcripts_issue(term=scene["term"], partner=scene["partner"])

    rows = OutgoingMail.objects.filter(kind="transcripts")
    assert sorted(rows.values_list("to", flat=True)) == ["coord@hanbit.example", "office@hanbit.example"]
    assert {row.language for row in rows} == {"ko"}
    sent = [m for m in mail.outbox if m.to == ["coord@hanbit.example"]]
    assert len(sent) == 1
    message = sent[0]
    assert "성적증명서" in message.subject
    assert f"{settings.PORTAL_BASE_URL}/verify/" in message.body
    names = sorted(name for name, _content, _type in message.attachments)
    assert len([n for n in names if n.endswith(".pdf")]) == 2 and any(n.endswith(".xlsx") for n in names)
    pdfs = {bytes(t.pdf) for t in batch.transcripts.all()}
    assert {content for name, content, _type in message.attachments if name.endswith(".pdf")} == pdfs


def test_more_pdfs_than_the_limit_go_in_one_zip(scene, django_capture_on_commit_callbacks, settings):
    settings.TRANSCRIPT_MAIL_PDFS_MAX = 1
    with django_capture_on_commit_callbacks(execute=True):
        batch = transcripts_issue(term=scene["term"], partner=scene["partner"])

    message = next(m for m in mail.outbox if m.to == ["coord@hanbit.example"])
    archive = next(content for name, content, _type in message.attachments if name.endswith(".zip"))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert len(opened.namelist()) == 2
        assert {opened.read(n) for n in opened.namelist()} == {bytes(t.pdf) for t in batch.transcripts.all()}
    assert not any(name.endswith(".pdf") for name, _c, _t in message.attachments)


def test_the_schedule_issues_each_due_partner_once():
    scene = build_scene()

    first = transcripts_issue_due()
    again = transcripts_issue_due()

    assert sorted(b.partner.code for b in first.issued) == ["hanbit", "hanbit-other"]
    assert again.issued == [] and again.refused == []
    assert {b.trigger for b in first.issued} == {TranscriptBatch.Trigger.SCHEDULE}
    assert TranscriptBatch.objects.filter(term=scene["term"]).count() == 2


def test_the_schedule_skips_terms_whose_grades_are_open():
    build_scene(final=False)

    assert transcripts_issue_due().issued == []


def test_the_schedule_leaves_terms_made_final_before_the_look_back():
    from datetime import timedelta

    from django.utils import timezone

    from creditexchange.models import TermGrades

    scene = build_scene()
    TermGrades.objects.filter(term=scene["term"]).update(finalized_at=timezone.now() - timedelta(days=30))

    assert transcripts_issue_due().issued == []


def test_typed_names_cannot_break_the_pdf_or_become_spreadsheet_formulas():
    scene = build_scene()
    from creditexchange.models import TemporaryIdApplication

    TemporaryIdApplication.objects.filter(temporary_id__user=scene["kim"]).update(
        name_ko="<b>김</b> & 하늘", name_latin="=HYPERLINK(\"http://evil.example\")",
    )
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])

    text = pdf_text(bytes(batch.transcripts.get(student=scene["kim"]).pdf))
    assert "<b>김</b> & 하늘" in text
    workbook = load_workbook(io.BytesIO(bytes(batch.files.get(filename__endswith=".xlsx").content)))
    latin = [row[3].value for row in workbook.active.iter_rows(min_row=2) if row[2].value == "<b>김</b> & 하늘"]
    assert latin and all(value.startswith("'=") for value in latin)
    csv_text = bytes(batch.files.get(filename__endswith=".csv").content).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text


def test_the_command_issues_a_term_then_refuses_then_corrects_with_a_reason():
    from io import StringIO

    from django.core.management import call_command

    scene = build_scene()
    out = StringIO()
    call_command("issue_transcripts", "--term", "2027-spring", stdout=out)
    assert "issued=2 refused=0" in out.getvalue()
    out = StringIO()
    call_command("issue_transcripts", "--term", "2027-spring", "--partner", "hanbit", stdout=out)
    assert "issued=0 refused=1" in out.getvalue()
    call_command("issue_transcripts", "--term", "2027-spring", "--partner", "hanbit", "--reason", "grade fixed", stdout=StringIO())
    latest = TranscriptBatch.objects.filter(partner=scene["partner"]).order_by("-version").first()
    assert (latest.version, latest.trigger, latest.reason) == (2, TranscriptBatch.Trigger.COMMAND, "grade fixed")


def test_a_correction_mail_says_corrected_with_the_reason_in_the_partners_language(django_capture_on_commit_callbacks):
    scene = build_scene(language="en", code="garam")
    transcripts_issue(term=scene["term"], partner=scene["partner"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transcripts_issue(term=scene["term"], partner=scene["partner"], reason="PHY5002 grade corrected")

    message = next(m for m in mail.outbox if m.to == ["coord@garam.example"])
    assert message.subject.startswith("[UST Portal] Corrected transcripts of records") and "version 2" in message.subject
    assert "PHY5002 grade corrected" in message.body and "/verify/" in message.body
