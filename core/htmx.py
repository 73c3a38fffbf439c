"""htmx requests that end in a redirect: the whole page goes there (``HX-Redirect``), never a fragment.

An htmx request follows a redirect inside XMLHttpRequest and swaps whatever comes back into its target, so
a session that ended (idle timeout, a logout in another tab) would put the login form into a table row.
``HtmxRedirectMiddleware`` turns every redirect answering an htmx request into an ``HX-Redirect`` header,
and a ``next`` in it (the partial's own URL, or nothing for a POST) into the page the browser shows, so that
signing in leads back to it. One place for every caller: ``login_required``, the staff pages, the session
lifetime and the second-factor gate all just return their ordinary redirect.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpResponse

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def page_redirect_for(*, current: str, location: str) -> str:
    """``location`` with its ``next`` made ``current`` (a same-site path, or "" to leave ``next`` out)."""
    parts = urlsplit(location)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "next"]
    if len(query) == len(parse_qsl(parts.query, keep_blank_values=True)):
        return location  # no "come back" address to correct
    if current:
        query.insert(0, ("next", current))
    return urlunsplit(parts._replace(query=urlencode(query)))


def current_page(request) -> str:
    """The same-site path and query of the page the browser shows (``HX-Current-URL``), else ""."""
    htmx = getattr(request, "htmx", None)
    path = htmx.current_url_abs_path if htmx else None
    return path if path and path.startswith("/") and not path.startswith("//") else ""


class HtmxRedirectMiddleware:
    """After django-htmx's HtmxMiddleware and before anything that may redirect (session lifetime, second factor)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code not in REDIRECTS:
            return response
        target = page_redirect_for(current=current_page(request), location=response["Location"])
        page = HttpResponse(status=204, headers={"HX-Redirect": target})
        for cookie in response.cookies.values():  # e.g. the new session cookie after a logout
            page.cookies[cookie.key] = cookie
        return page
