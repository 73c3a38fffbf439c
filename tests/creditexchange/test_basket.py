"""The basket (희망과목 담기, issue 14, creditexchange/services/basket.py): when it can be filled and registered, add,
remove, its limit, the summary's clashes and credits, and one-click registration through ``registration_submit``."""

from datetime import timedelta

import pytest
from django.test import override_settings

from academics.models import TermWindow
from core.errors import NotEligible, WindowClosed
from creditexchange import services
from creditexchange.models import BasketItem, CourseOffering, CourseRegistration, RegistrationEvent
from creditexchange.services import basket as basket_service
from creditexchange.services.basket import BasketState, Outcome

from ..factories import ApplicationFactory, TermFactory, UserFactory, issued_student
from .waitlist_helpers import (
    BETWEEN_WINDOWS,
    CHANGE_END,
    CHANGE_START,
    IN_CHANGE,
    IN_OPENING,
    IN_REGISTRATION,
    OPENING_END,
    OPENING_START,
    REGISTRATION_END,
    REGISTRATION_START,
    SECOND,
    build_term,
    fresh,
    full_offering,
    join,
    offering_with,
)


@pytest.fixture
def term(db):
    return build_term()


@pytest.fixture
def student(term):
    return issued_student(term)


def _add(student, offering, at=IN_OPENING) -> BasketItem:
    return basket_service.basket_add(student=student, offering_id=offering.pk, at=at)


def _register_basket(student, term, at=IN_REGISTRATION):
    return basket_service.basket_register(student=student, term=term, at=at)


# --- when -------------------------------------------------------------------------------------------------------


class TestBasketState:
    @pytest.mark.parametrize(
        ("at", "state"),
        [
            (OPENING_START - SECOND, BasketState.UPCOMING),
            (OPENING_START, BasketState.OPEN),
            (OPENING_END, BasketState.OPEN),  # the basket stays open until registration opens, past the opening window
            (REGISTRATION_START - SECOND, BasketState.OPEN),
            (REGISTRATION_START, BasketState.REGISTER),
            (REGISTRATION_END - SECOND, BasketState.REGISTER),
            (REGISTRATION_END, BasketState.CLOSED),
            (BETWEEN_WINDOWS, BasketState.CLOSED),
            (CHANGE_START, BasketState.REGISTER),
            (CHANGE_END - SECOND, BasketState.REGISTER),
            (CHANGE_END, BasketState.CLOSED),
        ],
    )
    def test_the_basket_follows_the_terms_windows(self, term, at, state):
        window = basket_service.basket_state(term=term, at=at)

        assert window.state == state
        assert window.can_add == (state == BasketState.OPEN)
        assert window.can_register == (state == BasketState.REGISTER)

    def test_it_names_when_the_basket_opens_and_closes(self, term):
        window = basket_service.basket_state(term=term, at=OPENING_START - SECOND)

        assert (window.opens_at, window.closes_at) == (OPENING_START, REGISTRATION_START)

    def test_without_a_registration_window_the_basket_closes_with_the_opening_window(self, db):
        term = build_term(windows={TermWindow.Kind.COURSE_OPENING: (OPENING_START, OPENING_END)})

        assert basket_service.basket_state(term=term, at=OPENING_END - SECOND).state == BasketState.OPEN
        assert basket_service.basket_state(term=term, at=OPENING_END).state == BasketState.CLOSED

    def test_without_a_course_opening_window_the_basket_is_not_scheduled(self, db):
        term = build_term(windows={TermWindow.Kind.REGISTRATION: (REGISTRATION_START, REGISTRATION_END)})

        assert basket_service.basket_state(term=term, at=IN_OPENING).state == BasketState.NOT_SCHEDULED
        assert basket_service.basket_state(term=term, at=IN_REGISTRATION).state == BasketState.REGISTER


# --- add and remove ---------------------------------------------------------------------------------------------


