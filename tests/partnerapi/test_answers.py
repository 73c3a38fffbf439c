"""Answering through the API is answering through the link: the same service, rules, trail and refusal."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from core.errors import WindowClosed
from creditexchange.models import PartnerList, Recommendation, RecommendationEvent
from creditexchange.services import partner_list_token
from creditexchange.services.recommendations import recommendations_submit

from .helpers import auth

FIELDS = ["from_decision", "to_decision", "from_comment", "to_comment", "source", "source_note", "actor_id"]


def _answer(client, api, answers, language="en"):
    return client.post(f"/api/v1/lists/{api.hanbit_list.pk}/recommendations/", {"answers": answers},
                       content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **auth(api.hanbit_key))


def test_an_api_answer_writes_the_same_trail_as_the_link(client, api):
    first, second = api.hanbit_list.recommendations.order_by("pk")[:2]
    token = partner_list_token(api.hanbit_list)
    linked = client.post(f"/credit-exchange/verify/{token}/", {
        f"decision-{first.pk}": "not_recommended", f"comment-{first.pk}": "Low attendance"}, REMOTE_ADDR="203.0.113.9")
    assert linked.status_code == 302
    response = _answer(client, api, [{"line": second.pk, "decision": "not_recommended", "comment": "Low attendance"}])
    assert response.status_code == 200, response.content
    assert response.json()["changed"] == 1
    assert response.json()["lines"][0] == {
        "line": second.pk, "application": second.application_id, "decision": "not_recommended",
        "comment": "Low attendance", "decided_at": response.json()["lines"][0]["decided_at"]}
    link_event = RecommendationEvent.objects.get(recommendation=first)
    api_event = RecommendationEvent.objects.get(recommendation=second)
    assert [getattr(api_event, f) for f in FIELDS] == [getattr(link_event, f) for f in FIELDS]
    assert api_event.ip == "127.0.0.1" and api_event.user_agent == f"api:{api.hanbit_row.prefix}"
    second.refresh_from_db()
    assert (second.decision, second.source, second.decided_ip) == ("not_recommended", "coordinator", "127.0.0.1")


def test_a_revision_until_the_deadline_and_an_unchanged_answer_is_not_an_event(client, api):
    line = api.hanbit_list.recommendations.first()
    assert _answer(client, api, [{"line": line.pk, "decision": "recommended"}]).json()["changed"] == 1
    assert _answer(client, api, [{"line": line.pk, "decision": "recommended"}]).json()["changed"] == 0
    assert _answer(client, api, [{"line": line.pk, "decision": "not_recommended", "comment": "x"}]).json()["changed"] == 1
    assert list(RecommendationEvent.objects.values_list("to_decision", flat=True)) == ["recommended", "not_recommended"]
    row = client.get("/api/v1/recommendations/", **auth(api.hanbit_key)).json()["results"]
    assert {(r["line"], r["decision"]) for r in row if r["line"] == line.pk} == {(line.pk, "not_recommended")}


@pytest.mark.parametrize("language", ["en", "ko"])
def test_after_the_deadline_it_is_refused_with_the_services_message(client, api, language):
    now = timezone.now()
    PartnerList.objects.filter(pk=api.hanbit_list.pk).update(sent_at=now - timedelta(days=20), deadline=now - timedelta(minutes=1))
    line = api.hanbit_list.recommendations.first()
    with override(language), pytest.raises(WindowClosed) as refusal:
        recommendations_submit(partner_list_id=api.hanbit_list.pk, decisions={line.pk: ("recommended", "")}, ip=None)
    response = _answer(client, api, [{"line": line.pk, "decision": "recommended"}], language=language)
    assert response.status_code == 400
    assert response.json() == {"detail": refusal.value.message, "code": "WindowClosed"}
    assert not RecommendationEvent.objects.exists()
    assert Recommendation.objects.get(pk=line.pk).decision == "pending"


@pytest.mark.parametrize("body", [
    {}, {"answers": []}, {"answers": "x"}, {"answers": [{"line": "a", "decision": "recommended"}]},
    {"answers": [{"line": 1, "decision": "pending"}]}, {"answers": [{"line": 1, "decision": "recommended", "comment": "a\x00b"}]},
    {"answers": [{"line": 1, "decision": "recommended"}, {"line": 1, "decision": "not_recommended"}]},
    {"answers": [{"line": 2**70, "decision": "recommended"}]}, [1, 2],
])
def test_a_malformed_answer_is_a_400_and_saves_nothing(client, api, body):
    response = client.post(f"/api/v1/lists/{api.hanbit_list.pk}/recommendations/", body, content_type="application/json",
                           **auth(api.hanbit_key))
    assert response.status_code == 400, response.content
    assert not RecommendationEvent.objects.exists()


def test_a_comment_too_long_gets_the_services_message(client, api):
    line = api.hanbit_list.recommendations.first()
    response = _answer(client, api, [{"line": line.pk, "decision": "recommended", "comment": "x" * 1001}])
    assert response.status_code == 400
    assert response.json()["detail"] == "A comment can be at most 1000 characters."


def test_not_json_is_refused(client, api):
    response = client.post(f"/api/v1/lists/{api.hanbit_list.pk}/recommendations/", "answers=1",
                           content_type="application/x-www-form-urlencoded", **auth(api.hanbit_key))
    assert response.status_code == 415
