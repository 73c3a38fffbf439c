"""The kernel's Celery tasks: each takes a primary key (or nothing) and only calls a service.

The names stay the ones the tasks had before the kernel existed (``ustportal.tasks.*``, ``staffdesk.tasks.*``):
a message already in the broker, or a beat entry, during an upgrade still finds its task.
"""

from celery import shared_task

from .jobs import services as jobs
from .mail import mail_deliver, mail_relay


@shared_task(name="ustportal.tasks.send_mail_task", ignore_result=True)
def send_mail_task(mail_id: int) -> None:
    mail_deliver(mail_id=mail_id)


@shared_task(name="ustportal.tasks.relay_queued_mail_task", ignore_result=True)
def relay_queued_mail_task() -> int:
    return mail_relay()


@shared_task(
    name="staffdesk.tasks.run_staff_job_task", ignore_result=True, soft_time_limit=jobs.SOFT_TIME_LIMIT,
    time_limit=jobs.TIME_LIMIT,
)
def run_staff_job_task(job_id: int) -> bool:
    """Run one staff job; a duplicate or re-dispatched task finds it claimed and does nothing."""
    return jobs.job_run(job_id=job_id)


@shared_task(name="staffdesk.tasks.relay_staff_jobs_task", ignore_result=True)
def relay_staff_jobs_task() -> int:
    """Beat, every minute: hand over queued jobs the broker never got; fail jobs whose worker died."""
    return jobs.jobs_relay()
