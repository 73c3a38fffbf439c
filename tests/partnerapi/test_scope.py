"""A partner's key reads and answers only its own university's lists, students and transcripts (others: 404)."""

import pytest

from creditexchange.models import Recommendation, RecommendationEvent

from .helpers import auth

LIST_ENDPOINTS = ["/api/v1/lists/", "/api/v1/applications/", "/api/v1/registrations/", "/api/v1/recommendations/",
                  "/api/v1/transcripts/"]


def _results(client, url, key):
    response = client.get(url, **auth(key))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()["results"]


def test_each_list_endpoint_shows_only_the_callers_students(client, api):
    hanbit_numbers = {"H001", "H002", "H003", "H004", "H005"}
    garam_numbers = {"G001", "G002"}
    for key, own, other in [(api.hanbit_key, hanbit_numbers, garam_numbers), (api.garam_key, garam_numbers, hanbit_numbers)]:
        for url in LIST_ENDPOINTS[1:]:
            rows = _results(client, url, key)
            numbers = {row["home_student_number"] for row in rows}
            assert numbers and numbers <= own and not numbers & other, (url, numbers)
    assert [row["id"] for row in _results(client, "/api/v1/lists/", api.hanbit_key)] == [api.hanbit_list.pk]
    assert [row["code"] for row in _results(client, "/api/v1/transcripts/", api.garam_key)] == [api.garam_transcript.code]


def test_applications_registrations_and_transcripts_carry_what_a_partner_needs(client, api):
    applications = {row["home_student_number"]: row for row in _results(client, "/api/v1/applications/", api.hanbit_key)}
    assert applications["H001"]["status"] == "issued" and applications["H001"]["student_id"]
    assert applications["H003"]["status"] == "confirmed" and applications["H003"]["student_id"] is None
    registrations = _results(client, "/api/v1/registrations/", api.hanbit_key)
    assert sorted((r["home_student_number"], r["offering"]["code"], r["offering"]["credits"]) for r in registrations) == [
        ("H001", "CSE1000", 3), ("H001", "MATH200", 2), ("H002", "CSE1000", 3)]
    assert not any(r["no_credit"] for r in registrations)
    line = Recommendation.objects.filter(partner_list=api.hanbit_list, application__temporary_id__user=api.base.han1).get()
    client.post(f"/api/v1/lists/{api.hanbit_list.pk}/recommendations/", {"answers": [
        {"line": line.pk, "decision": "not_recommended"}]}, content_type="application/json", **auth(api.hanbit_key))
    marks = {(r["home_student_number"], r["no_credit"]) for r in _results(client, "/api/v1/registrations/", api.hanbit_key)}
    assert marks == {("H001", True), ("H002", False)}
    [transcript] = _results(client, "/api/v1/transcripts/", api.hanbit_key)
    assert transcript["sha256"] == api.hanbit_transcript.sha256 and transcript["batch_version"] == 1
    pdf = client.get(transcript["pdf_url"], **auth(api.hanbit_key))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 hanbit"


def test_a_list_shows_its_rows_and_answer_lines(client, api):
    detail = client.get(f"/api/v1/lists/{api.hanbit_list.pk}/", **auth(api.hanbit_key)).json()
    assert detail["kind"] == "applicants" and detail["is_open"] is True
    assert {row["home_student_number"] for row in detail["rows"]} == {"H001", "H002", "H003"}
    assert {line["line"] for line in detail["lines"]} == set(api.hanbit_list.recommendations.values_list("pk", flat=True))


@pytest.mark.parametrize("path", ["/api/v1/lists/{list}/", "/api/v1/transcripts/{code}/pdf"])
def test_another_partners_list_or_transcript_is_not_found(client, api, path):
    url = path.format(list=api.garam_list.pk, code=api.garam_transcript.code)
    response = client.get(url, **auth(api.hanbit_key))
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert "garam" not in response.content.decode().lower() and "G001" not in response.content.decode()
    assert client.get(url, **auth(api.garam_key)).status_code == 200
    for crafted in ["/api/v1/lists/0/", "/api/v1/lists/99999999999999999999/", "/api/v1/transcripts/%00/pdf",
                    "/api/v1/transcripts/" + "A" * 500 + "/pdf", "/api/v1/transcripts/../pdf"]:
        assert client.get(crafted, **auth(api.hanbit_key)).status_code == 404, crafted


def test_answering_another_partners_list_or_lines_changes_nothing(client, api):
    garam_line = api.garam_list.recommendations.first()
    hanbit_line = api.hanbit_list.recommendations.first()
    body = {"answers": [{"line": garam_line.pk, "decision": "not_recommended"}]}
    other = client.post(f"/api/v1/lists/{api.garam_list.pk}/recommendations/", body, content_type="application/json",
                        **auth(api.hanbit_key))
    assert other.status_code == 404
    # Garam's line through Hanbit's own list: refused whole by the service, nothing saved.
    mixed = {"answers": [{"line": hanbit_line.pk, "decision": "recommended"},
                         {"line": garam_line.pk, "decision": "not_recommended"}]}
    refused = client.post(f"/api/v1/lists/{api.hanbit_list.pk}/recommendations/", mixed, content_type="application/json",
                          HTTP_ACCEPT_LANGUAGE="en", **auth(api.hanbit_key))
    assert refused.status_code == 400
    assert refused.json()["detail"] == "Some answers are for students who are not on this list. Nothing was saved."
    assert not RecommendationEvent.objects.exists()
    assert set(Recommendation.objects.values_list("decision", flat=True)) == {"pending"}


@pytest.mark.parametrize("query", ["?term=abc", "?term=-1", "?term=²", "?since=yesterday", "?since=bm90LWEtY3Vyc29y",
                                   "?since=" + "9" * 200])
def test_crafted_parameters_are_a_400_never_a_500(client, api, query):
    for url in LIST_ENDPOINTS:
        response = client.get(url + query, **auth(api.hanbit_key))
        assert response.status_code == 400, (url, query, response.content)
