"""The benchmark's ping page exists only in the benchmark's settings (issue 13): the portal itself has no such URL."""

import importlib

from django.test import override_settings

PING = "/credit-exchange/ping"


def test_the_portal_has_no_ping_page(outsider_client):
    assert outsider_client.get(PING).status_code == 404
    assert outsider_client.post(PING).status_code == 404


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_benchmarks_urls_answer_ping_for_a_signed_in_user(outsider_client):
    response = outsider_client.get(PING)

    assert response.status_code == 200 and response.json() == {"user": "outsider"}


@override_settings(ROOT_URLCONF="bench.urls")
def test_the_benchmarks_ping_requires_sign_in_and_the_portal_is_still_there(client, db):
    assert client.get(PING).status_code == 302
    assert client.get("/healthz").status_code == 200


def test_the_benchmark_runs_with_its_own_settings():
    rush = importlib.import_module("bench.rush")
    settings = importlib.import_module("bench.settings")

    assert rush.BENCH_ENV["DJANGO_SETTINGS_MODULE"] == "bench.settings"
    assert settings.ROOT_URLCONF == "bench.urls"
