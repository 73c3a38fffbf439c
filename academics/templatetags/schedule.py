"""Dates of the schedule as the registrar writes them: 2027-02-19 (월) 09:00, in Asia/Seoul."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

register = template.Library()

WEEKDAYS = {"ko": "월화수목금토일", "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def _weekday(at: datetime) -> str:
    names = WEEKDAYS["en"] if (get_language() or "ko").startswith("en") else WEEKDAYS["ko"]
    return names[at.weekday()]


@register.filter
def seoul_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value, timezone.get_default_timezone())
    return f"{local:%Y-%m-%d} ({_weekday(local)}) {local:%H:%M}"


@register.filter
def seoul_date(value: datetime | None) -> str:
    if value is None:
        return ""
    local = timezone.localtime(value, timezone.get_default_timezone())
    return f"{local:%Y-%m-%d} ({_weekday(local)})"
