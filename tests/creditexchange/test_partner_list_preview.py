"""Issue 12: sending a list to a partner shows the exact rows and recipients first; the confirmation carries the
preview's fingerprint (rows or recipients changed since → the new preview, nothing sent); every send is recorded."""

import html

import pytest
from django.contrib.auth.models import Group

from academics.models import InstitutionContact
from accounts.roles import ensure_roles
from core.bulk import StalePreview
from core.models import BulkAction, OutgoingMail, StaffJob
from creditexchange import services
from creditexchange.models import PartnerList

from ..factories import ApplicationFactory, UserFactory
from .partner_list_helpers import send

URL = "/admin/creditexchange/partnerlist/send/"


def _post(client, scene, **extra):
    data = {"partner": scene.garam.pk, "term": scene.term.pk, "kind": "registrations", **extra}
    return client.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")


def test_the_preview_shows_the_rows_and_recipients_and_sends_nothing(registrar_client, scene):
    response = _post(registrar_client, scene)
    text = html.unescape(response.content.decode())
    assert response.status_code == 200 and 'id="send-rows"' in text
    assert scene.application(scene.garam1).home_student_number in text and "Linear Algebra" in text
    assert "intl@garam.example" in text and "cannot be recalled" in text
    assert not PartnerList.objects.exists() and not StaffJob.objects.exists()


def test_confirming_sends_and_records(registrar_client, registrar, scene, django_capture_on_commit_callbacks):
    fingerprint = _post(registrar_client, scene).context["preview"].fingerprint
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(registrar_client, scene, confirm="1", fingerprint=fingerprint)
    assert response.status_code == 302
    partner_list = PartnerList.objects.get()
    action = BulkAction.objects.get(kind="creditexchange.partner_list_send")
    assert action.actor == registrar and action.changes[0]["id"] == partner_list.pk
    assert action.inputs["expected"] == fingerprint and action.inputs["recipients"] == ["intl@garam.example"]


def test_a_crafted_fingerprint_or_a_changed_list_shows_the_new_preview(registrar_client, scene):
    response = _post(registrar_client, scene, confirm="1", fingerprint="0" * 64)
    assert 'id="send-stale"' in response.content.decode()
    fingerprint = response.context["preview"].fingerprint
    InstitutionContact.objects.create(institution=scene.garam, email="new@garam.example")
    response = _post(registrar_client, scene, confirm="1", fingerprint=fingerprint)
    assert 'id="send-stale"' in response.content.decode() and "new@garam.example" in response.content.decode()
    assert not PartnerList.objects.exists() and not StaffJob.objects.exists()


def test_the_job_refuses_rows_that_changed_after_the_confirmation(scene):
    preview = services.partner_list_preview(partner=scene.hanbit, term=scene.term, kind="applicants")
    ApplicationFactory(term=scene.term, partner=scene.hanbit, home_student_number="H009", status="confirmed")
    with pytest.raises(StalePreview):
        send(scene, scene.hanbit, "applicants", expected=preview.fingerprint)
    assert not PartnerList.objects.exists() and not OutgoingMail.objects.exists()


def test_the_scheduled_send_is_recorded_without_an_actor(scene):
    send(scene, scene.hanbit, "applicants", trigger=PartnerList.Trigger.SCHEDULE)
    action = BulkAction.objects.get(kind="creditexchange.partner_list_send")
    assert action.actor is None and action.inputs["trigger"] == "schedule"


def test_a_committee_member_may_not_send(client, scene):
    ensure_roles()
    member = UserFactory(username="committee", is_staff=True)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    client.force_login(member)
    assert _post(client, scene).status_code == 403
