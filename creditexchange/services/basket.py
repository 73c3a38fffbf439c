"""The basket (희망과목 담기, issue 14): courses a student lines up before registration opens, then registers in one click.

Decisions:

- A basket is filled from the start of the term's course-opening window until the registration window opens
  (``basket_state``); items can be removed at any time. Adding needs an issued temporary ID for the term (the
  same rule as registering, ``student_can_register``) and a published offering open to exchange students; at most
  ``settings.BASKET_MAX_ITEMS`` items per term.
- The basket reserves nothing and refuses nothing for clashes or credits: those are shown as the student goes
  (``basket_summary``), since a basket often holds alternatives.
- ``basket_register`` (registration or change window open) tries every item not yet registered, in the order
  they were added, each through ``registration_submit`` — the same rules and the same seat guard as a single
  click — and returns one ``BasketAttempt`` per item. An item stays in the basket after it registered; the pages
  show it as registered.
- URLs (creditexchange/urls.py): ``POST basket/<offering_id>/add/``, ``POST basket/<item_id>/remove/``,
  ``POST basket/register/`` (field ``term``), the basket itself at ``basket/?term=<id>``.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Term, TermWindow
from academics.selectors import term_windows
from accounts.models import User
from core import dates
from core.errors import CourseFull, DomainError, NotEligible, WindowClosed

from ..models import BasketItem, CourseOffering, CourseRegistration
from .registrations import _require_window, registration_submit, student_can_register


class BasketState(StrEnum):
    NOT_SCHEDULED = "none"  # no course-opening window yet
    UPCOMING = "upcoming"  # before the course-opening window
    OPEN = "open"  # filling the basket
    REGISTER = "register"  # registration (or change) is open: register the basket
    CLOSED = "closed"  # after the change window


@dataclass(frozen=True)
class BasketWindow:
    state: BasketState
    opens_at: datetime | None = None
    closes_at: datetime | None = None

    @property
    def can_add(self) -> bool:
        return self.state == BasketState.OPEN

    @property
    def can_register(self) -> bool:
        return self.state == BasketState.REGISTER


def basket_state(*, term: Term, at: datetime | None = None) -> BasketWindow:
    """Where the term is for the basket at ``at`` (the server's clock), from the cached windows."""
    at = at or timezone.now()
    windows = term_windows(term_id=term.pk)
    opening = windows.get(TermWindow.Kind.COURSE_OPENING)
    registration = windows.get(TermWindow.Kind.REGISTRATION)
    change = windows.get(TermWindow.Kind.CHANGE)
    if any(w is not None and w.is_open(at) for w in (registration, change)):
        return BasketWindow(BasketState.REGISTER)
    if opening is None:
        return BasketWindow(BasketState.NOT_SCHEDULED)
    closes_at = registration.starts_at if registration is not None else opening.ends_at
    state = dates.window_state(opening.starts_at, closes_at, at)
    if state == dates.WindowState.UPCOMING:
        return BasketWindow(BasketState.UPCOMING, opening.starts_at, closes_at)
    if state == dates.WindowState.OPEN:
        return BasketWindow(BasketState.OPEN, opening.starts_at, closes_at)
    return BasketWindow(BasketState.CLOSED, opening.starts_at, closes_at)


def _offering_for(offering_id: int) -> CourseOffering:
    offering = CourseOffering.objects.select_related("term").filter(pk=offering_id).first()
    if offering is None or not offering.is_published or not offering.open_to_exchange:
        raise NotEligible(_("This course is not open for registration by exchange students."))
    return offering


def basket_add(*, student: User, offering_id: int, at: datetime | None = None) -> BasketItem:
    offering = _offering_for(offering_id)
    term = offering.term
    if not student_can_register(student=student, term=term):
        raise NotEligible(
            _("You need a temporary student ID issued for %(term)s to register for its courses.") % {"term": term}
        )
    window = basket_state(term=term, at=at)
    if not window.can_add:
        if window.opens_at and window.closes_at:
            raise WindowClosed(
                _("The basket for %(term)s can be filled from %(start)s until %(end)s (Asia/Seoul).")
                % {"term": term, "start": dates.when(window.opens_at), "end": dates.when(window.closes_at)}
            )
        raise WindowClosed(_("The basket for %(term)s is not open.") % {"term": term})
    if CourseRegistration.objects.filter(
        student=student, offering=offering, status=CourseRegistration.Status.REGISTERED
    ).exists():
        raise NotEligible(_("You are already registered for %(course)s.") % {"course": offering}, code="duplicate")
    with transaction.atomic():
        # The student's own row serialises their adds, so the limit holds against two tabs at once.
        User.objects.select_for_update().filter(pk=student.pk).values_list("pk", flat=True).first()
        if BasketItem.objects.filter(student=student, offering=offering).exists():
            raise NotEligible(_("%(course)s is already in your basket.") % {"course": offering}, code="duplicate")
        if BasketItem.objects.filter(student=student, term=term).count() >= settings.BASKET_MAX_ITEMS:
            raise NotEligible(
                _("Your basket already holds %(count)s courses, the most it can hold. Remove one first.")
                % {"count": settings.BASKET_MAX_ITEMS}, code="limit",
            )
        try:
            with transaction.atomic():
                return BasketItem.objects.create(student=student, offering=offering, term=term)
        except IntegrityError:
            raise NotEligible(_("%(course)s is already in your basket.") % {"course": offering}, code="duplicate") from None


def basket_remove(*, student: User, item_id: int) -> CourseOffering:
    """Remove one of the student's own items (another student's id is "not found", never a hint it exists)."""
    item = BasketItem.objects.select_related("offering").filter(pk=item_id, student=student).first()
    if item is None:
        raise NotEligible(_("This course is not in your basket."))
    item.delete()
    return item.offering


@dataclass
class BasketLine:
    item: BasketItem
    registered: bool
    clashes: list[CourseOffering] = field(default_factory=list)


@dataclass
class BasketSummary:
    term: Term
    lines: list[BasketLine]
    window: BasketWindow
    credits: int  # the plan: the term's registered courses plus the basket's courses not registered yet
    limit: int
    registered_credits: int = 0

    @property
    def over_limit(self) -> bool:
        return self.credits > self.limit

    @property
    def pending_credits(self) -> int:
        return self.credits - self.registered_credits

    @property
    def items_by_offering(self) -> dict[int, BasketItem]:
        return {line.item.offering_id: line.item for line in self.lines}

    @property
    def has_pending(self) -> bool:
        return any(not line.registered for line in self.lines)


def _overlap(a, b) -> bool:
    return any(x.overlaps(y) for x in a.slots.all() for y in b.slots.all())


def basket_summary(*, student: User, term: Term, at: datetime | None = None) -> BasketSummary:
    """The basket with what a student needs to see as they fill it: which items clash (with each other or with a
    course already registered) and the credit total against the term's limit. Three queries."""
    items = list(
        BasketItem.objects.filter(student=student, term=term)
        .select_related("offering__campus", "offering__department").prefetch_related("offering__slots")
    )
    registered = list(
        CourseOffering.objects.filter(
            registrations__student=student, registrations__status=CourseRegistration.Status.REGISTERED, term=term
        ).prefetch_related("slots")
    )
    registered_ids = {o.pk for o in registered}
    lines = []
    for item in items:
        in_basket = [i.offering for i in items if i.pk != item.pk]
        others = in_basket + [o for o in registered if o.pk != item.offering_id and o.pk not in {b.pk for b in in_basket}]
        clashes = [other for other in others if _overlap(item.offering, other)]
        lines.append(BasketLine(item=item, registered=item.offering_id in registered_ids, clashes=clashes))
    registered_credits = sum(o.credits for o in registered)
    credits = registered_credits + sum(line.item.offering.credits for line in lines if not line.registered)
    return BasketSummary(
        term=term, lines=lines, window=basket_state(term=term, at=at), credits=credits, limit=term.credit_limit,
        registered_credits=registered_credits,
    )


class Outcome(StrEnum):
    REGISTERED = "registered"
    ALREADY = "already"
    FULL = "full"
    CLASH = "clash"
    LIMIT = "limit"
    REFUSED = "refused"


@dataclass(frozen=True)
class BasketAttempt:
    offering: CourseOffering
    outcome: Outcome
    message: str

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.REGISTERED, Outcome.ALREADY)


