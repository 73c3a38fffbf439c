from django.conf import settings


def client_ip(request) -> str:
    """The caller's address; behind NUM_PROXIES trusted proxies, the matching X-Forwarded-For entry."""
    proxies = settings.NUM_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")
