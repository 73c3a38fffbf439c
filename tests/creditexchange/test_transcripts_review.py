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


def _pages(data: bytes) -> list[str]:
    import io

    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_every_page_of_a_long_transcript_says_whose_it_is_its_code_and_its_page():
    """Finding 2: with many courses the table went on to page 2 with its header but nothing said whose page it
    was: a loose second sheet could be stapled to another student's first."""
    import copy

    from creditexchange.transcript_pdf import render_transcript_pdf

    scene = build_scene(language="en", code="garam")
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    kim = batch.transcripts.get(student=scene["kim"])
    snapshot = copy.deepcopy(kim.rows)
    snapshot["lines"] = snapshot["lines"] * 20  # 40 courses

    pages = _pages(render_transcript_pdf(snapshot=snapshot, language="en"))

    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert kim.code_display in flat and "KIM HANEUL" in flat
        assert f"Page {number} of {len(pages)}" in flat
    assert "Course code" in pages[1]  # the table's header repeated


def test_a_very_long_name_in_the_footer_is_cut_and_the_code_and_page_stay():
    import copy

    from creditexchange.transcript_pdf import render_transcript_pdf

    scene = build_scene(language="en", code="garam")
    kim = transcripts_issue(term=scene["term"], partner=scene["partner"]).transcripts.get(student=scene["kim"])
    snapshot = copy.deepcopy(kim.rows)
    snapshot["student"]["name_latin"] = "W" * 150

    flat = " ".join(_pages(render_transcript_pdf(snapshot=snapshot, language="en"))[-1].split())

    assert kim.code_display in flat and "Page 1 of 1" in flat and "…" in flat


def test_a_big_batch_is_mailed_in_parts_each_under_the_size_limit(django_capture_on_commit_callbacks, settings):
    """Finding 3: all PDFs went in one ZIP whatever its size; 300 students (~56 KB a PDF) made a 16 MB ZIP, 22 MB
    once base64-encoded, over most SMTP servers' message limit (10-25 MB): the mail bounced or failed for good.
    Now the ZIPs are cut so each mail's attachments stay under TRANSCRIPT_MAIL_BYTES_MAX, every PDF in one part."""
    import io
    import zipfile

    from django.core import mail

    from core.models import OutgoingMail

    scene = build_scene()
    settings.TRANSCRIPT_MAIL_PDFS_MAX = 1  # ZIPs
    pdf_size = 60_000
    settings.TRANSCRIPT_MAIL_BYTES_MAX = pdf_size + 30_000  # room for one PDF and the XLSX per mail
    with django_capture_on_commit_callbacks(execute=True):
        batch = transcripts_issue(term=scene["term"], partner=scene["partner"])

    assert OutgoingMail.objects.filter(kind="transcripts", to="coord@hanbit.example").count() == 2
    sent = [m for m in mail.outbox if m.to == ["coord@hanbit.example"]]
    assert len(sent) == 2
    zipped = []
    for message in sent:
        assert sum(len(content) for _name, content, _type in message.attachments) <= settings.TRANSCRIPT_MAIL_BYTES_MAX
        assert any(name.endswith(".xlsx") for name, _c, _t in message.attachments)
        for name, content, _type in message.attachments:
            if name.endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(content)) as opened:
                    zipped += [opened.read(n) for n in opened.namelist()]
    assert sorted(zipped) == sorted(bytes(t.pdf) for t in batch.transcripts.all())
    assert sorted(m.subject[-5:] for m in sent) == ["(1/2)", "(2/2)"]  # each part says which it is
    assert all("1/2" in m.body or "2/2" in m.body for m in sent)


def test_a_small_batch_is_still_one_mail_with_its_pdfs(django_capture_on_commit_callbacks):
    from core.models import OutgoingMail

    scene = build_scene()
    with django_capture_on_commit_callbacks(execute=True):
        transcripts_issue(term=scene["term"], partner=scene["partner"])
    assert OutgoingMail.objects.filter(kind="transcripts", to="coord@hanbit.example").count() == 1


def test_a_korean_partners_parts_say_so_in_korean(django_capture_on_commit_callbacks, settings):
    from django.core import mail

    scene = build_scene()
    settings.TRANSCRIPT_MAIL_PDFS_MAX = 1
    settings.TRANSCRIPT_MAIL_BYTES_MAX = 90_000
    with django_capture_on_commit_callbacks(execute=True):
        transcripts_issue(term=scene["term"], partner=scene["partner"])
    first = next(m for m in mail.outbox if m.to == ["coord@hanbit.example"] and m.subject.endswith("(1/2)"))
    assert "2통 중 1번째" in first.body and "성적증명서" in first.subject


