"""Staff's "Re-send selected mail" is a bulk action like the others (issue 12): a preview, a confirmation checked
against it, a record in the staff action log.

A failed (or still queued) mail goes again as the same row with its one Message-ID: it may have reached the
recipient once (a timeout after the server had it), and the same id lets their mail system tell. A mail that was
*sent* and is re-sent on purpose (the student says it never came) is a new mail: a copy with its own Message-ID,
since a mail system that already holds the first id may hide the second; its links are built afresh at delivery.
"""

from django.core import mail

from core.models import BulkAction, OutgoingMail

from .test_mail_stuck import EN, URL, rows  # noqa: F401 - fixtures


def _post(client, selected, **extra):
    return client.post(URL, {"action": "resend", "_selected_action": [m.pk for m in selected], **extra}, **EN)


def test_resend_previews_first_and_changes_nothing(registrar_client, rows):  # noqa: F811
    response = _post(registrar_client, rows.values())
    assert response.status_code == 200
    preview = response.context["preview"]
    assert [m.pk for m in preview["again"]] == [rows["failed"].pk]
    assert preview["left"] == 2  # both "sending" rows are left alone
    assert OutgoingMail.objects.get(pk=rows["failed"].pk).status == OutgoingMail.Status.FAILED
    assert not BulkAction.objects.exists() and not mail.outbox


def test_confirming_resends_a_failed_mail_with_its_message_id_and_copies_a_sent_one_with_a_new_id(
    registrar_client, rows, django_capture_on_commit_callbacks  # noqa: F811
):
    failed = rows["failed"]
    sent = OutgoingMail.objects.create(kind=failed.kind, to=failed.to, language="en", params=failed.params,
                                       status=OutgoingMail.Status.SENT, attempts=1)
    fingerprint = _post(registrar_client, [failed, sent]).context["preview"]["fingerprint"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(registrar_client, [failed, sent], confirm="1", fingerprint=fingerprint)
    assert response.status_code == 302
    failed.refresh_from_db()
    copy = OutgoingMail.objects.exclude(pk__in=[failed.pk, sent.pk]).exclude(status=OutgoingMail.Status.SENDING).get()
    assert failed.status == OutgoingMail.Status.SENT and copy.status == OutgoingMail.Status.SENT
    assert copy.message_id != sent.message_id and (copy.kind, copy.to, copy.params) == (sent.kind, sent.to, sent.params)
    assert sorted(m.message()["Message-ID"] for m in mail.outbox) == sorted([failed.message_id, copy.message_id])
    record = BulkAction.objects.get(kind="ustportal.mail_resend")
    assert record.actor_name == "registrar" and record.inputs["copied"] == [sent.pk]


def test_a_stale_or_crafted_confirmation_sends_nothing(registrar_client, rows):  # noqa: F811
    fingerprint = _post(registrar_client, [rows["failed"]]).context["preview"]["fingerprint"]
    OutgoingMail.objects.filter(pk=rows["failed"].pk).update(status=OutgoingMail.Status.SENT)  # sent meanwhile
    for value in (fingerprint, "forged", ""):
        response = _post(registrar_client, [rows["failed"]], confirm="1", fingerprint=value)
        assert response.status_code == 200 and response.context["stale"]
    assert not mail.outbox and not BulkAction.objects.exists()
    assert OutgoingMail.objects.count() == 3
