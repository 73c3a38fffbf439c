"""The link and the API answering the same line at the same instant (PostgreSQL): one after the other, a whole trail."""

import pytest
from django.test import Client

from creditexchange.models import Recommendation, RecommendationEvent
from creditexchange.services import partner_list_token

from ..concurrency import run_at_once
from .helpers import auth, build_api_scene

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_link_and_the_api_answering_one_line_at_once_leave_a_chained_trail_and_the_last_answer():
    scene = build_api_scene()
    line, other = scene.hanbit_list.recommendations.order_by("pk")[:2]
    token = partner_list_token(scene.hanbit_list)

    def by_link():
        return Client().post(f"/credit-exchange/verify/{token}/", {
            f"decision-{line.pk}": "recommended", f"decision-{other.pk}": "recommended"},
            REMOTE_ADDR="203.0.113.9").status_code

    def by_api():
        return Client().post(f"/api/v1/lists/{scene.hanbit_list.pk}/recommendations/", {"answers": [
            {"line": other.pk, "decision": "not_recommended", "comment": "api"},
            {"line": line.pk, "decision": "not_recommended", "comment": "api"}]},
            content_type="application/json", **auth(scene.hanbit_key)).status_code

    assert sorted(run_at_once([by_link, by_api], workers=2)) == [200, 302]
    for row in (line, other):
        events = list(RecommendationEvent.objects.filter(recommendation=row).order_by("pk"))
        assert len(events) == 2
        assert events[1].from_decision == events[0].to_decision  # the second saw the first's answer (no lost update)
        row = Recommendation.objects.get(pk=row.pk)
        assert row.decision == events[1].to_decision
        assert {e.user_agent.startswith("api:") for e in events} == {True, False}  # the API's answer is marked
    # Both lines were answered by the same writer last: neither request was interleaved with the other.
    last = {RecommendationEvent.objects.filter(recommendation=r).order_by("pk").last().to_decision for r in (line, other)}
    assert len(last) == 1


@pytest.mark.redis
def test_a_burst_of_calls_at_once_with_one_key_gets_no_more_than_the_rate(settings):
    from django.core.cache import cache

    scene = build_api_scene()
    settings.PARTNER_API_RATE = "3/hour"
    cache.clear()

    def call():
        return Client().get("/api/v1/terms/", **auth(scene.hanbit_key)).status_code

    outcomes = run_at_once([call] * 16, workers=8)
    assert outcomes.count(200) <= 3, outcomes
    assert set(outcomes) <= {200, 429}
