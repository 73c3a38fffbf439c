"""Scheduled change-of-affiliation work; each task only calls a service and is safe to repeat."""

from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def publish_due_results_task() -> int:
    """Beat (every 5 minutes): release results whose set time has come; a publication is claimed once."""
    return services.results_publish_due()


@shared_task(ignore_result=True)
def results_publish_task(round_id: int, stage: str) -> int:
    return services.results_publish(round_id=round_id, stage=stage)


@shared_task(ignore_result=True)
def check_affiliation_conditions_task() -> int:
    """Beat (daily): preview the winter-session check of every round whose check time has come and alert the
    committee once per outcome; it never cancels (a committee member confirms the preview). Returns alerts sent."""
    return services.conditions_check_due()["alerted"]
