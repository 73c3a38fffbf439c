"""The basket (희망과목 담기) and the waitlist pages (issue 14); the rules are in services/basket.py and waitlist.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from academics.models import Term
from core.errors import DomainError
from core.http import parse_id, safe_next

from . import selectors
from .services import basket as basket_service
from .services import waitlist as waitlist_service


def _back(request, fallback: str, **kwargs):
    target = safe_next(request)
    return redirect(target) if target else redirect(fallback, **kwargs)


def _term(request, source) -> Term | None:
    term_id = parse_id(source.get("term"))
    return (Term.objects.filter(pk=term_id).first() if term_id is not None else None) or selectors.catalogue_default_term()


@login_required
def basket(request):
    term = _term(request, request.GET)
    summary = basket_service.basket_summary(student=request.user, term=term) if term else None
    return render(request, "creditexchange/basket.html", {"term": term, "summary": summary, "attempts": None})


@login_required
@require_POST
def basket_add(request, offering_id: int):
    try:
        item = basket_service.basket_add(student=request.user, offering_id=offering_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(course)s is in your basket.") % {"course": item.offering})
    return _back(request, "creditexchange:catalogue")


@login_required
@require_POST
def basket_remove(request, item_id: int):
    try:
        offering = basket_service.basket_remove(student=request.user, item_id=item_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(course)s is out of your basket.") % {"course": offering})
    return _back(request, "creditexchange:basket")


@login_required
@require_POST
def basket_register(request):
    term = _term(request, request.POST)
    if term is None:
        messages.error(request, _("There is no term to register for."))
        return redirect("creditexchange:catalogue")
    try:
        attempts = basket_service.basket_register(student=request.user, term=term)
    except DomainError as exc:
        messages.error(request, exc.message)
        attempts = None
    summary = basket_service.basket_summary(student=request.user, term=term)
    return render(request, "creditexchange/basket.html", {"term": term, "summary": summary, "attempts": attempts})


@login_required
@require_POST
def waitlist_join(request, offering_id: int):
    try:
        entry = waitlist_service.waitlist_join(student=request.user, offering_id=offering_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You are on the waitlist of %(course)s, position %(position)s.") % {
            "course": entry.offering, "position": waitlist_service.waitlist_position(entry=entry),
        })
    return _back(request, "creditexchange:my_registrations")


@login_required
@require_POST
def waitlist_leave(request, entry_id: int):
    try:
        entry = waitlist_service.waitlist_leave(student=request.user, entry_id=entry_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if entry.status == entry.Status.DECLINED:
            messages.success(request, _("You declined the seat of %(course)s.") % {"course": entry.offering})
        else:
            messages.success(request, _("You left the waitlist of %(course)s.") % {"course": entry.offering})
    return _back(request, "creditexchange:my_registrations")


@login_required
@require_POST
def waitlist_claim(request, entry_id: int):
    try:
        registration = waitlist_service.waitlist_claim(student=request.user, entry_id=entry_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Registered for %(course)s.") % {"course": registration.offering})
    return _back(request, "creditexchange:my_registrations")
