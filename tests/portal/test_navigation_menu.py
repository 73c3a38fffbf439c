"""The menu fits the person (issue 11): exchange students, home students, staff and visitors each see their own items."""

import pytest
from django.test import Client

from ..factories import StudentRecordFactory, TemporaryStudentIdFactory, UserFactory

pytestmark = pytest.mark.django_db

LINKS = {
    "apply_id": 'href="/credit-exchange/apply/"',
    "registrations": 'id="nav-registrations"',
    "basket": 'id="nav-basket"',
    "grades": 'id="nav-grades"',
    "affiliation": 'id="nav-affiliation"',
    "admin": 'id="nav-admin"',
    "staffdesk": 'id="nav-staffdesk"',
    "notices": 'id="nav-notices"',
    "courses": 'id="nav-courses"',
}


def _menu(user=None) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    page = client.get("/").content.decode()
    return page[page.index('id="mainnav"'):page.index("</nav>")]


def _shown(menu: str) -> set[str]:
    return {name for name, marker in LINKS.items() if marker in menu}


def test_it_shows_an_exchange_student_courses_registrations_and_the_basket_but_no_affiliation():
    menu = _menu(TemporaryStudentIdFactory().user)
    assert _shown(menu) == {"registrations", "basket", "grades", "notices", "courses"}


def test_it_shows_a_home_student_the_change_of_affiliation_and_no_registrations():
    menu = _menu(StudentRecordFactory().user)
    assert _shown(menu) == {"affiliation", "notices"}


def test_it_shows_a_home_student_without_a_record_yet_the_change_of_affiliation():
    assert _shown(_menu(UserFactory(kind="home"))) == {"affiliation", "notices"}


def test_it_shows_staff_the_administration_and_the_dashboard():
    menu = _menu(UserFactory(is_staff=True, kind="staff"))
    assert _shown(menu) == {"admin", "staffdesk", "notices", "courses"}


def test_it_lets_a_visitor_find_the_change_of_affiliation_and_the_id_application():
    menu = _menu()
    assert {"affiliation", "apply_id", "notices", "courses"} <= _shown(menu)
    assert not {"registrations", "basket", "grades", "admin"} & _shown(menu)


def test_it_tells_both_kinds_of_student_how_to_sign_in():
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()
    assert 'id="login-exchange"' in page and "temporary student ID" in page
    assert 'id="login-home"' in page and "student number" in page
