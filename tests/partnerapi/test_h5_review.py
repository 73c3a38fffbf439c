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


def test_finding_2_a_key_sent_in_the_address_by_mistake_is_not_kept_in_the_call_log(client, api):
    from partnerapi.models import ApiCall

    secret = api.hanbit_key.partition(".")[2]
    client.get(f"/api/v1/applications/?api_key={api.hanbit_key}")
    client.get(f"/api/v1/applications/?since=2026-01-01&token=Bearer%20{api.hanbit_key}", **auth(api.hanbit_key))
    client.get(f"/api/v1/{api.hanbit_key}/")
    paths = list(ApiCall.objects.values_list("path", flat=True))
    assert len(paths) == 3
    assert not [path for path in paths if secret in path], paths
    assert any(api.hanbit_row.prefix in path for path in paths)  # the prefix stays, so the office can tell the partner
    assert any("since=2026-01-01" in path for path in paths)  # the rest of the address is kept


def test_finding_3_a_flood_of_bad_keys_is_throttled_per_address_and_does_not_flood_the_call_log(client, api, settings):
    from partnerapi.models import ApiCall

    settings.PARTNER_API_REFUSED_LIMIT, settings.PARTNER_API_REFUSED_WINDOW_SECONDS = 5, 600
    attacker = {"REMOTE_ADDR": "198.51.100.7"}
    answers = [client.get("/api/v1/applications/", **auth(f"ustp_0000000{n % 10}.guess{n}"), **attacker).status_code
               for n in range(4)]
    answers += [client.get("/api/v1/applications/", **attacker).status_code]  # no header at all counts too
    answers += [client.get("/api/v1/lists/", HTTP_AUTHORIZATION=f"Basic x{n}", **attacker).status_code
                for n in range(20)]
    assert answers == [401] * 5 + [429] * 20
    refused = client.get("/api/v1/applications/", **auth("ustp_00000000.x"), **attacker)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused["Content-Type"] == "application/json"
    # One row per refusal up to the limit, then one row for the flood (the first 429), not one per call.
    assert list(ApiCall.objects.filter(ip="198.51.100.7").values_list("status", flat=True).order_by("pk")) == (
        [401] * 5 + [429])
    # The partner's own key still works from that address, and another address is not refused.
    assert client.get("/api/v1/applications/", **auth(api.hanbit_key), **attacker).status_code == 200
    assert client.get("/api/v1/applications/", REMOTE_ADDR="198.51.100.8").status_code == 401