def test_two_students_whose_numbers_read_alike_get_distinct_file_names(django_capture_on_commit_callbacks, settings):
    """Finding 4: the file name was the home number with every other character made "_", so "2023 001" and
    "2023/001" (or two numbers in Hangul, or one number typed twice) gave the same name: the ZIP held two entries
    of one name (unpacking keeps one) and the mail two attachments a mail client saves over each other."""
    import io
    import zipfile

    from django.core import mail

    from creditexchange.models import TemporaryIdApplication

    scene = build_scene()
    TemporaryIdApplication.objects.filter(temporary_id__user=scene["kim"]).update(home_student_number="2023 001")
    TemporaryIdApplication.objects.filter(temporary_id__user=scene["lee"]).update(home_student_number="2023/001")
    with django_capture_on_commit_callbacks(execute=True):
        batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    message = next(m for m in mail.outbox if m.to == ["coord@hanbit.example"])
    names = [name for name, _c, _t in message.attachments if name.endswith(".pdf")]
    assert len(names) == 2 and len(set(names)) == 2
    named = {content: name for name, content, _t in message.attachments if name.endswith(".pdf")}
    assert all(t.code in named[bytes(t.pdf)] for t in batch.transcripts.all())  # the file matches its code

    settings.TRANSCRIPT_MAIL_PDFS_MAX = 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        transcripts_issue(term=scene["term"], partner=scene["partner"], reason="Re-sent as a ZIP")
    message = next(m for m in mail.outbox if m.to == ["coord@hanbit.example"])
    archive = next(content for name, content, _type in message.attachments if name.endswith(".zip"))
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert len(opened.namelist()) == 2 and len(set(opened.namelist())) == 2


@pytest.mark.parametrize("name", ["Nguyễn Văn Đức", "Łukasz Żółć", "Şükrü Doğan"])
def test_a_latin_name_with_letters_the_hangul_font_lacks_is_printed_whole(name):
    """Finding 5: NanumGothic has no ễ, ă, Đ, ứ, Ż, ć, Ş, ğ…: a Vietnamese, Polish or Turkish student's name was
    printed with holes (the PDF's text reads "Nguy\\x00n V\\x00n \\x00\\x00c") on an official document. Letters the
    Hangul font lacks are now set in a Latin fallback font (DejaVu Sans)."""
    import copy
    import os

    from creditexchange.transcript_pdf import render_transcript_pdf

    if not os.path.isfile("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):  # Debian's fonts-dejavu-core
        pytest.skip("no fallback font installed")
    scene = build_scene(language="en", code="garam")
    kim = transcripts_issue(term=scene["term"], partner=scene["partner"]).transcripts.get(student=scene["kim"])
    snapshot = copy.deepcopy(kim.rows)
    snapshot["student"]["name_latin"] = name
    snapshot["lines"][0]["title_en"] = f"Seminar with {name}"

    pages = _pages(render_transcript_pdf(snapshot=snapshot, language="en"))

    text = "\n".join(pages)
    assert "\x00" not in text
    assert text.count(name) >= 3  # the identity table, the course title and every page's footer
    assert "김하늘" in text


def test_a_student_left_out_of_the_correction_is_not_told_to_look_for_a_current_version(client, issued):
    """Finding 6: "superseded" was per batch: when a correction left a student out (the application revoked, the
    only course dropped), that student's first transcript told the reader "a later corrected version exists; ask
    for the current one", a version that does not exist. Now it says the correction no longer includes them."""
    from creditexchange.models import CourseRegistration, Transcript

    CourseRegistration.objects.filter(student=issued["lee"]).update(status=CourseRegistration.Status.DROPPED)
    transcripts_issue(term=issued["term"], partner=issued["partner"], reason="Lee's course was recorded by mistake")
    lee_v1 = Transcript.objects.get(student=issued["lee"], batch__version=1)

    lee = client.get(reverse("transcripts:verify_code", args=[lee_v1.code])).content.decode()
    kim = client.get(reverse("transcripts:verify_code", args=[issued["kim_transcript"].code])).content.decode()

    assert 'id="verify-found"' in lee and 'id="verify-superseded"' not in lee and 'id="verify-withdrawn"' in lee
    assert 'id="verify-superseded"' in kim and 'id="verify-withdrawn"' not in kim


def test_a_code_checked_too_often_elsewhere_does_not_blame_the_readers_connection(client, issued, settings):
    """Finding 7: once a code had been checked LOOKUP_RATE_LIMIT_PER_KEY times from anywhere, a partner checking it
    for the first time was told "Too many checks from your connection", which is not true and sends them to their
    IT desk; the other look-ups already say which limit refused."""
    settings.LOOKUP_RATE_LIMIT_PER_KEY = 2
    code = issued["kim_transcript"].code
    for number in range(3):
        client.get(reverse("transcripts:verify_code", args=[code]), REMOTE_ADDR=f"198.51.100.{number + 1}")

    body = client.get(reverse("transcripts:verify_code", args=[code]), REMOTE_ADDR="203.0.113.9").content.decode()

    assert 'id="verify-error"' in body and "김하늘" not in body
    error = body.split('id="verify-error">')[1].split("</p>")[0]
    assert "your connection" not in error and "This code" in error, error
