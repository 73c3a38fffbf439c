"""An htmx request whose session has ended leads the whole page to the login page (HX-Redirect), never a fragment."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from academics.models import TermWindow
from accounts.middleware import LAST_SEEN
from creditexchange import services
from creditexchange.models import CourseRegistration

from ..factories import (
    CourseOfferingFactory,
    StaffJobFactory,
    TermFactory,
    TermWindowFactory,
    UserFactory,
    issued_student,
)

LOGIN = "/accounts/login/"
PAGE = "http://testserver/credit-exchange/courses/?q=CSE&page=1"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": PAGE}


@pytest.fixture
def offering(db):
    term = TermFactory(year=2027, season="spring")
    now = timezone.now()
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    TermWindowFactory(term=term, kind=TermWindow.Kind.CHANGE, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    return CourseOfferingFactory(term=term, code="CSE101", capacity=30)


def _login_target(response) -> tuple[str, list[str]]:
    assert response.status_code == 204, response.status_code
    assert not response.content
    url = urlsplit(response["HX-Redirect"])
    return url.path, parse_qs(url.query).get("next", [])


def test_it_sends_an_anonymous_register_click_to_the_login_page_coming_back_to_the_catalogue(client, offering):
    response = client.post(f"/credit-exchange/courses/{offering.pk}/register/", **HTMX)

    assert _login_target(response) == (LOGIN, ["/credit-exchange/courses/?q=CSE&page=1"])
    assert not CourseRegistration.objects.exists()


def test_it_sends_an_anonymous_drop_click_to_the_login_page(client, offering):
    registration = services.registration_submit(student=issued_student(offering.term), offering_id=offering.pk)

    response = client.post(f"/credit-exchange/registrations/{registration.pk}/drop/", {"offering": offering.pk}, **HTMX)

    assert _login_target(response) == (LOGIN, ["/credit-exchange/courses/?q=CSE&page=1"])
    registration.refresh_from_db()
    assert registration.status == CourseRegistration.Status.REGISTERED


def test_a_logout_in_another_tab_leads_the_next_click_to_the_login_page(client, offering):
    client.force_login(issued_student(offering.term))
    client.post("/accounts/logout/")

    response = client.post(f"/credit-exchange/courses/{offering.pk}/register/", **HTMX)

    assert _login_target(response) == (LOGIN, ["/credit-exchange/courses/?q=CSE&page=1"])


def test_an_idle_session_ending_on_a_click_comes_back_to_the_catalogue_after_login(client, offering, settings):
    settings.SESSION_IDLE_MINUTES = 30
    client.force_login(issued_student(offering.term))
    client.get("/credit-exchange/courses/")
    session = client.session
    session[LAST_SEEN] = time.time() - 31 * 60
    session.save()

    response = client.post(f"/credit-exchange/courses/{offering.pk}/register/", **HTMX)

    assert _login_target(response) == (LOGIN, ["/credit-exchange/courses/?q=CSE&page=1"])
    assert not CourseRegistration.objects.exists()


@pytest.mark.parametrize("current", ["https://evil.example/x", "", "javascript:alert(1)"])
def test_it_never_sends_the_browser_back_to_another_site(client, offering, current):
    response = client.post(f"/credit-exchange/courses/{offering.pk}/register/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=current)

    assert _login_target(response) == (LOGIN, [])


def test_without_htmx_the_login_redirect_is_unchanged(client, offering):
    url = f"/credit-exchange/courses/{offering.pk}/register/"

    response = client.post(url)

    assert response.status_code == 302 and response["Location"] == f"{LOGIN}?next={url}"


def test_the_staff_job_pages_status_poll_leads_an_ended_session_to_the_login_page(client, db):
    job = StaffJobFactory(created_by=UserFactory(is_staff=True, is_superuser=True))
    page = f"http://testserver/staff/jobs/{job.pk}/"

    response = client.get(f"/staff/jobs/{job.pk}/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=page)

    assert _login_target(response) == (LOGIN, [f"/staff/jobs/{job.pk}/"])


def test_a_redirect_without_next_is_only_made_a_page_redirect(client, offering, settings):
    # The HX-Redirect keeps the target as it is when the redirect carried no "come back" address.
    from core.htmx import page_redirect_for

    assert page_redirect_for(current="/x/", location="/accounts/profile/") == "/accounts/profile/"
    assert page_redirect_for(current="/x/", location="/accounts/login/?next=%2Fy%2F") == "/accounts/login/?next=%2Fx%2F"
    assert page_redirect_for(current="", location="/accounts/login/?next=%2Fy%2F&a=1") == "/accounts/login/?a=1"