class TestAdd:
    def test_a_student_adds_an_offering_to_the_basket(self, term, student):
        offering = offering_with(term)

        item = _add(student, offering)

        item.refresh_from_db()
        assert (item.student, item.offering, item.term) == (student, offering, term)
        assert fresh(offering).seats_taken == 0  # a basket reserves nothing

    def test_a_full_offering_can_go_in_the_basket(self, term, student):
        offering, _holders = full_offering(term)  # registered on behalf before: nothing forbids lining it up

        assert _add(student, offering).offering == offering

    @pytest.mark.parametrize("at", [OPENING_START - SECOND, REGISTRATION_START, IN_CHANGE, CHANGE_END + timedelta(days=1)])
    def test_it_refuses_an_add_outside_the_basket_window(self, term, student, at):
        with pytest.raises(WindowClosed) as refused:
            _add(student, offering_with(term), at=at)

        if at < OPENING_START:
            assert "2027-02-01 09:00" in str(refused.value.message) and "2027-02-15 09:00" in str(refused.value.message)
        assert not BasketItem.objects.exists()

    def test_it_refuses_a_student_without_an_id_issued_for_the_term(self, term):
        offering = offering_with(term)
        other_term = TermFactory(year=2026, season="fall")
        for outsider in (UserFactory(), issued_student(other_term)):
            with pytest.raises(NotEligible) as refused:
                _add(outsider, offering)
            assert "2027 Spring" in str(refused.value.message)
        assert not BasketItem.objects.exists()

    @pytest.mark.parametrize("change", [{"published_at": None}, {"open_to_exchange": False}])
    def test_it_refuses_an_offering_not_open_to_exchange_students(self, term, student, change):
        offering = offering_with(term, **change)

        with pytest.raises(NotEligible):
            _add(student, offering)

        assert not BasketItem.objects.exists()

    def test_it_refuses_an_offering_that_does_not_exist(self, student):
        with pytest.raises(NotEligible):
            basket_service.basket_add(student=student, offering_id=987654, at=IN_OPENING)

    def test_it_refuses_the_same_offering_twice(self, term, student):
        offering = offering_with(term)
        _add(student, offering)

        with pytest.raises(NotEligible) as refused:
            _add(student, offering)

        assert refused.value.code == "duplicate"
        assert BasketItem.objects.count() == 1

    def test_it_refuses_an_offering_the_student_is_registered_for(self, term, student, registrar):
        offering = offering_with(term)
        services.registration_submit(student=student, offering_id=offering.pk, actor=registrar, reason="early", at=IN_OPENING)

        with pytest.raises(NotEligible) as refused:
            _add(student, offering)

        assert refused.value.code == "duplicate"
        assert not BasketItem.objects.exists()

    @override_settings(BASKET_MAX_ITEMS=2)
    def test_it_refuses_an_item_beyond_the_limit(self, term, student):
        _add(student, offering_with(term))
        _add(student, offering_with(term))

        with pytest.raises(NotEligible) as refused:
            _add(student, offering_with(term))

        assert refused.value.code == "limit"
        assert "2 courses" in str(refused.value.message)
        assert BasketItem.objects.count() == 2

    @override_settings(BASKET_MAX_ITEMS=1)
    def test_the_limit_counts_the_items_of_the_term_only(self, term, student):
        other_term = build_term(year=2027, season="fall")
        identity = student.temporary_id
        ApplicationFactory(
            term=other_term, partner=identity.partner, home_student_number=identity.home_student_number,
            status="issued", temporary_id=identity,
        )
        _add(student, offering_with(term))

        assert _add(student, offering_with(other_term)).term == other_term

    @override_settings(BASKET_MAX_ITEMS=1)
    def test_the_limit_is_the_students_own(self, term, student):
        _add(student, offering_with(term))

        assert _add(issued_student(term), offering_with(term)).pk


class TestRemove:
    def test_a_student_removes_an_item(self, term, student):
        offering = offering_with(term)
        item = _add(student, offering)

        assert basket_service.basket_remove(student=student, item_id=item.pk) == offering
        assert not BasketItem.objects.exists()

    def test_removing_makes_room_under_the_limit(self, term, student, settings):
        settings.BASKET_MAX_ITEMS = 1
        item = _add(student, offering_with(term))
        basket_service.basket_remove(student=student, item_id=item.pk)

        assert _add(student, offering_with(term)).pk

    def test_an_item_is_removed_at_any_time(self, term, student):
        item = _add(student, offering_with(term))

        basket_service.basket_remove(student=student, item_id=item.pk)  # no window: the service takes no instant

        assert not BasketItem.objects.exists()

    def test_it_refuses_an_item_that_does_not_exist(self, student):
        with pytest.raises(NotEligible):
            basket_service.basket_remove(student=student, item_id=987654)


