"""The ``since`` cursor of every list endpoint, so a partner can poll for what changed.

Each row has a change instant (``changed_at``: when it was sent, decided, issued, registered or dropped). A page
holds the rows changed after the cursor, oldest first, at most ``PARTNER_API_PAGE_SIZE``; the response's
``next_since`` is an opaque cursor (the last row's instant and id) to pass as ``since`` next time, so rows sharing
one instant are never skipped at a page's edge. ``since`` also takes a plain ISO 8601 instant ("everything changed
after this"), for a first poll. The cursor does not see deletions (the API's rows are never deleted, only changed).
"""

import base64
import binascii
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response


def cursor_encode(at: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{pk}".encode()).decode().rstrip("=")


def since_parse(value: str) -> tuple[datetime, int | None]:
    """(instant, id) from a cursor, or (instant, None) from an ISO instant; anything else is a 400."""
    value = (value or "").strip()
    invalid = exceptions.ValidationError({"since": [_("Give an ISO 8601 instant or the next_since of an earlier answer.")]})
    if not value or len(value) > 100:
        raise invalid
    at, pk = parse_iso(value), None
    if at is None:
        try:
            text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise invalid from exc
        instant, _sep, ident = text.partition("|")
        at = parse_iso(instant)
        if at is None or not (ident.isascii() and ident.isdigit()) or len(ident) > 18:
            raise invalid
        pk = int(ident)
    return at, pk


def parse_iso(value: str) -> datetime | None:
    try:
        at = parse_datetime(value)
    except ValueError:
        return None
    if at is None:
        return None
    try:
        if timezone.is_naive(at):
            at = timezone.make_aware(at, timezone.get_default_timezone())
        # The database compares in UTC (and SQLite in the portal's zone): an instant that has no date there
        # (year 1 in Seoul, year 9999 west of UTC) is not a cursor, and must be a 400, not an OverflowError.
        at.astimezone(UTC), at.astimezone(timezone.get_default_timezone())
    except (OverflowError, ValueError):
        return None
    return at


class SincePagination(BasePagination):
    """Rows changed after ``since`` (see the module docstring); the queryset is annotated with ``changed_at``."""

    def paginate_queryset(self, queryset, request, view=None):
        size = settings.PARTNER_API_PAGE_SIZE
        since = request.query_params.get("since")
        if since is not None:
            at, pk = since_parse(since)
            condition = Q(changed_at__gt=at)
            if pk is not None:
                condition |= Q(changed_at=at, pk__gt=pk)
            queryset = queryset.filter(condition)
        rows = list(queryset.order_by("changed_at", "pk")[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        self.next_since = cursor_encode(rows[-1].changed_at, rows[-1].pk) if rows else since
        return rows

    def get_paginated_response(self, data):
        return Response({"results": data, "next_since": self.next_since, "has_more": self.has_more})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next_since", "has_more"],
            "properties": {
                "results": schema,
                "next_since": {"type": "string", "nullable": True,
                               "description": "Pass as `since` to get what changed after this page."},
                "has_more": {"type": "boolean", "description": "More rows changed already: ask again at once."},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [{
            "name": "since", "in": "query", "required": False, "schema": {"type": "string"},
            "description": "An ISO 8601 instant, or the `next_since` of the previous answer.",
        }]
