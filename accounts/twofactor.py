"""Second factor for staff: TOTP (django-otp) with one-time recovery codes.

A staff user who has a confirmed device must verify it after the password before any other page; with
``OTP_REQUIRED_FOR_STAFF`` every staff user must also enrol first. Students are never asked. The session
stays half signed-in until then: ``StaffSecondFactorMiddleware`` lets only the login, logout and
second-factor pages through, so the admin, the staff desk and the profile all wait for the code.
"""

from functools import wraps
from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import DomainError
from core.http import safe_next

CODES_SESSION_KEY = "two_factor_recovery_codes"
# Pages a half-signed-in staff user may open: signing in and out, and finishing the second factor.
OPEN_VIEWS = frozenset({
    "accounts:login", "accounts:logout", "accounts:two_factor_verify", "accounts:two_factor_setup",
    "admin:login", "admin:logout", "set_language", "healthz", "healthz_live", "healthz_ready",
})


class SecondFactorRefused(DomainError):
    pass


# --- services -------------------------------------------------------------------------------------


def has_app(user) -> bool:
    """A confirmed authenticator app (the recovery codes are only its back-up)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verification_needed(user) -> bool:
    """Staff with a confirmed app, or all staff when OTP_REQUIRED_FOR_STAFF, must present the second factor."""
    if not (user.is_authenticated and user.is_staff):
        return False
    if getattr(user, "is_verified", lambda: False)():
        return False
    if settings.OTP_REQUIRED_FOR_STAFF:
        return True
    if not hasattr(user, "_second_factor_app"):  # asked by the middleware and again by staff pages: one query
        user._second_factor_app = has_app(user)
    return user._second_factor_app


def _normalise(token: str) -> str:
    return "".join(token.split()).replace("-", "").lower()


def _throttled(info: dict) -> SecondFactorRefused:
    # django-otp's own wording (its back-off doubles the wait after each wrong code), in our catalogue.
    if info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
        count = info["failure_count"]
        return SecondFactorRefused(ngettext(
            "Verification temporarily disabled because of %(failure_count)d failed attempt, please try again soon.",
            "Verification temporarily disabled because of %(failure_count)d failed attempts, please try again soon.",
            count,
        ) % {"failure_count": count}, code="throttled")
    return SecondFactorRefused(_("Verification of the token is currently disabled"), code="throttled")


def _verify(devices, token: str):
    """The device that accepts ``token`` (consuming it), or the refusal; throttle counts survive a refusal."""
    refusal = SecondFactorRefused(_("That code is not right. Enter the current code from the app, or a recovery code."))
    with transaction.atomic():
        for device in devices.select_for_update():
            allowed, info = device.verify_is_allowed()
            if not allowed:
                refusal = _throttled(info or {})
                continue
            if device.verify_token(token):
                return device
    raise refusal


def second_factor_verify(*, user, token: str):
    """Six digits are checked against the TOTP device, anything else against the one-time recovery codes."""
    token = _normalise(token)
    if len(token) == 6 and token.isascii() and token.isdigit():
        return _verify(TOTPDevice.objects.devices_for_user(user, confirmed=True), token)
    if 0 < len(token) <= 16 and token.isascii() and token.isalnum():
        return _verify(StaticDevice.objects.devices_for_user(user, confirmed=True), token)
    raise SecondFactorRefused(_("That code is not right. Enter the current code from the app, or a recovery code."))


def recovery_codes_generate(*, user) -> list[str]:
    """Replace every recovery code of ``user`` with new ones (the device row stays, so a session verified by it stays)."""
    with transaction.atomic():
        device = StaticDevice.objects.filter(user=user).order_by("pk").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        device.confirmed = True
        device.throttle_reset()  # saves
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _n in range(settings.TWO_FACTOR_RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def totp_setup_confirm(*, user, device: TOTPDevice, token: str) -> list[str]:
    """The first right code confirms the app; the recovery codes are made at the same time."""
    token = _normalise(token)
    if not (len(token) == device.digits and token.isascii() and token.isdigit()):
        raise SecondFactorRefused(_("That code is not right. Enter the current code from the app, or a recovery code."))
    device = _verify(TOTPDevice.objects.filter(pk=device.pk, user=user, confirmed=False), token)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return recovery_codes_generate(user=user)


def second_factor_remove(*, user, token: str) -> None:
    """Removing the app (to replace it) takes a current code, so a stolen password alone cannot do it."""
    second_factor_verify(user=user, token=token)
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()


def recovery_codes_regenerate(*, user, token: str) -> list[str]:
    second_factor_verify(user=user, token=token)
    return recovery_codes_generate(user=user)


# --- the gate -------------------------------------------------------------------------------------


def _with_next(name: str, next_url: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def redirect_to_verification(request) -> HttpResponse:
    """To the code page (or to enrolment when there is no device yet), coming back to this page afterwards."""
    name = "accounts:two_factor_verify" if has_app(request.user) else "accounts:two_factor_setup"
    # For htmx, core.htmx.HtmxRedirectMiddleware sends the whole page there, "next" being the page it shows.
    back = request.get_full_path() if request.method == "GET" or request.headers.get("HX-Request") else ""
    return redirect(_with_next(name, back))


class StaffSecondFactorMiddleware:
    """After OTPMiddleware: a staff session that still owes its second factor sees only the pages in OPEN_VIEWS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        if verification_needed(request.user):
            return redirect_to_verification(request)
        return None


