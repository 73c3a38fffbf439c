from django import template

from core import dates

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def when(value):
    """``{{ notice.published_at|when }}`` → ``2026-12-02 07:43`` (Asia/Seoul), see :mod:`core.dates`."""
    return dates.when(value) if value else ""


@register.filter
def day(value):
    """``{{ notice.published_at|day }}`` → ``2026-12-02`` (the Seoul day), see :mod:`core.dates`."""
    return dates.day(value) if value else ""
