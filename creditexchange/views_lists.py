"""The partner coordinator's verification page (SPEC §3.3): public, reached only through the mailed signed link."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, InvalidLink, WindowClosed
from core.http import client_ip
from core.privacy import access_note

from . import services
from .forms_lists import VerificationForm
from .models import PartnerList, Recommendation
from .selectors_lists import partner_list_progress, partner_list_tally, verification_lines

TEMPLATE = "creditexchange/partner_list_verify.html"
CLOSED_TEMPLATE = "creditexchange/partner_list_verify_closed.html"


def _private(response):
    # The token is in the URL: keep it out of other sites' Referer headers and out of search engines. Not
    # "no-referrer": Chromium then posts the form with `Origin: null`, which Django's CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request, link: services.PartnerListLink, *, refused: bool):
    # After the deadline the page names no student: only which list closed, when, and whom to write to.
    host, contacts = services.partner_list_contacts()
    context = {"list": link.partner_list, "closed_since": link.deadline, "host": host, "contacts": contacts,
               "refused": refused}
    return _private(render(request, CLOSED_TEMPLATE, context, status=403 if refused else 200))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def partner_list_verify(request, token: str):
    try:
        link = services.partner_list_link(token=token)
    except InvalidLink as exc:
        return _private(render(request, TEMPLATE, {"error": exc.message}, status=400 if exc.code == "bad" else 403))
    if not link.is_open():
        return _closed(request, link, refused=request.method == "POST")
    partner_list = link.partner_list
    form = VerificationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendations_submit(
                partner_list_id=partner_list.pk, decisions=form.cleaned_data["decisions"], ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", ""), deadline=link.deadline,
                recommend_rest=form.cleaned_data["recommend_all"],
            )
        except WindowClosed:
            return _closed(request, link, refused=True)
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = 403
        else:
            tally = partner_list_tally(partner_list=partner_list)
            messages.success(request, _(
                "Saved: %(recommended)s recommended, %(not_recommended)s not recommended, %(unanswered)s unanswered. "
                "You can revise your answers until the deadline."
            ) % {"recommended": tally.recommended, "not_recommended": tally.not_recommended,
                 "unanswered": tally.unanswered})
            return _private(redirect(request.path))
    elif request.method == "POST":
        status = 400
    lines = verification_lines(partner_list=partner_list)
    access_note(request, partner_list, reference=f"partner {partner_list.partner.code}", count=len(lines), anonymous=True)
    answered, total = partner_list_progress(lists=[partner_list]).get(partner_list.pk, (0, 0))
    context = {
        "list": partner_list, "lines": lines, "form": form, "answered": answered, "unanswered": total - answered,
        "Decision": Recommendation.Decision, "Kind": PartnerList.Kind,
    }
    return _private(render(request, TEMPLATE, context, status=status))
