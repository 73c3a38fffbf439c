"""The basket and waitlist pages (issue 14) through the test client: every view, its refusals and what the pages show.

The rules themselves live in creditexchange/services/basket.py and waitlist.py; these tests check that each view
calls them, turns a refusal into a message, changes nothing it should not, and redirects only to a path.
"""

import re
from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from academics.models import Term, TermWindow
from core import dates
from creditexchange import services
from creditexchange.models import BasketItem, CourseOffering, CourseRegistration, WaitlistEntry, WaitlistEvent
from creditexchange.services import waitlist as waitlist_service

from ..factories import (
    CourseOfferingFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    UserFactory,
    issued_student,
)

Kind = TermWindow.Kind
Wait = WaitlistEntry.Status
CATALOGUE_URL = "/credit-exchange/courses/"
MINE_URL = "/credit-exchange/registrations/"
BASKET_URL = "/credit-exchange/basket/"
REGISTER_BASKET_URL = "/credit-exchange/basket/register/"
CRAFTED_NEXT = ["creditexchange:basket", "https://evil.example/", "//evil.example/courses/", "javascript:alert(1)", ""]


def _add_url(offering) -> str:
    return f"/credit-exchange/basket/{offering.pk}/add/"


def _remove_url(item) -> str:
    return f"/credit-exchange/basket/{item.pk}/remove/"


def _join_url(offering) -> str:
    return f"/credit-exchange/courses/{offering.pk}/waitlist/"


def _leave_url(entry) -> str:
    return f"/credit-exchange/waitlist/{entry.pk}/leave/"


