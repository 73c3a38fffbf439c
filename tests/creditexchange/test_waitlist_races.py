"""The waitlist and the basket under concurrency (issue 14): releases, drops, leaves, claims, declines, joins and
public registrations at the same instant, each on its own connection.

PostgreSQL only: SQLite serialises writers, so these races cannot happen there. Every test asserts the invariants of
``assert_waitlists_consistent`` (never more registrations and held offers than capacity, ``waiting`` equal to the
active entries, positions 1..n, sequences never doubled or skipped) and that nothing failed but a domain refusal
(a deadlock or a constraint violation would surface as another exception).
"""

import time
from datetime import timedelta

import pytest
from django.test import override_settings

from academics.models import Term
from core.errors import CourseFull, DomainError, InvalidTransition, NotEligible
from creditexchange import services
from creditexchange.models import (
    BasketItem,
    CourseRegistration,
    RegistrationEvent,
    WaitlistEntry,
    WaitlistEvent,
    WaitlistRelease,
)
from creditexchange.services import basket as basket_service
from creditexchange.services import waitlist as waitlist_service
from creditexchange.services.basket import Outcome

from ..concurrency import run_at_once
from ..factories import issued_student
from .waitlist_helpers import (
    IN_OPENING,
    IN_REGISTRATION,
    SECOND,
    Status,
    assert_waitlists_consistent,
    build_term,
    drop,
    fresh,
    full_offering,
    join,
    offering_with,
    seoul,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RELEASE = seoul(3, 2, 17)  # a release time in the change window
AT_RELEASE = RELEASE + SECOND


@pytest.fixture
def term(transactional_db):
    return build_term()


@pytest.fixture
def offer_term(transactional_db):
    return build_term(mode=Term.WaitlistMode.OFFER)


def _release(term, scheduled_for=RELEASE, at=None):
    return lambda: waitlist_service.waitlist_release(term=term, scheduled_for=scheduled_for, at=at or scheduled_for + SECOND)


def _errors(outcomes) -> list[Exception]:
    return [o for o in outcomes if isinstance(o, Exception)]


def _assert_only_refusals(outcomes, *allowed: type[DomainError]) -> None:
    unexpected = [e for e in _errors(outcomes) if not isinstance(e, allowed or (DomainError,))]
    assert unexpected == [], unexpected


def _statuses(offering) -> list[str]:
    return list(WaitlistEntry.objects.filter(offering=offering).order_by("sequence").values_list("status", flat=True))


def _assert_queue_order(offering) -> None:
    """Nobody was skipped: every student still waiting joined after every student the waitlist registered or offered."""
    served = WaitlistEntry.objects.filter(offering=offering, status__in=(Status.REGISTERED, Status.OFFERED))
    waiting = WaitlistEntry.objects.filter(offering=offering, status=Status.WAITING)
    if served.exists() and waiting.exists():
        assert max(e.sequence for e in served) < min(e.sequence for e in waiting), _statuses(offering)


def _waitlist(term, students: int, *, capacity: int, slots=(("mon", "09:00", "10:30"),)):
    """A full offering with ``students`` on its waitlist (joined in the registration window); its seat holders."""
    offering, holders = full_offering(term, *slots, capacity=capacity)
    entries = [join(issued_student(term), offering) for _ in range(students)]
    return offering, holders, entries


def test_two_releases_of_the_same_instant_at_once_give_each_seat_once(term):
    offering, holders, entries = _waitlist(term, 8, capacity=3)
    clashing = entries[0].student  # first in the queue, passed over
    services.registration_submit(
        student=clashing, offering_id=offering_with(term, ("mon", "10:00", "11:00")).pk, at=IN_REGISTRATION
    )
    for holder in holders:
        drop(holder)

    outcomes = run_at_once([_release(term)] * 2 + [lambda: waitlist_service.waitlist_release_due(at=AT_RELEASE)] * 2, workers=4)

    _assert_only_refusals(outcomes)
    assert _errors(outcomes) == []
    assert _statuses(offering) == [Status.WAITING] + [Status.REGISTERED] * 3 + [Status.WAITING] * 4
    release = WaitlistRelease.objects.get()
    assert release.finished_at is not None
    assert RegistrationEvent.objects.filter(registration__offering=offering, actor__isnull=True).count() == 3
    passed = WaitlistEvent.objects.filter(entry=entries[0], release=release, from_status=Status.WAITING, to_status=Status.WAITING)
    assert passed.count() == 1  # passed over once, however many workers did that release
    assert (release.registered, release.passed_over) == (3, 1)
    assert fresh(offering).seats_taken == 3
    assert_waitlists_consistent()


def test_two_releases_at_once_in_offer_mode_expire_and_offer_each_seat_once(offer_term):
    offering, holders, entries = _waitlist(offer_term, 6, capacity=2)
    for holder in holders:
        drop(holder)
    waitlist_service.waitlist_release(term=offer_term, scheduled_for=RELEASE, at=AT_RELEASE)  # offers to the first two
    nxt = seoul(3, 3, 10)

    outcomes = run_at_once([_release(offer_term, nxt)] * 3, workers=3)

    assert _errors(outcomes) == []
    assert _statuses(offering) == [Status.EXPIRED] * 2 + [Status.OFFERED] * 2 + [Status.WAITING] * 2
    release = WaitlistRelease.objects.get(scheduled_for=nxt)
    for entry in entries[:2]:
        assert WaitlistEvent.objects.filter(entry=entry, to_status=Status.EXPIRED).count() == 1
    for entry in entries[2:4]:
        assert WaitlistEvent.objects.filter(entry=entry, to_status=Status.OFFERED, release=release).count() == 1
    assert (release.expired, release.offered) == (2, 2)
    assert fresh(offering).seats_taken == 2
    assert_waitlists_consistent()


def test_drops_during_a_release_never_overbook_nor_skip_a_place(term):
    offering, holders, entries = _waitlist(term, 12, capacity=6)
    for holder in holders[:2]:
        drop(holder)
    drops = [lambda h=h: drop(h, at=RELEASE + timedelta(seconds=2)) for h in holders[2:]]

    outcomes = run_at_once([_release(term)] * 2 + drops, workers=6)

    _assert_only_refusals(outcomes)
    assert _errors(outcomes) == []
    _assert_queue_order(offering)
    assert_waitlists_consistent()
    # The seats the release did not see are the next release's.
    waitlist_service.waitlist_release(term=term, scheduled_for=seoul(3, 3, 10), at=seoul(3, 3, 10, 0, 1))
    assert _statuses(offering) == [Status.REGISTERED] * 6 + [Status.WAITING] * 6
    assert fresh(offering).seats_taken == 6
    assert_waitlists_consistent()


def test_students_leaving_during_a_release_are_never_registered_nor_skipped(term):
    offering, holders, entries = _waitlist(term, 10, capacity=3)
    for holder in holders:
        drop(holder)
    leavers = entries[:5]
    leaves = [lambda e=e: waitlist_service.waitlist_leave(student=e.student, entry_id=e.pk) for e in leavers]

    outcomes = run_at_once([_release(term)] * 2 + leaves, workers=7)

    _assert_only_refusals(outcomes, InvalidTransition)  # a leave that came after the student was registered
    for entry in leavers:
        entry.refresh_from_db()
        if entry.status == Status.LEFT:
            assert entry.registration is None
        else:
            assert entry.status == Status.REGISTERED
    assert WaitlistEntry.objects.filter(offering=offering, status=Status.REGISTERED).count() == 3
    assert len(_errors(outcomes)) == WaitlistEntry.objects.filter(pk__in=[e.pk for e in leavers], status=Status.REGISTERED).count()
    _assert_queue_order(offering)
    assert_waitlists_consistent()


def test_claims_and_declines_during_a_release_end_each_offer_once(offer_term):
    offering, holders, entries = _waitlist(offer_term, 10, capacity=4)
    for holder in holders:
        drop(holder)
    waitlist_service.waitlist_release(term=offer_term, scheduled_for=seoul(3, 2, 10), at=seoul(3, 2, 10, 0, 1))
    offered = [fresh(e) for e in entries[:4]]
    assert {e.status for e in offered} == {Status.OFFERED} and offered[0].claim_until == RELEASE
    just_before = RELEASE - SECOND  # the student pressed Claim a second before the deadline
    claims = [lambda e=e: waitlist_service.waitlist_claim(student=e.student, entry_id=e.pk, at=just_before) for e in offered[:2]]
    declines = [lambda e=e: waitlist_service.waitlist_leave(student=e.student, entry_id=e.pk) for e in offered[2:]]

    outcomes = run_at_once([_release(offer_term)] * 2 + claims + declines, workers=6)

    _assert_only_refusals(outcomes, InvalidTransition)  # the release expired the offer first
    for entry in offered:
        entry.refresh_from_db()
        assert entry.status in (Status.REGISTERED, Status.DECLINED, Status.EXPIRED)
        ends = WaitlistEvent.objects.filter(entry=entry, from_status=Status.OFFERED)
        assert ends.count() == 1 and ends.get().to_status == entry.status
    expired = sum(1 for e in offered if e.status == Status.EXPIRED)
    declined = sum(1 for e in offered if e.status == Status.DECLINED)
    assert len(_errors(outcomes)) == expired
    new_offers = WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries[4:]], status=Status.OFFERED).count()
    assert expired <= new_offers <= expired + declined
    _assert_queue_order(offering)
    assert_waitlists_consistent()