# --- the summary --------------------------------------------------------------------------------------------------


class TestSummary:
    def test_it_shows_clashes_between_items_and_with_registered_courses(self, term, student, registrar):
        morning = offering_with(term, ("mon", "09:00", "10:30"), code="AM1")
        overlapping = offering_with(term, ("mon", "10:00", "11:00"), code="AM2")
        afternoon = offering_with(term, ("mon", "13:00", "14:00"), code="PM1")
        registered = offering_with(term, ("mon", "13:30", "15:00"), code="REG1")
        services.registration_submit(student=student, offering_id=registered.pk, actor=registrar, reason="x", at=IN_OPENING)
        for offering in (morning, overlapping, afternoon):
            _add(student, offering)

        summary = basket_service.basket_summary(student=student, term=term, at=IN_OPENING)

        clashes = {line.item.offering.code: sorted(o.code for o in line.clashes) for line in summary.lines}
        assert clashes == {"AM1": ["AM2"], "AM2": ["AM1"], "PM1": ["REG1"]}
        assert [line.item.offering for line in summary.lines] == [morning, overlapping, afternoon]  # order added
        assert not any(line.registered for line in summary.lines)
        assert summary.window.state == BasketState.OPEN

    def test_it_adds_up_the_credits_against_the_limit(self, term, student, registrar):
        registered = offering_with(term, credits=3)
        services.registration_submit(student=student, offering_id=registered.pk, actor=registrar, reason="x", at=IN_OPENING)
        for credits in (3, 3, 2):
            _add(student, offering_with(term, credits=credits))

        summary = basket_service.basket_summary(student=student, term=term, at=IN_OPENING)

        assert (summary.credits, summary.limit, summary.over_limit) == (11, 12, False)
        _add(student, offering_with(term, credits=2))
        assert basket_service.basket_summary(student=student, term=term, at=IN_OPENING).over_limit

    def test_a_registered_item_counts_once_and_is_marked(self, term, student):
        first, second = offering_with(term, credits=3), offering_with(term, credits=2)
        _add(student, first), _add(student, second)
        services.registration_submit(student=student, offering_id=first.pk, at=IN_REGISTRATION)

        summary = basket_service.basket_summary(student=student, term=term, at=IN_REGISTRATION)

        assert {line.item.offering_id: line.registered for line in summary.lines} == {first.pk: True, second.pk: False}
        assert summary.credits == 5
        assert summary.has_pending
        assert set(summary.items_by_offering) == {first.pk, second.pk}

    def test_it_shows_only_the_students_own_basket_of_that_term(self, term, student):
        _add(student, offering_with(term))
        _add(issued_student(term), offering_with(term))

        assert len(basket_service.basket_summary(student=student, term=term, at=IN_OPENING).lines) == 1
        assert basket_service.basket_summary(student=UserFactory(), term=term, at=IN_OPENING).lines == []

    def test_it_costs_three_queries(self, term, student, django_assert_num_queries):
        for n in range(4):
            _add(student, offering_with(term, ("tue", f"{9 + n:02d}:00", f"{9 + n:02d}:50")))
        basket_service.basket_summary(student=student, term=term, at=IN_OPENING)  # the windows are cached now

        with django_assert_num_queries(3):
            summary = basket_service.basket_summary(student=student, term=term, at=IN_OPENING)
            assert [list(line.item.offering.slots.all()) for line in summary.lines]


# --- register the basket --------------------------------------------------------------------------------------------


