"""Rate limits behind a proxy: the client address (NUM_PROXIES) and keyed limits that a NAT or a botnet cannot abuse."""

import html
import ipaddress
from datetime import date
from unittest import mock

import pytest
from django.core import mail
from django.test import Client, RequestFactory
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts import services as account_services
from core import ratelimit
from core.errors import DomainError, RateLimited
from core.http import client_ip
from creditexchange import services

from ..factories import UserFactory

LOOKUP_URL = "/credit-exchange/apply/result/"
PASSWORD_URL = "/accounts/password/"


def _request(remote="203.0.113.9", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


# --- client_ip and NUM_PROXIES ------------------------------------------------------------------------------------

def test_it_ignores_the_header_entirely_without_proxies(settings):
    settings.NUM_PROXIES = 0

    assert client_ip(_request("198.51.100.7", "1.2.3.4")) == "198.51.100.7"
    assert client_ip(_request("198.51.100.7", "1.2.3.4, 5.6.7.8")) == "198.51.100.7"


def test_it_takes_the_entry_nginx_appended_behind_one_proxy(settings):
    settings.NUM_PROXIES = 1

    # nginx: X-Forwarded-For $proxy_add_x_forwarded_for = what the client sent, then the client's address.
    assert client_ip(_request("127.0.0.1", "198.51.100.7")) == "198.51.100.7"
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 7.7.7.7, 198.51.100.7")) == "198.51.100.7"


def test_it_takes_the_entry_the_load_balancer_appended_behind_two_proxies(settings):
    settings.NUM_PROXIES = 2

    # client → campus load balancer (appends the client) → nginx (appends the balancer) → gunicorn
    assert client_ip(_request("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.0.2")) == "198.51.100.7"


def test_entries_the_client_wrote_never_choose_the_key(settings):
    settings.NUM_PROXIES = 1
    forged = ["1.1.1.1", "1.1.1.1, 2.2.2.2", "unknown", "", ",,,", "999.1.1.1", "a\x00b, 3.3.3.3"]

    assert {client_ip(_request("127.0.0.1", f"{f}, 198.51.100.7" if f else "198.51.100.7")) for f in forged} == {
        "198.51.100.7"
    }


@pytest.mark.parametrize("header", ["", "garbage", "198.51.100.7:443", "[2001:db8::1]", "1.2.3", "\x00", "9" * 400])
def test_a_missing_or_malformed_entry_falls_back_to_the_proxy_address(settings, header):
    settings.NUM_PROXIES = 1

    assert client_ip(_request("127.0.0.1", header)) == "127.0.0.1"


def test_too_few_entries_for_the_proxies_fall_back_to_the_proxy_address(settings):
    settings.NUM_PROXIES = 2

    assert client_ip(_request("10.1.0.2", "198.51.100.7")) == "10.1.0.2"


def test_it_normalises_ipv6_and_survives_a_missing_remote_address(settings):
    settings.NUM_PROXIES = 1

    assert client_ip(_request("127.0.0.1", "2001:DB8:0:0::1")) == "2001:db8::1"
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR="")) == "unknown"


@hypothesis_settings(max_examples=200, deadline=None)
@given(header=st.text(max_size=200), proxies=st.integers(min_value=0, max_value=3))
def test_any_header_gives_the_remote_address_or_a_real_address(header, proxies):
    with mock.patch("core.http.settings") as fake:
        fake.NUM_PROXIES = proxies
        found = client_ip(_request("127.0.0.1", header))
    parts = [p.strip() for p in header.split(",") if p.strip()]
    assert found == "127.0.0.1" or (
        proxies and len(parts) >= proxies and found == str(ipaddress.ip_address(parts[-proxies].strip()))
    )


# --- the counters -------------------------------------------------------------------------------------------------

def test_hit_all_counts_every_key_even_when_one_refuses():
    for _ in range(3):
        ratelimit.hit_all(keys=[("a", 1, 60), ("b", 10, 60)])

    assert ratelimit.hit_all(keys=[("b", 3, 60)]).allowed is False  # b counted 3 times while a refused