class _SuperuserOnly:
    """The device admins: only a superuser may see or remove a staff member's devices (e.g. a lost phone)."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


def restrict_device_admins(site) -> None:
    """Re-register django-otp's device admins on ``site`` as superuser-only."""
    for model in (TOTPDevice, StaticDevice):
        if site.is_registered(model):
            base = type(site._registry[model])
            site.unregister(model)
            site.register(model, type(f"SuperuserOnly{base.__name__}", (_SuperuserOnly, base), {}))


# --- views ----------------------------------------------------------------------------------------


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from the app, or a recovery code"), max_length=64, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false",
                                      "autofocus": True}),
    )


class FirstCodeForm(TokenForm):
    token = forms.CharField(
        label=gettext_lazy("6-digit code from the app"), max_length=64, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


def staff_only(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return never_cache(sensitive_post_parameters("token")(wrapped))


def _done(request, next_url: str) -> HttpResponse:
    return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def _show_codes(request, codes: list[str], next_url: str) -> HttpResponse:
    request.session[CODES_SESSION_KEY] = codes
    return redirect(_with_next("accounts:two_factor_codes", next_url))


@staff_only
def verify(request):
    next_url = safe_next(request)
    if not has_app(request.user):
        return redirect(_with_next("accounts:two_factor_setup", next_url)) if verification_needed(request.user) else _done(request, next_url)
    if request.user.is_verified():
        return _done(request, next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = second_factor_verify(user=request.user, token=form.cleaned_data["token"])
        except SecondFactorRefused as exc:
            form.add_error("token", exc.message)
        else:
            request.session.cycle_key()  # a new privilege level gets a new session id
            otp_login(request, device)
            return _done(request, next_url)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


class EnrolmentForm(FirstCodeForm):
    enrolment_code = forms.CharField(
        label=gettext_lazy("Enrolment code from the e-mail (8 digits)"), max_length=64, strip=True,
        error_messages={"required": gettext_lazy("Enter the enrolment code from the e-mail.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    field_order = ["enrolment_code", "token"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].widget.attrs.pop("autofocus", None)
        self.fields["enrolment_code"].widget.attrs["autofocus"] = True


def _setup_page(request, next_url: str, device, form=None) -> HttpResponse:
    from .emails import mask_email

    context = {"next": next_url, "required": settings.OTP_REQUIRED_FOR_STAFF, "no_email": not (request.user.email or "").strip(),
               "masked_email": mask_email(request.user.email or ""), "minutes": settings.TWO_FACTOR_ENROLMENT_CODE_MINUTES}
    if device is not None:
        context.update(form=form or EnrolmentForm(), qr=qr_svg(device.config_url), secret=_grouped_secret(device))
    return render(request, "accounts/two_factor_setup.html", context)


@staff_only
def setup(request):
    """Opening the page changes nothing; "send" starts an enrolment, "confirm" checks the mailed code and the app's code."""
    from . import enrolment

    next_url, here = safe_next(request), _with_next("accounts:two_factor_setup", safe_next(request))
    if has_app(request.user):
        messages.info(request, _("You already have an authenticator app. Remove it first to set up a new one."))
        return redirect("accounts:two_factor")
    device_id = request.session.get(enrolment.SESSION_KEY)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "send":
        try:
            request.session[enrolment.SESSION_KEY] = enrolment.enrolment_code_send(user=request.user).pk
        except enrolment.EnrolmentRefused as exc:
            if exc.code == "no_email":  # the page itself says whom to ask
                return _setup_page(request, next_url, None)
            messages.error(request, exc.message)
        return redirect(here)
    pending = enrolment.enrolment_pending(user=request.user, device_id=device_id)
    form = EnrolmentForm(request.POST) if action == "confirm" else None
    if form is not None and (form.is_valid() or pending is None):  # no enrolment: say so, whatever was typed
        data = form.cleaned_data
        try:
            device, codes = enrolment.enrolment_confirm(user=request.user, device_id=device_id,
                                                        code=data.get("enrolment_code", ""), token=data.get("token", ""))
        except SecondFactorRefused as exc:
            if exc.code in enrolment.START_AGAIN:  # no enrolment (any more): back to "send the code"
                messages.error(request, exc.message)
                return redirect(here)
            form.add_error("enrolment_code" if isinstance(exc, enrolment.EnrolmentRefused) else "token", exc.message)
        else:
            request.session.pop(enrolment.SESSION_KEY, None)
            request.session.cycle_key()
            otp_login(request, device)
            return _show_codes(request, codes, next_url)
    return _setup_page(request, next_url, pending, form)


@staff_only
def recovery_codes(request):
    """Shown once: the codes leave the session as the page is rendered."""
    codes = request.session.pop(CODES_SESSION_KEY, None)
    if not codes:
        return redirect("accounts:two_factor")
    shown = [f"{code[:4]}-{code[4:]}".upper() for code in codes]  # upper case: base32 has no 0 or 1 to mistake for O or l
    context = {"codes": shown, "next": safe_next(request), "generated_at": timezone.now()}  # printed with the codes
    return render(request, "accounts/two_factor_codes.html", context)


@staff_only
def manage(request):
    form = TokenForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and action in ("regenerate", "remove") and form.is_valid():
        try:
            if action == "regenerate":
                return _show_codes(request, recovery_codes_regenerate(user=request.user, token=form.cleaned_data["token"]), "")
            second_factor_remove(user=request.user, token=form.cleaned_data["token"])
        except SecondFactorRefused as exc:
            form.add_error("token", exc.message)
        else:
            messages.success(request, _("The authenticator app and the recovery codes have been removed."))
            return redirect("accounts:two_factor_setup" if settings.OTP_REQUIRED_FOR_STAFF else "accounts:two_factor")
    context = {
        "form": form, "action": action,
        "device": TOTPDevice.objects.filter(user=request.user, confirmed=True).first(),
        "codes_left": StaticToken.objects.filter(device__user=request.user).count(),
        "required": settings.OTP_REQUIRED_FOR_STAFF,
    }
    return render(request, "accounts/two_factor_manage.html", context)


def qr_svg(url: str) -> str:
    """The otpauth:// URL as inline SVG markup, drawn on the server (no script, no data: URI, no style attribute)."""
    svg = segno.make(url, error="m").svg_inline(scale=5, light="#fff", dark="#000", svgclass="two-factor-qr", lineclass=None)
    if "style=" in svg or "data:" in svg or "<script" in svg:  # pragma: no cover - segno does not write them
        raise ValueError("unexpected markup in segno's SVG")
    # segno's own markup: path data and numbers, no user text.
    return mark_safe(svg)  # nosec B308 B703 # noqa: S308


def _grouped_secret(device: TOTPDevice) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
