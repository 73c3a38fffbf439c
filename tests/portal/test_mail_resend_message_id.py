"""Review R2 (issue 12, finding 6): the admin's older "Re-send selected mail" action re-sends a failed or sent mail
with the Message-ID it was first sent with (one mail, one id), never a new one."""

from django.core import mail

from .test_mail_stuck import EN, URL, rows  # noqa: F401 - fixtures


def test_re_sending_a_failed_mail_keeps_its_message_id(registrar_client, rows, django_capture_on_commit_callbacks):  # noqa: F811
    failed = rows["failed"]

    with django_capture_on_commit_callbacks(execute=True):
        registrar_client.post(URL, {"action": "resend", "_selected_action": [failed.pk]}, **EN)

    failed.refresh_from_db()
    assert failed.status == failed.Status.SENT
    assert [m.message()["Message-ID"] for m in mail.outbox] == [failed.message_id]
