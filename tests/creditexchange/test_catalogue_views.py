"""Catalogue, register/drop (htmx row swaps) and My registrations (SPEC §3.2)."""

import html
import re
from datetime import time, timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from academics.models import TermWindow
from creditexchange import selectors, services
from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent

from ..factories import (
    CourseOfferingFactory,
    CourseRegistrationFactory,
    DepartmentFactory,
    TermFactory,
    TermWindowFactory,
    TimeSlotFactory,
    UserFactory,
    host_campus,
    issued_student,
)

Status = CourseRegistration.Status
CATALOGUE_URL = "/credit-exchange/courses/"
MINE_URL = "/credit-exchange/registrations/"


def _register_url(offering) -> str:
    return f"/credit-exchange/courses/{offering.pk}/register/"


def _drop_url(registration) -> str:
    return f"/credit-exchange/registrations/{registration.pk}/drop/"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def term(db):
    """The current term: its registration window is open now, the change window comes later."""
    term = TermFactory(year=2027, season="spring", credit_limit=12)
    now = timezone.now()
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    TermWindowFactory(term=term, kind=TermWindow.Kind.CHANGE, starts_at=now + timedelta(days=10), ends_at=now + timedelta(days=17))
    return term


@pytest.fixture
def change_window_open(term):
    """Registration is over and the change window is open now."""
    now = timezone.now()
    TermWindow.objects.filter(term=term, kind=TermWindow.Kind.REGISTRATION).update(
        starts_at=now - timedelta(days=20), ends_at=now - timedelta(days=10)
    )
    TermWindow.objects.filter(term=term, kind=TermWindow.Kind.CHANGE).update(
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=6)
    )
    return term


@pytest.fixture
def student(term):
    return issued_student(term)


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client


@pytest.fixture
def offering(term):
    offering = CourseOfferingFactory(term=term, code="CSE101", title_en="Data Structures", capacity=30, instructor="Kim")
    TimeSlotFactory(offering=offering, weekday=2, starts_at=time(10, 0), ends_at=time(11, 30))
    return offering


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _flash(response) -> str:
    """The message shown under the row's button."""
    found = re.search(r'role="status">(.*?)</div>', _text(response), re.S)
    assert found, "the row shows no message"
    return found.group(1)


def _codes(response) -> list[str]:
    return [o.code for o in response.context["page"].object_list]


def _has_register_button(response, offering) -> bool:
    return f'action="{_register_url(offering)}"' in response.content.decode()


