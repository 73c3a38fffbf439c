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


def _act(request, fallback: str, change, done):
    """Run one change of the student's (a service call), tell its result as a message, go back to ``next``.

    ``done`` turns the service's return value into the success message; a refusal's message is the service's own.
    """
    try:
        result = change()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done(result))
    return _back(request, fallback)


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
    return _act(request, "creditexchange:catalogue", lambda: basket_service.basket_add(student=request.user, offering_id=offering_id),
                lambda item: _("%(course)s is in your basket.") % {"course": item.offering})


@login_required
@require_POST
def basket_remove(request, item_id: int):
    return _act(request, "creditexchange:basket", lambda: basket_service.basket_remove(student=request.user, item_id=item_id),
                lambda offering: _("%(course)s is out of your basket.") % {"course": offering})


@login_required
@require_POST
def basket_register(request):
    """One click registers the whole basket; the page answers the post itself with one result per course.

    Not redirect-after-post, by decision: the results exist only for this answer, and a reload that sends the post
    again is harmless — the same service refuses a course already registered ("already registered") and tries a
    full one again, which is what a student reloading at 09:00 means.
    """
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
    return _act(
        request, "creditexchange:my_registrations",
        lambda: waitlist_service.waitlist_join(student=request.user, offering_id=offering_id),
        lambda entry: _("You are on the waitlist of %(course)s, position %(position)s.") % {
            "course": entry.offering, "position": waitlist_service.waitlist_position(entry=entry),
        },
    )


def _left(entry) -> str:
    if entry.status == entry.Status.DECLINED:
        return _("You declined the seat of %(course)s.") % {"course": entry.offering}
    return _("You left the waitlist of %(course)s.") % {"course": entry.offering}


@login_required
@require_POST
def waitlist_leave(request, entry_id: int):
    return _act(request, "creditexchange:my_registrations",
                lambda: waitlist_service.waitlist_leave(student=request.user, entry_id=entry_id), _left)


@login_required
@require_POST
def waitlist_claim(request, entry_id: int):
    return _act(request, "creditexchange:my_registrations",
                lambda: waitlist_service.waitlist_claim(student=request.user, entry_id=entry_id),
                lambda registration: _("Registered for %(course)s.") % {"course": registration.offering})