def _claim_url(entry) -> str:
    return f"/credit-exchange/waitlist/{entry.pk}/claim/"


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _text(response) -> str:
    """The page's visible text, tags removed and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def term(db):
    """The course-opening window is open now (the basket fills); registration opens in two days."""
    term = TermFactory(year=2027, season="spring", credit_limit=12)
    now = timezone.now()
    TermWindowFactory(term=term, kind=Kind.COURSE_OPENING, starts_at=now - timedelta(days=3), ends_at=now + timedelta(days=2))
    TermWindowFactory(term=term, kind=Kind.REGISTRATION, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=5))
    TermWindowFactory(term=term, kind=Kind.CHANGE, starts_at=now + timedelta(days=6), ends_at=now + timedelta(days=10))
    return term


@pytest.fixture
def registration_open(term) -> Term:
    """The same term a few days later: the opening window is over and registration is open now."""
    now = timezone.now()
    TermWindow.objects.filter(term=term, kind=Kind.COURSE_OPENING).update(
        starts_at=now - timedelta(days=10), ends_at=now - timedelta(days=3)
    )
    TermWindow.objects.filter(term=term, kind=Kind.REGISTRATION).update(
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3)
    )
    return term


@pytest.fixture
def student(term):
    return issued_student(term)


@pytest.fixture
def other(term):
    return issued_student(term)


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


def _course(term, code: str, *, weekday: int = 0, start: int = 9, credits: int = 3, capacity: int = 30, **fields):
    offering = CourseOfferingFactory(term=term, code=code, credits=credits, capacity=capacity, **fields)
    TimeSlotFactory(offering=offering, weekday=weekday, starts_at=time(start), ends_at=time(start + 1, 30))
    return offering


def _full(term, code: str, *, taken_by, **fields) -> CourseOffering:
    """A one-seat course whose seat ``taken_by`` registered through the service (registration must be open)."""
    offering = _course(term, code, capacity=1, **fields)
    services.registration_submit(student=taken_by, offering_id=offering.pk)
    return offering


def _basket(student, *offerings) -> list[BasketItem]:
    return [BasketItem.objects.create(student=student, offering=o, term=o.term) for o in offerings]


# --- Every POST view refuses GET, and anonymous visitors are sent to log in ---------------------------------------


class TestMethodsAndLogin:
    @pytest.fixture
    def urls(self, term, student):
        offering = _course(term, "CSE101")
        item = _basket(student, offering)[0]
        entry = WaitlistEntry.objects.create(student=student, offering=offering, term=term, sequence=1)
        return [_add_url(offering), _remove_url(item), REGISTER_BASKET_URL, _join_url(offering), _leave_url(entry),
                _claim_url(entry)]

    def test_every_post_view_answers_a_get_with_405_and_changes_nothing(self, student_client, urls):
        for url in urls:
            assert student_client.get(url).status_code == 405, url
        assert BasketItem.objects.count() == 1
        assert WaitlistEntry.objects.get().status == Wait.WAITING

    def test_an_anonymous_visitor_is_sent_to_log_in_from_every_view(self, client, urls):
        for url in [*urls, BASKET_URL]:
            response = client.post(url) if url != BASKET_URL else client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url
        assert BasketItem.objects.count() == 1


# --- The basket: add, remove, the page -------------------------------------------------------------------------


class TestBasketAdd:
    def test_it_puts_the_course_in_the_basket_and_goes_back_to_the_page_it_came_from(self, student_client, student, term):
        course = _course(term, "CSE101")

        response = student_client.post(_add_url(course), {"next": f"{CATALOGUE_URL}?term={term.pk}&page=1"})

        assert response.status_code == 302
        assert response["Location"] == f"{CATALOGUE_URL}?term={term.pk}&page=1"
        item = BasketItem.objects.get()
        assert (item.student, item.offering, item.term) == (student, course, term)
        page = student_client.get(response["Location"])
        assert _messages(page) == [f"{course} is in your basket."]

    @pytest.mark.parametrize("target", CRAFTED_NEXT)
    def test_a_next_that_is_not_a_path_of_this_site_goes_to_the_catalogue(self, student_client, term, target):
        course = _course(term, "CSE101")

        response = student_client.post(_add_url(course), {"next": target})

        assert response.status_code == 302
        assert response["Location"] == CATALOGUE_URL
        assert BasketItem.objects.count() == 1

    def test_before_the_course_opening_window_it_is_refused_with_the_dates(self, student_client, term):
        now = timezone.now()
        TermWindow.objects.filter(term=term, kind=Kind.COURSE_OPENING).update(
            starts_at=now + timedelta(hours=5), ends_at=now + timedelta(days=2)
        )
        course = _course(term, "CSE101")

        response = student_client.post(_add_url(course), follow=True)

        assert BasketItem.objects.count() == 0
        [message] = _messages(response)
        assert message.startswith(f"The basket for {term} can be filled from ")
        assert message.endswith("(Asia/Seoul).")

    def test_once_registration_is_open_the_basket_takes_no_new_course(self, student_client, registration_open):
        course = _course(registration_open, "CSE101")

        response = student_client.post(_add_url(course), follow=True)

        assert BasketItem.objects.count() == 0
        assert _messages(response) == [f"The basket for {registration_open} is not open."]

    def test_a_student_without_an_issued_id_for_the_term_is_refused(self, client, term):
        client.force_login(UserFactory(kind="exchange"))
        course = _course(term, "CSE101")

        response = client.post(_add_url(course), follow=True)

        assert BasketItem.objects.count() == 0
        assert _messages(response) == [
            f"You need a temporary student ID issued for {term} to register for its courses."
        ]

    @pytest.mark.parametrize("fields", [{"published_at": None}, {"open_to_exchange": False}], ids=["unpublished", "closed"])
    def test_a_course_not_open_to_exchange_students_is_refused(self, student_client, term, fields):
        course = _course(term, "CSE101", **fields)

        response = student_client.post(_add_url(course), follow=True)

        assert BasketItem.objects.count() == 0
        assert _messages(response) == ["This course is not open for registration by exchange students."]

    def test_an_offering_that_does_not_exist_is_refused_without_an_error_page(self, student_client, term):
        response = student_client.post("/credit-exchange/basket/999999/add/", follow=True)

        assert response.status_code == 200
        assert _messages(response) == ["This course is not open for registration by exchange students."]

    def test_the_same_course_twice_is_refused(self, student_client, student, term):
        course = _course(term, "CSE101")
        _basket(student, course)

        response = student_client.post(_add_url(course), follow=True)

        assert BasketItem.objects.count() == 1
        assert _messages(response) == [f"{course} is already in your basket."]

    def test_a_full_basket_takes_no_more(self, student_client, student, term, settings):
        settings.BASKET_MAX_ITEMS = 2
        _basket(student, _course(term, "A101"), _course(term, "B101", weekday=1))
        third = _course(term, "C101", weekday=2)

        response = student_client.post(_add_url(third), follow=True)

        assert BasketItem.objects.filter(student=student).count() == 2
        assert _messages(response) == ["Your basket already holds 2 courses, the most it can hold. Remove one first."]


class TestBasketRemove:
    def test_it_takes_the_students_own_item_out(self, student_client, student, term):
        course = _course(term, "CSE101")
        [item] = _basket(student, course)

        response = student_client.post(_remove_url(item), {"next": f"{BASKET_URL}?term={term.pk}"})

        assert response["Location"] == f"{BASKET_URL}?term={term.pk}"
        assert not BasketItem.objects.exists()
        assert _messages(student_client.get(response["Location"])) == [f"{course} is out of your basket."]

    def test_without_next_it_goes_to_the_basket(self, student_client, student, term):
        [item] = _basket(student, _course(term, "CSE101"))

        response = student_client.post(_remove_url(item), {"next": "https://evil.example/"})

        assert response["Location"] == BASKET_URL
        assert not BasketItem.objects.exists()

    def test_someone_elses_item_is_not_found_and_stays(self, student_client, other, term):
        [item] = _basket(other, _course(term, "CSE101"))

        response = student_client.post(_remove_url(item), follow=True)

        assert _messages(response) == ["This course is not in your basket."]
        assert BasketItem.objects.get() == item

    def test_an_item_can_be_removed_once_registration_is_open_too(self, student_client, student, registration_open):
        [item] = _basket(student, _course(registration_open, "CSE101"))

        student_client.post(_remove_url(item))

        assert not BasketItem.objects.exists()


class TestBasketPage:
    def test_it_lists_the_items_with_their_clashes_and_the_credit_total(self, student_client, student, term):
        first = _course(term, "CSE101", title_en="Data Structures", weekday=0, start=9)
        clashing = _course(term, "MAT201", title_en="Linear Algebra", weekday=0, start=10)  # Mon 10:00 vs 9:00–10:30
        apart = _course(term, "PHY150", title_en="Physics", weekday=3, start=13, credits=2)
        _basket(student, first, clashing, apart)

        response = student_client.get(f"{BASKET_URL}?term={term.pk}")

        assert response.status_code == 200
        content, text = response.content.decode(), _text(response)
        assert content.count('class="basket-line"') == 3
        assert "Overlaps MAT201 Linear Algebra" in text and "Overlaps CSE101 Data Structures" in text
        assert content.count("basket-clash") == 2  # the physics course clashes with nothing
        assert "8 of at most 12 credits" in text
        assert "over the limit" not in text
        assert "register-basket" not in content  # registration is not open yet
        assert "Add courses until " in text and "The basket reserves no seat." in text

    def test_over_the_credit_limit_it_says_so(self, student_client, student, term):
        term.credit_limit = 5
        term.save()
        _basket(student, _course(term, "CSE101"), _course(term, "MAT201", weekday=1))

        text = _text(student_client.get(f"{BASKET_URL}?term={term.pk}"))

        assert "6 of at most 5 credits · over the limit: not every course can be registered" in text

    def test_it_shows_only_the_students_own_basket(self, student_client, student, other, term):
        _basket(other, _course(term, "OTH999", title_en="Someone else's"))

        response = student_client.get(f"{BASKET_URL}?term={term.pk}")

        assert "OTH999" not in response.content.decode()
        assert "Your basket is empty." in _text(response)

    def test_a_term_parameter_that_is_not_a_number_falls_back_to_the_default_term(self, student_client, student, term):
        _course(term, "CSE101")

        response = student_client.get(f"{BASKET_URL}?term=abc")

        assert response.status_code == 200
        assert response.context["term"] == term

    def test_once_registration_is_open_it_offers_register_my_basket(self, student_client, student, registration_open):
        _basket(student, _course(registration_open, "CSE101"))

        response = student_client.get(BASKET_URL)

        assert 'id="register-basket"' in response.content.decode()
        assert "Registration is open: register your basket in one click." in _text(response)


class TestBasketRegister:
    def test_each_course_gets_its_own_result_and_the_database_holds_exactly_the_registered_ones(
        self, student_client, student, other, registration_open
    ):
        term = registration_open
        term.credit_limit = 7
        term.save()
        ok = _course(term, "CSE101", weekday=0, start=9)
        full = _full(term, "FUL100", taken_by=other, weekday=1)
        clash = _course(term, "MAT201", weekday=0, start=10)
        ok2 = _course(term, "PHY150", weekday=2, credits=3)
        limit = _course(term, "ART300", weekday=3, credits=2)  # 3 + 3 + 2 > 7
        _basket(student, ok, full, clash, ok2, limit)

        response = student_client.post(REGISTER_BASKET_URL, {"term": term.pk})

        assert response.status_code == 200
        outcomes = re.findall(r'class="[^"]*basket-result[^"]*" data-outcome="(\w+)"', response.content.decode())
        assert outcomes == ["registered", "full", "clash", "registered", "limit"]
        mine = CourseRegistration.objects.filter(student=student, status="registered")
        assert set(mine.values_list("offering__code", flat=True)) == {"CSE101", "PHY150"}
        assert CourseOffering.objects.get(pk=full.pk).seats_taken == 1
        assert BasketItem.objects.filter(student=student).count() == 5  # items stay; the page marks them registered

    def test_a_full_courses_result_offers_its_waitlist(self, student_client, student, other, registration_open):
        full = _full(registration_open, "FUL100", taken_by=other)
        _basket(student, full)

        content = student_client.post(REGISTER_BASKET_URL, {"term": registration_open.pk}).content.decode()

        result = content[content.index('data-outcome="full"'):].split("</li>")[0]
        assert f'action="{_join_url(full)}"' in result
        assert f'name="next" value="{BASKET_URL}?term={registration_open.pk}"' in result

    def test_a_course_both_in_the_basket_and_registered_is_named_once_among_the_clashes(
        self, student_client, student, registration_open
    ):
        first = _course(registration_open, "CSE101", weekday=0, start=9)
        clashing = _course(registration_open, "MAT201", weekday=0, start=10)
        _basket(student, first, clashing)
        services.registration_submit(student=student, offering_id=first.pk)

        content = student_client.get(BASKET_URL).content.decode()

        line = content[content.index(f'data-offering="{clashing.pk}"'):].split("</tr>")[0]
        assert line.count("basket-clash") == 1

    def test_the_credit_total_tells_registered_from_still_in_the_basket(self, student_client, student, registration_open):
        first = _course(registration_open, "CSE101", weekday=0, start=9)
        second = _course(registration_open, "MAT201", weekday=1, start=9)
        _basket(student, first, second)
        services.registration_submit(student=student, offering_id=first.pk)

        with translation.override("en"):
            content = student_client.get(BASKET_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()

        total = re.search(r'id="basket-credits">([^<]*)<', content).group(1)
        expected = f"{first.credits} registered + {second.credits} in the basket = {first.credits + second.credits} of at most"
        assert expected in total

    def test_a_second_click_registers_nothing_twice(self, student_client, student, registration_open):
        course = _course(registration_open, "CSE101")
        _basket(student, course)
        student_client.post(REGISTER_BASKET_URL, {"term": registration_open.pk})

        response = student_client.post(REGISTER_BASKET_URL, {"term": registration_open.pk})

        assert re.findall(r'data-outcome="(\w+)"', response.content.decode()) == ["already"]
        assert CourseRegistration.objects.filter(student=student).count() == 1
        assert CourseOffering.objects.get(pk=course.pk).seats_taken == 1
        assert 'id="register-basket"' not in response.content.decode()  # nothing left to register

    def test_before_registration_opens_it_is_refused_and_nothing_is_registered(self, student_client, student, term):
        _basket(student, _course(term, "CSE101"))

        response = student_client.post(REGISTER_BASKET_URL, {"term": term.pk})

        assert response.status_code == 200
        [message] = _messages(response)
        assert message.startswith(f"Registration for {term} is not open now.")
        assert "basket-results" not in response.content.decode()
        assert not CourseRegistration.objects.exists()

    def test_an_empty_basket_is_refused(self, student_client, registration_open):
        response = student_client.post(REGISTER_BASKET_URL, {"term": registration_open.pk})

        assert _messages(response) == [f"Your basket for {registration_open} is empty."]

    def test_a_student_whose_id_is_not_issued_for_the_term_gets_a_refusal_per_course(self, client, registration_open):
        user = UserFactory(kind="exchange")
        client.force_login(user)
        _basket(user, _course(registration_open, "CSE101"))

        response = client.post(REGISTER_BASKET_URL, {"term": registration_open.pk})

        assert re.findall(r'data-outcome="(\w+)"', response.content.decode()) == ["refused"]
        assert "You need a temporary student ID issued for" in _text(response)
        assert not CourseRegistration.objects.exists()

    def test_another_students_basket_is_never_registered(self, student_client, student, other, registration_open):
        _basket(other, _course(registration_open, "OTH999"))

        response = student_client.post(REGISTER_BASKET_URL, {"term": registration_open.pk})

        assert _messages(response) == [f"Your basket for {registration_open} is empty."]
        assert not CourseRegistration.objects.exists()

    def test_without_any_term_it_goes_back_to_the_catalogue(self, client, db):
        client.force_login(UserFactory(kind="exchange"))

        response = client.post(REGISTER_BASKET_URL, {"term": "abc"}, follow=True)

        assert response.redirect_chain == [(CATALOGUE_URL, 302)]
        assert _messages(response) == ["There is no term to register for."]


# --- The waitlist: join, leave, claim -------------------------------------------------------------------------


@pytest.fixture
def full_course(registration_open, other):
    return _full(registration_open, "FUL100", taken_by=other, title_en="Popular Course")


class TestWaitlistJoin:
    def test_a_student_joins_a_full_course_and_sees_the_position(self, student_client, student, full_course):
        second = issued_student(full_course.term)
        waitlist_service.waitlist_join(student=second, offering_id=full_course.pk)

        response = student_client.post(_join_url(full_course), {"next": CATALOGUE_URL}, follow=True)

        assert response.redirect_chain == [(CATALOGUE_URL, 302)]
        assert _messages(response) == [f"You are on the waitlist of {full_course}, position 2."]
        entry = WaitlistEntry.objects.get(student=student)
        assert (entry.status, entry.sequence) == (Wait.WAITING, 2)
        assert CourseOffering.objects.get(pk=full_course.pk).waiting == 2
        assert WaitlistEvent.objects.filter(entry=entry, to_status=Wait.WAITING, position=2).exists()

    @pytest.mark.parametrize("target", CRAFTED_NEXT)
    def test_a_next_that_is_not_a_path_goes_to_my_registrations(self, student_client, full_course, target):
        response = student_client.post(_join_url(full_course), {"next": target})

        assert response["Location"] == MINE_URL
        assert WaitlistEntry.objects.count() == 1

    def test_a_course_with_a_free_seat_is_refused(self, student_client, registration_open):
        course = _course(registration_open, "CSE101")

        response = student_client.post(_join_url(course), follow=True)

        assert _messages(response) == [f"{course} has a free seat: register for it instead."]
        assert not WaitlistEntry.objects.exists()

    def test_outside_registration_and_change_it_is_refused(self, student_client, term, other):
        course = _course(term, "FUL100", capacity=0)

        response = student_client.post(_join_url(course), follow=True)

        [message] = _messages(response)
        assert message.startswith(f"Registration for {term} is not open now.")
        assert not WaitlistEntry.objects.exists()
        assert CourseOffering.objects.get(pk=course.pk).waiting == 0

    def test_a_student_without_an_issued_id_is_refused(self, client, full_course):
        client.force_login(UserFactory(kind="exchange"))

        response = client.post(_join_url(full_course), follow=True)

        assert _messages(response) == [
            f"You need a temporary student ID issued for {full_course.term} to register for its courses."
        ]
        assert not WaitlistEntry.objects.exists()

    def test_twice_is_refused(self, student_client, student, full_course):
        student_client.post(_join_url(full_course), follow=True)

        response = student_client.post(_join_url(full_course), follow=True)

        assert _messages(response) == [f"You are already on the waitlist of {full_course}."]
        assert WaitlistEntry.objects.filter(student=student).count() == 1

    def test_a_student_registered_for_it_cannot_wait_for_it(self, client, other, full_course):
        client.force_login(other)

        response = client.post(_join_url(full_course), follow=True)

        assert _messages(response) == [f"You are already registered for {full_course}."]
        assert not WaitlistEntry.objects.exists()

    def test_past_the_most_waitlists_it_is_refused(self, student_client, student, other, registration_open, settings):
        settings.WAITLIST_MAX_PER_STUDENT = 1
        first = _full(registration_open, "FUL100", taken_by=other, weekday=0)
        second = _full(registration_open, "FUL200", taken_by=other, weekday=1)
        student_client.post(_join_url(first), follow=True)

        response = student_client.post(_join_url(second), follow=True)

        assert _messages(response) == [
            f"You are already on 1 waitlists of {registration_open}, the most allowed. Leave one first."
        ]
        assert list(WaitlistEntry.objects.values_list("offering_id", flat=True)) == [first.pk]


def _offered(term, student, other) -> WaitlistEntry:
    """The term in offer mode: ``student`` waits for a full course, its seat frees, a release offers it to them."""
    term.waitlist_mode = Term.WaitlistMode.OFFER
    term.save()
    course = _full(term, "FUL100", taken_by=other, title_en="Popular Course")
    entry = waitlist_service.waitlist_join(student=student, offering_id=course.pk)
    registration = CourseRegistration.objects.get(student=other, offering=course)
    # Staff drop it for them (the change window is not open yet): the seat is free, and the release offers it.
    services.registration_drop(student=other, registration_id=registration.pk, actor=UserFactory(is_staff=True), reason="test")
    waitlist_service.waitlist_release(term=term, scheduled_for=timezone.now())
    entry.refresh_from_db()
    assert entry.status == Wait.OFFERED
    return entry


class TestWaitlistLeave:
    def test_a_student_leaves_their_own_waitlist(self, student_client, student, full_course):
        entry = waitlist_service.waitlist_join(student=student, offering_id=full_course.pk)

        response = student_client.post(_leave_url(entry), {"next": f"{MINE_URL}?term={full_course.term_id}"}, follow=True)

        assert response.redirect_chain == [(f"{MINE_URL}?term={full_course.term_id}", 302)]
        assert _messages(response) == [f"You left the waitlist of {full_course}."]
        entry.refresh_from_db()
        assert entry.status == Wait.LEFT
        assert CourseOffering.objects.get(pk=full_course.pk).waiting == 0

    def test_someone_elses_entry_is_not_found_and_stays(self, student_client, full_course):
        theirs = waitlist_service.waitlist_join(student=issued_student(full_course.term), offering_id=full_course.pk)

        response = student_client.post(_leave_url(theirs), follow=True)

        assert _messages(response) == ["This waitlist entry does not exist."]
        theirs.refresh_from_db()
        assert theirs.status == Wait.WAITING
        assert CourseOffering.objects.get(pk=full_course.pk).waiting == 1

    def test_leaving_twice_says_so(self, student_client, student, full_course):
        entry = waitlist_service.waitlist_join(student=student, offering_id=full_course.pk)
        student_client.post(_leave_url(entry), follow=True)

        response = student_client.post(_leave_url(entry), follow=True)

        assert _messages(response) == [f"You are no longer on the waitlist of {full_course}."]
        assert CourseOffering.objects.get(pk=full_course.pk).waiting == 0

    def test_leaving_an_offered_seat_declines_it_and_frees_the_seat(self, student_client, student, other, registration_open):
        entry = _offered(registration_open, student, other)

        response = student_client.post(_leave_url(entry), follow=True)

        assert _messages(response) == [f"You declined the seat of {entry.offering}."]
        entry.refresh_from_db()
        assert entry.status == Wait.DECLINED
        offering = CourseOffering.objects.get(pk=entry.offering_id)
        assert (offering.seats_taken, offering.waiting) == (0, 0)


class TestWaitlistClaim:
    def test_a_student_claims_the_seat_offered_to_them(self, student_client, student, other, registration_open):
        entry = _offered(registration_open, student, other)

        response = student_client.post(_claim_url(entry), {"next": MINE_URL}, follow=True)

        assert response.redirect_chain == [(MINE_URL, 302)]
        assert _messages(response) == [f"Registered for {entry.offering}."]
        entry.refresh_from_db()
        assert entry.status == Wait.REGISTERED
        assert entry.registration.student == student and entry.registration.status == "registered"
        offering = CourseOffering.objects.get(pk=entry.offering_id)
        assert (offering.seats_taken, offering.waiting) == (1, 0)

    def test_someone_elses_offer_is_not_found_and_stays_offered(self, client, student, other, registration_open):
        entry = _offered(registration_open, student, other)
        client.force_login(other)

        response = client.post(_claim_url(entry), follow=True)

        assert _messages(response) == ["This waitlist entry does not exist."]
        entry.refresh_from_db()
        assert entry.status == Wait.OFFERED
        assert not CourseRegistration.objects.filter(offering=entry.offering, status="registered").exists()

    def test_a_waiting_entry_has_nothing_to_claim(self, student_client, student, full_course):
        entry = waitlist_service.waitlist_join(student=student, offering_id=full_course.pk)

        response = student_client.post(_claim_url(entry), follow=True)

        assert _messages(response) == [f"No seat of {full_course} is offered to you now."]
        entry.refresh_from_db()
        assert entry.status == Wait.WAITING
        assert CourseOffering.objects.get(pk=full_course.pk).seats_taken == 1

    def test_after_the_deadline_the_claim_is_refused(self, student_client, student, other, registration_open):
        entry = _offered(registration_open, student, other)
        WaitlistEntry.objects.filter(pk=entry.pk).update(claim_until=timezone.now() - timedelta(minutes=1))

        response = student_client.post(_claim_url(entry), follow=True)

        [message] = _messages(response)
        assert message.startswith(f"The seat of {entry.offering} offered to you could be claimed until ")
        entry.refresh_from_db()
        assert entry.status == Wait.OFFERED
        assert not CourseRegistration.objects.filter(student=student).exists()


# --- What the catalogue and My registrations show ---------------------------------------------------------------


class TestCatalogueWithABasket:
    def test_the_basket_panel_stands_beside_the_catalogue_with_clash_and_credits(self, student_client, student, term):
        first = _course(term, "CSE101", weekday=0, start=9)
        clashing = _course(term, "MAT201", weekday=0, start=10)
        outside = _course(term, "PHY150", weekday=4)
        _basket(student, first, clashing)

        response = student_client.get(f"{CATALOGUE_URL}?term={term.pk}")

        content = response.content.decode()
        panel = content[content.index('id="basket"'):content.index("</section>", content.index('id="basket"'))]
        assert panel.count('class="basket-line mb-1"') == 2
        assert "Overlaps MAT201" in panel and "Overlaps CSE101" in panel
        assert "6 of at most 12 credits" in " ".join(panel.split())
        assert f'href="{BASKET_URL}?term={term.pk}"' in panel
        rows = {o.pk: content[content.index(f'id="offering-{o.pk}"'):] for o in (first, outside)}
        assert "in-basket" in rows[first.pk].split("</tr>")[0]
        assert _add_url(outside) in rows[outside.pk].split("</tr>")[0]

    def test_while_the_basket_fills_no_row_offers_a_register_button_that_would_be_refused(self, student_client, term):
        course = _course(term, "CSE101")

        content = student_client.get(f"{CATALOGUE_URL}?term={term.pk}").content.decode()

        row = content[content.index(f'id="offering-{course.pk}"'):].split("</tr>")[0]
        assert f"/credit-exchange/courses/{course.pk}/register/" not in row
        assert _add_url(course) in row

    def test_once_registration_is_open_the_row_offers_register_and_no_basket(self, student_client, registration_open):
        course = _course(registration_open, "CSE101")

        content = student_client.get(CATALOGUE_URL).content.decode()

        row = content[content.index(f'id="offering-{course.pk}"'):].split("</tr>")[0]
        assert f"/credit-exchange/courses/{course.pk}/register/" in row
        assert _add_url(course) not in row
        assert 'id="basket"' not in content  # an empty basket that can no longer be filled is not shown

    def test_a_basket_with_courses_stays_beside_the_catalogue_once_registration_is_open(
        self, student_client, student, registration_open
    ):
        _basket(student, _course(registration_open, "CSE101"))

        content = student_client.get(CATALOGUE_URL).content.decode()

        assert 'id="basket"' in content and "Registration is open: register your basket in one click." in content

    def test_the_row_of_a_course_with_a_waitlist_says_how_many_wait_and_that_free_seats_go_to_them(
        self, student_client, student, other, registration_open
    ):
        course = _full(registration_open, "FUL100", taken_by=other)
        for _ in range(2):
            waitlist_service.waitlist_join(student=issued_student(registration_open), offering_id=course.pk)
        # Staff add two seats: they are promised to the waitlist until the next release.
        CourseOffering.objects.filter(pk=course.pk).update(capacity=3)

        content = student_client.get(CATALOGUE_URL).content.decode()

        row = " ".join(re.sub(r"<[^>]+>", " ", content[content.index(f'id="offering-{course.pk}"'):].split("</tr>")[0]).split())
        assert "2 / 3" in row and "2 on the waitlist" in row and "Seats go to the waitlist" in row
        assert _join_url(course) in content
        assert f"/credit-exchange/courses/{course.pk}/register/" not in content

    def test_a_visitor_or_a_student_without_an_id_sees_no_basket(self, client, term):
        _course(term, "CSE101")
        assert 'id="basket"' not in client.get(CATALOGUE_URL).content.decode()
        client.force_login(UserFactory(kind="exchange"))
        assert 'id="basket"' not in client.get(CATALOGUE_URL).content.decode()

    @staticmethod
    def _queries(client, url) -> int:
        client.get(url)  # warm the session and the cached windows
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries.captured_queries)

    def test_a_page_of_courses_with_a_basket_costs_no_more_queries_than_one_course(self, student_client, student, term):
        first = _course(term, "A000")
        _basket(student, first)
        small = self._queries(student_client, f"{CATALOGUE_URL}?term={term.pk}")

        more = [_course(term, f"B{n:03d}", weekday=n % 6, start=9 + n % 5) for n in range(30)]
        _basket(student, *more[:5])
        large = self._queries(student_client, f"{CATALOGUE_URL}?term={term.pk}")

        assert large == small
        # Session, user, terms, the page's count, the student's registrations, the basket (items, their slots, the
        # registered courses), the waitlists, then the page's rows (departments, campuses, offerings, slots); the
        # eligibility and the windows come from the cache. One spare for the registered courses' slots.
        assert large <= 14, large

    def test_waitlists_add_a_bounded_number_of_queries(self, student_client, student, other, registration_open, settings):
        url = f"{CATALOGUE_URL}?term={registration_open.pk}"
        courses = [_full(registration_open, f"F{n:03d}", taken_by=other, weekday=n) for n in range(3)]
        waitlist_service.waitlist_join(student=student, offering_id=courses[0].pk)
        one = self._queries(student_client, url)
        for course in courses[1:]:
            waitlist_service.waitlist_join(student=student, offering_id=course.pk)
        for n in range(20):
            _course(registration_open, f"Z{n:03d}", weekday=5)

        three = self._queries(student_client, url)

        # The position of each entry is one query, and a student waits on at most WAITLIST_MAX_PER_STUDENT lists.
        assert three - one == 2
        assert three <= 14 + settings.WAITLIST_MAX_PER_STUDENT, three


class TestMyRegistrationsWithWaitlists:
    def test_it_shows_the_position_and_the_next_release(self, student_client, student, full_course):
        waitlist_service.waitlist_join(student=issued_student(full_course.term), offering_id=full_course.pk)
        entry = waitlist_service.waitlist_join(student=student, offering_id=full_course.pk)

        response = student_client.get(MINE_URL)

        content, text = response.content.decode(), _text(response)
        assert 'id="waitlists"' in content
        assert f'data-offering="{full_course.pk}"' in content
        assert "Waitlist: position 2" in text
        release = waitlist_service.next_release(term=full_course.term)
        assert release is not None
        assert f"next release {dates.when(release)} (Asia/Seoul)" in text
        assert _leave_url(entry) in content
        assert _claim_url(entry) not in content

    def test_an_offered_seat_shows_its_deadline_and_a_claim_button(self, student_client, student, other, registration_open):
        entry = _offered(registration_open, student, other)

        response = student_client.get(MINE_URL)

        content, text = response.content.decode(), _text(response)
        assert f"A seat is held for you until {dates.when(entry.claim_until)} (Asia/Seoul)." in text
        assert _claim_url(entry) in content
        assert "Decline" in text

    def test_without_waitlists_the_section_is_absent(self, student_client, student, registration_open):
        assert 'id="waitlists"' not in student_client.get(MINE_URL).content.decode()

    def test_the_basket_shows_on_my_registrations_too(self, student_client, student, term):
        _basket(student, _course(term, "CSE101"))

        content = student_client.get(f"{MINE_URL}?term={term.pk}").content.decode()

        assert 'id="basket"' in content and 'data-offering=' in content

    def test_another_students_waitlist_is_not_shown(self, student_client, full_course):
        waitlist_service.waitlist_join(student=issued_student(full_course.term), offering_id=full_course.pk)

        assert 'id="waitlists"' not in student_client.get(MINE_URL).content.decode()