@pytest.fixture
def own_redis(settings, tmp_path):
    """A redis-server of this test's own on a free port (the shared one is never stopped), as the default cache."""
    import shutil
    import socket
    import subprocess  # nosec B404 - starts a fixed local tool
    import time

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("needs redis-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603 - fixed argument list  # nosec B603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    for _attempt in range(50):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    original = settings.CACHES
    settings.CACHES = {"default": {
        "BACKEND": "core.redis_cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
    }}
    yield server
    settings.CACHES = original  # before the suite's own teardown clears the cache
    if server.poll() is None:
        server.terminate()
        server.wait(timeout=10)


def test_finding_4_the_per_key_throttle_with_redis_down_refuses_with_a_503_never_a_500_nor_lets_all_through(
    client, api, own_redis,
):
    from partnerapi.models import ApiCall

    assert client.get("/api/v1/applications/", **auth(api.hanbit_key)).status_code == 200  # counted on that Redis
    own_redis.terminate()
    own_redis.wait(timeout=10)
    client.raise_request_exception = False
    response = client.get("/api/v1/applications/", **auth(api.hanbit_key))
    assert response.status_code == 503, response.status_code
    assert response["Content-Type"] == "application/json" and int(response["Retry-After"]) > 0
    assert "results" not in response.json()
    # A bad key is still refused (401), never let through, and both calls are in the log.
    assert client.get("/api/v1/applications/", **auth("ustp_00000000.x")).status_code == 401
    assert list(ApiCall.objects.order_by("pk").values_list("status", flat=True)) == [200, 503, 401]


def test_finding_5_the_call_log_with_its_addresses_is_purged_after_the_access_log_period(api, settings):
    from datetime import timedelta

    from django.utils import timezone

    from core.models import PersonalDataAccess
    from partnerapi.models import ApiCall
    from ustportal.retention import personal_data_destroy_expired

    settings.ACCESS_LOG_RETENTION_YEARS = 2
    now = timezone.now()
    old = ApiCall.objects.create(key=api.hanbit_row, partner=api.base.hanbit, method="GET", path="/api/v1/lists/",
                                 status=200, ip="203.0.113.5", at=now - timedelta(days=2 * 366))
    young = ApiCall.objects.create(key=None, method="GET", path="/api/v1/lists/", status=401, ip="203.0.113.6",
                                   at=now - timedelta(days=2 * 365 - 2))
    report = personal_data_destroy_expired(at=now, dry_run=True)
    assert report.destroyed.get("partnerapi.apicall") == 1 and ApiCall.objects.filter(pk=old.pk).exists()
    report = personal_data_destroy_expired(at=now)
    assert report.destroyed.get("partnerapi.apicall") == 1
    assert list(ApiCall.objects.values_list("pk", flat=True)) == [young.pk]
    # Like the access log: counted (no ids: a call log holds millions of rows), in the run's access-log entry.
    entry = PersonalDataAccess.objects.get(action=PersonalDataAccess.Action.DESTROY, model="ustportal.retention")
    assert "partnerapi.apicall=1" in entry.reference


def test_finding_6_a_body_over_the_upload_limit_is_a_logged_json_413_not_the_portals_html_400(client, api, settings):
    import json

    from partnerapi.models import ApiCall

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    line = api.hanbit_list.recommendations.first()
    body = json.dumps({"answers": [{"line": line.pk, "decision": "recommended", "comment": "x" * 20_000}]})
    response = client.post(f"/api/v1/lists/{api.hanbit_list.pk}/recommendations/", body,
                           content_type="application/json", **auth(api.hanbit_key))
    assert response.status_code == 413, response.status_code
    assert response["Content-Type"] == "application/json" and response.json()["detail"]
    assert list(ApiCall.objects.values_list("status", flat=True)) == [413]
    line.refresh_from_db()
    assert line.decided_at is None


@pytest.mark.parametrize(("header", "status"), [
    ("bearer {key}", 200), ("BEARER {key}", 200), ("Bearer   {key}  ", 200), ("  Bearer {key}", 200),
    ("Bearer {key} {key}", 401), ("Bearer {key},Bearer {key}", 401), ("Basic {key}", 401), ("Bearer", 401),
    ("Token {key}", 401), ("Bearer\t{key}", 401),
])
def test_authorization_header_variants(client, api, header, status):
    response = client.get("/api/v1/terms/", HTTP_AUTHORIZATION=header.format(key=api.hanbit_key))
    assert response.status_code == status


def test_only_the_docs_page_may_use_inline_styles(client, api):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    style = next(part for part in docs["Content-Security-Policy"].split(";") if "style-src" in part)
    assert "'unsafe-inline'" in style
    assert "'unsafe-inline'" not in next(p for p in docs["Content-Security-Policy"].split(";") if "script-src" in p)
    for url in ["/", "/api/schema/", "/api/v1/terms/", "/credit-exchange/verify/x/", "/admin/login/"]:
        policy = client.get(url, **auth(api.hanbit_key))["Content-Security-Policy"]
        assert "'unsafe-inline'" not in policy, url


def test_a_staff_session_opens_nothing_in_the_api(client, api):
    from ..factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/api/v1/applications/").status_code == 401
    line = api.hanbit_list.recommendations.first()
    response = client.post(f"/api/v1/lists/{api.hanbit_list.pk}/recommendations/",
                           {"answers": [{"line": line.pk, "decision": "recommended"}]}, content_type="application/json")
    assert response.status_code == 401
    line.refresh_from_db()
    assert line.decided_at is None


def test_the_key_shown_once_is_kept_nowhere_after_its_page(client, db):
    import re

    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import Group
    from django.contrib.sessions.models import Session
    from django.urls import reverse

    from accounts.roles import ensure_roles
    from partnerapi.models import ApiKey

    from ..factories import InstitutionFactory, UserFactory

    ensure_roles()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="registrar"))
    client.force_login(user)
    partner = InstitutionFactory(code="hanbit")
    issued = client.post(reverse("admin:partnerapi_apikey_add"), {
        "partner": partner.pk, "name": "SIS", "expires_at_0": "2030-01-01", "expires_at_1": "09:00:00"})["Location"]
    page = client.get(issued)
    assert "no-store" in page["Cache-Control"]
    [full] = re.findall(r'<code id="api-key" class="api-key">([^<]+)</code>', page.content.decode())
    secret = full.partition(".")[2]
    row = ApiKey.objects.get()
    assert all(secret not in str(s.get_decoded()) for s in Session.objects.all())
    assert all(secret not in f"{e.object_repr} {e.change_message}" for e in LogEntry.objects.all())
    history = client.get(reverse("admin:partnerapi_apikey_history", args=[row.pk]))
    assert history.status_code == 200 and secret not in history.content.decode()
    assert secret not in client.get(reverse("admin:partnerapi_apicall_changelist")).content.decode()


