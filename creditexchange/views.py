from django.contrib import messages
from django.core import signing
from django.db import models
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from academics.models import TermWindow
from academics.selectors import terms_with_open_window
from core.errors import DomainError, DuplicateApplication, InvalidLink
from core.http import client_ip
from core.language import page_language

from . import services
from .forms import ApplicationForm, LookupForm
from .models import TemporaryIdApplication

Status = TemporaryIdApplication.Status

RESEND_SALT = "creditexchange.resend-offer"


def application_create(request):
    form = ApplicationForm(request.POST or None)
    duplicate, duplicate_refused = None, False
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_submit(
                **form.cleaned_data, language=page_language(), client_key=client_ip(request)
            )
        except DuplicateApplication as exc:
            duplicate, duplicate_refused = exc.application, True
            form.add_error(None, exc.message)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            request.session["applied_email"] = application.email
            # Another person applied with this number first: the next page says plainly what happens now.
            request.session["applied_in_conflict"] = services.application_conflict_open_for(application=application) is not None
            return redirect("creditexchange:application_sent")
    context = {
        "form": form, "Status": Status,
        "duplicate": duplicate, "duplicate_refused": duplicate_refused,
        "resend_token": (
            signing.dumps(duplicate.pk, salt=RESEND_SALT) if duplicate and duplicate.status == Status.SUBMITTED else ""
        ),
        "open_terms": terms_with_open_window(kind=TermWindow.Kind.APPLICATION).prefetch_related("windows"),
    }
    return render(request, "creditexchange/application_form.html", context)


def application_sent(request):
    context = {"email": request.session.get("applied_email"), "in_conflict": request.session.get("applied_in_conflict", False)}
    return render(request, "creditexchange/application_sent.html", context)


@require_POST
def application_resend(request):
    try:
        application_id = signing.loads(request.POST.get("token", ""), salt=RESEND_SALT, max_age=3600)
        application = services.application_resend_confirmation(application_id=application_id)
    except signing.BadSignature:
        messages.error(request, _("This page has expired. Please submit the application form again."))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        request.session["applied_email"] = application.email
        request.session["applied_in_conflict"] = False
        return redirect("creditexchange:application_sent")
    return redirect("creditexchange:application_create")


class ConfirmPage(models.TextChoices):
    """What the confirmation page shows for a good link (a TextChoices, so a template can name its members)."""

    PENDING = "pending"  # the link is opened: one button left to press
    DONE = "done"  # this press confirmed the application
    ALREADY = "already"  # confirmed before (an earlier press, another tab)


# Where a refused confirmation link leaves the applicant: a broken link, an expired one, a deleted application.
CONFIRM_LINK_STATUS = {"bad": 400, "expired": 410, "closed": 410, "gone": 404}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def application_confirm(request, token: str):
    # Opening the link (a GET or HEAD, also by a link scanner or a mail preview) only shows the button; its POST confirms.
    template = "creditexchange/application_confirm.html"
    try:
        if request.method == "POST":
            try:
                context = {"application": services.application_confirm(token=token), "state": ConfirmPage.DONE}
            except InvalidLink as exc:
                if exc.code != "used":
                    raise
                context = {"application": services.application_confirm_check(token=token), "state": ConfirmPage.ALREADY}
        else:
            application = services.application_confirm_check(token=token)
            state = ConfirmPage.ALREADY if application.confirmed_at else ConfirmPage.PENDING
            context = {"application": application, "state": state}
        response = render(request, template, {**context, "Page": ConfirmPage})
    except InvalidLink as exc:
        context = {"error": exc.message, "code": exc.code, "resend_token": ""}
        if exc.code == "expired" and (pk := services.application_expired_link_resendable(token=token)):
            # One press mails a new link: a signed, hour-long token for the re-send view (no id in the page).
            context["resend_token"] = signing.dumps(pk, salt=RESEND_SALT)
        response = render(request, template, context, status=CONFIRM_LINK_STATUS.get(exc.code, 400))
    # The token is in the URL: no Referer to other sites, no search engine; "same-origin" keeps the button's Origin.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def application_lookup(request):
    form = LookupForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.application_lookup(
                **form.cleaned_data, client_key=client_ip(request),
                send_password_link="send_link" in request.POST,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
    return render(request, "creditexchange/application_lookup.html", {"form": form, "result": result, "Status": Status})
