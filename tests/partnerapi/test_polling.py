"""The ``since`` cursor: a partner polls and gets what changed after its last answer, nothing twice, nothing lost."""

from datetime import timedelta

from django.utils import timezone

from creditexchange.models import TemporaryIdApplication

from .helpers import auth

URL = "/api/v1/applications/"


def _page(client, key, since=None):
    response = client.get(URL, {"since": since} if since else {}, **auth(key))
    assert response.status_code == 200, response.content
    return response.json()


def test_polling_pages_through_everything_once_then_sees_only_changes(client, api, settings):
    settings.PARTNER_API_PAGE_SIZE = 2
    seen, since, pages = [], None, 0
    while True:
        page = _page(client, api.hanbit_key, since)
        seen += [row["home_student_number"] for row in page["results"]]
        since, pages = page["next_since"], pages + 1
        if not page["has_more"]:
            break
    assert sorted(seen) == ["H001", "H002", "H003", "H004", "H005"] and pages == 3
    assert _page(client, api.hanbit_key, since) == {"results": [], "next_since": since, "has_more": False}
    application = TemporaryIdApplication.objects.get(partner=api.base.hanbit, home_student_number="H004")
    TemporaryIdApplication.objects.filter(pk=application.pk).update(
        status=TemporaryIdApplication.Status.CONFIRMED, confirmed_at=timezone.now() + timedelta(seconds=1))
    changed = _page(client, api.hanbit_key, since)
    assert [(row["home_student_number"], row["status"]) for row in changed["results"]] == [("H004", "confirmed")]


def test_rows_sharing_one_instant_are_not_lost_at_a_pages_edge(client, api, settings):
    settings.PARTNER_API_PAGE_SIZE = 1
    same = timezone.now() - timedelta(days=1)
    TemporaryIdApplication.objects.filter(partner=api.base.hanbit).update(
        submitted_at=same, confirmed_at=None, decided_at=None, issued_at=None)
    seen, since = [], None
    for _ in range(10):
        page = _page(client, api.hanbit_key, since)
        seen += [row["id"] for row in page["results"]]
        since = page["next_since"]
        if not page["has_more"]:
            break
    assert sorted(seen) == sorted(TemporaryIdApplication.objects.filter(partner=api.base.hanbit).values_list("pk", flat=True))


def test_an_iso_instant_works_as_since(client, api):
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    assert _page(client, api.hanbit_key, later)["results"] == []
    earlier = (timezone.now() - timedelta(days=365)).isoformat()
    assert len(_page(client, api.hanbit_key, earlier)["results"]) == 5


def test_every_list_endpoint_takes_since(client, api):
    for url in ["/api/v1/lists/", "/api/v1/registrations/", "/api/v1/recommendations/", "/api/v1/transcripts/"]:
        first = client.get(url, **auth(api.hanbit_key)).json()
        assert first["results"], url
        again = client.get(url, {"since": first["next_since"]}, **auth(api.hanbit_key)).json()
        assert again["results"] == [] and again["next_since"] == first["next_since"], url


def test_terms_are_always_whole_with_their_windows(client, api):
    terms = client.get("/api/v1/terms/", **auth(api.hanbit_key)).json()
    [term] = terms
    assert term["id"] == api.base.term.pk
    assert {w["kind"] for w in term["windows"]} == {"application", "registration", "change"}