def test_it_says_how_long_is_left_in_the_window():
    with mock.patch("core.ratelimit.time.time", return_value=1_000_000.0):
        ratelimit.hit_all(keys=[("w", 1, 900)])
    with mock.patch("core.ratelimit.time.time", return_value=1_000_000.0 + 301):
        verdict = ratelimit.hit_all(keys=[("w", 1, 900)])

    assert (verdict.allowed, verdict.retry_after) == (False, 599)
    assert ratelimit.retry_message(599) == "Please try again in 10 minutes."
    assert ratelimit.retry_message(86_000) == "Please try again in 24 hours."


def test_ipv6_addresses_of_one_subscriber_share_an_address_key():
    assert ratelimit.address_key("2001:db8:1:2::1") == ratelimit.address_key("2001:db8:1:2:ffff::9")
    assert ratelimit.address_key("::ffff:198.51.100.7") == "198.51.100.7"
    assert ratelimit.address_key("unknown") == "unknown"


# --- the result look-up -------------------------------------------------------------------------------------------

@pytest.fixture
def limits(settings):
    settings.LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS = 3
    settings.LOOKUP_RATE_LIMIT = 10
    settings.LOOKUP_RATE_LIMIT_PER_KEY = 6
    settings.LOOKUP_RATE_WINDOW_SECONDS = 900
    settings.LOOKUP_RATE_KEY_WINDOW_SECONDS = 86400
    return settings


def _lookup(application, *, address, date_of_birth=None, number=None):
    return services.application_lookup(
        partner=application.partner, home_student_number=number or application.home_student_number,
        date_of_birth=date_of_birth or application.date_of_birth, client_key=address,
    )


def _wrong(application, *, address, times):
    for _ in range(times):
        with pytest.raises(DomainError) as refused:
            _lookup(application, address=address, date_of_birth=date(1990, 1, 1))
        assert not isinstance(refused.value, RateLimited)


def test_an_attacker_behind_a_nat_does_not_lock_out_the_other_students_there(limits, confirmed_application, open_term):
    from ..factories import ApplicationFactory

    classmate = ApplicationFactory(term=open_term, partner=confirmed_application.partner, home_student_number="H777",
                                   status="confirmed")
    _wrong(confirmed_application, address="10.0.0.1", times=3)
    with pytest.raises(RateLimited) as refused:
        _lookup(confirmed_application, address="10.0.0.1", date_of_birth=date(1990, 1, 1))

    assert str(refused.value.message) == "Too many look-ups from your connection. Please try again in 15 minutes."
    assert _lookup(classmate, address="10.0.0.1").application == classmate


def test_the_limit_is_per_normalised_student_number(limits, confirmed_application):
    number = confirmed_application.home_student_number
    for variant in [number.lower(), f"  {number} ", number.upper()]:
        with pytest.raises(DomainError):
            _lookup(confirmed_application, address="10.0.0.1", date_of_birth=date(1990, 1, 1), number=variant)

    with pytest.raises(RateLimited):
        _lookup(confirmed_application, address="10.0.0.1")


def test_one_address_still_has_a_looser_ceiling_over_all_students(limits, confirmed_application):
    for n in range(10):
        with pytest.raises(DomainError) as refused:
            _lookup(confirmed_application, address="10.0.0.1", number=f"X{n:04d}")
        assert not isinstance(refused.value, RateLimited)

    with pytest.raises(RateLimited):
        _lookup(confirmed_application, address="10.0.0.1", number="X9999")
    assert _lookup(confirmed_application, address="10.0.0.2").application == confirmed_application


def test_a_distributed_attacker_cannot_keep_guessing_one_birth_date(limits, confirmed_application, open_term):
    from ..factories import ApplicationFactory

    other = ApplicationFactory(term=open_term, partner=confirmed_application.partner, home_student_number="H778")
    for n in range(6):
        _wrong(confirmed_application, address=f"198.51.100.{n}", times=1)

    with pytest.raises(RateLimited) as refused:
        _lookup(confirmed_application, address="203.0.113.50")  # even the right birth date, from a fresh address
    assert str(refused.value.message) == "Too many look-ups for this student number. Please try again in 24 hours."
    assert _lookup(other, address="203.0.113.50").application == other


