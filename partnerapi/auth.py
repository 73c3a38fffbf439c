"""The API's gate: bearer keys, one throttle per key, and the call log (every answer, refusals included)."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions, throttling

from core.http import client_ip
from core.ratelimit import LimitUnavailable, address_key, cooldown, hit_all

from .models import ApiKey
from .services import api_key_check

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


class PerKeyThrottle(throttling.BaseThrottle):
    """``PARTNER_API_RATE`` requests per key ("600/hour": per second, minute, hour or day), counted on the portal's
    shared counters (``core.ratelimit``: Redis in production, an atomic increment per call, a fixed window).

    Not DRF's ``SimpleRateThrottle``: it reads a key's history, appends and writes it back unlocked, so calls at the
    same instant all read the same history and all pass (a burst got twice the rate through). Redis down or stalled
    (within its socket timeout): ``CountersUnavailable``, a 503 the partner retries, never a call let through uncounted.
    """

    def __init__(self):
        self.retry_after = None

    def allow_request(self, request, view) -> bool:
        if not isinstance(request.auth, ApiKey):
            return True  # refused before (HasPartnerKey); refusals are counted per address (refused_call_throttle)
        number, period = settings.PARTNER_API_RATE.split("/")
        window = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]
        try:
            verdict = hit_all(keys=[(f"partnerapi:key:{request.auth.pk}", int(number), window)])
        except LimitUnavailable as exc:
            raise CountersUnavailable() from exc
        self.retry_after = verdict.retry_after
        if not verdict.allowed:
            # A partner's system retrying without waiting: only the first 429 of the window goes to the call log.
            try:
                first = cooldown(f"partnerapi:throttled-logged:{request.auth.pk}", seconds=verdict.retry_after)
            except LimitUnavailable:
                first = True
            request._partnerapi_unlogged = not first
        return verdict.allowed

    def wait(self) -> int | None:
        return self.retry_after


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
