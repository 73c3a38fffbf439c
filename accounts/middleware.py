"""Session lifetime (ASVS V7.3): an idle timeout, shorter for staff, and a fixed lifetime from sign-in.

Sits right after AuthenticationMiddleware, so an ended session is gone before the second-factor check,
the access log or any view sees the user. The time of sign-in and of the last request live in the
session itself; a sign-in starts both afresh (a password change, which keeps the user signed in, does not).
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, resolve_url
from django.utils.http import urlencode

SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN = "_last_seen"
ENDED = "_session_ended"  # read once by the login page: why the last session ended
TOUCH_SECONDS = 10  # the last-seen stamp is rewritten at most this often (one session write per request otherwise)
# Sent by a page's automatic status polling (hx-headers on the polling element, e.g. the staff job page every
# 2 s): such a request is no activity, so an unattended page does not keep a session alive for ever. A client
# that sends it itself only shortens its own session.
POLL_HEADER = "X-Portal-Poll"


def idle_minutes(user) -> int:
    return settings.SESSION_IDLE_MINUTES_STAFF if (user.is_staff or user.is_superuser) else settings.SESSION_IDLE_MINUTES


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        user_before = user.pk if user is not None and user.is_authenticated else None
        if user_before is not None:
            ended = self._ended(request.session, user, time.time())
            if ended:
                return self._end(request, ended)
        response = self.get_response(request)
        self._stamp(request, user_before)
        return response

    @staticmethod
    def _ended(session, user, now: float) -> dict | None:
        signed_in, last_seen = session.get(SIGNED_IN_AT), session.get(LAST_SEEN)
        if signed_in is not None and now - signed_in > settings.SESSION_MAX_HOURS * 3600:
            return {"why": "lifetime", "hours": settings.SESSION_MAX_HOURS}
        minutes = idle_minutes(user)
        if last_seen is not None and now - last_seen > minutes * 60:
            return {"why": "idle", "minutes": minutes}
        return None

    @staticmethod
    def _end(request, ended: dict):
        # An htmx request keeps a "next" too: core.htmx makes it the page the browser shows.
        next_url = request.get_full_path() if request.method == "GET" or request.headers.get("HX-Request") else ""
        logout(request)
        request.session[ENDED] = ended
        login_url = resolve_url(settings.LOGIN_URL)
        if next_url:
            login_url = f"{login_url}?{urlencode({'next': next_url})}"
        return redirect(login_url)  # for htmx, core.htmx.HtmxRedirectMiddleware makes this an HX-Redirect

    @staticmethod
    def _stamp(request, user_before) -> None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        session, now = request.session, time.time()
        if SIGNED_IN_AT not in session or user.pk != user_before:  # signed in during this request
            session[SIGNED_IN_AT] = now
            session[LAST_SEEN] = now
        elif now - session.get(LAST_SEEN, 0) >= TOUCH_SECONDS and not request.headers.get(POLL_HEADER):
            session[LAST_SEEN] = now
