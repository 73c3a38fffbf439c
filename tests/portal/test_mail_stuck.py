"""Staff and a mail stuck in "sending" (issue 12, finding 6): visible, and sent again on purpose.

A row stays "sending" when its worker died mid-send; the relay sends it again once the stale claim has
passed, and staff can do it from the admin too: a preview that warns it may arrive twice (same Message-ID),
a confirmation checked against the preview's fingerprint, a record in the staff action log.
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.mail import stale_claim
from core.models import BulkAction, OutgoingMail

URL = reverse("admin:core_outgoingmail_changelist")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def committee(db):
    from django.contrib.auth.models import Group

    from accounts.models import User
    from accounts.roles import ensure_roles

    from ..factories import UserFactory

    ensure_roles()
    user = UserFactory(username="committee", is_staff=True, kind=User.Kind.STAFF)
    user.groups.add(Group.objects.get(name="affiliation_committee"))
    return user


@pytest.fixture
def rows(submitted_application):
    def row(status, claimed_minutes_ago=None):
        claimed = None if claimed_minutes_ago is None else timezone.now() - timedelta(minutes=claimed_minutes_ago)
        return OutgoingMail.objects.create(
            kind="application_confirmation", to=submitted_application.email, language="en", status=status,
            params={"application_id": submitted_application.pk}, claimed_at=claimed, attempts=1,
        )

    stuck_minutes = stale_claim().total_seconds() / 60 + 1
    return {
        "stuck": row(OutgoingMail.Status.SENDING, stuck_minutes),
        "sending": row(OutgoingMail.Status.SENDING, 0.5),  # a worker may be sending it right now
        "failed": row(OutgoingMail.Status.FAILED),
    }


def _post(client, rows, **extra):
    data = {"action": "send_again_stuck", "_selected_action": [r.pk for r in rows.values()], **extra}
    return client.post(URL, data, **EN)


def test_the_list_shows_how_long_a_mail_has_been_sending_and_filters_the_stuck_ones(registrar_client, rows):
    response = registrar_client.get(URL, {"stuck": "yes"}, **EN)
    assert [m.pk for m in response.context["cl"].result_list] == [rows["stuck"].pk]
    assert "claimed_at" in response.context["cl"].list_display and "Claimed at" in response.text
    assert "Mark stuck mail as not sent and send it again" in response.text


def test_send_again_previews_with_a_warning_then_sends_with_the_same_message_id_and_records_it(
    registrar_client, rows, django_capture_on_commit_callbacks
):
    preview = _post(registrar_client, rows)

    assert preview.status_code == 200
    page = preview.text
    assert rows["stuck"].message_id.strip("<>") in page
    assert "may receive it twice" in page
    assert preview.context["preview"]["left"] == 2  # the one still in its claim and the failed one
    assert OutgoingMail.objects.get(pk=rows["stuck"].pk).status == OutgoingMail.Status.SENDING  # nothing done yet

    with django_capture_on_commit_callbacks(execute=True):
        done = _post(registrar_client, rows, confirm="1", fingerprint=preview.context["preview"]["fingerprint"])

    assert done.status_code == 302
    stuck = OutgoingMail.objects.get(pk=rows["stuck"].pk)
    assert stuck.status == OutgoingMail.Status.SENT
    assert [m.message()["Message-ID"] for m in mail.outbox] == [stuck.message_id]
    assert OutgoingMail.objects.get(pk=rows["sending"].pk).status == OutgoingMail.Status.SENDING
    assert OutgoingMail.objects.get(pk=rows["failed"].pk).status == OutgoingMail.Status.FAILED
    action = BulkAction.objects.get(kind="ustportal.mail_send_again")
    assert action.actor.username == "registrar" and [c["id"] for c in action.changes] == [stuck.pk]


def test_a_mail_that_was_sent_meanwhile_is_not_sent_again(registrar_client, rows, django_capture_on_commit_callbacks):
    preview = _post(registrar_client, rows)
    OutgoingMail.objects.filter(pk=rows["stuck"].pk).update(status=OutgoingMail.Status.SENT)  # the worker answered

    with django_capture_on_commit_callbacks(execute=True):
        again = _post(registrar_client, rows, confirm="1", fingerprint=preview.context["preview"]["fingerprint"])

    assert again.status_code == 200 and again.context["stale"]
    assert again.context["preview"]["mails"] == []
    assert len(mail.outbox) == 0 and not BulkAction.objects.exists()


def test_a_crafted_fingerprint_or_another_roles_mail_sends_nothing(client, committee, registrar_client, rows):
    assert _post(registrar_client, rows, confirm="1", fingerprint="0" * 64).context["stale"]
    client.force_login(committee)  # registrar's mail is not the committee's to see or send
    response = _post(client, rows)
    assert (response.context["preview"]["mails"], response.context["preview"]["left"]) == ([], 0)
    with_fingerprint = _post(client, rows, confirm="1", fingerprint=response.context["preview"]["fingerprint"])
    assert with_fingerprint.status_code == 302  # confirmed: nothing it may see, so nothing sent
    assert OutgoingMail.objects.get(pk=rows["stuck"].pk).status == OutgoingMail.Status.SENDING
    assert not BulkAction.objects.exists()
