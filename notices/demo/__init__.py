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
    today = dates.today()
    now = timezone.now()
    term = exchange_term()
    # Ordering by the term follows Term.Meta.ordering (newest first); "-term" would reverse it.
    round = AffiliationRound.objects.select_related("term").order_by("term").first()

    ko, en = credit_exchange_guide(term)
    guide, created = Notice.objects.update_or_create(
        title_ko="[학점교류] 협정 대학교 학생의 학점교류 신청 절차 안내",
        defaults={
            "title_en": "[Credit exchange] Guide for students of partner universities",
            "category": Notice.Category.CREDIT_EXCHANGE, "body_ko": ko, "body_en": en, "pinned": True,
        },
        create_defaults={
            "title_en": "[Credit exchange] Guide for students of partner universities",
            "category": Notice.Category.CREDIT_EXCHANGE, "body_ko": ko, "body_en": en, "pinned": True,
            "published_at": now - timedelta(days=20), "hit_count": 2676,
        },
    )
    if term is not None and not guide.attachments.exists():
        content = schedule_workbook(term)
        notice_attachment_add(notice=guide, upload=SimpleUploadedFile(SCHEDULE_FILE, content))

    ko, en = affiliation_guide(round)
    Notice.objects.update_or_create(
        title_ko="[소속변경] 세종캠퍼스 학생의 서울캠퍼스 소속변경 안내",
        defaults={
            "title_en": "[Change of affiliation] Moving from the Sejong campus to a Seoul campus department",
            "category": Notice.Category.AFFILIATION, "body_ko": ko, "body_en": en, "pinned": True,
        },
        create_defaults={
            "title_en": "[Change of affiliation] Moving from the Sejong campus to a Seoul campus department",
            "category": Notice.Category.AFFILIATION, "body_ko": ko, "body_en": en, "pinned": True,
            "published_at": now - timedelta(days=15), "hit_count": 1342,
        },
    )

    for item in ordinary_notices(today):
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