def test_finding_7_a_key_whose_page_was_not_opened_at_once_does_not_stay_in_the_session(client, db, monkeypatch):
    import types
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.contrib.sessions.models import Session
    from django.urls import reverse
    from django.utils import timezone

    from accounts.roles import ensure_roles
    from partnerapi import admin as partnerapi_admin
    from partnerapi.models import ApiKey

    from ..factories import InstitutionFactory, UserFactory

    ensure_roles()
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="registrar"))
    client.force_login(user)
    partner = InstitutionFactory(code="hanbit")
    add = reverse("admin:partnerapi_apikey_add")
    form = {"partner": partner.pk, "name": "SIS", "expires_at_0": "2030-01-01", "expires_at_1": "09:00:00"}
    first = client.post(add, form)["Location"]  # the registrar walks away before the page opens
    later = timezone.now() + timedelta(minutes=11)
    monkeypatch.setattr(partnerapi_admin, "timezone", types.SimpleNamespace(now=lambda: later), raising=False)
    second = client.post(add, {**form, "name": "SIS 2"})["Location"]
    secrets_of = {key.pk: key for key in ApiKey.objects.all()}
    assert len(secrets_of) == 2
    decoded = " ".join(str(s.get_decoded()) for s in Session.objects.all())
    assert decoded.count("ustp_") == 1  # only the second key waits for its page; the first was dropped
    page = client.get(first).content.decode()
    assert 'id="api-key-gone"' in page
    assert 'id="api-key"' in client.get(second).content.decode()
    assert "ustp_" not in " ".join(str(s.get_decoded()) for s in Session.objects.all())


def test_a_key_expires_at_its_exact_instant_whatever_the_zone_it_was_entered_in(api):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from partnerapi.services import api_key_check

    seoul = api.hanbit_row.expires_at.astimezone(ZoneInfo("Asia/Seoul"))
    assert api_key_check(key=api.hanbit_key, at=seoul - timedelta(microseconds=1)) is not None
    assert api_key_check(key=api.hanbit_key, at=seoul) is None
    assert api_key_check(key=api.hanbit_key, at=seoul.astimezone(ZoneInfo("UTC"))) is None


def test_a_cursor_built_from_another_partners_row_reveals_none_of_its_rows(client, api, settings):
    from partnerapi.polling import cursor_encode
    from partnerapi.selectors import partner_lists, partner_transcripts

    settings.PARTNER_API_PAGE_SIZE = 1
    garam_row = partner_lists(partner=api.base.garam).get()
    seen = set()
    since = cursor_encode(garam_row.changed_at.replace(year=2000), garam_row.pk)
    for _page in range(10):
        body = client.get("/api/v1/lists/", {"since": since}, **auth(api.hanbit_key)).json()
        seen |= {row["id"] for row in body["results"]}
        since = body["next_since"]
        if not body["has_more"]:
            break
    assert seen == {api.hanbit_list.pk}
    transcript = partner_transcripts(partner=api.base.garam).get()
    body = client.get("/api/v1/transcripts/", {"since": cursor_encode(transcript.changed_at, 0)},
                      **auth(api.hanbit_key)).json()
    assert {row["code"] for row in body["results"]} <= {api.hanbit_transcript.code}


def test_finding_9_a_key_retrying_past_its_rate_leaves_one_429_row_per_window_not_one_per_call(client, api, settings):
    from partnerapi.models import ApiCall

    settings.PARTNER_API_RATE = "2/minute"
    statuses = [client.get("/api/v1/terms/", **auth(api.hanbit_key)).status_code for _ in range(12)]
    assert statuses == [200, 200] + [429] * 10
    assert list(ApiCall.objects.order_by("pk").values_list("status", flat=True)) == [200, 200, 429]
    assert client.get("/api/v1/terms/", **auth(api.garam_key)).status_code == 200  # another key: its own log
    assert ApiCall.objects.filter(key=api.garam_row, status=200).count() == 1