class _Table(HTMLParser):
    """The text of each cell, row by row, of the table with a given id."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.depth, self.rows, self._cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (self.depth or dict(attrs).get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self._cell = []
        elif self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(response, table_id: str) -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(response.content.decode())
    return parser.rows


class TestCatalogue:
    def test_it_is_public_and_lists_only_published_offerings_open_to_exchange_students(self, client, term, offering):
        CourseOfferingFactory(term=term, code="DRAFT1", published_at=None)
        CourseOfferingFactory(term=term, code="CLOSED", open_to_exchange=False)
        CourseOfferingFactory(term=TermFactory(year=2026, season="fall"), code="OLD101")

        response = client.get(CATALOGUE_URL)

        assert response.status_code == 200
        assert response.context["term"] == term
        assert _codes(response) == ["CSE101"]
        text = _text(response)
        assert "CSE101-01" in text and "Data Structures" in text and "Wed 10:00–11:30" in text
        assert "DRAFT1" not in text and "CLOSED" not in text and "OLD101" not in text

    def test_it_shows_another_term_when_asked(self, client, term, offering):
        fall = TermFactory(year=2026, season="fall")
        CourseOfferingFactory(term=fall, code="OLD101")

        response = client.get(CATALOGUE_URL, {"term": fall.pk})

        assert response.context["term"] == fall
        assert _codes(response) == ["OLD101"]

    def test_it_shows_the_seats_left(self, client, term, offering):
        for other in (issued_student(term), issued_student(term)):
            services.registration_submit(student=other, offering_id=offering.pk)

        response = client.get(CATALOGUE_URL)

        assert '<td class="text-center seats-left" data-label="Seats left">28 / 30</td>' in response.content.decode()

    def test_it_filters_by_search_text_department_campus_weekday_and_credits(self, client, term):
        main, second = host_campus("main"), host_campus("daejeon")
        cse = DepartmentFactory(code="cse", campus=main)
        bio = DepartmentFactory(code="bio", campus=second)
        algo = CourseOfferingFactory(term=term, code="CSE201", title_en="Algorithms", department=cse, campus=main, credits=3)
        TimeSlotFactory(offering=algo, weekday=0)
        cell = CourseOfferingFactory(term=term, code="BIO110", title_en="Cell Biology", department=bio, campus=second,
                                     credits=2, instructor="Park Jiwoo")
        TimeSlotFactory(offering=cell, weekday=3)
        CourseOfferingFactory(term=term, code="MAT100", title_ko="미적분학", title_en="Calculus", campus=main, credits=4)

        def codes(**params):
            response = client.get(CATALOGUE_URL, params)
            assert response.status_code == 200
            return sorted(_codes(response))

        assert codes() == ["BIO110", "CSE201", "MAT100"]
        assert codes(q="algo") == ["CSE201"]
        assert codes(q="미적분") == ["MAT100"]
        assert codes(q="park") == ["BIO110"]
        assert codes(q="bio1") == ["BIO110"]
        assert codes(department="cse") == ["CSE201"]
        assert codes(campus="daejeon") == ["BIO110"]
        assert codes(campus="main") == ["CSE201", "MAT100"]
        assert codes(weekday="3") == ["BIO110"]
        assert codes(weekday="5") == []
        assert codes(credits="4") == ["MAT100"]
        assert codes(campus="main", credits="3", q="CSE") == ["CSE201"]

    def test_it_pages_twenty_offerings_at_a_time(self, client, term):
        for number in range(25):
            CourseOfferingFactory(term=term, code=f"PAGE{number:02d}")

        first = client.get(CATALOGUE_URL)
        second = client.get(CATALOGUE_URL, {"page": 2})

        assert _codes(first) == [f"PAGE{n:02d}" for n in range(20)]
        assert _codes(second) == [f"PAGE{n:02d}" for n in range(20, 25)]
        assert "Page 2 of 2" in _text(second)

    def test_the_next_page_link_keeps_the_filters(self, client, term):
        for number in range(21):
            CourseOfferingFactory(term=term, code=f"KEEP{number:02d}", credits=2)
        CourseOfferingFactory(term=term, code="OTHER3", credits=3)

        first = client.get(CATALOGUE_URL, {"credits": "2"})

        assert 'href="?credits=2&page=2"' in first.content.decode()
        assert _codes(client.get(CATALOGUE_URL, {"credits": "2", "page": "2"})) == ["KEEP20"]

    def test_an_anonymous_visitor_sees_no_register_buttons(self, client, offering):
        response = client.get(CATALOGUE_URL)

        assert not response.context["can_register"]
        assert not _has_register_button(response, offering)
        assert "hx-post" not in response.content.decode()

    def test_a_student_without_an_id_for_the_term_sees_no_register_buttons(self, client, term, offering):
        client.force_login(issued_student(TermFactory(year=2026, season="fall")))

        response = client.get(CATALOGUE_URL)

        assert not _has_register_button(response, offering)
        assert "You can register once you hold a temporary student ID issued for 2027 Spring." in _text(response)

    def test_a_student_with_an_issued_id_sees_register_buttons(self, student_client, term, offering):
        other = CourseOfferingFactory(term=term, code="CSE102")

        response = student_client.get(CATALOGUE_URL)

        assert response.context["can_register"]
        assert _has_register_button(response, offering) and _has_register_button(response, other)
        assert "You can register once" not in _text(response)

    def test_a_registered_student_sees_a_drop_button_instead(self, student_client, student, offering, change_window_open):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.get(CATALOGUE_URL)

        assert not _has_register_button(response, offering)
        assert f'action="{_drop_url(registration)}"' in response.content.decode()

    def test_a_full_offering_shows_full_instead_of_a_button(self, student_client, term):
        full = CourseOfferingFactory(term=term, code="FULL01", capacity=1)
        services.registration_submit(student=issued_student(term), offering_id=full.pk)

        response = student_client.get(CATALOGUE_URL)

        assert not _has_register_button(response, full)
        assert '<td class="text-center seats-left" data-label="Seats left">0 / 1</td>' in response.content.decode()
        assert ">Full</span>" in response.content.decode()


class TestRegisterAndDrop:
    def test_it_registers_and_returns_the_row_for_htmx(self, student_client, student, offering):
        response = student_client.post(_register_url(offering), HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        assert [t.name for t in response.templates][0] == "creditexchange/_offering_row.html"
        content = _text(response)
        assert content.startswith(f'<tr id="offering-{offering.pk}">') and "<html" not in content
        registration = CourseRegistration.objects.get(student=student, offering=offering)
        assert registration.status == Status.REGISTERED
        # In the registration window no drop is possible yet: the row says when it opens instead of a button.
        assert f'action="{_drop_url(registration)}"' not in content and ">Drop</button>" not in content
        assert "Drop opens" in content
        assert "Registered for CSE101-01 Data Structures." in content and "text-success" in content
        assert "29 / 30" in content
        assert RegistrationEvent.objects.get().actor == student

    def test_it_returns_the_row_with_the_message_when_the_course_is_full(self, student_client, student, term):
        full = CourseOfferingFactory(term=term, code="FULL01", title_en="Popular", capacity=1)
        services.registration_submit(student=issued_student(term), offering_id=full.pk)

        response = student_client.post(_register_url(full), HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        content = _text(response)
        assert content.startswith(f'<tr id="offering-{full.pk}">')
        assert "FULL01-01 Popular is full." in content and "text-danger" in content
        assert not CourseRegistration.objects.filter(student=student).exists()
        full.refresh_from_db()
        assert full.seats_taken == 1

    def test_it_returns_the_row_with_the_message_when_the_window_is_closed(self, student_client, student, term, offering):
        TermWindow.objects.filter(term=term, kind=TermWindow.Kind.REGISTRATION).update(
            starts_at=timezone.now() + timedelta(days=5), ends_at=timezone.now() + timedelta(days=8)
        )
        registration_window = term.windows.get(kind=TermWindow.Kind.REGISTRATION)

        response = student_client.post(_register_url(offering), HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        flash = _flash(response)
        assert "2027 Spring" in flash and registration_window.describe() in flash and "Asia/Seoul" in flash
        assert "text-danger" in response.content.decode()
        assert not CourseRegistration.objects.exists()

    def test_it_tells_a_student_without_an_id_why_the_registration_was_refused(self, client, term, offering):
        client.force_login(UserFactory())

        response = client.post(_register_url(offering), HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        assert not CourseRegistration.objects.exists()
        assert "temporary student ID issued for 2027 Spring" in _flash(response)

    def test_without_htmx_it_redirects_with_a_success_message(self, student_client, student, offering):
        response = student_client.post(_register_url(offering), {"next": f"{CATALOGUE_URL}?q=CSE"}, follow=True)

        assert response.redirect_chain == [(f"{CATALOGUE_URL}?q=CSE", 302)]
        assert [str(m) for m in response.context["messages"]] == ["Registered for CSE101-01 Data Structures."]
        assert CourseRegistration.objects.filter(student=student, status=Status.REGISTERED).count() == 1

    @pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/x", "/\\evil.example"])
    def test_without_htmx_it_never_redirects_to_another_site(self, student_client, offering, target):
        response = student_client.post(_register_url(offering), {"next": target})

        assert response.status_code == 302
        assert response["Location"] == CATALOGUE_URL

    def test_without_htmx_a_domain_error_redirects_to_the_catalogue_with_the_message(self, student_client, student, offering):
        services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.post(_register_url(offering))

        assert response.status_code == 302 and response["Location"] == CATALOGUE_URL
        page = student_client.get(response["Location"])
        messages = [(m.level_tag, str(m)) for m in page.context["messages"]]
        assert messages == [("error", "You are already registered for CSE101-01 Data Structures.")]
        assert CourseRegistration.objects.filter(student=student).count() == 1

    def test_registering_needs_a_login(self, client, offering):
        url = _register_url(offering)

        response = client.post(url, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=f"http://testserver{CATALOGUE_URL}")

        assert response.status_code == 204  # the whole page goes to the login page, never a login form in the row
        assert response["HX-Redirect"] == "/accounts/login/?next=%2Fcredit-exchange%2Fcourses%2F"
        assert not CourseRegistration.objects.exists()

    def test_it_refuses_get_on_the_register_url(self, student_client, offering):
        response = student_client.get(_register_url(offering))

        assert response.status_code == 405
        assert not CourseRegistration.objects.exists()

    def test_it_drops_in_the_change_window_and_returns_the_row_with_a_register_button(
        self, student_client, student, offering, change_window_open
    ):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.post(_drop_url(registration), {"offering": offering.pk}, HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        content = _text(response)
        assert "Dropped CSE101-01 Data Structures." in content
        assert _has_register_button(response, offering) and "30 / 30" in content
        registration.refresh_from_db()
        assert registration.status == Status.DROPPED
        assert RegistrationEvent.objects.filter(registration=registration, to_status=Status.DROPPED, actor=student).exists()

    def test_a_drop_in_the_registration_window_returns_the_row_with_the_message(self, student_client, student, term, offering):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.post(_drop_url(registration), {"offering": offering.pk}, HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        change_window = term.windows.get(kind=TermWindow.Kind.CHANGE)
        flash = _flash(response)
        assert "2027 Spring" in flash and change_window.describe() in flash
        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED

    def test_a_student_cannot_drop_someone_elses_registration(self, client, term, offering, change_window_open):
        owner = issued_student(term)
        registration = services.registration_submit(student=owner, offering_id=offering.pk)
        client.force_login(issued_student(term))

        response = client.post(_drop_url(registration), {"offering": offering.pk}, HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        assert "This registration does not exist." in _text(response)
        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED
        offering.refresh_from_db()
        assert offering.seats_taken == 1


    @pytest.mark.parametrize("value", ["²", "abc", "99999999999999999999999"])
    def test_a_refused_drop_with_a_malformed_offering_field_answers_without_an_error_page(
        self, student_client, student, offering, value
    ):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.post(_drop_url(registration), {"offering": value})

        assert response.status_code == 302
        assert response["Location"] == CATALOGUE_URL
        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED


class TestMyRegistrations:
    def test_it_needs_a_login(self, client):
        response = client.get(MINE_URL)

        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={MINE_URL}"

    def test_it_shows_another_term_when_asked(self, student_client, student, term, offering):
        fall = TermFactory(year=2026, season="fall")
        old = CourseOfferingFactory(term=fall, code="OLD101")
        CourseRegistrationFactory(student=student, offering=old)
        services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.get(MINE_URL, {"term": fall.pk})

        assert response.context["term"] == fall
        assert [r.offering.code for r in response.context["registrations"]] == ["OLD101"]

    @pytest.mark.parametrize("value", ["abc", "²", "1²", "-1", "99999999999999999999999"])
    def test_it_falls_back_to_the_current_term_for_a_malformed_term_parameter(self, student_client, term, value):
        # "²" passes str.isdigit() but not int(): it once answered 500.
        response = student_client.get(MINE_URL, {"term": value})

        assert response.status_code == 200
        assert response.context["term"] == term

    def test_each_student_sees_only_their_own_registrations(self, client, term, offering):
        first, second = issued_student(term), issued_student(term)
        other = CourseOfferingFactory(term=term, code="MAT201", credits=2)
        services.registration_submit(student=first, offering_id=offering.pk)
        services.registration_submit(student=second, offering_id=other.pk)

        client.force_login(first)
        mine = client.get(MINE_URL)
        client.force_login(second)
        theirs = client.get(MINE_URL)

        assert [r.offering.code for r in mine.context["registrations"]] == ["CSE101"]
        assert [r.offering.code for r in theirs.context["registrations"]] == ["MAT201"]
        assert "MAT201" not in _text(mine) and "CSE101" not in _text(theirs)

    def test_it_leaves_out_dropped_registrations(self, student_client, student, offering, change_window_open):
        registration = services.registration_submit(student=student, offering_id=offering.pk)
        services.registration_drop(student=student, registration_id=registration.pk)

        response = student_client.get(MINE_URL)

        assert response.context["registrations"] == []
        assert "You have no course registrations for this term." in _text(response)

    def test_it_shows_total_credits_and_the_timetable(self, student_client, student, term, offering):
        lab = CourseOfferingFactory(term=term, code="PHY150", credits=2)
        TimeSlotFactory(offering=lab, weekday=4, starts_at=time(14, 0), ends_at=time(15, 0))
        for course in (offering, lab):
            services.registration_submit(student=student, offering_id=course.pk)

        response = student_client.get(MINE_URL)

        assert response.status_code == 200
        assert '<strong id="total-credits">5 credits</strong>' in response.content.decode()
        rows = _table(response, "timetable")
        assert rows[0] == ["", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        by_hour = {row[0]: row[1:] for row in rows[1:]}
        assert by_hour["09:00"] == ["", "", "", "", "", ""]
        assert by_hour["10:00"] == ["", "", "CSE101", "", "", ""]  # Wed 10:00-11:30
        assert by_hour["11:00"] == ["", "", "CSE101", "", "", ""]
        assert by_hour["12:00"] == ["", "", "", "", "", ""]
        assert by_hour["14:00"] == ["", "", "", "", "PHY150", ""]  # Fri 14:00-15:00
        assert by_hour["15:00"] == ["", "", "", "", "", ""]


class TestQueryCounts:
    """The pages run a fixed number of queries whatever the number of rows."""

    @staticmethod
    def _queries(client, url) -> int:
        client.get(url)  # warm up session and per-process caches
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries.captured_queries)

    @staticmethod
    def _offerings(term, count: int, start: int = 0):
        for number in range(start, start + count):
            offering = CourseOfferingFactory(term=term, code=f"Q{number:03d}")
            TimeSlotFactory(offering=offering, weekday=number % 6, starts_at=time(9), ends_at=time(10))
            TimeSlotFactory(offering=offering, weekday=(number + 2) % 6, starts_at=time(13), ends_at=time(14))

    def test_the_catalogue_for_one_offering_costs_the_same_as_for_a_hundred(
        self, student_client, student, term, django_assert_num_queries
    ):
        self._offerings(term, 1)
        services.registration_submit(student=student, offering_id=CourseOffering.objects.get().pk)
        small = self._queries(student_client, CATALOGUE_URL)

        self._offerings(term, 99, start=1)
        student_client.get(CATALOGUE_URL)
        with django_assert_num_queries(small):
            response = student_client.get(CATALOGUE_URL)

        assert len(response.context["page"].object_list) == 20
        content = response.content.decode()
        assert content.count("09:00–10:00") == content.count("13:00–14:00") == 20  # both slots of every row

    def test_the_catalogue_for_one_offering_costs_the_same_as_for_a_full_page(self, student_client, term):
        self._offerings(term, 1)
        small = self._queries(student_client, CATALOGUE_URL)

        self._offerings(term, 19, start=1)
        large = self._queries(student_client, CATALOGUE_URL)

        assert small == large
        assert len(student_client.get(CATALOGUE_URL).context["page"].object_list) == 20

    @staticmethod
    def _click(client, offering) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(_register_url(offering), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        return len(queries.captured_queries), _flash(response)

    def test_a_register_click_runs_a_fixed_short_list_of_queries(self, student_client, student, term):
        """The 09:00 rush path (bench/README.md): every query here is paid thousands of times a minute."""
        first, second, full = (CourseOfferingFactory(term=term, code=code) for code in ("A101", "B101", "C101"))
        TimeSlotFactory(offering=second, weekday=2)
        full.capacity = full.seats_taken = 0
        full.save()
        student_client.get(CATALOGUE_URL)  # as in the rush, the catalogue page was open before the click
        student_client.post(_register_url(first), HTTP_HX_REQUEST="true")  # the term's windows are cached now
        for offering in (second, full):  # the rows' static parts are cached by the first click on each (issue 14)
            selectors.offering_static(CourseOffering.objects.get(pk=offering.pk))

        # session, user, the click's one read (offering, term, the student's registration of it); savepoint, lock
        # the ID, seat UPDATE, registration INSERT with its rules, event INSERT, release.
        assert self._click(student_client, second) == (9, f"Registered for {second}.")
        # session, user, the click's one read: a full course is refused from that row.
        assert self._click(student_client, full) == (3, f"{full} is full.")

    def test_a_first_click_on_an_offering_reads_its_static_part_once(self, student_client, term):
        offering = CourseOfferingFactory(term=term, code="A101", capacity=0)
        TimeSlotFactory(offering=offering, weekday=2)
        student_client.get(CATALOGUE_URL)
        # A click on another course first: PostgreSQL prepares the click's statement once per connection (core.sql).
        student_client.post(_register_url(CourseOfferingFactory(term=term, code="B101")), HTTP_HX_REQUEST="true")

        # session, user, the click's read, then its campus and slots (it has no department), cached from then on.
        assert self._click(student_client, offering) == (5, f"{offering} is full.")
        assert self._click(student_client, offering) == (3, f"{offering} is full.")

    def test_my_registrations_for_one_course_cost_the_same_as_for_four(self, student_client, student, term):
        term.credit_limit = 20
        term.save()
        courses = []
        for number in range(4):
            course = CourseOfferingFactory(term=term, code=f"R{number:03d}", credits=3)
            TimeSlotFactory(offering=course, weekday=number, starts_at=time(9), ends_at=time(10, 30))
            TimeSlotFactory(offering=course, weekday=number, starts_at=time(13), ends_at=time(14, 30))
            courses.append(course)
        services.registration_submit(student=student, offering_id=courses[0].pk)
        small = self._queries(student_client, MINE_URL)

        for course in courses[1:]:
            services.registration_submit(student=student, offering_id=course.pk)
        large = self._queries(student_client, MINE_URL)

        assert small == large
        assert '<strong id="total-credits">12 credits</strong>' in student_client.get(MINE_URL).content.decode()

    def test_my_registrations_for_one_course_cost_the_same_as_for_a_hundred(self, student_client, student, term):
        term.credit_limit = 300
        term.save()

        def add(number: int):
            # Non-overlapping 50-minute slots: six weekdays times seventeen periods from 07:00.
            course = CourseOfferingFactory(term=term, code=f"H{number:03d}", credits=3)
            start = 7 * 60 + (number // 6) * 55
            TimeSlotFactory(offering=course, weekday=number % 6, starts_at=time(start // 60, start % 60),
                            ends_at=time((start + 50) // 60, (start + 50) % 60))
            CourseRegistrationFactory(student=student, offering=course)

        add(0)
        small = self._queries(student_client, MINE_URL)
        for number in range(1, 100):
            add(number)
        large = self._queries(student_client, MINE_URL)

        assert small == large
        response = student_client.get(MINE_URL)
        assert len(response.context["registrations"]) == 100
        assert '<strong id="total-credits">300 credits</strong>' in response.content.decode()


# --- Drop is offered only when a drop is possible (issue 11) ----------------------------------------------------------


class TestDropOffered:
    """The rule lives in services.drop_window; the catalogue row and My registrations only show it."""

    def test_the_drop_window_is_upcoming_open_or_closed_by_the_change_window(self, term):
        change = term.windows.get(kind=TermWindow.Kind.CHANGE)

        before = services.drop_window(term=term, at=change.starts_at - timedelta(seconds=1))
        first = services.drop_window(term=term, at=change.starts_at)
        after = services.drop_window(term=term, at=change.ends_at)

        assert (before.state, before.is_open, before.opens_at) == ("upcoming", False, change.starts_at)
        assert (first.state, first.is_open) == ("open", True)
        assert (after.state, after.is_open, after.closes_at) == ("closed", False, change.ends_at)

    def test_without_a_change_window_no_drop_is_possible(self, db):
        term = TermFactory(year=2028, season="fall")

        window = services.drop_window(term=term)

        assert window.state == "none" and not window.is_open
        assert "not scheduled" in str(window.message)

    def test_the_catalogue_says_when_drop_opens_in_seoul_time(self, student_client, student, term, offering):
        registration = services.registration_submit(student=student, offering_id=offering.pk)
        opens = term.windows.get(kind=TermWindow.Kind.CHANGE).starts_at

        response = student_client.get(CATALOGUE_URL)

        assert f'action="{_drop_url(registration)}"' not in response.content.decode()
        seoul = timezone.localtime(opens, timezone.get_fixed_timezone(9 * 60))
        text = _text(response)
        assert "Drop opens" in text and "Asia/Seoul" in text
        assert f"{seoul.day}, {seoul.year}" in text or f"{seoul:%Y-%m-%d}" in text

    def test_the_catalogue_offers_drop_in_the_change_window(self, student_client, student, offering, change_window_open):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.get(CATALOGUE_URL)

        assert f'action="{_drop_url(registration)}"' in response.content.decode()
        assert "Drop opens" not in _text(response)

    def test_after_the_change_window_the_catalogue_says_drop_closed(self, student_client, student, term, offering):
        registration = services.registration_submit(student=student, offering_id=offering.pk)
        now = timezone.now()
        TermWindow.objects.filter(term=term, kind=TermWindow.Kind.CHANGE).update(
            starts_at=now - timedelta(days=5), ends_at=now - timedelta(days=1)
        )

        response = student_client.get(CATALOGUE_URL)

        assert f'action="{_drop_url(registration)}"' not in response.content.decode()
        assert "Drop closed on" in _text(response)

    def test_my_registrations_offer_drop_only_in_the_change_window(self, student_client, student, term, offering):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        before = student_client.get(MINE_URL)
        TermWindow.objects.filter(term=term, kind=TermWindow.Kind.CHANGE).update(
            starts_at=timezone.now() - timedelta(days=1), ends_at=timezone.now() + timedelta(days=1)
        )
        during = student_client.get(MINE_URL)

        assert f'action="{_drop_url(registration)}"' not in before.content.decode() and "Drop opens" in _text(before)
        assert f'action="{_drop_url(registration)}"' in during.content.decode() and "Drop opens" not in _text(during)

    def test_the_korean_catalogue_says_when_drop_opens_in_korean(self, student_client, student, offering):
        services.registration_submit(student=student, offering_id=offering.pk)

        response = student_client.get(CATALOGUE_URL, HTTP_ACCEPT_LANGUAGE="ko")

        assert "수강취소는" in _text(response) and "부터 가능합니다" in _text(response) and "Drop opens" not in _text(response)
