"""Catalogue, register/drop (htmx row swaps) and My registrations (SPEC §3.2)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from academics.models import Term, term_windows_cache_key
from core.cache import cache_prefetch
from core.errors import DomainError
from core.http import parse_id, safe_next

from . import selectors, services
from .forms import CatalogueFilterForm
from .models import CourseOffering, CourseRegistration
from .templatetags import offering_rows

CLICK_CACHE_LOCAL_SECONDS = 2  # the click's cache keys are kept this long in the process (core.cache)

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


def _after_change(request, offering: CourseOffering | None, message: str, ok: bool, registration=None, mine=None):
    """Redirect with a message, or (htmx) render the offering's row from the row already loaded.

    ``mine`` is the student's registrations of this offering by offering id when the caller has read them already.
    """
    if not request.headers.get("HX-Request"):
        (messages.success if ok else messages.error)(request, message)
        return redirect(safe_next(request) or "creditexchange:catalogue")
    if offering is None:
        raise Http404
    if ok:
        # A success proves the student may register in this term and tells which registration is theirs.
        can_register, mine = True, ({offering.pk: registration} if registration else {})
    else:
        can_register = services.student_can_register(student=request.user, term=offering.term)
        if mine is None:
            mine = {r.offering_id: r for r in selectors.registrations_of_offering(student=request.user, offering=offering)}
    context = {"offering": offering, "can_register": can_register, "mine": mine, "flash": message, "flash_ok": ok,
               "drop": services.drop_window(term=offering.term) if mine else None}
    return _row_response(request, context)


ROW_MEMO_MAX = 4096
ROW_CONTEXT = {"offering", "can_register", "mine", "flash", "flash_ok", "drop"}
CSRF_SLOT = "csrf-token-of-this-request"  # stands in a kept row where each request's own CSRF token goes
# Per process: rendered rows keyed by every value they show (``_row_response``), the CSRF token put in per request:
# another node renders the same HTML.
_rows: dict[tuple, str] = {}


def _row_response(request, context: dict) -> HttpResponse:
    """The row, rendered once per distinct input: at 09:00 thousands of students get the very same "full" row.

    The key is everything the row template reads: its context (exactly ``ROW_CONTEXT``; the offering's cells as
    ``offering_rows`` keys them, its seats and waitlist count; the student's registration's id, which a Drop form
    carries) and the request's path. The only personal value, the CSRF token of the row's forms, is rendered as
    ``CSRF_SLOT`` and replaced by this request's own token every time.
    """
    if set(context) != ROW_CONTEXT:
        raise ValueError(f"the row's context is {sorted(context)}: a new value must join the key of _row_response")
    offering, drop, registration = context["offering"], context["drop"], context["mine"].get(context["offering"].pk)
    key = (
        offering_rows.cells_key(offering), offering.seats_left, offering.capacity, offering.waiting,
        offering.has_capacity, offering.term_id, context["can_register"],
        registration.pk if registration is not None else None,
        (drop.state, str(drop.message)) if drop is not None else None, str(context["flash"]), context["flash_ok"],
        request.get_full_path(),
    )
    html = _rows.get(key)
    if html is None:
        html = render_to_string("creditexchange/_offering_row.html", {**context, "csrf_token": CSRF_SLOT}, request)
        if len(_rows) >= ROW_MEMO_MAX:
            _rows.clear()
        _rows[key] = html
    return HttpResponse(html.replace(CSRF_SLOT, get_token(request)) if CSRF_SLOT in html else html)


@login_required
@require_POST
def registration_create(request, offering_id: int):
    """The 09:00 click: one SQL statement reads the offering's row and whether the student may register, one cache
    round trip (mostly none: kept in the process for two seconds) the term's windows and the row's static part; a
    full course is refused from that row without a transaction."""
    click = selectors.offering_click(offering_id=offering_id, student=request.user)
    if click is None:
        return _register(request, offering_id, None, {})
    offering = click.offering
    keys = [selectors.offering_static_key(offering.pk), term_windows_cache_key(offering.term_id)]
    # The click's read said whether the student holds an issued ID: student_can_register asks nothing more for a yes.
    known = {services.registrations.eligible_key(request.user.pk, offering.term_id): True} if click.eligible else {}
    with cache_prefetch(keys, local_seconds=CLICK_CACHE_LOCAL_SECONDS, known=known):
        mine = {offering.pk: CourseRegistration(pk=click.registration_id, offering_id=offering.pk)} if click.registration_id else {}
        return _register(request, offering_id, offering, mine)


def _register(request, offering_id: int, offering: CourseOffering | None, mine: dict):
    try:
        registration = services.registration_submit(student=request.user, offering_id=offering_id, offering=offering)
    except DomainError as exc:
        if offering is not None and request.headers.get("HX-Request"):
            selectors.offering_static(offering)
        return _after_change(request, offering, exc.message, False, mine=mine)
    if request.headers.get("HX-Request"):
        selectors.offering_static(registration.offering)
    message = _("Registered for %(course)s.") % {"course": registration.offering}
    return _after_change(request, registration.offering, message, True, registration)


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
