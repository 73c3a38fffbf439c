"""The API's gate: bearer keys, one throttle per key, and the call log (every answer, refusals included)."""

import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, throttling

from core.http import client_ip
from core.ratelimit import LimitUnavailable, address_key, cooldown, hit_all

from .models import ApiKey
from .services import api_key_check

logger = logging.getLogger(__name__)

BEARER = "bearer"
# Refused calls (no key, a bad or unknown one) per address: settings may override these (README "Partner API").
REFUSED_LIMIT = 30
REFUSED_WINDOW_SECONDS = 600


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



class CountersUnavailable(exceptions.APIException):
    """The per-key counters cannot be reached (Redis down or stalled): 503 with Retry-After, nothing answered
    uncounted (as ``core.ratelimit`` fails closed), and never a 500."""

    status_code = 503
    default_code = "counters_unavailable"

    def __init__(self):
        super().__init__(LimitUnavailable().message)
        self.wait = 60


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """``PARTNER_API_RATE`` requests per key, counted on the shared cache (Redis in production).

    Redis down or stalled (within its socket timeout): ``CountersUnavailable``, a 503 the partner retries.
    """

    scope = "partner-key"

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # redis-py raises several connection/timeout types  # noqa: BLE001
            logger.warning("Partner API counters unreachable; refusing: %s", exc)
            raise CountersUnavailable() from exc

    def get_rate(self) -> str:
        return settings.PARTNER_API_RATE

    def get_cache_key(self, request, view) -> str | None:
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


def refused_call_throttle(request) -> exceptions.Throttled | None:
    """A refused call (401) counted per address on the portal's shared counters (``core.ratelimit``).

    A key is never guessed (its secret has 256 bits), but each refusal costs a look-up and a call-log row: an
    address over ``PARTNER_API_REFUSED_LIMIT`` refusals in ``PARTNER_API_REFUSED_WINDOW_SECONDS`` gets 429 with
    Retry-After instead, and only its first 429 of the window is logged (``request._partnerapi_unlogged``), so a
    flood leaves ``limit + 1`` rows, not one per call. Only refusals count: a valid key from the same address (a
    campus NAT) still passes, under its own per-key throttle. The counters down: the call is still refused (401),
    so nothing gets through uncounted, and logged as every refusal is.
    """
    limit = getattr(settings, "PARTNER_API_REFUSED_LIMIT", REFUSED_LIMIT)
    window = getattr(settings, "PARTNER_API_REFUSED_WINDOW_SECONDS", REFUSED_WINDOW_SECONDS)
    address = address_key(client_ip(request._request))
    try:
        verdict = hit_all(keys=[(f"partnerapi:refused:{address}", limit, window)])
        if verdict.allowed:
            return None
        first = cooldown(f"partnerapi:refused-logged:{address}", seconds=verdict.retry_after)
    except LimitUnavailable:
        return None
    request._partnerapi_unlogged = not first
    return exceptions.Throttled(wait=verdict.retry_after)
