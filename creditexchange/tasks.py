from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def issue_temporary_ids_task() -> int:
    """Daily issuance batch (beat, default 18:00 Asia/Seoul). Re-running issues nothing twice."""
    return services.temporary_id_issue_batch().issued


@shared_task(ignore_result=True)
def purge_unconfirmed_applications_task() -> int:
    return services.applications_purge_unconfirmed()
