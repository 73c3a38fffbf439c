from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def issue_temporary_ids_task() -> int:
    """Daily issuance batch (beat, default 18:00 Asia/Seoul). Re-running issues nothing twice."""
    return services.temporary_id_issue_batch().issued


@shared_task(ignore_result=True)
def purge_unconfirmed_applications_task() -> int:
    return services.applications_purge_unconfirmed()


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=360)
def send_due_partner_lists_task() -> int:
    """Beat, every 10 minutes: lists whose window has closed and that were not sent yet (restart-safe)."""
    return len(services.partner_lists_send_due().sent)


@shared_task(ignore_result=True, soft_time_limit=240, time_limit=290)
def release_waitlists_task() -> int:
    """Beat, every 5 minutes: each announced waitlist release once; one killed midway is resumed by the next tick."""
    from .services.waitlist import waitlist_release_due

    return len(waitlist_release_due())


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def issue_due_transcripts_task() -> int:
    """Beat, every 15 minutes: transcripts for each partner of a term whose grades became final (issue 15)."""
    from .services.transcripts import transcripts_issue_due

    return len(transcripts_issue_due().issued)
