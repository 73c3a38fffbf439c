from django import template

from ..selectors_lists import credit_withheld

register = template.Library()


@register.simple_tag
def credit_withheld_for(student, term):
    """The not-recommended answer that takes the credit away from ``student`` in ``term`` (or None)."""
    return credit_withheld(student=student, term=term)