def _outcome(exc: DomainError) -> Outcome:
    if isinstance(exc, CourseFull):
        return Outcome.FULL
    return {"clash": Outcome.CLASH, "limit": Outcome.LIMIT, "duplicate": Outcome.ALREADY}.get(exc.code, Outcome.REFUSED)


def basket_register(*, student: User, term: Term, at: datetime | None = None) -> list[BasketAttempt]:
    """Register every basket item not registered yet, one attempt each, in the order they were added.

    The window is checked once (with the same rule and message as a single registration); then each attempt is
    ``registration_submit`` in its own transaction, so a full course does not undo the one before it.
    """
    at = at or timezone.now()
    _require_window(term=term, kinds=(TermWindow.Kind.REGISTRATION, TermWindow.Kind.CHANGE), at=at)
    items = list(BasketItem.objects.filter(student=student, term=term).select_related("offering__term"))
    if not items:
        raise NotEligible(_("Your basket for %(term)s is empty.") % {"term": term})
    registered = set(
        CourseRegistration.objects.filter(
            student=student, term=term, status=CourseRegistration.Status.REGISTERED
        ).values_list("offering_id", flat=True)
    )
    attempts = []
    for item in items:
        offering = item.offering
        if offering.pk in registered:
            attempts.append(BasketAttempt(offering, Outcome.ALREADY, _("Already registered.")))
            continue
        try:
            registration_submit(student=student, offering_id=offering.pk, offering=offering, at=at)
        except DomainError as exc:
            attempts.append(BasketAttempt(offering, _outcome(exc), str(exc.message)))
        else:
            attempts.append(BasketAttempt(offering, Outcome.REGISTERED, _("Registered for %(course)s.") % {"course": offering}))
    return attempts
