import ipaddress

from django.conf import settings


def _ip(value: str) -> str | None:
    """``value`` as a normalised IP address, or None (a forged or broken header entry never becomes a key)."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The caller's address, for rate limits and logs; "unknown" only without any usable address.

    With ``NUM_PROXIES`` = N trusted proxies in front of gunicorn, each appends the address it saw to
    X-Forwarded-For, so the N-th entry from the right is the one the outermost proxy appended: the
    client as that proxy saw it. Entries further left were written by the client and are ignored. With
    N = 0 the header is ignored entirely. A header with fewer than N entries (a proxy was bypassed or
    is misconfigured) or a malformed N-th entry falls back to REMOTE_ADDR, the nearest proxy: every
    such request then shares one key, which fails closed rather than letting the client choose one.
    """
    remote = _ip(request.META.get("REMOTE_ADDR", "")) or "unknown"
    proxies = max(0, settings.NUM_PROXIES)
    if not proxies:
        return remote
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return _ip(forwarded[-proxies]) or remote


def parse_id(value: str | None) -> int | None:
    """A primary key typed into a query string or form field, or None; "²" passes str.isdigit() but not int()."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:  # beyond a bigint no row can match
        return None
    return int(value)


def safe_next(request) -> str:
    """The request's ``next`` (form, then query) if it is a path on this site, else "".

    Only a path: ``redirect()`` would take any other word for a URL name (NoReverseMatch, a 500), and another
    host would make the portal an open redirect.
    """
    from django.utils.http import url_has_allowed_host_and_scheme

    url = request.POST.get("next") or request.GET.get("next") or ""
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""
