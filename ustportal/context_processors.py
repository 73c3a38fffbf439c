from django.conf import settings

from accounts.models import User


def _nav_role(user) -> str:
    """Whose menu to show: "visitor", "staff", "home" (a Sejong student: change of affiliation) or "exchange"."""
    if not user.is_authenticated:
        return "visitor"
    if user.is_staff:
        return "staff"
    # The account's kind, never a query: this runs on every page, the register click's htmx row included.
    if user.kind == User.Kind.HOME:
        return "home"
    return "exchange"


def portal(request) -> dict:
    user = getattr(request, "user", None)
    return {"DEBUG_MAILBOX": settings.DEBUG, "nav_role": _nav_role(user) if user is not None else "visitor"}
