"""Course registration services (SPEC §3.2): windows, eligibility, plan checks, seats and the audit trail."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from academics.models import TermWindow
from core.errors import CourseFull, DomainError, InvalidTransition, NotEligible, WindowClosed
from creditexchange import services
from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent, TemporaryIdApplication

from ..factories import (
    ApplicationFactory,
    CourseOfferingFactory,
    CourseRegistrationFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    UserFactory,
    issued_student,
)

Status = CourseRegistration.Status
SEOUL = ZoneInfo("Asia/Seoul")
SECOND = timedelta(seconds=1)
# Half-open windows [start, end), all in Asia/Seoul (09:00 KST is midnight UTC).
REGISTRATION_START = datetime(2027, 2, 15, 9, 0, tzinfo=SEOUL)
REGISTRATION_END = datetime(2027, 2, 19, 18, 0, tzinfo=SEOUL)
CHANGE_START = datetime(2027, 3, 2, 9, 0, tzinfo=SEOUL)
CHANGE_END = datetime(2027, 3, 8, 18, 0, tzinfo=SEOUL)
IN_REGISTRATION = REGISTRATION_START + timedelta(days=1)
IN_CHANGE = CHANGE_START + timedelta(days=1)
BETWEEN_WINDOWS = REGISTRATION_END + timedelta(days=3)
LONG_AFTER = CHANGE_END + timedelta(days=60)


@pytest.fixture
def term(db):
    term = TermFactory(year=2027, season="spring", credit_limit=12)
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=REGISTRATION_START, ends_at=REGISTRATION_END)
    TermWindowFactory(term=term, kind=TermWindow.Kind.CHANGE, starts_at=CHANGE_START, ends_at=CHANGE_END)
    return term


@pytest.fixture
def student(term):
    return issued_student(term)


@pytest.fixture
def offering(term):
    return _offering(term, ("mon", "09:00", "10:30"), code="CSE101")


def _offering(term, *slots, **fields) -> CourseOffering:
    """An offering with time slots given as ("mon", "09:00", "10:30")."""
    offering = CourseOfferingFactory(term=term, **fields)
    days = ["mon", "tue", "wed", "thu", "fri", "sat"]
    for day, start, end in slots:
        TimeSlotFactory(
            offering=offering, weekday=days.index(day),
            starts_at=time.fromisoformat(start), ends_at=time.fromisoformat(end),
        )
    return offering


def _register(student, offering, at=IN_REGISTRATION, **kwargs) -> CourseRegistration:
    return services.registration_submit(student=student, offering_id=offering.pk, at=at, **kwargs)


def _seats(offering) -> int:
    offering.refresh_from_db()
    return offering.seats_taken


class TestWindows:
    def test_it_registers_inside_the_registration_window(self, student, offering, term):
        registration = _register(student, offering, at=IN_REGISTRATION)

        registration.refresh_from_db()
        assert (registration.student, registration.offering, registration.term) == (student, offering, term)
        assert registration.status == Status.REGISTERED
        assert _seats(offering) == 1
        event = registration.events.get()
        assert (event.from_status, event.to_status, event.actor, event.reason) == ("", Status.REGISTERED, student, "")

    def test_it_adds_a_course_inside_the_change_window(self, student, offering):
        registration = _register(student, offering, at=IN_CHANGE)

        assert CourseRegistration.objects.get(pk=registration.pk).status == Status.REGISTERED
        assert _seats(offering) == 1
        assert registration.events.get().actor == student

    def test_it_drops_inside_the_change_window(self, student, offering):
        registration = _register(student, offering)

        services.registration_drop(student=student, registration_id=registration.pk, at=IN_CHANGE)

        registration.refresh_from_db()
        assert registration.status == Status.DROPPED
        assert registration.dropped_at == IN_CHANGE
        assert _seats(offering) == 0
        drop = registration.events.last()
        assert (drop.from_status, drop.to_status, drop.actor, drop.reason) == (Status.REGISTERED, Status.DROPPED, student, "")

    def test_it_refuses_a_drop_in_the_registration_window(self, student, offering):
        registration = _register(student, offering)

        with pytest.raises(WindowClosed):
            services.registration_drop(student=student, registration_id=registration.pk, at=IN_REGISTRATION + timedelta(hours=1))

        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED and registration.dropped_at is None
        assert _seats(offering) == 1
        assert registration.events.count() == 1

    @pytest.mark.parametrize(
        ("at", "allowed"),
        [
            pytest.param(REGISTRATION_START - SECOND, False, id="1s-before-registration-opens"),
            pytest.param(REGISTRATION_START, True, id="registration-opens"),
            pytest.param(REGISTRATION_START + SECOND, True, id="1s-after-registration-opens"),
            pytest.param(REGISTRATION_END - SECOND, True, id="1s-before-registration-closes"),
            pytest.param(REGISTRATION_END, False, id="registration-closes"),
            pytest.param(REGISTRATION_END + SECOND, False, id="1s-after-registration-closes"),
            pytest.param(BETWEEN_WINDOWS, False, id="between-windows"),
            pytest.param(CHANGE_START - SECOND, False, id="1s-before-change-opens"),
            pytest.param(CHANGE_START, True, id="change-opens"),
            pytest.param(CHANGE_START + SECOND, True, id="1s-after-change-opens"),
            pytest.param(CHANGE_END - SECOND, True, id="1s-before-change-closes"),
            pytest.param(CHANGE_END, False, id="change-closes"),
            pytest.param(CHANGE_END + SECOND, False, id="1s-after-change-closes"),
        ],
    )
    def test_it_registers_only_inside_a_window(self, student, offering, at, allowed):
        if allowed:
            _register(student, offering, at=at)
        else:
            with pytest.raises(WindowClosed):
                _register(student, offering, at=at)

        assert CourseRegistration.objects.filter(student=student, status=Status.REGISTERED).count() == int(allowed)
        assert _seats(offering) == int(allowed)
        assert RegistrationEvent.objects.count() == int(allowed)

    @pytest.mark.parametrize(
        ("at", "allowed"),
        [
            pytest.param(REGISTRATION_START + SECOND, False, id="1s-after-registration-opens"),
            pytest.param(REGISTRATION_END - SECOND, False, id="1s-before-registration-closes"),
            pytest.param(BETWEEN_WINDOWS, False, id="between-windows"),
            pytest.param(CHANGE_START - SECOND, False, id="1s-before-change-opens"),
            pytest.param(CHANGE_START, True, id="change-opens"),
            pytest.param(CHANGE_START + SECOND, True, id="1s-after-change-opens"),
            pytest.param(CHANGE_END - SECOND, True, id="1s-before-change-closes"),
            pytest.param(CHANGE_END, False, id="change-closes"),
            pytest.param(CHANGE_END + SECOND, False, id="1s-after-change-closes"),
        ],
    )
    def test_it_drops_only_inside_the_change_window(self, student, offering, at, allowed):
        registration = _register(student, offering)

        if allowed:
            services.registration_drop(student=student, registration_id=registration.pk, at=at)
        else:
            with pytest.raises(WindowClosed):
                services.registration_drop(student=student, registration_id=registration.pk, at=at)

        registration.refresh_from_db()
        assert registration.status == (Status.DROPPED if allowed else Status.REGISTERED)
        assert _seats(offering) == (0 if allowed else 1)
        assert registration.events.count() == (2 if allowed else 1)

    def test_it_names_the_window_dates_in_seoul_time_when_closed(self, student, offering):
        with pytest.raises(WindowClosed) as closed:
            _register(student, offering, at=REGISTRATION_START - SECOND)

        message = str(closed.value.message)
        # 09:00 and 18:00 in Seoul; in UTC these would read 00:00 and 09:00
        assert "2027-02-15 09:00 – 2027-02-19 18:00" in message
        assert "2027-03-02 09:00 – 2027-03-08 18:00" in message
        assert "Asia/Seoul" in message

    def test_it_names_the_change_window_dates_when_a_drop_is_refused(self, student, offering):
        registration = _register(student, offering)

        with pytest.raises(WindowClosed) as closed:
            services.registration_drop(student=student, registration_id=registration.pk, at=CHANGE_END)

        assert "2027-03-02 09:00 – 2027-03-08 18:00" in str(closed.value.message)

    def test_it_says_no_window_is_scheduled_for_a_term_without_windows(self, db):
        bare_term = TermFactory(year=2028, season="fall")
        student = issued_student(bare_term)
        offering = _offering(bare_term)

        with pytest.raises(WindowClosed, match="not scheduled yet"):
            _register(student, offering, at=IN_REGISTRATION)
        assert not CourseRegistration.objects.exists()


class TestEligibility:
    def test_it_refuses_a_student_without_a_temporary_id(self, term, offering):
        with pytest.raises(NotEligible, match="temporary student ID issued for 2027 Spring"):
            _register(UserFactory(), offering)

        assert not CourseRegistration.objects.exists()
        assert _seats(offering) == 0

    def test_it_refuses_a_student_whose_id_was_issued_for_another_term(self, term, offering):
        other_term = TermFactory(year=2026, season="fall")
        student = issued_student(other_term)

        with pytest.raises(NotEligible):
            _register(student, offering)

        assert not CourseRegistration.objects.exists()
        assert _seats(offering) == 0

    def test_it_refuses_a_returning_student_whose_application_for_this_term_is_not_issued_yet(self, term, offering):
        student = issued_student(TermFactory(year=2026, season="fall"))
        identity = student.temporary_id
        ApplicationFactory(
            term=term, partner=identity.partner, home_student_number=identity.home_student_number,
            status=TemporaryIdApplication.Status.APPROVED,
        )

        with pytest.raises(NotEligible):
            _register(student, offering)
        assert not CourseRegistration.objects.exists()

    def test_it_refuses_an_unpublished_offering(self, student, term):
        draft = _offering(term, published_at=None)

        with pytest.raises(NotEligible, match="not open for registration"):
            _register(student, draft)
        assert _seats(draft) == 0 and not CourseRegistration.objects.exists()

    def test_it_refuses_an_offering_closed_to_exchange_students(self, student, term):
        closed = _offering(term, open_to_exchange=False)

        with pytest.raises(NotEligible, match="not open for registration"):
            _register(student, closed)
        assert _seats(closed) == 0 and not CourseRegistration.objects.exists()

    def test_it_refuses_an_unknown_offering(self, student):
        with pytest.raises(NotEligible):
            services.registration_submit(student=student, offering_id=999_999, at=IN_REGISTRATION)


class TestPlan:
    def test_it_refuses_a_duplicate_registration(self, student, offering):
        _register(student, offering)

        with pytest.raises(NotEligible, match="already registered"):
            _register(student, offering)

        assert CourseRegistration.objects.filter(student=student).count() == 1
        assert _seats(offering) == 1
        assert RegistrationEvent.objects.count() == 1

    def test_it_refuses_an_overlapping_time_slot_on_the_same_weekday(self, student, term, offering):
        clash = _offering(term, ("wed", "13:00", "14:00"), ("mon", "10:00", "11:30"), code="MAT201")
        _register(student, offering)

        with pytest.raises(NotEligible, match="overlaps") as refused:
            _register(student, clash)

        assert "CSE101" in str(refused.value.message)
        assert not CourseRegistration.objects.filter(offering=clash).exists()
        assert _seats(clash) == 0

    def test_it_refuses_a_slot_inside_another(self, student, term, offering):
        inside = _offering(term, ("mon", "09:30", "10:00"), code="MAT202")
        _register(student, offering)

        with pytest.raises(NotEligible, match="overlaps"):
            _register(student, inside)

    def test_it_allows_adjacent_slots(self, student, term, offering):
        adjacent = _offering(term, ("mon", "10:30", "12:00"), code="MAT203")
        _register(student, offering)

        _register(student, adjacent)

        assert CourseRegistration.objects.filter(student=student, status=Status.REGISTERED).count() == 2

    def test_it_allows_the_same_hours_on_another_weekday(self, student, term, offering):
        tuesday = _offering(term, ("tue", "09:00", "10:30"), code="MAT204")
        _register(student, offering)

        _register(student, tuesday)

        assert _seats(tuesday) == 1

    def test_it_ignores_a_dropped_course_when_checking_overlaps(self, student, term, offering):
        clash = _offering(term, ("mon", "09:00", "10:30"), code="MAT205")
        registration = _register(student, offering)
        services.registration_drop(student=student, registration_id=registration.pk, at=IN_CHANGE)

        _register(student, clash, at=IN_CHANGE)

        assert _seats(clash) == 1

    def test_it_allows_exactly_the_credit_limit(self, student, term):
        for credits in (3, 3, 3):
            _register(student, _offering(term, credits=credits))

        _register(student, _offering(term, credits=3, code="LAST12"))

        assert sum(CourseRegistration.objects.filter(student=student).values_list("offering__credits", flat=True)) == 12

    def test_it_refuses_going_over_the_credit_limit(self, student, term):
        for credits in (3, 3, 3, 3):
            _register(student, _offering(term, credits=credits))
        one_more = _offering(term, credits=1, code="ONE001")

        with pytest.raises(NotEligible) as refused:
            _register(student, one_more)

        message = str(refused.value.message)
        assert "13 credits" in message and "is 12" in message
        assert CourseRegistration.objects.filter(student=student).count() == 4
        assert _seats(one_more) == 0

    def test_it_follows_the_term_credit_limit(self, student, term):
        term.credit_limit = 6
        term.save()
        _register(student, _offering(term, credits=3))
        _register(student, _offering(term, credits=3))

        with pytest.raises(NotEligible):
            _register(student, _offering(term, credits=1))

    def test_it_counts_only_this_terms_registrations_against_the_limit(self, student, term):
        other_term = TermFactory(year=2026, season="fall")
        other = _offering(other_term, credits=6)
        CourseRegistrationFactory(student=student, offering=other)
        CourseRegistrationFactory(student=student, offering=_offering(other_term, credits=6))

        _register(student, _offering(term, credits=6))
        _register(student, _offering(term, credits=6))

        assert CourseRegistration.objects.filter(student=student, term=term).count() == 2


class TestSeats:
    def test_it_refuses_a_full_offering(self, term):
        offering = _offering(term, capacity=2)
        first, second, third = (issued_student(term) for _ in range(3))
        _register(first, offering)
        _register(second, offering)

        with pytest.raises(CourseFull, match="is full"):
            _register(third, offering)

        assert _seats(offering) == 2
        assert CourseRegistration.objects.filter(offering=offering).count() == 2
        assert not CourseRegistration.objects.filter(student=third).exists()

    def test_the_guarded_update_refuses_when_the_last_seat_went_after_the_read(self, term, monkeypatch):
        """The in-memory fast path can be stale; the conditional UPDATE must still refuse."""
        offering = _offering(term, capacity=1)
        _register(issued_student(term), offering)
        late = issued_student(term)
        monkeypatch.setattr(CourseOffering, "has_capacity", property(lambda self: True))

        with pytest.raises(CourseFull):
            _register(late, offering)

        assert _seats(offering) == 1
        assert not CourseRegistration.objects.filter(student=late).exists()
        assert RegistrationEvent.objects.count() == 1

    def test_dropping_frees_the_seat_for_someone_else(self, term):
        offering = _offering(term, capacity=1)
        holder, waiting = issued_student(term), issued_student(term)
        registration = _register(holder, offering)
        with pytest.raises(CourseFull):
            _register(waiting, offering, at=IN_CHANGE)

        services.registration_drop(student=holder, registration_id=registration.pk, at=IN_CHANGE)
        assert _seats(offering) == 0
        _register(waiting, offering, at=IN_CHANGE)

        assert _seats(offering) == 1
        assert CourseRegistration.objects.get(offering=offering, status=Status.REGISTERED).student == waiting

    def test_a_student_can_register_again_after_dropping(self, student, offering):
        first = _register(student, offering)
        services.registration_drop(student=student, registration_id=first.pk, at=IN_CHANGE)

        again = _register(student, offering, at=IN_CHANGE)

        assert again.pk != first.pk
        assert _seats(offering) == 1
        assert dict(CourseRegistration.objects.values_list("pk", "status")) == {
            first.pk: Status.DROPPED, again.pk: Status.REGISTERED,
        }
        assert list(RegistrationEvent.objects.values_list("registration_id", "to_status")) == [
            (first.pk, Status.REGISTERED), (first.pk, Status.DROPPED), (again.pk, Status.REGISTERED),
        ]

    def test_it_refuses_to_drop_twice_and_keeps_the_seat_count(self, term):
        offering = _offering(term, capacity=5)
        student, other = issued_student(term), issued_student(term)
        registration = _register(student, offering)
        _register(other, offering)
        services.registration_drop(student=student, registration_id=registration.pk, at=IN_CHANGE)

        with pytest.raises(InvalidTransition, match="already dropped"):
            services.registration_drop(student=student, registration_id=registration.pk, at=IN_CHANGE)

        assert _seats(offering) == 1
        assert registration.events.count() == 2


class TestStaffActingForAStudent:
    def test_it_requires_a_reason_to_register_for_a_student(self, registrar, student, offering):
        for reason in ("", "   "):
            with pytest.raises(DomainError, match="Give a reason"):
                _register(student, offering, actor=registrar, reason=reason)

        assert not CourseRegistration.objects.exists()
        assert _seats(offering) == 0

    def test_it_lets_staff_register_outside_the_windows_and_records_who_and_why(self, registrar, student, offering):
        registration = _register(student, offering, at=LONG_AFTER, actor=registrar, reason="  Late approval by the dean  ")

        assert registration.student == student
        assert _seats(offering) == 1
        event = registration.events.get()
        assert (event.actor, event.reason, event.to_status) == (registrar, "Late approval by the dean", Status.REGISTERED)

    def test_staff_are_still_bound_by_capacity_and_eligibility(self, registrar, term):
        offering = _offering(term, capacity=1)
        _register(issued_student(term), offering)

        with pytest.raises(CourseFull):
            _register(issued_student(term), offering, at=LONG_AFTER, actor=registrar, reason="exception")
        with pytest.raises(NotEligible):
            _register(UserFactory(), _offering(term), at=LONG_AFTER, actor=registrar, reason="exception")
        assert CourseRegistration.objects.count() == 1

    def test_it_requires_a_reason_to_drop_for_a_student(self, registrar, student, offering):
        registration = _register(student, offering)

        with pytest.raises(DomainError, match="Give a reason"):
            services.registration_drop(student=student, registration_id=registration.pk, actor=registrar, at=IN_CHANGE)

        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED
        assert _seats(offering) == 1

    def test_it_lets_staff_drop_outside_the_windows_and_records_who_and_why(self, registrar, student, offering):
        registration = _register(student, offering)

        services.registration_drop(
            student=student, registration_id=registration.pk, actor=registrar, reason="Withdrew from exchange",
            at=LONG_AFTER,
        )

        registration.refresh_from_db()
        assert registration.status == Status.DROPPED
        assert _seats(offering) == 0
        drop = registration.events.last()
        assert (drop.from_status, drop.to_status, drop.actor, drop.reason) == (
            Status.REGISTERED, Status.DROPPED, registrar, "Withdrew from exchange",
        )


class TestOwnership:
    def test_a_student_cannot_drop_someone_elses_registration(self, term, offering):
        owner, intruder = issued_student(term), issued_student(term)
        registration = _register(owner, offering)

        with pytest.raises(NotEligible, match="does not exist"):
            services.registration_drop(student=intruder, registration_id=registration.pk, at=IN_CHANGE)

        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED
        assert _seats(offering) == 1
        assert registration.events.count() == 1


class TestCachedWindowsAndEligibility:
    """Windows and a yes to "may register" are cached for the rush; edits and outages must not mislead."""

    def test_a_window_moved_in_the_admin_applies_to_the_next_click(self, student, offering, term):
        _register(student, offering)  # the term's windows are in the cache now
        window = term.windows.get(kind=TermWindow.Kind.REGISTRATION)
        window.ends_at = IN_REGISTRATION - SECOND
        window.save()
        other = _offering(term, ("tue", "09:00", "10:30"), code="CSE102")

        with pytest.raises(WindowClosed):
            _register(student, other)

    def test_a_bulk_update_of_windows_applies_to_the_next_click(self, student, offering, term):
        _register(student, offering)
        TermWindow.objects.filter(term=term).update(starts_at=LONG_AFTER, ends_at=LONG_AFTER + timedelta(days=1))
        other = _offering(term, ("tue", "09:00", "10:30"), code="CSE102")

        with pytest.raises(WindowClosed):
            _register(student, other)

    def test_a_deleted_window_closes_registration_at_once(self, student, offering, term):
        _register(student, offering)
        term.windows.filter(kind=TermWindow.Kind.REGISTRATION).delete()
        other = _offering(term, ("tue", "09:00", "10:30"), code="CSE102")

        with pytest.raises(WindowClosed):
            _register(student, other)

    def test_a_student_refused_before_issuance_can_register_right_after_it(self, term, offering):
        returning = issued_student(TermFactory(year=2026, season="fall"))
        application = ApplicationFactory(
            term=term, partner=returning.temporary_id.partner,
            home_student_number=returning.temporary_id.home_student_number,
            status=TemporaryIdApplication.Status.APPROVED,
        )
        with pytest.raises(NotEligible):
            _register(returning, offering)

        application.status, application.temporary_id = TemporaryIdApplication.Status.ISSUED, returning.temporary_id
        application.save()

        assert _register(returning, offering).status == Status.REGISTERED

    def test_registration_works_without_a_reachable_cache(self, student, offering):
        unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
        late = _offering(offering.term, ("fri", "09:00", "10:30"), code="LATE1")

        with override_settings(CACHES=unreachable):
            registration = _register(student, offering)
            with pytest.raises(WindowClosed):
                _register(student, late, at=LONG_AFTER)

        assert registration.status == Status.REGISTERED
        assert _seats(offering) == 1
