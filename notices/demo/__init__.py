"""Demo notices for `make run`: the two process guides (seeds 000 and 003) as pinned notices, a few ordinary ones.

Idempotent: notices are found by their Korean title; their bodies are rewritten on every run (the dates
in the guides follow the demo terms, which move with today), while the publication date and hit count
are set only when a notice is created.
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from affiliation.models import AffiliationRound
from core import dates

from ..models import Notice
from ..services import notice_attachment_add
from .affiliation import affiliation_guide
from .common import ui_labels
from .credit_exchange import SCHEDULE_FILE, credit_exchange_guide, exchange_term, schedule_workbook
from .ordinary import ordinary_notices

__all__ = ["affiliation_guide", "credit_exchange_guide", "load_notice_demo", "ui_labels"]


def load_notice_demo() -> None:
    now = timezone.now()
    term = exchange_term()
    ko, en = credit_exchange_guide(term)
    guide = _pinned(
        "[학점교류] 협정 대학교 학생의 학점교류 신청 절차 안내", "[Credit exchange] Guide for students of partner universities",
        Notice.Category.CREDIT_EXCHANGE, ko, en, published_at=now - timedelta(days=20), hits=2676,
    )
    if term is not None and not guide.attachments.exists():
        content = schedule_workbook(term)
        notice_attachment_add(notice=guide, upload=SimpleUploadedFile(SCHEDULE_FILE, content))

    # Ordering by the term follows Term.Meta.ordering (newest first); "-term" would reverse it.
    round = AffiliationRound.objects.select_related("term").order_by("term").first()
    ko, en = affiliation_guide(round)
    _pinned(
        "[소속변경] 세종캠퍼스 학생의 서울캠퍼스 소속변경 안내",
        "[Change of affiliation] Moving from the Sejong campus to a Seoul campus department",
        Notice.Category.AFFILIATION, ko, en, published_at=now - timedelta(days=15), hits=1342,
    )

    for item in ordinary_notices(dates.today()):
        days_ago, hits = item.pop("days_ago"), item.pop("hits")
        title_ko = item.pop("title_ko")
        Notice.objects.update_or_create(
            title_ko=title_ko, defaults=item,
            create_defaults={**item, "published_at": now - timedelta(days=days_ago), "hit_count": hits},
        )

    Notice.objects.get_or_create(
        title_ko="[일반] 겨울 계절학기 한국어 강좌 수요 조사 (작성 중)",
        defaults={
            "title_en": "[General] Survey: Korean language courses in the winter session (draft)",
            "category": Notice.Category.GENERAL,
            "body_ko": "교환학생 대상 한국어 강좌 개설을 위한 수요 조사입니다. 설문 링크는 확정되면 추가합니다.",
            "body_en": "",
        },
    )


def _pinned(title_ko: str, title_en: str, category: str, ko: str, en: str, *, published_at, hits: int) -> Notice:
    """A pinned guide, found by its Korean title: its text is rewritten, its date and hits set only when created."""
    fields = {"title_en": title_en, "category": category, "body_ko": ko, "body_en": en, "pinned": True}
    guide, _created = Notice.objects.update_or_create(
        title_ko=title_ko, defaults=fields, create_defaults={**fields, "published_at": published_at, "hit_count": hits},
    )
    return guide
