"""API keys: issued once, stored as a hash, refused alike when unknown, expired or revoked; the call log."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from academics.models import Institution
from core.errors import DomainError, InvalidTransition
from partnerapi.models import ApiCall, ApiKey
from partnerapi.services import api_key_check, api_key_issue, api_key_revoke

from ..factories import InstitutionFactory, UserFactory
from .helpers import auth

URL = "/api/v1/applications/"


def test_the_key_is_stored_only_as_its_hash(api):
    row = ApiKey.objects.get(pk=api.hanbit_row.pk)
    assert api.hanbit_key.startswith(row.prefix + ".") and row.prefix.startswith("ustp_") and len(row.prefix) == 13
    assert row.secret_hash == hashlib.sha256(api.hanbit_key.encode()).hexdigest()
    secret = api.hanbit_key.partition(".")[2]
    assert len(secret) >= 40
    for field in ApiKey._meta.concrete_fields:
        assert secret not in str(getattr(row, field.attname))
    assert timedelta(days=364) < row.expires_at - row.created_at <= timedelta(days=365)


def test_a_key_is_issued_to_a_partner_only(db):
    host = InstitutionFactory(kind=Institution.Kind.HOST, code="host")
    with pytest.raises(DomainError):
        api_key_issue(partner=host, name="x", expires_at=None, actor=None)
    partner = InstitutionFactory(code="p")
    with pytest.raises(DomainError):
        api_key_issue(partner=partner, name="x", expires_at=timezone.now() - timedelta(seconds=1), actor=None)
    assert not ApiKey.objects.exists()


def _refusal(client, **headers):
    response = client.get(URL, **headers)
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    return response.json()["detail"]


def test_unknown_expired_and_revoked_keys_get_the_same_401(client, api):
    good = client.get(URL, **auth(api.hanbit_key))
    assert good.status_code == 200
    prefix, _dot, secret = api.hanbit_key.partition(".")
    messages = {
        "none": _refusal(client),
        "not bearer": _refusal(client, HTTP_AUTHORIZATION=f"Basic {api.hanbit_key}"),
        "unknown": _refusal(client, **auth("ustp_00000000." + secret)),
        "wrong secret": _refusal(client, **auth(prefix + "." + ("y" if secret[0] == "x" else "x") + secret[1:])),
        "garbage": _refusal(client, **auth("ü" * 300)),
    }
    now = timezone.now()
    ApiKey.objects.filter(pk=api.garam_row.pk).update(created_at=now - timedelta(days=2), expires_at=now - timedelta(seconds=1))
    messages["expired"] = _refusal(client, **auth(api.garam_key))
    api_key_revoke(key_id=api.hanbit_row.pk, actor=UserFactory(), reason="leaked")
    messages["revoked"] = _refusal(client, **auth(api.hanbit_key))
    assert len(set(messages.values())) == 1, messages


def test_the_401_is_in_the_callers_language(client, api):
    ko = client.get(URL, HTTP_ACCEPT_LANGUAGE="ko", **auth("ustp_00000000.nope")).json()["detail"]
    en = client.get(URL, HTTP_ACCEPT_LANGUAGE="en", **auth("ustp_00000000.nope")).json()["detail"]
    assert en == "The API key is missing, unknown, expired or revoked."
    assert ko != en


def test_revoking_needs_a_reason_and_happens_once(api):
    actor = UserFactory()
    with pytest.raises(DomainError):
        api_key_revoke(key_id=api.hanbit_row.pk, actor=actor, reason="  ")
    row = api_key_revoke(key_id=api.hanbit_row.pk, actor=actor, reason="leaked")
    assert row.revoked_by == actor and row.revoke_reason == "leaked"
    with pytest.raises(InvalidTransition):
        api_key_revoke(key_id=api.hanbit_row.pk, actor=actor, reason="again")
    assert api_key_check(key=api.hanbit_key) is None


def test_last_used_is_written_at_most_once_a_minute(api):
    start = timezone.now()
    assert api_key_check(key=api.hanbit_key, at=start) is not None
    assert ApiKey.objects.get(pk=api.hanbit_row.pk).last_used_at == start
    api_key_check(key=api.hanbit_key, at=start + timedelta(seconds=30))
    assert ApiKey.objects.get(pk=api.hanbit_row.pk).last_used_at == start
    later = start + timedelta(seconds=61)
    api_key_check(key=api.hanbit_key, at=later)
    assert ApiKey.objects.get(pk=api.hanbit_row.pk).last_used_at == later


def test_every_call_is_logged_refusals_too(client, api, settings):
    settings.PARTNER_API_RATE = "3/hour"
    client.get(URL, **auth(api.hanbit_key))
    client.get("/api/v1/lists/999999/", **auth(api.hanbit_key))
    client.get(URL, **auth("ustp_00000000.nope"), REMOTE_ADDR="198.51.100.7")
    client.get(URL + "?term=x", **auth(api.hanbit_key))
    throttled = client.get(URL, **auth(api.hanbit_key))
    assert throttled.status_code == 429
    calls = list(ApiCall.objects.order_by("pk").values_list("method", "path", "status", "key_id", "partner_id", "ip"))
    hanbit = (api.hanbit_row.pk, api.base.hanbit.pk)
    assert calls == [
        ("GET", URL, 200, *hanbit, "127.0.0.1"),
        ("GET", "/api/v1/lists/999999/", 404, *hanbit, "127.0.0.1"),
        ("GET", URL, 401, None, None, "198.51.100.7"),
        ("GET", URL + "?term=x", 400, *hanbit, "127.0.0.1"),
        ("GET", URL, 429, *hanbit, "127.0.0.1"),
    ]


def test_the_throttle_counts_per_key_and_says_when_to_retry(client, api, settings):
    settings.PARTNER_API_RATE = "2/minute"
    for _ in range(2):
        assert client.get(URL, **auth(api.hanbit_key)).status_code == 200
    refused = client.get(URL, **auth(api.hanbit_key))
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "detail" in refused.json()
    assert client.get(URL, **auth(api.garam_key)).status_code == 200  # another key has its own count
