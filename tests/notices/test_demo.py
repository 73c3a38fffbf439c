"""Demo notices: the two process guides pinned in both languages, safe to load on every start."""

from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from academics.models import TermWindow
from notices.demo import load_notice_demo
from notices.models import Notice, NoticeAttachment
from notices.rendering import render_markdown

from ..factories import AffiliationRoundFactory, TermFactory, TermWindowFactory

SEOUL = ZoneInfo("Asia/Seoul")


def test_the_demo_loads_the_guides_once_with_the_terms_dates(db):
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.APPLICATION)  # open now
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=datetime(2027, 2, 19, 9, tzinfo=SEOUL),
                      ends_at=datetime(2027, 2, 28, 18, tzinfo=SEOUL))
    TermWindowFactory(term=term, kind=TermWindow.Kind.CHANGE, starts_at=datetime(2027, 3, 2, tzinfo=SEOUL),
                      ends_at=datetime(2027, 3, 16, tzinfo=SEOUL))
    AffiliationRoundFactory()

    load_notice_demo()
    load_notice_demo()

    assert Notice.objects.count() == 6
    guides = list(Notice.objects.filter(pinned=True).order_by("category"))
    assert [g.category for g in guides] == ["affiliation", "credit_exchange"]
    for guide in guides:
        assert guide.is_published()
        assert guide.title_ko and guide.title_en and len(guide.body_ko) > 1000 and len(guide.body_en) > 1000
        assert "<table>" in render_markdown(guide.body_ko)
    exchange = guides[1]
    assert "2월 19일(금) 09:00 ~ 2월 28일(일) 18:00" in exchange.body_ko
    assert "3월 2일(화) ~ 3월 15일(월)" in exchange.body_ko  # a window closing at midnight ends the day before
    assert "Fri 19 Feb, 09:00 – Sun 28 Feb, 18:00" in exchange.body_en
    assert "67" in guides[0].body_ko and "TOEIC 800" in guides[0].body_en
    attachment = NoticeAttachment.objects.get()
    assert attachment.notice == exchange and attachment.original_name.endswith(".xlsx")
    sheet = load_workbook(attachment.file.path).active
    assert [cell.value for cell in sheet[1]][:2] == ["구분", "Step"]
    assert Notice.objects.filter(published_at__isnull=True).count() == 1  # a draft to try publishing


def test_the_demo_works_before_any_term_exists(db):
    load_notice_demo()

    assert Notice.objects.filter(pinned=True).count() == 2
    assert not NoticeAttachment.objects.exists()
