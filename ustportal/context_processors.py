from django.conf import settings


def portal(request) -> dict:
    return {"DEBUG_MAILBOX": settings.DEBUG}
