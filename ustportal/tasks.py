from celery import shared_task


@shared_task(ignore_result=True, soft_time_limit=1800, time_limit=2100)
def destroy_expired_personal_data_task() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): PIPA retention; the service locks, so an overlapping run does nothing."""
    from .retention import personal_data_destroy_expired

    return personal_data_destroy_expired().total
