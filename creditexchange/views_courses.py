"""Catalogue, register/drop (htmx row swaps) and My registrations (SPEC §3.2)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from academics.models import Term
from core.errors import DomainError
from core.http import parse_id

from . import selectors, services
from .forms import CatalogueFilterForm
from .models import CourseOffering

PAGE_SIZE = 20


def _student_state(request, term: Term) -> tuple[bool, dict]:
    """Whether the visitor may register in ``term`` and their registrations by offering id (two queries)."""
    if not request.user.is_authenticated:
        return False, {}
    mine = {r.offering_id: r for r in selectors.registrations_of(student=request.user, term=term).only("id", "offering_id")}
    return services.student_can_register(student=request.user, term=term), mine


def _basket_and_waitlists(student, term: Term):
    """The basket beside the catalogue and the student's waitlists by offering id (issue 14)."""
    from .services.basket import basket_summary

    return basket_summary(student=student, term=term), {e.offering_id: e for e in selectors.waitlist_entries_of(student=student, term=term)}


def catalogue(request):
    terms = list(selectors.catalogue_terms())
    term = next((t for t in terms if str(t.pk) == request.GET.get("term")), None) or selectors.catalogue_default_term()
    form = CatalogueFilterForm(request.GET or None)
    filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")} if form.is_valid() else {}
    page = None
    can_register, mine, drop = False, {}, None
    basket, waits = None, {}
    if term is not None:
        page = Paginator(selectors.catalogue_offerings(term=term, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
        can_register, mine = _student_state(request, term)
        drop = services.drop_window(term=term) if mine else None
        if can_register:
            basket, waits = _basket_and_waitlists(request.user, term)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "term": term, "terms": terms, "form": form, "page": page, "can_register": can_register, "mine": mine,
        "drop": drop, "query": query.urlencode(), "basket": basket, "waits": waits,
    }
    return render(request, "creditexchange/offering_list.html", context)


def _after_change(request, offering: CourseOffering | None, message: str, ok: bool, registration=None):
    """Redirect with a message, or (htmx) render the offering's row from the row already loaded."""
    if not request.headers.get("HX-Request"):
        (messages.success if ok else messages.error)(request, message)
        target = request.POST.get("next", "")
        # Only a path: redirect() would take any other word for a URL name (NoReverseMatch, a 500).
        safe = target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return redirect(target if safe else "creditexchange:catalogue")
    if offering is None:
        raise Http404
    if ok:
        # A success proves the student may register in this term and tells which registration is theirs.
        can_register, mine = True, ({offering.pk: registration} if registration else {})
    else:
        can_register = services.student_can_register(student=request.user, term=offering.term)
        mine = {r.offering_id: r for r in selectors.registrations_of_offering(student=request.user, offering=offering)}
    context = {"offering": offering, "can_register": can_register, "mine": mine, "flash": message, "flash_ok": ok,
               "drop": services.drop_window(term=offering.term) if mine else None}
    return render(request, "creditexchange/_offering_row.html", context)


@login_required
@require_POST
def registration_create(request, offering_id: int):
    offering = selectors.offering_row(offering_id=offering_id)
    try:
        registration = services.registration_submit(student=request.user, offering_id=offering_id, offering=offering)
    except DomainError as exc:
        return _after_change(request, offering, exc.message, False)
    message = _("Registered for %(course)s.") % {"course": registration.offering}
    return _after_change(request, offering, message, True, registration)


@login_required
@require_POST
def registration_delete(request, registration_id: int):
    try:
        registration = services.registration_drop(student=request.user, registration_id=registration_id)
    except DomainError as exc:
        offering_id = parse_id(request.POST.get("offering"))
        offering = selectors.offering_row(offering_id=offering_id) if offering_id is not None else None
        return _after_change(request, offering, exc.message, False)
    offering = selectors.offering_row(offering_id=registration.offering_id)
    return _after_change(request, offering, _("Dropped %(course)s.") % {"course": registration.offering}, True)


@login_required
def my_registrations(request):
    term_id = parse_id(request.GET.get("term"))
    term = (Term.objects.filter(pk=term_id).first() if term_id is not None else None) or selectors.catalogue_default_term()
    registrations = list(selectors.registrations_of(student=request.user, term=term)) if term else []
    context = {
        "term": term, "registrations": registrations, "timetable": selectors.timetable(registrations),
        "total_credits": sum(r.offering.credits for r in registrations), "weekdays": _weekday_labels(),
        "drop": services.drop_window(term=term) if registrations else None,
    }
    if term is not None:
        context["basket"], waits = _basket_and_waitlists(request.user, term)
        context["waitlist"] = list(waits.values())
        if context["waitlist"]:
            from .services.waitlist import next_release

            context["next_release"] = next_release(term=term)
    return render(request, "creditexchange/registration_list.html", context)


def _weekday_labels() -> list[str]:
    from .models import TimeSlot

    return [label for _value, label in TimeSlot.Weekday.choices]
