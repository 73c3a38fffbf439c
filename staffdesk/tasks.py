"""Celery tasks of the staff desk: each takes a primary key (or nothing) and only calls a service."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True, soft_time_limit=services.SOFT_TIME_LIMIT, time_limit=services.TIME_LIMIT)
def run_staff_job_task(job_id: int) -> bool:
    """Run one staff job; a duplicate or re-dispatched task finds it claimed and does nothing."""
    return services.job_run(job_id=job_id)


@shared_task(ignore_result=True)
def relay_staff_jobs_task() -> int:
    """Beat, every minute: hand over queued jobs the broker never got; fail jobs whose worker died."""
    return services.jobs_relay()