def test_duplicate_application_answers_count_against_the_same_key(limits, application_data):
    services.application_submit(**application_data)
    again = {**application_data, "client_key": "10.0.0.1"}
    for _ in range(3):
        with pytest.raises(DomainError) as answer:
            services.application_submit(**again)
        assert not isinstance(answer.value, RateLimited)

    with pytest.raises(RateLimited):
        services.application_lookup(partner=application_data["partner"],
                                    home_student_number=application_data["home_student_number"],
                                    date_of_birth=application_data["date_of_birth"], client_key="10.0.0.1")


def test_a_forged_forwarded_header_cannot_get_round_the_limit(limits, confirmed_application, settings):
    settings.NUM_PROXIES = 1
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    data = {"partner": confirmed_application.partner.pk, "home_student_number": confirmed_application.home_student_number,
            "date_of_birth": "1990-01-01"}
    for n in range(3):
        client.post(LOOKUP_URL, data, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 198.51.100.7")

    response = client.post(LOOKUP_URL, {**data, "date_of_birth": confirmed_application.date_of_birth.isoformat()},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.99, 198.51.100.7")

    assert "Too many look-ups from your connection. Please try again in 15 minutes." in html.unescape(
        response.content.decode())
    elsewhere = client.post(LOOKUP_URL, {**data, "date_of_birth": confirmed_application.date_of_birth.isoformat()},
                            REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert 'id="result-status"' in elsewhere.content.decode()


def test_without_proxies_the_forwarded_header_is_no_way_round_either(limits, confirmed_application, settings):
    settings.NUM_PROXIES = 0
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    data = {"partner": confirmed_application.partner.pk, "home_student_number": confirmed_application.home_student_number,
            "date_of_birth": "1990-01-01"}
    for n in range(4):
        response = client.post(LOOKUP_URL, data, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}")

    assert "Too many look-ups from your connection." in html.unescape(response.content.decode())


# --- the password-link form ---------------------------------------------------------------------------------------

@pytest.fixture
def account(db):
    return UserFactory(username="S2024101", email="minji@univ.example", kind="home")


def test_password_link_tries_are_keyed_by_the_lower_cased_user_name(limits, account, django_capture_on_commit_callbacks):
    for name in ["S2024101", "s2024101", " S2024101 "]:
        account_services.password_link_lookup(username=name, email="wrong@univ.example", client_key="10.0.0.1")

    with pytest.raises(RateLimited) as refused:
        account_services.password_link_lookup(username="s2024101", email="minji@univ.example", client_key="10.0.0.1")
    assert str(refused.value.message) == "Too many attempts from your connection. Please try again in 15 minutes."
    with django_capture_on_commit_callbacks(execute=True):
        account_services.password_link_lookup(username="S2099999", email="x@univ.example", client_key="10.0.0.1")
        account_services.password_link_lookup(username="S2024101", email="minji@univ.example", client_key="10.0.0.2")
    assert [m.to for m in mail.outbox] == [["minji@univ.example"]]


def test_password_link_tries_at_one_user_name_are_capped_across_addresses(limits, account):
    for n in range(6):
        account_services.password_link_lookup(username="S2024101", email="wrong@univ.example", client_key=f"198.51.100.{n}")

    with pytest.raises(RateLimited) as refused:
        account_services.password_link_lookup(username="S2024101", email="minji@univ.example", client_key="203.0.113.1")
    assert str(refused.value.message) == "Too many attempts for this user name. Please try again in 24 hours."


def test_the_password_link_page_says_when_to_try_again_in_korean(limits, account):
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    for _ in range(4):
        response = client.post(PASSWORD_URL, {"username": "S2024101", "email": "wrong@univ.example"})

    text = html.unescape(response.content.decode())
    assert "15분 후에 다시 시도해 주세요." in text
