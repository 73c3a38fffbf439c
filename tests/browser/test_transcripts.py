"""Issue 15 in chromium: the registrar issues a term's transcripts from the admin (ko on a 1280 px screen, en on a
390 px phone), sees the partners and their student counts, confirms, and finds the mails in the outbox admin; a
visitor checks a transcript's code on the public page (ko, en, 390 px) and is told only who and when.
The database is checked after each form and axe-core runs on every page."""

import pytest
from django.core.cache import cache

from core.models import OutgoingMail
from creditexchange.models import Transcript, TranscriptBatch
from creditexchange.services.transcripts import transcripts_issue
from tests.browser.conftest import axe_check, log_in, submit

from ..creditexchange.transcript_helpers import build_scene

WORDS = {
    "ko": {"issue": "지금 성적증명서 발급", "found": "이 성적증명서는 UST 포털에서 발급되었습니다.",
           "unknown": "이 코드로 발급된 성적증명서가 없습니다.", "university": "한빛대학교"},
    "en": {"issue": "Issue transcripts now", "found": "This transcript of records was issued by the UST Portal.",
           "unknown": "There is no transcript with this code.", "university": "Hanbit University"},
}


def _fits_the_phone(page, phone: bool) -> None:
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", True)], ids=["ko", "en-phone"])
def test_the_registrar_issues_transcripts_and_the_mails_are_in_the_outbox(
    open_page, live_server, problems, shot, registrar, language, phone
):
    from playwright.sync_api import expect

    scene = build_scene()
    base, name = live_server.url, f"transcripts-issue-{language}{'-phone' if phone else ''}"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, registrar)

    page.goto(f"{base}/admin/creditexchange/transcriptbatch/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    with page.expect_navigation():
        page.get_by_role("link", name=WORDS[language]["issue"]).click()
    page.select_option("#id_term", str(scene["term"].pk))
    submit(page, "#issue-choose")
    rows = page.locator("#issue-partners tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("2")
    axe_check(page, context="issue transcripts: preview")
    _fits_the_phone(page, phone)
    shot(page, f"{name}-preview")
    assert not TranscriptBatch.objects.exists()  # the preview changes nothing

    submit(page, "#confirm-issue")
    expect(page).to_have_url(f"{base}/admin/creditexchange/transcriptbatch/")
    expect(page.locator("ul.messagelist li.success")).to_have_count(2)
    axe_check(page, context="transcript batches after issuing")
    batches = TranscriptBatch.objects.filter(term=scene["term"])
    assert batches.count() == 2 and {b.issued_by_id for b in batches} == {registrar.pk}
    assert Transcript.objects.filter(batch__partner=scene["partner"]).count() == 2

    page.goto(f"{base}/admin/core/outgoingmail/?kind=transcripts")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)  # two coordinators of one partner, one of the other
    expect(page.locator("#result_list")).to_contain_text("coord@hanbit.example")
    axe_check(page, context="outbox with the transcripts mails")
    shot(page, f"{name}-outbox")
    assert OutgoingMail.objects.filter(kind="transcripts").count() == 3
    assert not problems, problems


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True)], ids=["ko", "en", "ko-phone"])
def test_a_visitor_verifies_a_code_and_sees_only_who_and_when(open_page, live_server, problems, shot, language, phone):
    from playwright.sync_api import expect

    cache.clear()
    scene = build_scene()
    batch = transcripts_issue(term=scene["term"], partner=scene["partner"])
    transcript = batch.transcripts.get(student=scene["kim"])
    base, name = live_server.url, f"transcripts-verify-{language}{'-phone' if phone else ''}"
    page = open_page(language=language, phone=phone)

    page.goto(f"{base}/verify/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    axe_check(page, context="verify form")
    page.fill("#id_code", transcript.code.lower())  # typed without dashes, in lower case
    submit(page, "button[name=verify]")
    expect(page.locator("#verify-found")).to_have_text(WORDS[language]["found"])
    expect(page.locator("#verify-name")).to_have_text("김하늘 / KIM HANEUL")
    expect(page.locator("#verify-result")).to_contain_text(WORDS[language]["university"])
    expect(page.locator("#verify-result")).not_to_contain_text("A+")
    assert page.url.endswith(f"/verify/{transcript.code_display}/")
    axe_check(page, context="verify: found")
    _fits_the_phone(page, phone)
    shot(page, f"{name}-found")

    page.fill("#id_code", "ABCD-EFGH-JKMN-PQRS")
    submit(page, "button[name=verify]")
    expect(page.locator("#verify-unknown")).to_have_text(WORDS[language]["unknown"])
    axe_check(page, context="verify: unknown")
    shot(page, f"{name}-unknown")
    assert not problems, problems
