"""Reads of the notice board: what the public sees, in board order, and search."""

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import Notice

SEARCH_FIELDS = ["title_ko", "title_en", "body_ko", "body_en"]


def published_notices(*, at: datetime | None = None) -> QuerySet[Notice]:
    """Notices whose publication time has come, pinned first, then newest."""
    at = at or timezone.now()
    return Notice.objects.filter(published_at__lte=at).order_by("-pinned", "-published_at", "-pk")


def notice_board(*, category: str = "", query: str = "", at: datetime | None = None) -> QuerySet[Notice]:
    """The board: one category or all; every word of ``query`` must occur in a title or body (either language)."""
    notices = published_notices(at=at).annotate(attachment_count=Count("attachments"))
    if category:
        notices = notices.filter(category=category)
    for word in query.split()[:10]:
        condition = Q()
        for field in SEARCH_FIELDS:
            condition |= Q(**{f"{field}__icontains": word})
        notices = notices.filter(condition)
    return notices


def latest_notices(*, limit: int = 5, at: datetime | None = None) -> list[Notice]:
    """The newest published notices (pinned or not), for the home page."""
    at = at or timezone.now()
    return list(Notice.objects.filter(published_at__lte=at).order_by("-published_at", "-pk")[:limit])


def notice_for_reader(*, notice_id: int, user, at: datetime | None = None) -> Notice | None:
    """A notice the reader may see: a published one, or any one for staff who may edit notices (a preview)."""
    notice = Notice.objects.prefetch_related("attachments").filter(pk=notice_id).first()
    if notice is None:
        return None
    if notice.is_published(at) or user.has_perm("notices.change_notice"):
        return notice
    return None
