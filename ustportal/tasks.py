from celery import shared_task

from .mail import mail_deliver, mail_relay


@shared_task(ignore_result=True)
def send_mail_task(mail_id: int) -> None:
    mail_deliver(mail_id=mail_id)


@shared_task(ignore_result=True)
def relay_queued_mail_task() -> int:
    return mail_relay()
