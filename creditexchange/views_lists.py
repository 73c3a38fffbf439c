"""The partner coordinator's verification page (SPEC §3.3): public, reached only through the mailed signed link."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from ustportal.errors import DomainError, InvalidLink
from ustportal.http import client_ip

from . import services
from .forms_lists import VerificationForm
from .selectors_lists import verification_lines

TEMPLATE = "creditexchange/partner_list_verify.html"


def _private(response):
    # The token is in the URL: keep it out of Referer headers and search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def partner_list_verify(request, token: str):
    try:
        partner_list = services.partner_list_open(token=token)
    except InvalidLink as exc:
        return _private(render(request, TEMPLATE, {"error": exc.message}, status=400 if exc.code == "bad" else 403))
    form = VerificationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.recommendations_submit(
                partner_list_id=partner_list.pk, decisions=form.cleaned_data["decisions"], ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = 403
        else:
            messages.success(request, _("Saved: %(count)s answer(s) changed. You can revise them until the deadline.") % {"count": changed})
            return _private(redirect(request.path))
    elif request.method == "POST":
        status = 400
    lines = verification_lines(partner_list=partner_list)
    context = {
        "list": partner_list, "lines": lines, "form": form, "is_open": partner_list.is_open(),
        "answered": sum(1 for line in lines if line.recommendation.decided_at),
    }
    return _private(render(request, TEMPLATE, context, status=status))
