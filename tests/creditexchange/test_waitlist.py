"""The waitlist of a full offering (issue 14, creditexchange/services/waitlist.py): join, positions, leave, decline,
claim, staff removal, releases in auto and offer mode, the release schedule, mails and the audit trail.

Every test ends with the invariants of ``assert_waitlists_consistent`` (``waiting`` equals the active entries,
``seats_taken`` the registrations plus held offers, positions 1..n, sequences never doubled or skipped).
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from academics.models import Term, TermWindow
from core.errors import CourseFull, DomainError, InvalidTransition, NotEligible, WindowClosed
from core.models import OutgoingMail
from creditexchange import services
from creditexchange.models import (
    CourseRegistration,
    RegistrationEvent,
    TemporaryIdApplication,
    WaitlistEntry,
    WaitlistEvent,
    WaitlistRelease,
)
from creditexchange.services import waitlist as waitlist_service
from creditexchange.tasks import release_waitlists_task

from ..factories import TermFactory, UserFactory, issued_student
from .waitlist_helpers import (
    BETWEEN_WINDOWS,
    CHANGE_END,
    CHANGE_START,
    IN_CHANGE,
    IN_OPENING,
    IN_REGISTRATION,
    REGISTRATION_END,
    REGISTRATION_START,
    SECOND,
    SEOUL,
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

Mode = Term.WaitlistMode


@pytest.fixture(autouse=True)
def _invariants(db):
    yield
    assert_waitlists_consistent()


@pytest.fixture
def term(db):
    return build_term()


@pytest.fixture
def offer_term(db):
    return build_term(mode=Mode.OFFER)


@pytest.fixture
def full(term):
    """CSE-full (Mon 09:00–10:30, one seat) and the registration holding that seat."""
    offering, (holder,) = full_offering(
        term, ("mon", "09:00", "10:30"), code="FULL101", title_ko="만석 강좌", title_en="Full course"
    )
    return offering, holder


def _students(term, n, **fields):
    return [issued_student(term, **fields) for _ in range(n)]


def _release(term, scheduled_for, at=None):
    return waitlist_service.waitlist_release(term=term, scheduled_for=scheduled_for, at=at or scheduled_for + SECOND)


def _events(entry):
    return list(WaitlistEvent.objects.filter(entry=entry).order_by("pk"))


def _in_language(language: str, message: str, **params) -> str:
    with translation.override(language):
        return translation.gettext(message) % {k: str(v) for k, v in params.items()}


def _in_portal_language(message: str, **params) -> str:
    """``message`` as the portal writes it in the audit trail: in ``settings.LANGUAGE_CODE``."""
    return _in_language(settings.LANGUAGE_CODE, message, **params)


def _positions(offering):
    entries = WaitlistEntry.objects.filter(offering=offering, status__in=(Status.WAITING, Status.OFFERED))
    return {e.student_id: waitlist_service.waitlist_position(entry=e) for e in entries}


# --- join ---------------------------------------------------------------------------------------------------------


class TestJoin:
    def test_it_puts_a_student_on_the_waitlist_of_a_full_offering(self, term, full):
        offering, _holder = full
        student = issued_student(term)

        entry = join(student, offering)

        entry.refresh_from_db()
        assert (entry.student, entry.offering, entry.term, entry.status) == (student, offering, term, Status.WAITING)
        assert entry.sequence == 1
        assert waitlist_service.waitlist_position(entry=entry) == 1
        assert fresh(offering).waiting == 1
        (event,) = _events(entry)
        assert (event.from_status, event.to_status, event.actor, event.position, event.release) == (
            "", Status.WAITING, student, 1, None,
        )

    def test_it_refuses_to_put_a_student_on_the_waitlist_of_an_offering_with_an_open_seat(self, term):
        offering = offering_with(term, capacity=2)
        services.registration_submit(student=issued_student(term), offering_id=offering.pk, at=IN_REGISTRATION)

        with pytest.raises(NotEligible) as refused:
            join(issued_student(term), offering)

        assert refused.value.code == "free"
        assert "register for it instead" in str(refused.value.message)
        assert not WaitlistEntry.objects.exists()
        assert fresh(offering).waiting == 0

    def test_free_seats_promised_to_the_waitlist_are_no_open_seat(self, term, full):
        """A drop while students wait: the seat is theirs at the next release, so newcomers join the queue."""
        offering, holder = full
        first = join(issued_student(term), offering)
        drop(holder)
        newcomer = issued_student(term)

        with pytest.raises(CourseFull) as refused:
            services.registration_submit(student=newcomer, offering_id=offering.pk, at=IN_CHANGE)
        second = join(newcomer, offering, at=IN_CHANGE)

        assert "has a waitlist" in str(refused.value.message)
        assert (first.sequence, second.sequence) == (1, 2)
        assert fresh(offering).seats_taken == 0
        assert fresh(offering).waiting == 2

    def test_it_refuses_a_second_place_on_the_same_waitlist(self, term, full):
        offering, _holder = full
        student = issued_student(term)
        join(student, offering)

        with pytest.raises(NotEligible) as refused:
            join(student, offering)

        assert refused.value.code == "duplicate"
        assert WaitlistEntry.objects.filter(student=student).count() == 1
        assert fresh(offering).waiting == 1

    @override_settings(WAITLIST_MAX_PER_STUDENT=2)
    def test_it_refuses_a_waitlist_beyond_the_most_a_student_may_be_on(self, term):
        offerings = [full_offering(term)[0] for _ in range(3)]
        student = issued_student(term)
        join(student, offerings[0])
        join(student, offerings[1])

        with pytest.raises(NotEligible) as refused:
            join(student, offerings[2])

        assert refused.value.code == "limit"
        assert "2 waitlists" in str(refused.value.message)
        assert not WaitlistEntry.objects.filter(offering=offerings[2]).exists()

    @override_settings(WAITLIST_MAX_PER_STUDENT=2)
    def test_leaving_one_waitlist_makes_room_for_another(self, term):
        offerings = [full_offering(term)[0] for _ in range(3)]
        student = issued_student(term)
        first = join(student, offerings[0])
        join(student, offerings[1])

        waitlist_service.waitlist_leave(student=student, entry_id=first.pk)
        third = join(student, offerings[2])

        assert third.status == Status.WAITING

    @override_settings(WAITLIST_MAX_PER_STUDENT=1)
    def test_the_limit_counts_the_waitlists_of_the_same_term_only(self, term):
        other_term = build_term(year=2027, season="fall", windows={
            TermWindow.Kind.REGISTRATION: (REGISTRATION_START, REGISTRATION_END),
        })
        student = issued_student(term)
        identity = student.temporary_id
        from ..factories import ApplicationFactory

        ApplicationFactory(
            term=other_term, partner=identity.partner, home_student_number=identity.home_student_number,
            status=TemporaryIdApplication.Status.ISSUED, temporary_id=identity,
        )
        join(student, full_offering(term)[0])

        entry = join(student, full_offering(other_term)[0])

        assert entry.term == other_term

    def test_it_refuses_a_student_already_registered_for_the_offering(self, term, full):
        offering, holder = full

        with pytest.raises(NotEligible) as refused:
            join(holder.student, offering)

        assert refused.value.code == "duplicate"
        assert "already registered" in str(refused.value.message)
        assert not WaitlistEntry.objects.exists()

    def test_it_refuses_a_student_without_an_id_issued_for_the_term(self, term, full):
        offering, _holder = full
        other_term = TermFactory(year=2026, season="fall")
        for student in (UserFactory(), issued_student(other_term)):
            with pytest.raises(NotEligible) as refused:
                join(student, offering)
            assert "temporary student ID issued for 2027 Spring" in str(refused.value.message)
        assert not WaitlistEntry.objects.exists()
        assert fresh(offering).waiting == 0

    @pytest.mark.parametrize("change", [{"published_at": None}, {"open_to_exchange": False}])
    def test_it_refuses_an_offering_not_open_to_exchange_students(self, term, full, change):
        offering, _holder = full
        type(offering).objects.filter(pk=offering.pk).update(**change)

        with pytest.raises(NotEligible):
            join(issued_student(term), offering)

        assert not WaitlistEntry.objects.exists()

    def test_it_refuses_an_offering_that_does_not_exist(self, term):
        with pytest.raises(NotEligible):
            waitlist_service.waitlist_join(student=issued_student(term), offering_id=987654, at=IN_REGISTRATION)

    @pytest.mark.parametrize(
        ("at", "allowed"),
        [
            (IN_OPENING, False),
            (REGISTRATION_START - SECOND, False),
            (REGISTRATION_START, True),
            (REGISTRATION_END - SECOND, True),
            (REGISTRATION_END, False),
            (BETWEEN_WINDOWS, False),
            (CHANGE_START, True),
            (CHANGE_END - SECOND, True),
            (CHANGE_END, False),
        ],
    )
    def test_it_joins_only_in_the_registration_or_change_window(self, term, full, at, allowed):
        offering, _holder = full
        student = issued_student(term)
        if allowed:
            assert join(student, offering, at=at).status == Status.WAITING
        else:
            with pytest.raises(WindowClosed) as refused:
                join(student, offering, at=at)
            assert "2027-02-15 09:00" in str(refused.value.message)  # names the windows (Asia/Seoul)
            assert not WaitlistEntry.objects.exists()


# --- positions and sequences --------------------------------------------------------------------------------------


class TestPositions:
    def test_sequences_follow_the_joining_order_and_are_never_reused(self, term, full):
        offering, _holder = full
        a, b, c = _students(term, 3)
        first, second, third = join(a, offering), join(b, offering), join(c, offering)

        waitlist_service.waitlist_leave(student=b, entry_id=second.pk)
        again = join(b, offering)

        assert [first.sequence, second.sequence, third.sequence, again.sequence] == [1, 2, 3, 4]
        assert _positions(offering) == {a.pk: 1, c.pk: 2, b.pk: 3}
        assert waitlist_service.waitlist_position(entry=fresh(second)) is None  # left: no position

    def test_the_join_event_records_the_position_taken(self, term, full):
        offering, _holder = full
        a, b, c = _students(term, 3)
        join(a, offering)
        left = join(b, offering)
        waitlist_service.waitlist_leave(student=b, entry_id=left.pk)

        entry = join(c, offering)

        assert _events(entry)[0].position == 2

    def test_a_student_holding_an_offer_counts_before_every_waiting_student(self, offer_term):
        """``_position``: an offered entry counts before every waiting one, also one the release passed over."""
        offering, (holder,) = full_offering(offer_term, ("mon", "09:00", "10:30"))
        clashing, second = _students(offer_term, 2)
        join(clashing, offering)
        join(second, offering)
        services.registration_submit(
            student=clashing, offering_id=offering_with(offer_term, ("mon", "10:00", "11:00")).pk, at=IN_REGISTRATION
        )
        drop(holder)

        _release(offer_term, seoul(3, 2, 17))

        assert fresh(WaitlistEntry.objects.get(student=second)).status == Status.OFFERED
        assert _positions(offering) == {second.pk: 1, clashing.pk: 2}


# --- leave, decline, remove ---------------------------------------------------------------------------------------


class TestLeave:
    def test_a_student_leaves_a_waitlist(self, term, full):
        offering, _holder = full
        a, b = _students(term, 2)
        first, second = join(a, offering), join(b, offering)

        left = waitlist_service.waitlist_leave(student=a, entry_id=first.pk)

        first.refresh_from_db()
        assert left.status == first.status == Status.LEFT
        assert first.resolved_at is not None
        assert fresh(offering).waiting == 1
        assert waitlist_service.waitlist_position(entry=fresh(second)) == 1
        event = _events(first)[-1]
        assert (event.from_status, event.to_status, event.actor, event.position, event.release) == (
            Status.WAITING, Status.LEFT, a, 1, None,
        )

    def test_it_refuses_to_leave_twice(self, term, full):
        offering, _holder = full
        student = issued_student(term)
        entry = join(student, offering)
        waitlist_service.waitlist_leave(student=student, entry_id=entry.pk)

        with pytest.raises(InvalidTransition):
            waitlist_service.waitlist_leave(student=student, entry_id=entry.pk)

        assert len(_events(entry)) == 2
        assert fresh(offering).waiting == 0

    def test_declining_an_offer_gives_the_seat_back_to_the_waitlist(self, offer_term):
        offering, (holder,) = full_offering(offer_term)
        a, b = _students(offer_term, 2)
        offered, waiting = join(a, offering), join(b, offering)
        drop(holder)
        _release(offer_term, seoul(3, 2, 17))
        assert fresh(offered).status == Status.OFFERED

        declined = waitlist_service.waitlist_leave(student=a, entry_id=offered.pk)

        assert declined.status == fresh(offered).status == Status.DECLINED
        offering.refresh_from_db()
        assert (offering.seats_taken, offering.waiting) == (0, 1)
        event = _events(offered)[-1]
        assert (event.from_status, event.to_status, event.actor, event.position) == (Status.OFFERED, Status.DECLINED, a, 1)
        # The freed seat is the waitlist's, not the fastest refresher's: it goes to b at the next release.
        with pytest.raises(CourseFull):
            services.registration_submit(student=issued_student(offer_term), offering_id=offering.pk, at=IN_CHANGE)
        _release(offer_term, seoul(3, 3, 10))
        assert fresh(waiting).status == Status.OFFERED

    def test_staff_remove_a_student_with_a_reason(self, term, full, registrar):
        offering, _holder = full
        student = issued_student(term)
        entry = join(student, offering)

        removed = waitlist_service.waitlist_remove(entry_id=entry.pk, actor=registrar, reason="  joined by mistake ")

        assert removed.status == fresh(entry).status == Status.REMOVED
        event = _events(entry)[-1]
        assert (event.from_status, event.to_status, event.actor, event.reason, event.position) == (
            Status.WAITING, Status.REMOVED, registrar, "joined by mistake", 1,
        )
        assert join(student, offering, at=IN_CHANGE).sequence == 2  # may join again, at the end

    def test_staff_give_a_reason_to_remove_a_student(self, term, full, registrar):
        offering, _holder = full
        entry = join(issued_student(term), offering)

        with pytest.raises(DomainError):
            waitlist_service.waitlist_remove(entry_id=entry.pk, actor=registrar, reason="   ")

        assert fresh(entry).status == Status.WAITING
        assert len(_events(entry)) == 1

    def test_removing_a_student_holding_an_offer_frees_the_seat(self, offer_term, registrar):
        offering, (holder,) = full_offering(offer_term)
        student = issued_student(offer_term)
        entry = join(student, offering)
        drop(holder)
        _release(offer_term, seoul(3, 2, 17))

        waitlist_service.waitlist_remove(entry_id=entry.pk, actor=registrar, reason="left the programme")

        assert fresh(entry).status == Status.REMOVED
        offering.refresh_from_db()
        assert (offering.seats_taken, offering.waiting) == (0, 0)


# --- claim --------------------------------------------------------------------------------------------------------


@pytest.fixture
def offered(offer_term):
    """Student a holds an offer of OFFER101's seat from the release of 2 March 17:00 (claim until 3 March 10:00);
    b waits behind."""
    offering, (holder,) = full_offering(offer_term, ("mon", "09:00", "10:30"), code="OFFER101")
    a, b = _students(offer_term, 2)
    entry, behind = join(a, offering), join(b, offering)
    drop(holder)
    _release(offer_term, seoul(3, 2, 17))
    return fresh(entry), behind


class TestClaim:
    def test_a_student_claims_the_seat_offered_to_them(self, offered):
        entry, _behind = offered
        at = entry.claim_until - SECOND

        registration = waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=at)

        registration.refresh_from_db()
        assert (registration.student, registration.offering, registration.status) == (
            entry.student, entry.offering, CourseRegistration.Status.REGISTERED,
        )
        entry.refresh_from_db()
        assert (entry.status, entry.resolved_at, entry.registration) == (Status.REGISTERED, at, registration)
        offering = fresh(entry.offering)
        assert (offering.seats_taken, offering.waiting) == (1, 1)
        (registered,) = RegistrationEvent.objects.filter(registration=registration)
        assert (registered.actor, registered.reason) == (entry.student, "대기자 명단에서 제안받은 자리를 수락함.")  # the portal's language
        event = _events(entry)[-1]
        assert (event.from_status, event.to_status, event.actor, event.position) == (
            Status.OFFERED, Status.REGISTERED, entry.student, 1,
        )

    def test_it_refuses_a_claim_at_the_deadline(self, offered):
        entry, _behind = offered

        with pytest.raises(InvalidTransition) as refused:
            waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=entry.claim_until)

        assert "2027-03-03 10:00" in str(refused.value.message)
        assert fresh(entry).status == Status.OFFERED
        assert not CourseRegistration.objects.filter(student=entry.student).exists()

    def test_it_re_checks_the_plan_when_the_seat_is_claimed(self, offered, offer_term):
        entry, _behind = offered
        other = offering_with(offer_term, ("mon", "10:00", "11:30"))
        services.registration_submit(student=entry.student, offering_id=other.pk, at=IN_CHANGE + timedelta(hours=6))

        with pytest.raises(NotEligible) as refused:
            waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=entry.claim_until - SECOND)

        assert refused.value.code == "clash"
        assert fresh(entry).status == Status.OFFERED

    def test_a_claim_refused_by_the_plan_can_be_claimed_once_the_student_drops_the_clash(self, offered, offer_term):
        entry, _behind = offered
        other = offering_with(offer_term, ("mon", "10:00", "11:30"))
        clash = services.registration_submit(student=entry.student, offering_id=other.pk, at=IN_CHANGE + timedelta(hours=6))
        with pytest.raises(NotEligible):
            waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=entry.claim_until - SECOND)

        services.registration_drop(student=entry.student, registration_id=clash.pk, at=entry.claim_until - SECOND)
        registration = waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=entry.claim_until - SECOND)

        assert registration.offering_id == entry.offering_id
        assert fresh(entry).status == Status.REGISTERED

    def test_it_refuses_a_claim_once_the_offering_is_closed_to_exchange_students(self, offered):
        entry, _behind = offered
        type(entry.offering).objects.filter(pk=entry.offering_id).update(open_to_exchange=False)

        with pytest.raises(NotEligible):
            waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=entry.claim_until - SECOND)

        assert fresh(entry).status == Status.OFFERED
        assert not CourseRegistration.objects.filter(student=entry.student).exists()

    def test_it_refuses_a_claim_of_a_seat_not_offered(self, offered):
        _entry, behind = offered

        with pytest.raises(InvalidTransition):
            waitlist_service.waitlist_claim(student=behind.student, entry_id=behind.pk, at=IN_CHANGE + timedelta(hours=6))

        assert fresh(behind).status == Status.WAITING

    def test_it_refuses_a_second_claim(self, offered):
        entry, _behind = offered
        waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=entry.claim_until - SECOND)

        with pytest.raises(InvalidTransition):
            waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=entry.claim_until - SECOND)

        assert CourseRegistration.objects.filter(student=entry.student).count() == 1


# --- releases: auto mode ------------------------------------------------------------------------------------------


class TestAutoRelease:
    def test_the_first_student_on_the_waitlist_is_registered_at_the_release(self, term, full):
        offering, holder = full
        a, b, c = _students(term, 3)
        a.language = "en"
        a.save(update_fields=["language"])
        first = join(a, offering)
        join(b, offering), join(c, offering)
        drop(holder)

        release = _release(term, seoul(3, 2, 17))

        first.refresh_from_db()
        assert first.status == Status.REGISTERED
        assert first.registration.student == a
        assert first.registration.status == CourseRegistration.Status.REGISTERED
        (registered,) = RegistrationEvent.objects.filter(registration=first.registration)
        assert registered.actor is None
        assert "2027-03-02 17:00" in registered.reason
        event = _events(first)[-1]
        assert (event.from_status, event.to_status, event.actor, event.position, event.release) == (
            Status.WAITING, Status.REGISTERED, None, 1, release,
        )
        assert (release.registered, release.offered, release.passed_over, release.expired) == (1, 0, 0, 0)
        assert release.finished_at is not None and release.actor is None
        assert _positions(offering) == {b.pk: 1, c.pk: 2}
        (mail,) = OutgoingMail.objects.filter(kind="waitlist_registered")
        assert (mail.to, mail.language, mail.params) == (a.email, "en", {"entry_id": first.pk})
        assert not OutgoingMail.objects.filter(to__in=[b.email, c.email]).exists()

    def test_a_student_without_an_e_mail_address_is_registered_without_a_mail(self, term, full):
        offering, holder = full
        student = issued_student(term)
        type(student).objects.filter(pk=student.pk).update(email="")
        entry = join(student, offering)
        drop(holder)

        _release(term, seoul(3, 2, 17))

        assert fresh(entry).status == Status.REGISTERED
        assert not OutgoingMail.objects.filter(kind__startswith="waitlist").exists()

    def test_the_mail_goes_in_the_students_language(self, term, full, mailoutbox, django_capture_on_commit_callbacks):
        offering, holder = full
        student = issued_student(term)
        join(student, offering)
        drop(holder)

        with django_capture_on_commit_callbacks(execute=True):
            _release(term, seoul(3, 2, 17))

        (message,) = mailoutbox
        assert message.to == [student.email]
        assert "FULL101" in message.subject + message.body
        mail = OutgoingMail.objects.get(kind="waitlist_registered")
        assert mail.language == "ko" == student.language

    def test_a_student_whose_timetable_clashes_is_passed_over_and_keeps_the_place(self, term, full):
        offering, holder = full
        clashing, second = _students(term, 2)
        first = join(clashing, offering)
        join(second, offering)
        other = offering_with(term, ("mon", "10:00", "11:00"), code="CLASH1")
        clash_registration = services.registration_submit(student=clashing, offering_id=other.pk, at=IN_REGISTRATION)
        drop(holder)

        release = _release(term, seoul(3, 2, 17))

        assert fresh(first).status == Status.WAITING
        passed = _events(first)[-1]
        assert (passed.from_status, passed.to_status, passed.actor, passed.position, passed.release) == (
            Status.WAITING, Status.WAITING, None, 1, release,
        )
        assert "CLASH1" in passed.reason
        assert WaitlistEntry.objects.get(student=second).status == Status.REGISTERED
        assert (release.registered, release.passed_over) == (1, 1)
        assert _positions(offering) == {clashing.pk: 1}
        # Still first: once the clash is gone, the next free seat is theirs.
        drop(clash_registration, at=seoul(3, 3, 12))
        services.offering_save(offering=_with_capacity(offering, 2))
        _release(term, seoul(3, 3, 17))
        assert fresh(first).status == Status.REGISTERED

    def test_a_student_over_the_credit_limit_is_passed_over(self, term, full):
        offering, holder = full
        over, second = _students(term, 2)
        first = join(over, offering)
        join(second, offering)
        for n in range(4):  # 12 credits: the limit
            services.registration_submit(
                student=over, offering_id=offering_with(term, ("tue", f"{9 + 2 * n:02d}:00", f"{10 + 2 * n:02d}:00")).pk,
                at=IN_REGISTRATION,
            )
        drop(holder)

        release = _release(term, seoul(3, 2, 17))

        assert fresh(first).status == Status.WAITING
        reason = _events(first)[-1].reason
        assert "FULL101" in reason and "15" in reason and "12" in reason  # 15 credits, the limit is 12
        assert WaitlistEntry.objects.get(student=second).status == Status.REGISTERED
        assert release.passed_over == 1

    def test_a_student_whose_id_is_no_longer_issued_is_passed_over(self, term, full):
        offering, holder = full
        revoked, second = _students(term, 2)
        first = join(revoked, offering)
        join(second, offering)
        TemporaryIdApplication.objects.filter(temporary_id__user=revoked).update(status=TemporaryIdApplication.Status.APPROVED)
        drop(holder)

        _release(term, seoul(3, 2, 17))

        assert fresh(first).status == Status.WAITING
        why = "You need a temporary student ID issued for %(term)s to register for its courses."
        reason = _events(first)[-1].reason
        assert any(_in_language(language, why, term=term) in reason for language in ("ko", "en"))
        assert WaitlistEntry.objects.get(student=second).status == Status.REGISTERED

    def test_a_student_whose_account_staff_deactivated_is_passed_over(self, term, full):
        """Staff deactivate an account that cannot be revoked (issuance_bulk: 'deactivate the account instead'); the
        release, which acts without the student signing in, must not give it a seat another student is waiting for."""
        offering, holder = full
        deactivated, second = _students(term, 2)
        first = join(deactivated, offering)
        join(second, offering)
        type(deactivated).objects.filter(pk=deactivated.pk).update(is_active=False)
        drop(holder)

        release = _release(term, seoul(3, 2, 17))

        assert fresh(first).status == Status.WAITING
        assert not CourseRegistration.objects.filter(student=deactivated).exists()
        assert WaitlistEntry.objects.get(student=second).status == Status.REGISTERED
        assert release.passed_over == 1

    @pytest.mark.parametrize("change", [{"published_at": None}, {"open_to_exchange": False}])
    def test_a_release_gives_no_seat_of_an_offering_closed_to_exchange_students(self, term, full, change):
        """The same rule as a registration: staff withdrew the offering or closed it to exchange students meanwhile."""
        offering, holder = full
        entry = join(issued_student(term), offering)
        drop(holder)
        type(offering).objects.filter(pk=offering.pk).update(**change)

        release = _release(term, seoul(3, 2, 17))

        assert fresh(entry).status == Status.WAITING  # keeps the place should the offering open again
        assert not CourseRegistration.objects.filter(student=entry.student).exists()
        assert fresh(offering).seats_taken == 0
        assert release.registered == 0

    @pytest.mark.parametrize("active", ["en", "ko"])
    def test_the_passed_over_reason_is_written_in_the_portals_language(self, term, full, active):
        """The whole reason, the refusal inside it too, whatever language the caller (a staff page, the beat) runs in."""
        offering, holder = full
        revoked = issued_student(term)
        first = join(revoked, offering)
        TemporaryIdApplication.objects.filter(temporary_id__user=revoked).update(status=TemporaryIdApplication.Status.APPROVED)
        drop(holder)

        with translation.override(active):
            _release(term, seoul(3, 2, 17))

        why = "You need a temporary student ID issued for %(term)s to register for its courses."
        expected = _in_portal_language("Passed over at the release of %(date)s: %(why)s", date="2027-03-02 17:00",
                                       why=_in_portal_language(why, term=term))
        assert _events(first)[-1].reason == expected

    def test_a_capacity_increase_is_released_to_the_first_students(self, term, full):
        offering, _holder = full
        a, b, c = _students(term, 3)
        join(a, offering), join(b, offering), join(c, offering)
        services.offering_save(offering=_with_capacity(offering, 3))

        release = _release(term, seoul(2, 16, 17))

        states = dict(WaitlistEntry.objects.values_list("student_id", "status"))
        assert states == {a.pk: Status.REGISTERED, b.pk: Status.REGISTERED, c.pk: Status.WAITING}
        assert release.registered == 2
        assert fresh(offering).seats_taken == 3

    def test_a_seat_nobody_on_the_waitlist_can_take_stays_free_for_the_waitlist(self, term, full):
        offering, holder = full
        clashing = issued_student(term)
        entry = join(clashing, offering)
        services.registration_submit(
            student=clashing, offering_id=offering_with(term, ("mon", "09:00", "10:00")).pk, at=IN_REGISTRATION
        )
        drop(holder)

        release = _release(term, seoul(3, 2, 17))

        assert fresh(entry).status == Status.WAITING
        assert (release.registered, release.passed_over) == (0, 1)
        assert fresh(offering).seats_taken == 0
        with pytest.raises(CourseFull):
            services.registration_submit(student=issued_student(term), offering_id=offering.pk, at=seoul(3, 2, 17, 30))

    def test_a_release_without_a_free_seat_changes_nothing(self, term, full):
        offering, _holder = full
        entry = join(issued_student(term), offering)

        release = _release(term, seoul(2, 16, 17))

        assert fresh(entry).status == Status.WAITING
        assert len(_events(entry)) == 1
        assert (release.registered, release.offered, release.passed_over, release.expired) == (0, 0, 0, 0)

    def test_once_the_waitlist_is_empty_a_free_seat_is_open_to_anyone(self, term):
        offering, holders = full_offering(term, capacity=2)
        entry = join(issued_student(term), offering)
        drop(holders[0])
        drop(holders[1])

        _release(term, seoul(3, 2, 17))

        assert fresh(entry).status == Status.REGISTERED
        registration = services.registration_submit(student=issued_student(term), offering_id=offering.pk, at=seoul(3, 2, 18))
        assert registration.status == CourseRegistration.Status.REGISTERED


def _with_capacity(offering, capacity):
    offering = fresh(offering)
    offering.capacity = capacity
    return offering


# --- releases: offer mode -----------------------------------------------------------------------------------------


class TestOfferRelease:
    def test_the_first_student_is_offered_the_seat_until_the_next_release(self, offered):
        entry, behind = offered

        assert entry.status == Status.OFFERED
        assert entry.offered_at == seoul(3, 2, 17) + SECOND
        assert entry.claim_until == seoul(3, 3, 10)
        offering = fresh(entry.offering)
        assert (offering.seats_taken, offering.waiting) == (1, 2)  # the seat is held, both still on the list
        assert not CourseRegistration.objects.filter(student=entry.student).exists()
        release = WaitlistRelease.objects.get()
        event = _events(entry)[-1]
        assert (event.from_status, event.to_status, event.actor, event.position, event.release) == (
            Status.WAITING, Status.OFFERED, None, 1, release,
        )
        assert (release.offered, release.registered) == (1, 0)
        (mail,) = OutgoingMail.objects.filter(kind="waitlist_offered")
        assert (mail.to, mail.language, mail.params) == (entry.student.email, entry.student.language, {"entry_id": entry.pk})
        assert fresh(behind).status == Status.WAITING

    def test_an_unclaimed_offer_expires_at_the_next_release_and_goes_to_the_next_student(self, offered, offer_term):
        entry, behind = offered

        release = _release(offer_term, seoul(3, 3, 10))

        entry.refresh_from_db()
        assert (entry.status, entry.resolved_at) == (Status.EXPIRED, seoul(3, 3, 10) + SECOND)
        expired = _events(entry)[-1]
        assert (expired.from_status, expired.to_status, expired.actor, expired.position, expired.release) == (
            Status.OFFERED, Status.EXPIRED, None, 1, release,
        )
        behind.refresh_from_db()
        assert (behind.status, behind.claim_until) == (Status.OFFERED, seoul(3, 3, 17))
        assert (release.expired, release.offered) == (1, 1)
        with pytest.raises(InvalidTransition):
            waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=seoul(3, 3, 9))

    def test_an_offer_made_at_the_last_release_of_a_window_lasts_until_the_window_closes(self, offer_term):
        offering, (holder,) = full_offering(offer_term)
        entry = join(issued_student(offer_term), offering)
        drop(holder, at=seoul(3, 8, 12))

        _release(offer_term, seoul(3, 8, 17))

        assert fresh(entry).claim_until == CHANGE_END

    def test_an_offer_left_unclaimed_when_the_window_closes_gives_its_seat_back_at_the_next_beat(self, offer_term):
        offering, (holder,) = full_offering(offer_term)
        entry = join(issued_student(offer_term), offering)
        drop(holder, at=seoul(3, 8, 12))
        _release(offer_term, seoul(3, 8, 17))
        assert fresh(entry).status == Status.OFFERED

        assert waitlist_service.waitlist_release_due(at=CHANGE_END - SECOND) == []  # the 17:00 release is done
        assert fresh(entry).status == Status.OFFERED
        assert waitlist_service.waitlist_release_due(at=CHANGE_END + timedelta(minutes=5)) == []  # no release now

        entry = fresh(entry)
        assert entry.status == Status.EXPIRED
        offering.refresh_from_db()
        assert (offering.seats_taken, offering.waiting) == (0, 0)
        event = entry.events.last()
        assert (event.from_status, event.to_status, event.release, event.actor) == (Status.OFFERED, Status.EXPIRED, None, None)
        assert not CourseRegistration.objects.filter(offering=offering, status=CourseRegistration.Status.REGISTERED).exists()

    def test_an_offer_in_the_registration_window_lasts_at_most_until_it_closes(self, offer_term, registrar):
        offering, (holder,) = full_offering(offer_term)
        entry = join(issued_student(offer_term), offering)
        services.registration_drop(
            student=holder.student, registration_id=holder.pk, actor=registrar, reason="moved", at=seoul(2, 19, 12)
        )

        _release(offer_term, seoul(2, 19, 17))

        assert fresh(entry).claim_until == REGISTRATION_END

    def test_an_offer_made_in_the_morning_lasts_until_the_afternoon_release(self, offer_term):
        offering, (holder,) = full_offering(offer_term)
        entry = join(issued_student(offer_term), offering)
        drop(holder)

        _release(offer_term, seoul(3, 3, 10), at=seoul(3, 3, 10, 4))  # the beat came four minutes late

        assert fresh(entry).claim_until == seoul(3, 3, 17)

    def test_a_student_passed_over_in_offer_mode_keeps_the_place(self, offer_term):
        offering, (holder,) = full_offering(offer_term, ("mon", "09:00", "10:30"))
        clashing, second = _students(offer_term, 2)
        first = join(clashing, offering)
        join(second, offering)
        services.registration_submit(
            student=clashing, offering_id=offering_with(offer_term, ("mon", "09:30", "10:00")).pk, at=IN_REGISTRATION
        )
        drop(holder)

        release = _release(offer_term, seoul(3, 2, 17))

        assert fresh(first).status == Status.WAITING
        assert WaitlistEntry.objects.get(student=second).status == Status.OFFERED
        assert (release.offered, release.passed_over) == (1, 1)


# --- a release is done once ---------------------------------------------------------------------------------------


class TestReleaseOnce:
    def test_the_beat_twice_at_the_same_instant_releases_once(self, term, full):
        offering, holder = full
        a, b = _students(term, 2)
        join(a, offering), join(b, offering)
        drop(holder)

        first = waitlist_service.waitlist_release_due(at=seoul(3, 2, 17, 2))
        second = waitlist_service.waitlist_release_due(at=seoul(3, 2, 17, 2))

        assert [r.scheduled_for for r in first] == [seoul(3, 2, 17)]
        assert second == []
        assert WaitlistRelease.objects.count() == 1
        assert dict(WaitlistEntry.objects.values_list("student_id", "status")) == {a.pk: Status.REGISTERED, b.pk: Status.WAITING}

    def test_a_seat_freed_after_a_release_waits_for_the_next_one(self, term):
        offering, holders = full_offering(term, capacity=2)
        a, b = _students(term, 2)
        join(a, offering), join(b, offering)
        drop(holders[0], at=seoul(3, 2, 12))
        assert len(waitlist_service.waitlist_release_due(at=seoul(3, 2, 17, 1))) == 1
        drop(holders[1], at=seoul(3, 2, 17, 30))

        assert waitlist_service.waitlist_release_due(at=seoul(3, 3, 9, 55)) == []  # 17:00 is done; 10:00 not yet
        assert WaitlistEntry.objects.get(student=b).status == Status.WAITING
        done = waitlist_service.waitlist_release_due(at=seoul(3, 3, 10, 0, 30))

        assert [r.scheduled_for for r in done] == [seoul(3, 3, 10)]
        assert WaitlistEntry.objects.get(student=b).status == Status.REGISTERED

    def test_the_task_runs_the_due_releases(self, term, full, monkeypatch):
        offering, holder = full
        entry = join(issued_student(term), offering)
        drop(holder)
        monkeypatch.setattr("django.utils.timezone.now", lambda: seoul(3, 2, 17, 3))

        assert release_waitlists_task() == 1
        assert release_waitlists_task() == 0
        assert fresh(entry).status == Status.REGISTERED

    def test_a_release_left_unfinished_is_resumed(self, term):
        offering, holders = full_offering(term, capacity=2)
        a, b = _students(term, 2)
        join(a, offering), join(b, offering)
        drop(holders[0])
        # The 17:00 release was killed after it registered a and before it was marked finished.
        _release(term, seoul(3, 2, 17))
        WaitlistRelease.objects.update(finished_at=None, registered=0)
        drop(holders[1], at=seoul(3, 2, 17, 2))

        (resumed,) = waitlist_service.waitlist_release_due(at=seoul(3, 2, 17, 5))

        assert resumed.scheduled_for == seoul(3, 2, 17) and resumed.finished_at is not None
        assert WaitlistRelease.objects.count() == 1
        assert WaitlistEntry.objects.get(student=b).status == Status.REGISTERED
        assert waitlist_service.waitlist_release_due(at=seoul(3, 2, 17, 10)) == []

    def test_a_resumed_release_counts_what_it_did_before_and_passes_nobody_over_twice(self, term):
        offering, holders = full_offering(term, ("mon", "09:00", "10:30"), capacity=2)
        clashing, a, b = _students(term, 3)
        first = join(clashing, offering)
        join(a, offering), join(b, offering)
        services.registration_submit(
            student=clashing, offering_id=offering_with(term, ("mon", "10:00", "11:00")).pk, at=IN_REGISTRATION
        )
        drop(holders[0])
        _release(term, seoul(3, 2, 17))  # passes the clashing student over, registers a …
        # … and is killed before its last write: no counts, no finished_at.
        WaitlistRelease.objects.update(finished_at=None, registered=0, passed_over=0)
        drop(holders[1], at=seoul(3, 2, 17, 2))

        (resumed,) = waitlist_service.waitlist_release_due(at=seoul(3, 2, 17, 5))

        assert dict(WaitlistEntry.objects.values_list("student_id", "status")) == {
            clashing.pk: Status.WAITING, a.pk: Status.REGISTERED, b.pk: Status.REGISTERED,
        }
        passed = WaitlistEvent.objects.filter(entry=first, release=resumed, from_status=Status.WAITING, to_status=Status.WAITING)
        assert passed.count() == 1
        assert (resumed.registered, resumed.offered, resumed.passed_over, resumed.expired) == (2, 0, 1, 0)

    def test_a_release_missed_until_the_change_window_closed_registers_nobody_after_it(self, term, full):
        """Nothing is registered outside the windows, and the final lists go when the change window closes."""
        offering, holder = full
        entry = join(issued_student(term), offering)
        drop(holder, at=seoul(3, 8, 12))

        assert waitlist_service.waitlist_release_due(at=CHANGE_END + timedelta(minutes=2)) == []

        assert fresh(entry).status == Status.WAITING
        assert not WaitlistRelease.objects.exists()
        assert fresh(offering).seats_taken == 0

    def test_an_offer_is_never_made_after_the_window_closed_to_be_claimed_later(self, offer_term, registrar):
        offering, (holder,) = full_offering(offer_term)
        entry = join(issued_student(offer_term), offering)
        services.registration_drop(
            student=holder.student, registration_id=holder.pk, actor=registrar, reason="moved", at=seoul(2, 19, 12)
        )

        waitlist_service.waitlist_release_due(at=REGISTRATION_END + timedelta(minutes=2))  # the 17:00 beat came late

        entry.refresh_from_db()
        assert entry.status == Status.WAITING and entry.claim_until is None

    def test_terms_without_students_waiting_are_left_alone(self, term):
        assert waitlist_service.waitlist_release_due(at=seoul(3, 2, 17, 1)) == []
        assert not WaitlistRelease.objects.exists()


# --- the release schedule (Asia/Seoul) ----------------------------------------------------------------------------


class TestSchedule:
    @pytest.mark.parametrize(
        ("at", "due"),
        [
            (REGISTRATION_START, None),  # 09:00 on the first day: no release yet in the window
            (seoul(2, 15, 9, 59, 59), None),
            (seoul(2, 15, 10), seoul(2, 15, 10)),
            (seoul(2, 15, 16, 59), seoul(2, 15, 10)),
            (seoul(2, 15, 17), seoul(2, 15, 17)),
            (seoul(2, 16, 9, 30), seoul(2, 15, 17)),  # the evening's release until the morning's
            (seoul(2, 19, 17, 59), seoul(2, 19, 17)),
            (REGISTRATION_END, None),  # the window closed: yesterday's 17:00 is no longer due
            (seoul(2, 20, 9), None),
            (BETWEEN_WINDOWS, None),
            (seoul(3, 2, 10), seoul(3, 2, 10)),
            (seoul(3, 8, 17, 30), seoul(3, 8, 17)),
            (CHANGE_END + timedelta(minutes=2), None),
        ],
    )
    def test_the_due_release_is_the_latest_announced_one_inside_a_window(self, term, at, due):
        assert waitlist_service.release_due(term=term, at=at) == due

    @pytest.mark.parametrize(
        ("at", "upcoming"),
        [
            (seoul(1, 10, 12), seoul(2, 15, 10)),  # however far ahead
            (IN_OPENING, seoul(2, 15, 10)),
            (seoul(2, 14, 12), seoul(2, 15, 10)),
            (seoul(2, 15, 10), seoul(2, 15, 17)),  # strictly after
            (seoul(2, 15, 17, 1), seoul(2, 16, 10)),
            (seoul(2, 19, 17), seoul(3, 2, 10)),  # across the gap between the windows
            (seoul(3, 8, 17), None),
            (CHANGE_END, None),
        ],
    )
    def test_the_next_release_is_the_next_announced_one_inside_a_window(self, term, at, upcoming):
        assert waitlist_service.next_release(term=term, at=at) == upcoming

    def test_release_times_at_the_window_edges_follow_the_half_open_window(self, db):
        term = build_term(windows={TermWindow.Kind.CHANGE: (seoul(3, 2, 10), seoul(3, 2, 17))})

        assert waitlist_service.release_due(term=term, at=seoul(3, 2, 10)) == seoul(3, 2, 10)  # opens on the instant
        assert waitlist_service.release_due(term=term, at=seoul(3, 2, 16, 59)) == seoul(3, 2, 10)
        assert waitlist_service.release_due(term=term, at=seoul(3, 2, 17)) is None  # closed on its closing instant
        assert waitlist_service.next_release(term=term, at=seoul(3, 2, 10)) is None

    def test_the_next_release_is_found_across_a_long_gap_between_the_windows(self, db):
        """Registration in early February, the change window in March: the page still names the next release."""
        term = build_term(windows={
            TermWindow.Kind.REGISTRATION: (seoul(2, 1, 9), seoul(2, 5, 18)),
            TermWindow.Kind.CHANGE: (CHANGE_START, CHANGE_END),
        })

        assert waitlist_service.next_release(term=term, at=seoul(2, 5, 17, 30)) == seoul(3, 2, 10)
        assert waitlist_service.next_release(term=term, at=seoul(1, 2, 12)) == seoul(2, 1, 10)

    def test_instants_in_any_time_zone_are_read_on_the_seoul_clock(self, term):
        from datetime import UTC, datetime

        assert waitlist_service.release_due(term=term, at=datetime(2027, 3, 2, 1, 0, tzinfo=UTC)) == seoul(3, 2, 10)
        assert waitlist_service.release_due(term=term, at=datetime(2027, 3, 2, 0, 59, tzinfo=UTC)) is None

    @override_settings(WAITLIST_RELEASE_TIMES=[" 13:30", "09:15 "])
    def test_the_release_times_come_from_the_settings(self, term):
        assert waitlist_service.release_due(term=term, at=seoul(3, 2, 12)) == seoul(3, 2, 9, 15)
        assert waitlist_service.next_release(term=term, at=seoul(3, 2, 12)) == seoul(3, 2, 13, 30)

    def test_a_term_without_windows_has_no_release(self, db):
        term = build_term(windows={})

        assert waitlist_service.release_due(term=term, at=seoul(3, 2, 12)) is None
        assert waitlist_service.next_release(term=term, at=seoul(3, 2, 12)) is None


def test_seoul_helper_is_asia_seoul():
    assert seoul(3, 2, 9).tzinfo == SEOUL and CHANGE_START == seoul(3, 2, 9)


def test_a_claim_is_recorded_in_the_portals_language_whatever_the_students_page(db):
    term = build_term(mode=Term.WaitlistMode.OFFER)
    offering, (holder,) = full_offering(term)
    entry = join(issued_student(term), offering)
    drop(holder)
    waitlist_service.waitlist_release(term=term, scheduled_for=seoul(3, 3, 10), at=seoul(3, 3, 10))
    with translation.override("en"):
        registration = waitlist_service.waitlist_claim(student=entry.student, entry_id=entry.pk, at=IN_CHANGE + timedelta(days=1, hours=1))
    with translation.override(settings.LANGUAGE_CODE):
        assert registration.events.get().reason == translation.gettext("Claimed from the waitlist.")
    assert registration.events.get().reason != "Claimed from the waitlist."
