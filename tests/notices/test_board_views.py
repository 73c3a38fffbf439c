"""The public notice board (SPEC §3.4): order, categories, search, pagination, detail, drafts."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.test import Client
from django.utils import timezone

from notices.models import Notice

from ..factories import NoticeAttachmentFactory, NoticeFactory

LIST_URL = "/notices/"


def _titles(response) -> list[str]:
    return re.findall(r'<a href="/notices/\d+/"[^>]*>([^<]+)</a>', response.content.decode())


def _english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_it_lists_pinned_notices_first_then_the_newest(db):
    now = timezone.now()
    NoticeFactory(title_en="Old ordinary", published_at=now - timedelta(days=9))
    NoticeFactory(title_en="Old pinned", pinned=True, published_at=now - timedelta(days=30))
    NoticeFactory(title_en="New ordinary", published_at=now - timedelta(days=1))
    NoticeFactory(title_en="New pinned", pinned=True, published_at=now - timedelta(days=2))

    response = _english().get(LIST_URL)

    assert response.status_code == 200
    assert _titles(response) == ["New pinned", "Old pinned", "New ordinary", "Old ordinary"]
    assert response.content.decode().count('class="table-warning notice-pinned"') == 2


def test_it_hides_drafts_and_notices_scheduled_for_later(db):
    NoticeFactory(title_en="Public")
    NoticeFactory(title_en="Draft", published_at=None)
    NoticeFactory(title_en="Tomorrow", published_at=timezone.now() + timedelta(days=1))

    assert _titles(_english().get(LIST_URL)) == ["Public"]


def test_it_shows_one_category_per_tab(db):
    NoticeFactory(title_en="Exchange", category=Notice.Category.CREDIT_EXCHANGE)
    NoticeFactory(title_en="Affiliation", category=Notice.Category.AFFILIATION)
    NoticeFactory(title_en="General", category=Notice.Category.GENERAL)

    assert _titles(_english().get(LIST_URL, {"category": "affiliation"})) == ["Affiliation"]
    assert _titles(_english().get(LIST_URL, {"category": "credit_exchange"})) == ["Exchange"]
    assert len(_titles(_english().get(LIST_URL, {"category": "nonsense"}))) == 3


def test_it_searches_titles_and_bodies_in_both_languages(db):
    NoticeFactory(title_ko="수강신청 안내", title_en="Course registration", body_ko="일정", body_en="Dates")
    NoticeFactory(title_ko="점검", title_en="Maintenance", body_ko="포털 정기 점검", body_en="The portal is down")
    NoticeFactory(title_ko="영어 성적", title_en="English scores", body_ko="TOEIC 성적표", body_en="Upload the certificate")

    assert _titles(_english().get(LIST_URL, {"q": "수강신청"})) == ["Course registration"]  # Korean title
    assert _titles(_english().get(LIST_URL, {"q": "정기"})) == ["Maintenance"]  # Korean body
    assert _titles(_english().get(LIST_URL, {"q": "certificate"})) == ["English scores"]  # English body
    assert _titles(_english().get(LIST_URL, {"q": "MAINTENANCE"})) == ["Maintenance"]  # any case
    assert _titles(_english().get(LIST_URL, {"q": "portal TOEIC"})) == []  # every word must match
    assert _titles(_english().get(LIST_URL, {"q": "portal 점검"})) == ["Maintenance"]
    page = _english().get(LIST_URL, {"q": "nothing-like-this"})
    assert 'id="no-notices"' in page.content.decode()


def test_it_keeps_the_search_within_the_category(db):
    NoticeFactory(title_en="Exchange dates", category=Notice.Category.CREDIT_EXCHANGE)
    NoticeFactory(title_en="Affiliation dates", category=Notice.Category.AFFILIATION)

    assert _titles(_english().get(LIST_URL, {"q": "dates", "category": "affiliation"})) == ["Affiliation dates"]


def test_it_paginates_fifteen_notices_a_page_and_numbers_them_down(db):
    now = timezone.now()
    for n in range(20):
        NoticeFactory(title_en=f"Notice {n:02d}", published_at=now - timedelta(minutes=n))

    first = _english().get(LIST_URL)
    second = _english().get(LIST_URL, {"page": 2})
    beyond = _english().get(LIST_URL, {"page": 99})

    assert _titles(first) == [f"Notice {n:02d}" for n in range(15)]
    assert _titles(second) == [f"Notice {n:02d}" for n in range(15, 20)]
    assert _titles(beyond) == _titles(second)  # a page past the end shows the last one
    assert "Page 1 of 2" in first.content.decode()
    assert re.search(r'<td class="text-center">20</td>', first.content.decode())
    assert re.search(r'<td class="text-center">1</td>', second.content.decode())


def test_page_links_keep_the_category_and_the_search(db):
    for n in range(16):
        NoticeFactory(title_en=f"Dates {n}", category=Notice.Category.CREDIT_EXCHANGE)

    page = _english().get(LIST_URL, {"category": "credit_exchange", "q": "Dates"}).content.decode()

    assert 'href="?category=credit_exchange&amp;q=Dates&amp;page=2"' in page


def test_the_detail_shows_author_team_date_hits_and_attachments(db):
    notice = NoticeFactory(
        title_en="Registration guide", author_team_en="Academic Affairs Team", hit_count=41,
        published_at=datetime(2026, 2, 9, 10, 0, tzinfo=ZoneInfo("Asia/Seoul")),
        body_en="**Register** between 09:00 and 18:00.",
    )
    attachment = NoticeAttachmentFactory(notice=notice, original_name="schedule.pdf")

    page = _english().get(f"/notices/{notice.pk}/").content.decode()

    assert "<h1" in page and "Registration guide" in page
    assert re.search(r'id="notice-author">Academic Affairs Team<', page)
    assert re.search(r'id="notice-date">2026-02-09<', page)
    assert re.search(r'id="notice-hits">42<', page)  # this visit included
    assert "<strong>Register</strong> between 09:00 and 18:00." in page
    assert f'href="/notices/{notice.pk}/attachments/{attachment.pk}/"' in page
    assert "schedule.pdf" in page


def test_the_detail_is_in_korean_by_default_and_english_on_request(db):
    notice = NoticeFactory(title_ko="수강신청 안내", title_en="Registration guide", body_ko="한국어 본문", body_en="English body",
                           author_team_ko="학사지원팀", author_team_en="Academic Affairs Team")

    korean = Client().get(f"/notices/{notice.pk}/").content.decode()
    english = _english().get(f"/notices/{notice.pk}/").content.decode()

    assert "수강신청 안내" in korean and "한국어 본문" in korean and "학사지원팀" in korean
    assert "English body" not in korean
    assert "Registration guide" in english and "English body" in english and "Academic Affairs Team" in english
    assert "한국어 본문" not in english


def test_an_empty_english_body_falls_back_to_korean_with_a_note(db):
    notice = NoticeFactory(title_en="", title_ko="한국어 제목", body_en="", body_ko="한국어 본문만 있습니다.")

    page = _english().get(f"/notices/{notice.pk}/").content.decode()

    assert "한국어 제목" in page
    assert "한국어 본문만 있습니다." in page
    assert 'id="notice-language-note"' in page and "available in Korean only" in page


def test_a_draft_is_not_found_by_the_public_but_previewed_by_an_editor(db, notice_editor):
    draft = NoticeFactory(title_en="Draft text", published_at=None)

    assert Client().get(f"/notices/{draft.pk}/").status_code == 404
    editor = _english()
    editor.force_login(notice_editor)
    preview = editor.get(f"/notices/{draft.pk}/")

    assert preview.status_code == 200
    assert 'id="notice-draft"' in preview.content.decode()
    draft.refresh_from_db()
    assert draft.hit_count == 0  # a preview is not a visit


def test_a_staff_member_without_the_notice_role_sees_no_draft(db, registrar_client):
    draft = NoticeFactory(published_at=None)

    assert registrar_client.get(f"/notices/{draft.pk}/").status_code == 404


def test_an_unknown_notice_is_not_found(db):
    assert Client().get("/notices/999999/").status_code == 404


def test_the_board_refuses_writes(db):
    notice = NoticeFactory()

    assert Client().post(LIST_URL).status_code == 405
    assert Client().post(f"/notices/{notice.pk}/").status_code == 405


def test_every_page_links_to_the_board(db):
    page = Client().get("/").content.decode()

    assert 'id="nav-notices" href="/notices/"' in page
