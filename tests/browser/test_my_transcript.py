"""Issue 15 in chromium: once a term's transcripts are sent, the student finds theirs on "My grades" and downloads
the PDF as it was sent (ko, en, a 390 px phone); the downloaded bytes are the stored ones."""

import pytest

from creditexchange.models import Transcript
from creditexchange.services.transcripts import transcripts_issue
from tests.browser.conftest import axe_check, log_in

from ..creditexchange.transcript_helpers import build_scene

WORDS = {"ko": "한빛대학교에 보낸 성적증명서", "en": "Transcript of records sent to Hanbit University"}


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True)], ids=["ko", "en", "ko-phone"])
def test_the_student_downloads_the_transcript_sent_to_the_home_university(open_page, live_server, problems, shot, language, phone):
    from playwright.sync_api import expect

    scene = build_scene(language=language)
    transcripts_issue(term=scene["term"], partner=scene["partner"])
    mine = Transcript.objects.get(student=scene["kim"])
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, live_server, scene["kim"])
    name = f"my-transcript-{language}{'-phone' if phone else ''}"

    page.goto(f"{live_server.url}/")
    if phone:
        page.locator(".navbar-toggler").click()
    with page.expect_navigation():
        page.locator("#nav-grades").click()
    issued = page.locator(f"#term-{scene['term'].pk} .transcript-issued")
    expect(issued).to_contain_text(WORDS[language])
    expect(issued).to_contain_text(mine.code_display)
    if phone:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    axe_check(page, context=name)
    shot(page, name)

    with page.expect_download() as download_info:
        issued.locator("a").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf") and mine.code in download.suggested_filename
    with open(download.path(), "rb") as pdf:
        assert pdf.read() == bytes(mine.pdf)
    assert problems == []