def test_many_students_joining_one_waitlist_at_once_get_every_place_once(term):
    offering, _holders = full_offering(term)
    students = [issued_student(term) for _ in range(30)]

    outcomes = run_at_once([lambda s=s: join(s, offering) for s in students], workers=15)

    assert _errors(outcomes) == []
    assert sorted(e.sequence for e in outcomes) == list(range(1, 31))
    joined = WaitlistEvent.objects.filter(entry__offering=offering, from_status="")
    assert sorted(joined.values_list("position", flat=True)) == list(range(1, 31))
    assert fresh(offering).waiting == 30
    assert_waitlists_consistent()


@override_settings(WAITLIST_MAX_PER_STUDENT=3)
def test_one_student_joining_five_waitlists_at_once_is_on_three(term):
    offerings = [full_offering(term)[0] for _ in range(5)]
    student = issued_student(term)

    outcomes = run_at_once([lambda o=o: join(student, o) for o in offerings], workers=5)

    errors = _errors(outcomes)
    assert len(errors) == 2 and all(isinstance(e, NotEligible) and e.code == "limit" for e in errors), errors
    assert WaitlistEntry.objects.filter(student=student, status=Status.WAITING).count() == 3
    assert_waitlists_consistent()


def test_one_student_joining_one_waitlist_six_times_at_once_is_on_it_once(term):
    offering, _holders = full_offering(term)
    student = issued_student(term)

    outcomes = run_at_once([lambda: join(student, offering)] * 6, workers=6)

    errors = _errors(outcomes)
    assert len(errors) == 5 and all(isinstance(e, NotEligible) and e.code == "duplicate" for e in errors), errors
    assert_waitlists_consistent()


