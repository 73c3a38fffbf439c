"""Redis down: a rate-limited form answers with a message in the reader's language and lets no guess through.

The counters must hold, so a look-up is refused rather than allowed uncounted; but the person sees why, on the
form, in Korean or English — not a server error page. The cache here is a Redis on a port nobody listens on.
"""

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import ApplicationFactory, UserFactory

DOWN = {"default": {
    "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6399/0",
    "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
}}


@pytest.mark.parametrize("language, expected", [("ko", "잠시"), ("en", "briefly unavailable")])
def test_the_result_lookup_says_try_again_and_counts_nothing_as_allowed(client, open_term, partner, language, expected):
    application = ApplicationFactory(term=open_term, partner=partner)
    client.cookies["django_language"] = language
    with override_settings(CACHES=DOWN):
        response = client.post(reverse("creditexchange:application_lookup"), {
            "partner": partner.pk, "home_student_number": application.home_student_number,
            "date_of_birth": application.date_of_birth.isoformat(),
        }, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert expected in page
    assert application.home_student_number not in page.split("<form")[0] or "result" not in response.context or \
        response.context["result"] is None


def test_a_password_link_request_says_try_again(client, db):
    UserFactory(username="T2027001", email="t@partner.example")
    with override_settings(CACHES=DOWN):
        response = client.post(reverse("accounts:password_link"), {"username": "T2027001", "email": "t@partner.example"},
                                HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "briefly unavailable" in response.content.decode()
