from django import template

from ..services.offering_change import StudentBreaks, describe_breaks

register = template.Library()


@register.filter
def offering_breaks(entry: dict) -> list[str]:
    """What breaks for one student of an import preview (``report["affected"]``), in the reader's language."""
    return describe_breaks(StudentBreaks(student_id=0, clashes=entry.get("clashes") or [], credits=entry.get("credits")))
