"""Dates of the schedule as the registrar writes them: 2027-02-19 (월) 09:00, in Asia/Seoul (:mod:`core.dates`)."""

from datetime import datetime

from django import template

from core import dates

register = template.Library()


@register.filter
def seoul_datetime(value: datetime | None) -> str:
    return dates.when(value, weekday=True)


@register.filter
def seoul_date(value: datetime | None) -> str:
    return dates.day(value, weekday=True)
