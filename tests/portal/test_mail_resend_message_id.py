"""Review R2 (issue 12, finding 6): the admin's older "Re-send selected mail" action re-sends a failed mail
with the Message-ID it was first sent with (one mail, one id); a mail that was *sent* goes as a new copy with its own
id (tests/portal/test_mail_resend_preview.py)."""

from django.core import mail

from .test_mail_stuck import EN, URL, rows  # noqa: F401 - fixtures


def test_re_sending_a_failed_mail_keeps_its_message_id(registrar_client, rows, django_capture_on_commit_callbacks):  # noqa: F811
    failed = rows["failed"]

    data = {"action": "resend", "_selected_action": [failed.pk]}
    fingerprint = registrar_client.post(URL, data, **EN).context["preview"]["fingerprint"]
    with django_capture_on_commit_callbacks(execute=True):
        registrar_client.post(URL, {**data, "confirm": "1", "fingerprint": fingerprint}, **EN)

    failed.refresh_from_db()
    assert failed.status == failed.Status.SENT
    assert [m.message()["Message-ID"] for m in mail.outbox] == [failed.message_id]
