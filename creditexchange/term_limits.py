"""A term's credit limit may not drop below what a registered student already holds (issue 12, like finding 4).

Registered under the old limit, such a student would silently be over the new one (the registration rule checks
the limit only when a course is added). Lowering it is refused, naming the students and their totals; the
registrar lowers it once each of them is within it (they drop a course, or staff drop one with a reason).
Registered with ``academics.term_checks`` in ``CreditExchangeConfig.ready()``.
"""

from django.db.models import Sum
from django.utils.translation import ngettext

from .models import CourseRegistration

SHOWN = 10


def credit_limit_refusals(*, saved, proposed) -> list[str]:
    if proposed.credit_limit is None or saved.credit_limit is None or proposed.credit_limit >= saved.credit_limit:
        return []
    over = list(
        CourseRegistration.objects.filter(term=saved, status=CourseRegistration.Status.REGISTERED)
        .values("student__username").annotate(total=Sum("offering__credits"))
        .filter(total__gt=proposed.credit_limit).order_by("-total", "student__username")
    )
    if not over:
        return []
    named = ", ".join(f"{row['student__username']} ({row['total']})" for row in over[:SHOWN])
    if len(over) > SHOWN:
        more = len(over) - SHOWN
        named += " " + ngettext("and %(count)s more", "and %(count)s more", more) % {"count": more}
    return [ngettext(
        "%(count)s student is registered for more than %(limit)s credits: %(students)s. Lower the limit once they are within it.",
        "%(count)s students are registered for more than %(limit)s credits: %(students)s. Lower the limit once they are within it.",
        len(over),
    ) % {"count": len(over), "limit": proposed.credit_limit, "students": named}]
