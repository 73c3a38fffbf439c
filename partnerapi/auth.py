"""The API's gate: bearer keys, one throttle per key, and the call log (every answer, refusals included)."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, throttling

from .models import ApiKey
from .services import api_key_check

BEARER = "bearer"


class BearerKeyAuthentication:
    """``Authorization: Bearer <key>``. An unknown, expired or revoked key gets one and the same 401 (no oracle).

    ``request.user`` stays anonymous (a key is not a portal account); ``request.auth`` is the ``ApiKey``.
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, value = header.strip().partition(" ")
        if not header:
            return None
        if scheme.lower() != BEARER or not value.strip():
            raise exceptions.AuthenticationFailed(_("The API key is missing, unknown, expired or revoked."))
        key = api_key_check(key=value.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(_("The API key is missing, unknown, expired or revoked."))
        request._partnerapi_key = request._request._partnerapi_key = key  # the call log and the PIPA log read it
        return AnonymousUser(), key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="partner-api"'


class HasPartnerKey(permissions.BasePermission):
    message = "The API key is missing, unknown, expired or revoked."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)



class PerKeyThrottle(throttling.SimpleRateThrottle):
    """``PARTNER_API_RATE`` requests per key, counted on the shared cache (Redis in production)."""

    scope = "partner-key"

    def get_rate(self) -> str:
        return settings.PARTNER_API_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
