"""The two security headers neither Django nor django-csp sends.

* Permissions-Policy switches off the browser features no page of the portal uses;
* Cross-Origin-Resource-Policy: same-origin stops other sites from embedding the portal's answers
  (pages, uploads, exports) with ``<img>``/``<script>`` tags.

Django's SecurityMiddleware sends HSTS, nosniff, Referrer-Policy and Cross-Origin-Opener-Policy,
django-csp the Content-Security-Policy. A view that sets one of these headers itself keeps its own.
"""

from django.conf import settings


def permissions_policy() -> str:
    return ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY_DISABLED)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.header = permissions_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response
