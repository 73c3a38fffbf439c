"""The registrar issues a key in the admin (shown once), revokes it with a reason; the call log is read-only."""

import hashlib
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import ensure_roles
from partnerapi.models import ApiCall, ApiKey

from ..factories import InstitutionFactory, UserFactory
from .helpers import auth

ADD = reverse("admin:partnerapi_apikey_add")
CHANGELIST = reverse("admin:partnerapi_apikey_changelist")


@pytest.fixture
def registrar_client(client, db):
    ensure_roles()
    user = UserFactory(username="registrar", is_staff=True)
    user.groups.add(Group.objects.get(name="registrar"))
    client.force_login(user)
    client.user = user
    return client


def _issue(client, partner, name="SIS"):
    response = client.post(ADD, {"partner": partner.pk, "name": name, "expires_at_0": "2030-01-01",
                                 "expires_at_1": "09:00:00"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


def test_the_key_is_shown_once_and_works(registrar_client, client):
    partner = InstitutionFactory(code="hanbit")
    issued_url = _issue(registrar_client, partner)
    page = registrar_client.get(issued_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    [full] = re.findall(r'<code id="api-key" class="api-key">([^<]+)</code>', page)
    row = ApiKey.objects.get()
    assert row.partner == partner and row.created_by == registrar_client.user
    assert row.secret_hash == hashlib.sha256(full.encode()).hexdigest() and full.startswith(row.prefix + ".")
    assert row.expires_at.year == 2030
    again = registrar_client.get(issued_url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert full not in again and 'id="api-key-gone"' in again
    for url in [CHANGELIST, reverse("admin:partnerapi_apikey_change", args=[row.pk])]:
        assert full.partition(".")[2] not in registrar_client.get(url).content.decode()
    assert client.get("/api/v1/terms/", **auth(full)).status_code == 200


def test_a_key_goes_to_a_partner_university_only(registrar_client):
    host = InstitutionFactory(code="host", kind="host")
    response = registrar_client.post(ADD, {"partner": host.pk, "name": "x", "expires_at_0": "2030-01-01",
                                           "expires_at_1": "09:00:00"})
    assert response.status_code == 200 and not ApiKey.objects.exists()


def test_revoking_asks_for_a_reason_then_the_key_gets_401(registrar_client, client):
    page = registrar_client.get(_issue(registrar_client, InstitutionFactory(code="hanbit"))).content.decode()
    [full] = re.findall(r'<code id="api-key" class="api-key">([^<]+)</code>', page)
    assert client.get("/api/v1/terms/", **auth(full)).status_code == 200
    row = ApiKey.objects.get()
    action = {"action": "revoke_selected", "_selected_action": [row.pk]}
    confirm = registrar_client.post(CHANGELIST, action)
    assert confirm.status_code == 200 and b'name="reason"' in confirm.content
    assert ApiKey.objects.get().revoked_at is None
    registrar_client.post(CHANGELIST, {**action, "apply": "1", "reason": ""})
    assert ApiKey.objects.get().revoked_at is None
    registrar_client.post(CHANGELIST, {**action, "apply": "1", "reason": "Leaked in a mail"})
    row.refresh_from_db()
    assert row.revoked_at and row.revoke_reason == "Leaked in a mail" and row.revoked_by == registrar_client.user
    assert client.get("/api/v1/terms/", **auth(full)).status_code == 401


def test_nobody_edits_or_deletes_keys_or_the_call_log(registrar_client):
    _issue(registrar_client, InstitutionFactory(code="hanbit"))
    row = ApiKey.objects.get()
    call = ApiCall.objects.create(method="GET", path="/api/v1/terms/", status=401)
    change = reverse("admin:partnerapi_apikey_change", args=[row.pk])
    registrar_client.post(change, {"name": "changed", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"})
    assert ApiKey.objects.get().name == "SIS"
    assert registrar_client.post(reverse("admin:partnerapi_apikey_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert registrar_client.get(reverse("admin:partnerapi_apicall_change", args=[call.pk])).status_code == 200
    assert registrar_client.post(reverse("admin:partnerapi_apicall_delete", args=[call.pk]), {"post": "yes"}).status_code == 403
    assert registrar_client.get(reverse("admin:partnerapi_apicall_add")).status_code == 403


def test_someone_without_the_permission_cannot_issue_or_see_an_issued_key(client, db):
    staff = UserFactory(username="clerk", is_staff=True)
    client.force_login(staff)
    assert client.get(ADD).status_code == 403
    assert client.get(reverse("admin:partnerapi_apikey_issued", args=[1])).status_code == 403
