"""The served OpenAPI schema is valid and the API keeps to it (schemathesis, bounded), and the docs page is offline."""

import re

import schemathesis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ustportal.wsgi import application

from .helpers import build_api_scene


def _operations():
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    return [result.ok() for result in schema.get_all_operations()]


def test_the_api_keeps_to_its_schema(db, settings):
    """Every operation, a few generated requests each with a valid key: never a 500, every answer as documented."""
    settings.PARTNER_API_RATE = "100000/hour"
    scene = build_api_scene()
    headers = {"Authorization": f"Bearer {scene.hanbit_key}"}
    # Schemathesis calls the WSGI app itself: keep Django from closing the test's connection after each request
    # (the test client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        operations = _operations()
        assert len(operations) == 9
        _check_all(operations, headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _check_all(operations, headers):
    for operation in operations:
        @given(case=operation.as_strategy(headers=headers))
        @hypothesis_settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            cache.clear()
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        check()


def test_the_schema_names_the_bearer_scheme_and_every_endpoint(client):
    document = client.get("/api/schema/?format=json").json()
    assert document["components"]["securitySchemes"]["partnerKey"] == {
        "type": "http", "scheme": "bearer", "description": document["components"]["securitySchemes"]["partnerKey"]["description"]}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            assert operation["security"] == [{"partnerKey": []}], path
            assert {"401", "429"} <= set(operation["responses"]), path
    assert set(document["paths"]) == {
        "/api/v1/terms/", "/api/v1/lists/", "/api/v1/lists/{id}/", "/api/v1/lists/{id}/recommendations/",
        "/api/v1/applications/", "/api/v1/registrations/", "/api/v1/recommendations/", "/api/v1/transcripts/",
        "/api/v1/transcripts/{code}/pdf",
    }
    pdf = document["paths"]["/api/v1/transcripts/{code}/pdf"]["get"]["responses"]["200"]["content"]
    assert list(pdf) == ["application/pdf"]


def test_the_docs_page_loads_only_from_this_site(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "<script>" not in html.replace(" ", "")  # the init script is a file too (the CSP allows no inline script)
    for source in sources:
        if source.startswith(settings.STATIC_URL) or source.startswith("/" + settings.STATIC_URL):
            assert finders.find(source.split(settings.STATIC_URL, 1)[1]), source  # vendored by the sidecar
        else:
            assert client.get(source).status_code == 200, source
