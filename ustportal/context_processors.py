from django.conf import settings


def _nav_role(user) -> str:
    """Whose menu to show: "visitor", "staff", "home" (a Sejong student: change of affiliation) or "exchange"."""
    if not user.is_authenticated:
        return "visitor"
    if user.is_staff:
        return "staff"
    if user.kind == "home" or hasattr(user, "student_record"):
        return "home"
    return "exchange"


def portal(request) -> dict:
    user = getattr(request, "user", None)
    return {"DEBUG_MAILBOX": settings.DEBUG, "nav_role": _nav_role(user) if user is not None else "visitor"}
