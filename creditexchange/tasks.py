import logging

from celery import shared_task

from accounts.models import User
from core.errors import DomainError

from . import services

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def issue_temporary_ids_task() -> int:
    """Daily issuance batch (beat, default 18:00 Asia/Seoul). Re-running issues nothing twice."""
    return services.temporary_id_issue_batch().issued


@shared_task(ignore_result=True)
def purge_unconfirmed_applications_task() -> int:
    return services.applications_purge_unconfirmed()


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180)
def send_partner_list_task(partner_id: int, term_id: int, kind: str, actor_id: int | None = None) -> int | None:
    """One list to one partner. A duplicate or retried job finds the list already sent and mails nothing."""
    try:
        partner_list = services.partner_list_send(
            partner_id=partner_id, term_id=term_id, kind=kind, actor=User.objects.filter(pk=actor_id).first(),
        )
    except DomainError as exc:
        logger.info("Partner list %s/%s/%s not sent: %s", partner_id, term_id, kind, exc.message)
        return None
    return partner_list.pk


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=360)
def send_due_partner_lists_task() -> int:
    """Beat, every 10 minutes: lists whose window has closed and that were not sent yet (restart-safe)."""
    return len(services.partner_lists_send_due().sent)