class TestRegister:
    def test_each_item_is_its_own_attempt_with_its_own_outcome(self, term, student, registrar):
        ok = offering_with(term, ("mon", "09:00", "10:30"), code="OK1")
        full, _holders = full_offering(term, ("tue", "09:00", "10:30"), code="FULL1")
        clash = offering_with(term, ("mon", "10:00", "11:00"), code="CLASH1")
        already = offering_with(term, ("wed", "09:00", "10:30"), code="ALREADY1")
        big = offering_with(term, ("thu", "09:00", "10:30"), code="BIG1", credits=6)
        for offering in (ok, full, clash, already, big):
            _add(student, offering)
        services.registration_submit(student=student, offering_id=already.pk, at=IN_REGISTRATION)
        services.registration_submit(
            student=student, offering_id=offering_with(term, ("fri", "09:00", "10:30"), credits=3).pk, at=IN_REGISTRATION
        )  # 3 + 3 (ALREADY1) + 3 (OK1) = 9: six more would exceed 12

        attempts = _register_basket(student, term)

        assert [(a.offering.code, a.outcome) for a in attempts] == [
            ("OK1", Outcome.REGISTERED), ("FULL1", Outcome.FULL), ("CLASH1", Outcome.CLASH),
            ("ALREADY1", Outcome.ALREADY), ("BIG1", Outcome.LIMIT),
        ]
        assert [a.ok for a in attempts] == [True, False, False, True, False]
        assert "OK1" in attempts[0].message and "full" in attempts[1].message and "overlaps" in attempts[2].message
        registered = set(CourseRegistration.objects.filter(student=student, status="registered").values_list("offering__code", flat=True))
        assert "OK1" in registered and not {"FULL1", "CLASH1", "BIG1"} & registered
        assert fresh(ok).seats_taken == 1 and fresh(full).seats_taken == 1
        event = RegistrationEvent.objects.get(registration__offering=ok)
        assert (event.actor, event.reason) == (student, "")  # the student's own registration, as a single click
        assert BasketItem.objects.filter(student=student).count() == 5  # items stay; the page shows them registered

    def test_a_free_seat_promised_to_a_waitlist_is_full_for_the_basket(self, term, student):
        offering, (holder,) = full_offering(term)
        join(issued_student(term), offering)
        _add(student, offering)
        services.registration_drop(student=holder.student, registration_id=holder.pk, at=IN_CHANGE)

        (attempt,) = _register_basket(student, term, at=IN_CHANGE)

        assert attempt.outcome == Outcome.FULL
        assert "waitlist" in attempt.message
        assert fresh(offering).seats_taken == 0

    def test_an_item_no_longer_open_is_refused_with_the_reason(self, term, student):
        offering = offering_with(term)
        _add(student, offering)
        CourseOffering.objects.filter(pk=offering.pk).update(open_to_exchange=False)

        (attempt,) = _register_basket(student, term)

        assert attempt.outcome == Outcome.REFUSED and not attempt.ok
        assert "not open" in attempt.message

    def test_a_refusal_does_not_undo_the_registrations_before_it(self, term, student):
        first, second = offering_with(term, capacity=5), full_offering(term)[0]
        _add(student, first), _add(student, second)

        _register_basket(student, term)

        assert CourseRegistration.objects.filter(student=student, offering=first).exists()

    def test_registering_twice_says_already(self, term, student):
        offering = offering_with(term)
        _add(student, offering)
        _register_basket(student, term)

        (attempt,) = _register_basket(student, term, at=IN_REGISTRATION + timedelta(minutes=1))

        assert attempt.outcome == Outcome.ALREADY
        assert CourseRegistration.objects.filter(student=student).count() == 1

    @pytest.mark.parametrize("at", [IN_OPENING, REGISTRATION_START - SECOND, REGISTRATION_END, BETWEEN_WINDOWS, CHANGE_END])
    def test_it_registers_only_in_the_registration_or_change_window(self, term, student, at):
        _add(student, offering_with(term))

        with pytest.raises(WindowClosed) as refused:
            _register_basket(student, term, at=at)

        assert "Registration for 2027 Spring is not open now" in str(refused.value.message)
        assert not CourseRegistration.objects.exists()

    def test_it_registers_in_the_change_window(self, term, student):
        _add(student, offering_with(term))

        (attempt,) = _register_basket(student, term, at=CHANGE_START)

        assert attempt.outcome == Outcome.REGISTERED

    def test_it_refuses_an_empty_basket(self, term, student):
        with pytest.raises(NotEligible):
            _register_basket(student, term)

    def test_a_student_who_lost_the_id_gets_refused_per_item(self, term, student):
        _add(student, offering_with(term))
        from creditexchange.models import TemporaryIdApplication

        TemporaryIdApplication.objects.filter(temporary_id__user=student).update(status=TemporaryIdApplication.Status.APPROVED)

        (attempt,) = _register_basket(student, term)

        assert attempt.outcome == Outcome.REFUSED
        assert not CourseRegistration.objects.exists()
