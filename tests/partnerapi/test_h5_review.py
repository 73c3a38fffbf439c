"""Review of the partner API (h5): an attacker's and a partner IT team's findings, each a test that failed first."""

import base64

import pytest

from .helpers import auth

LIST_ENDPOINTS = ["/api/v1/lists/", "/api/v1/applications/", "/api/v1/registrations/", "/api/v1/recommendations/",
                  "/api/v1/transcripts/"]


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("since", [
    "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59",
    _cursor("0001-01-01T00:00:00|1"), _cursor("9999-12-31T23:59:59-12:00|999999999999999999"),
])
def test_finding_1_a_since_at_the_edge_of_the_calendar_is_a_400_or_a_page_never_a_500(client, api, since):
    for url in LIST_ENDPOINTS:
        response = client.get(url, {"since": since}, **auth(api.hanbit_key))
        assert response.status_code in (200, 400), (url, since, response.status_code)
        if response.status_code == 400:
            assert "since" in response.json()["errors"]
