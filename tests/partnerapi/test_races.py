"""Keys under concurrent calls on PostgreSQL: one revocation wins, last-used is written once, answers never doubled."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import InvalidTransition
from creditexchange.models import RecommendationEvent
from partnerapi.models import ApiKey
from partnerapi.services import api_key_check, api_key_revoke, api_key_touch

from ..concurrency import run_at_once
from ..factories import UserFactory
from .helpers import auth, build_api_scene

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_revocations_at_once_revoke_once():
    scene = build_api_scene()
    actor = UserFactory()
    outcomes = run_at_once(
        [lambda reason=reason: api_key_revoke(key_id=scene.hanbit_row.pk, actor=actor, reason=reason)
         for reason in ("first", "second")], workers=2,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ApiKey", "InvalidTransition"]
    assert isinstance(next(o for o in outcomes if not isinstance(o, ApiKey)), InvalidTransition)
    assert ApiKey.objects.get(pk=scene.hanbit_row.pk).revoke_reason in ("first", "second")


def test_many_first_calls_at_once_write_last_used_once():
    scene = build_api_scene()
    start = timezone.now()
    moments = [start + timedelta(milliseconds=i) for i in range(6)]
    writes = run_at_once([lambda at=at: api_key_touch(key_id=scene.hanbit_row.pk, at=at) for at in moments], workers=6)
    assert sorted(writes) == [False] * 5 + [True]
    assert ApiKey.objects.get(pk=scene.hanbit_row.pk).last_used_at in moments
    outcomes = run_at_once([lambda: api_key_check(key=scene.hanbit_key) for _ in range(4)], workers=4)
    assert all(isinstance(o, ApiKey) for o in outcomes)


def test_the_same_answer_sent_twice_at_once_is_one_event():
    scene = build_api_scene()
    line = scene.hanbit_list.recommendations.order_by("pk").first()
    body = {"answers": [{"line": line.pk, "decision": "not_recommended", "comment": "late"}]}

    def answer():
        return Client().post(f"/api/v1/lists/{scene.hanbit_list.pk}/recommendations/", body,
                             content_type="application/json", **auth(scene.hanbit_key)).status_code

    assert run_at_once([answer, answer, answer], workers=3) == [200, 200, 200]
    assert RecommendationEvent.objects.filter(recommendation=line).count() == 1
