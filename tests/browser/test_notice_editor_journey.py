"""The notice editor's journey in a real browser (chromium), in Korean and in English: admin login, write a notice
with Korean and English bodies, pin it, attach a PDF (a small valid one made here), publish and save; the database
holds it, and the public board lists it first, pinned, with its attachment downloadable byte for byte.
axe-core runs on every page visited."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ensure_roles
from notices.models import Notice
from tests.browser.conftest import axe_check, submit

from ..factories import NoticeFactory, UserFactory

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
FILENAME = "수강신청 일정.pdf"


def small_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table (readers open it, not only the signature check)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


TEXT = {
    "ko": {"title_ko": "2027학년도 1학기 수강신청 안내", "title_en": "Course registration, spring 2027"},
    "en": {"title_ko": "2027학년도 1학기 학점교류 안내", "title_en": "Credit exchange, spring 2027"},
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_notice_editor_writes_pins_and_attaches_and_the_board_shows_it_first(
    open_page, live_server, problems, shot, tmp_path, language
):
    from playwright.sync_api import expect

    ensure_roles()
    editor = UserFactory(username="editor", is_staff=True, language=language)
    editor.groups.add(Group.objects.get(name="notice_editor"))
    newer = NoticeFactory(title_ko="새 소식", title_en="Latest news", published_at=timezone.now() - timedelta(minutes=5))
    pdf = small_pdf()
    text = TEXT[language]
    base = live_server.url
    page = open_page(language=language)

    # ---- Admin login. ----
    page.goto(f"{base}/admin/login/?next=/admin/notices/notice/add/")
    axe_check(page, context="admin login")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    submit(page, "#login-form [type=submit]")
    expect(page).to_have_url(f"{base}/admin/notices/notice/add/")
    axe_check(page, context="notice add form")

    # ---- Write the notice in both languages, pin it, publish it an hour ago, attach the PDF, save. ----
    page.select_option("#id_category", Notice.Category.CREDIT_EXCHANGE)
    page.check("#id_pinned")
    published = timezone.localtime() - timedelta(hours=1)
    page.fill("#id_published_at_0", published.strftime("%Y-%m-%d"))
    page.fill("#id_published_at_1", published.strftime("%H:%M:%S"))
    page.fill("#id_title_ko", text["title_ko"])
    page.fill("#id_author_team_ko", "학사지원팀")
    page.fill("#id_body_ko", "**수강신청**은 9시부터입니다.\n\n- 첨부 일정을 확인하세요.")
    page.fill("#id_title_en", text["title_en"])
    page.fill("#id_author_team_en", "Academic Affairs Team")
    page.fill("#id_body_en", "**Registration** opens at 9 a.m.\n\n- See the attached schedule.")
    page.set_input_files("#id_attachments-0-file", files=[{"name": FILENAME, "mimeType": "application/pdf", "buffer": pdf}])
    shot(page, f"notice-editor-form-{language}")
    submit(page, "input[name=_save]")
    expect(page).to_have_url(f"{base}/admin/notices/notice/")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    axe_check(page, context="notice changelist after save")

    notice = Notice.objects.get(title_ko=text["title_ko"])
    assert (notice.title_en, notice.pinned, notice.category, notice.created_by) == (
        text["title_en"], True, Notice.Category.CREDIT_EXCHANGE, editor,
    )
    assert notice.body_ko.startswith("**수강신청**") and notice.body_en.startswith("**Registration**")
    assert notice.is_published()
    attachment = notice.attachments.get()
    assert (attachment.original_name, attachment.size, attachment.content_type) == (FILENAME, len(pdf), "application/pdf")

    # ---- The public board: the pinned notice first (before a newer one), with its attachment. ----
    reader = open_page(language=language)
    reader.goto(f"{base}/notices/")
    axe_check(reader, context="notice board")
    shot(reader, f"notice-board-pinned-{language}")
    first = reader.locator("#notice-board tbody tr").first
    expect(first).to_have_attribute("data-notice", str(notice.pk))
    expect(first).to_have_class("table-warning notice-pinned")
    expect(first.locator(".notice-files")).to_be_visible()
    title = text["title_ko"] if language == "ko" else text["title_en"]
    expect(first.locator("a")).to_have_text(title)
    expect(reader.locator(f"#notice-board tbody tr[data-notice='{newer.pk}']")).to_have_count(1)

    with reader.expect_navigation():
        first.locator("a").click()
    expect(reader.locator("#notice-attachments")).to_be_visible()
    axe_check(reader, context="notice detail")
    with reader.expect_download() as download_info:
        reader.locator("#notice-attachments a", has_text=FILENAME).click()
    download = download_info.value
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == pdf
    assert download.suggested_filename.endswith(".pdf")
    assert problems == []