def test_public_registrations_racing_a_release_leave_the_freed_seat_to_the_waitlist(term):
    offering, (holder,), (entry,) = _waitlist(term, 1, capacity=1)
    drop(holder)
    public = [issued_student(term) for _ in range(10)]
    registrations = [
        lambda s=s: services.registration_submit(student=s, offering_id=offering.pk, at=AT_RELEASE) for s in public
    ]

    outcomes = run_at_once([_release(term)] + registrations, workers=11)

    _assert_only_refusals(outcomes, CourseFull)
    assert len(_errors(outcomes)) == 10
    assert fresh(entry).status == Status.REGISTERED
    assert CourseRegistration.objects.filter(offering=offering, status="registered").get().student == entry.student
    assert_waitlists_consistent()


def _keep_registering(student, offering, seconds: float = 0.5):
    """A refresher: tries again and again for ``seconds``, so some attempts come after the drop committed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return services.registration_submit(student=student, offering_id=offering.pk, at=AT_RELEASE)
        except CourseFull:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def test_a_drop_racing_public_registrations_while_students_wait_opens_no_seat_to_them(term):
    offering, (holder,), _entries = _waitlist(term, 2, capacity=1)
    public = [issued_student(term) for _ in range(10)]
    tasks = [lambda: drop(holder)] + [lambda s=s: _keep_registering(s, offering) for s in public]

    outcomes = run_at_once(tasks, workers=11)

    _assert_only_refusals(outcomes, CourseFull)
    assert len(_errors(outcomes)) == 10
    assert fresh(offering).seats_taken == 0
    assert_waitlists_consistent()


# --- the basket ---------------------------------------------------------------------------------------------------


@override_settings(BASKET_MAX_ITEMS=3)
def test_one_student_adding_five_courses_at_once_holds_three(term):
    offerings = [offering_with(term) for _ in range(5)]
    student = issued_student(term)

    outcomes = run_at_once(
        [lambda o=o: basket_service.basket_add(student=student, offering_id=o.pk, at=IN_OPENING) for o in offerings], workers=5
    )

    errors = _errors(outcomes)
    assert len(errors) == 2 and all(isinstance(e, NotEligible) and e.code == "limit" for e in errors), errors
    assert BasketItem.objects.filter(student=student).count() == 3


def test_one_student_adding_the_same_course_six_times_at_once_holds_it_once(term):
    offering, student = offering_with(term), issued_student(term)

    outcomes = run_at_once(
        [lambda: basket_service.basket_add(student=student, offering_id=offering.pk, at=IN_OPENING)] * 6, workers=6
    )

    errors = _errors(outcomes)
    assert len(errors) == 5 and all(isinstance(e, NotEligible) and e.code == "duplicate" for e in errors), errors
    assert BasketItem.objects.filter(student=student).count() == 1


def test_a_basket_registered_twice_at_once_registers_each_course_once(term):
    student = issued_student(term)
    offerings = [offering_with(term, (day, "09:00", "10:30")) for day in ("mon", "tue", "wed", "thu")]
    for offering in offerings:
        basket_service.basket_add(student=student, offering_id=offering.pk, at=IN_OPENING)

    outcomes = run_at_once([lambda: basket_service.basket_register(student=student, term=term, at=IN_REGISTRATION)] * 2, workers=2)

    assert _errors(outcomes) == []
    by_offering = {}
    for attempts in outcomes:
        for attempt in attempts:
            by_offering.setdefault(attempt.offering.pk, []).append(attempt.outcome)
    assert all(sorted(found) == [Outcome.ALREADY, Outcome.REGISTERED] for found in by_offering.values()), by_offering
    assert CourseRegistration.objects.filter(student=student, status="registered").count() == 4
    assert all(fresh(o).seats_taken == 1 for o in offerings)


def test_a_basket_rush_fills_each_course_exactly(term):
    """Twenty students register the same basket of two 5-seat courses at the opening instant."""
    first, second = offering_with(term, ("mon", "09:00", "10:30"), capacity=5), offering_with(term, ("tue", "09:00", "10:30"), capacity=5)
    students = [issued_student(term) for _ in range(20)]
    for student in students:
        for offering in (first, second):
            basket_service.basket_add(student=student, offering_id=offering.pk, at=IN_OPENING)

    outcomes = run_at_once(
        [lambda s=s: basket_service.basket_register(student=s, term=term, at=IN_REGISTRATION) for s in students], workers=10
    )

    assert _errors(outcomes) == []
    for offering in (first, second):
        results = [a.outcome for attempts in outcomes for a in attempts if a.offering.pk == offering.pk]
        assert results.count(Outcome.REGISTERED) == 5 and results.count(Outcome.FULL) == 15
        assert fresh(offering).seats_taken == 5
    assert_waitlists_consistent()
