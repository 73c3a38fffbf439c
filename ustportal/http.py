from django.conf import settings


def client_ip(request) -> str:
    """The caller's address; behind NUM_PROXIES trusted proxies, the matching X-Forwarded-For entry."""
    proxies = settings.NUM_PROXIES
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")


def parse_id(value: str | None) -> int | None:
    """A primary key typed into a query string or form field, or None; "²" passes str.isdigit() but not int()."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:  # beyond a bigint no row can match
        return None
    return int(value)
