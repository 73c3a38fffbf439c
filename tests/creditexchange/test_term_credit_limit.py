"""A term's credit limit cannot be lowered under registered students (issue 12, nearby finding 4): the Term admin
refuses, naming them and their totals, and saves nothing; raising it, or lowering it while nobody is over, saves."""

from django.urls import reverse

from tests.factories import CourseOfferingFactory, CourseRegistrationFactory, TermFactory, UserFactory

from .test_admin import _change_form_data


def _post_limit(client, term, limit):
    url = reverse("admin:academics_term_change", args=[term.pk])
    data = {**_change_form_data(client.get(url)), "credit_limit": str(limit)}
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def test_lowering_the_limit_below_a_registered_total_is_refused_naming_the_students(registrar_client):
    term = TermFactory(year=2031, season="spring", credit_limit=12)
    heavy, light = UserFactory(username="T203100001"), UserFactory(username="T203100002")
    for _ in range(3):
        CourseRegistrationFactory(student=heavy, offering=CourseOfferingFactory(term=term, credits=3))
    CourseRegistrationFactory(student=light, offering=CourseOfferingFactory(term=term, credits=3))

    response = _post_limit(registrar_client, term, 6)
    assert response.status_code == 200
    page = response.content.decode()
    assert "T203100001 (9)" in page and "T203100002" not in page
    term.refresh_from_db()
    assert term.credit_limit == 12

    assert _post_limit(registrar_client, term, 9).status_code == 302  # nobody over 9
    term.refresh_from_db()
    assert term.credit_limit == 9
    assert _post_limit(registrar_client, term, 15).status_code == 302
