"""Background jobs for long staff operations: start, run once, relay, and the progress the page polls.

- ``job_start`` writes the ``StaffJob`` row (with the uploaded file as bytes) and queues
  ``run_staff_job_task(job_id)`` after the transaction commits. A second job of the same kind and
  scope while one is queued or running is refused with a message naming the first; a partial unique
  index is the backstop when two start in the same instant.
- ``job_run`` (the task's body) claims the row with a conditional UPDATE (queued → running) and
  returns at once when that changed no row, so a duplicated, retried or re-dispatched task does
  nothing. It calls the service through ``core.jobs.runners`` and stores the outcome.
- ``jobs_relay`` (beat, every minute) hands over queued jobs the broker never got (down when the
  job was started: the request still succeeds, the job waits) and marks jobs failed whose worker
  died mid-run, so the scope is free again.

With no broker (``CELERY_TASK_ALWAYS_EAGER``, the embedded default) the task runs in-process when
the request's transaction commits: the job is finished before the redirect to its page.

Import previews (issue 12): every import upload starts a *dry run* (``params["dry_run"]``). The service checks
every row and reports what it would change and a fingerprint, writing nothing. A finished dry run keeps its
uploaded bytes for ``PREVIEW_KEEP`` (then the relay drops them) so that ``job_confirm`` can start the real job
with the same bytes and params plus ``expected=<fingerprint>``; the service refuses (``StalePreview``) when the
file or the data it touches changed since. ``StaffJob.confirms`` is one-to-one: a preview is confirmed once.
"""

import hashlib
import logging
from datetime import datetime, timedelta
from enum import StrEnum

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import dates
from core.broker import broker_publish, broker_resume
from core.bulk import StalePreview, running_job
from core.errors import DomainError
from core.language import page_language

from ..models import StaffJob
from .runners import RUNNERS, Outcome, Progress, preview_summary

logger = logging.getLogger(__name__)
Status = StaffJob.Status

INPUT_MAX_BYTES = 5 * 1024 * 1024  # the upload forms' limit; the bytes live in the job row
PROGRESS_EVERY = 20  # write done/total after this many rows or items (and at the end)
RELAY_GRACE = timedelta(seconds=30)  # a queued job older than this that no broker got is handed over again
REDISPATCH_AFTER = timedelta(minutes=10)  # a job the broker got but no worker claimed (message lost)
SOFT_TIME_LIMIT, TIME_LIMIT = 15 * 60, 16 * 60  # seconds, for run_staff_job_task
STALE_RUNNING = timedelta(seconds=TIME_LIMIT) + timedelta(minutes=4)
PREVIEW_KEEP = timedelta(hours=24)  # a dry run's uploaded bytes wait this long for the confirmation


class JobAlreadyActive(DomainError):
    """One bulk job at a time per kind and scope (STYLE §5); ``job`` is the one in the way."""

    def __init__(self, message, *, job: StaffJob):
        super().__init__(message, code="job_active")
        self.job = job


def _refusal(active: StaffJob) -> JobAlreadyActive:
    who = active.created_by.get_username() if active.created_by else "—"
    return JobAlreadyActive(
        _("A “%(kind)s” job for the same term, round or list is already %(status)s (job #%(id)s, started by "
          "%(user)s at %(at)s). Wait until it has finished, then try again.")
        % {
            "kind": active.get_kind_display(), "status": active.get_status_display().lower(), "id": active.pk,
            "user": who, "at": dates.when(active.created_at),
        },
        job=active,
    )


def job_start(
    *, kind: str, params: dict, actor, file: tuple[str, bytes] | None = None, confirms: StaffJob | None = None
) -> StaffJob:
    """Record a job (and its input file) and queue its task once the surrounding transaction commits.

    ``confirms`` is the dry run this job carries out (``job_confirm``)."""
    runner = RUNNERS.get(kind)
    if runner is None:
        raise DomainError(_("Unknown kind of job: %(kind)s.") % {"kind": kind})
    if not actor.has_perm(runner.permission):
        raise PermissionDenied
    name, content = file if file is not None else ("", None)
    if content is not None and len(content) > INPUT_MAX_BYTES:
        raise DomainError(_("The file is larger than 5 MB."))
    scope = runner.scope(params)
    active = StaffJob.objects.filter(kind=kind, scope=scope, status__in=StaffJob.ACTIVE).select_related("created_by").first()
    if active is not None:
        raise _refusal(active)
    job = StaffJob(
        kind=kind, scope=scope, params=params, created_by=actor, language=page_language(),
        input_name=name[:200], input_content=content, input_size=len(content or b""),
        input_sha256=hashlib.sha256(content).hexdigest() if content is not None else "", confirms=confirms,
    )
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        # Two starts in the same instant: the partial unique index lets one through.
        active = StaffJob.objects.filter(kind=kind, scope=scope, status__in=StaffJob.ACTIVE).first()
        if active is None:
            raise
        raise _refusal(active) from None
    transaction.on_commit(lambda: job_dispatch(job_id=job.pk))
    logger.info("Staff job %s (%s, %s) queued by %s", job.pk, kind, scope, actor.get_username())
    return job


def job_dispatch(*, job_id: int) -> bool:
    """Hand the job to the broker; if it is down the job stays queued and the relay tries again."""
    from ..tasks import run_staff_job_task

    if not broker_publish(run_staff_job_task, job_id):
        return False
    StaffJob.objects.filter(pk=job_id, status=Status.QUEUED).update(dispatched_at=timezone.now())
    return True


class JobProgress(Progress):
    """Writes ``done``/``total`` to the job row every ``PROGRESS_EVERY`` items and at the end."""

    def __init__(self, job_id: int, every: int | None = None) -> None:
        super().__init__()
        self.job_id, self.every, self.written = job_id, every or PROGRESS_EVERY, 0

    def __call__(self, done: int, total: int) -> None:
        super().__call__(done, total)
        if done == total or done - self.written >= self.every:
            StaffJob.objects.filter(pk=self.job_id, status=Status.RUNNING).update(done=min(done, total), total=total)
            self.written = done


def _is_preview(job: StaffJob, outcome: Outcome) -> bool:
    """A dry run that checked out: its service said so (``report["dry_run"]``) and gave the fingerprint."""
    return bool(
        job.params.get("dry_run") and outcome.status == Status.DONE and outcome.report.get("dry_run") is True
        and outcome.report.get("fingerprint")
    )


def _finish(job: StaffJob, outcome: Outcome) -> None:
    total = outcome.total
    done = min(outcome.done, total) if total is not None else outcome.done
    preview = _is_preview(job, outcome)
    if preview:
        outcome.summary = preview_summary(outcome.report)
    # Only a preview waiting for its confirmation keeps the bytes (personal data are not kept twice).
    keep = {} if preview else {"input_content": None}
    StaffJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
        status=outcome.status, finished_at=timezone.now(), done=done, total=total, failures=outcome.failures,
        report=outcome.report, summary=outcome.summary, error=outcome.error, **keep,
    )


def job_run(*, job_id: int) -> bool:
    """Run a queued job once; a duplicate finds nothing to claim and returns False."""
    claimed = StaffJob.objects.filter(pk=job_id, status=Status.QUEUED).update(status=Status.RUNNING, started_at=timezone.now())
    if claimed != 1:
        return False
    job = StaffJob.objects.select_related("created_by").get(pk=job_id)
    progress = JobProgress(job.pk)
    with translation.override(job.language):
        try:
            with running_job(job.pk):
                outcome = RUNNERS[job.kind].run(job, progress)
        except StalePreview as exc:
            outcome = Outcome(status=Status.FAILED, total=progress.total, error=str(exc.message), report={"stale": True})
        except DomainError as exc:
            outcome = Outcome(status=Status.FAILED, done=0, total=progress.total, error=str(exc.message))
        except SoftTimeLimitExceeded:
            outcome = Outcome(
                status=Status.FAILED, done=progress.done, total=progress.total,
                error=_("The job took longer than %(minutes)s minutes and was stopped.") % {"minutes": SOFT_TIME_LIMIT // 60},
            )
        except Exception as exc:  # a bug must not leave the job running for ever; the log has the traceback
            logger.exception("Staff job %s failed", job.pk)
            outcome = Outcome(
                status=Status.FAILED, done=progress.done, total=progress.total,
                error=_("Unexpected error (%(type)s). The administrators can find the details in the log.")
                % {"type": type(exc).__name__},
            )
        _finish(job, outcome)
    logger.info("Staff job %s %s: %s", job.pk, outcome.status, outcome.summary or outcome.error)
    return True


def jobs_relay(*, at: datetime | None = None) -> int:
    """Beat, every minute: re-dispatch queued jobs no worker got, fail jobs whose worker died; returns jobs handed over."""
    broker_resume()  # a fresh attempt, even if this process saw the broker fail a moment ago
    now = at or timezone.now()
    for job in StaffJob.objects.filter(status=Status.RUNNING, started_at__lt=now - STALE_RUNNING):
        with translation.override(job.language):
            error = _("The worker stopped before the job finished; nothing more was done. Start it again.")
        StaffJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            status=Status.FAILED, finished_at=now, error=error, input_content=None
        )
        logger.warning("Staff job %s marked failed: its worker stopped", job.pk)
    previews_expire(at=now)
    due = list(
        StaffJob.objects.filter(status=Status.QUEUED, created_at__lt=now - RELAY_GRACE)
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER))
        .order_by("created_at").values_list("pk", flat=True)[:100]
    )
    handed_over = 0
    for job_id in due:
        if not job_dispatch(job_id=job_id):
            break  # still down: the rest wait for the next run
        handed_over += 1
    return handed_over


class PreviewRefused(DomainError):
    """The preview cannot be confirmed (already confirmed, expired, not a preview, another fingerprint)."""


class PreviewState(StrEnum):
    """Where a finished dry run stands as a preview; ``NONE`` (empty, false) when the job is no preview."""

    NONE = ""
    OPEN = "open"  # may be confirmed
    CONFIRMED = "confirmed"
    EXPIRED = "expired"


def preview_state(job: StaffJob, *, at: datetime | None = None) -> PreviewState:
    """:class:`PreviewState` of ``job``: open (may be confirmed), confirmed, expired, or none (no preview)."""
    if job.kind not in RUNNERS or not job.params.get("dry_run") or job.status != Status.DONE:
        return PreviewState.NONE
    if job.report.get("dry_run") is not True or not job.report.get("fingerprint"):
        return PreviewState.NONE
    if StaffJob.objects.filter(confirms=job).exists():
        return PreviewState.CONFIRMED
    if job.finished_at is None or job.finished_at < (at or timezone.now()) - PREVIEW_KEEP or job.input_content is None:
        return PreviewState.EXPIRED
    return PreviewState.OPEN


def job_confirm(*, job_id: int, fingerprint: str, actor) -> StaffJob:
    """Start the real import a finished dry run previewed: same kind, scope, file and params, plus ``expected``.

    Refused to anyone without the runner's permission, for a job that is no open preview (confirmed already,
    expired, failed), and when ``fingerprint`` is not the one the preview showed (a crafted POST).
    """
    with transaction.atomic():
        preview = StaffJob.objects.select_for_update().filter(pk=job_id).first()
        if preview is None or preview.kind not in RUNNERS:
            raise PreviewRefused(_("This preview does not exist."))
        if not actor.has_perm(RUNNERS[preview.kind].permission):
            raise PermissionDenied
        state = preview_state(preview)
        if state != PreviewState.OPEN:
            raise PreviewRefused({
                PreviewState.CONFIRMED: _("This preview was already confirmed; it cannot be confirmed twice."),
                PreviewState.EXPIRED: _("This preview has expired (kept for %(hours)s hours). Upload the file again.")
                % {"hours": int(PREVIEW_KEEP.total_seconds() // 3600)},
            }.get(state, _("Only a finished preview without errors can be confirmed.")))
        if not fingerprint or fingerprint != preview.report["fingerprint"]:
            raise PreviewRefused(_("This confirmation does not match the preview shown. Open the preview again."))
        params = {key: value for key, value in preview.params.items() if key not in ("dry_run", "expected")}
        job = job_start(
            kind=preview.kind, params={**params, "expected": fingerprint}, actor=actor,
            file=(preview.input_name, bytes(preview.input_content)), confirms=preview,
        )
        StaffJob.objects.filter(pk=preview.pk).update(input_content=None)  # the real job holds the bytes now
    return job


def previews_expire(*, at: datetime | None = None) -> int:
    """Drop the uploaded bytes of previews nobody confirmed within ``PREVIEW_KEEP`` (run by the relay)."""
    now = at or timezone.now()
    return StaffJob.objects.filter(
        input_content__isnull=False, status__in=[Status.DONE, Status.FAILED], finished_at__lt=now - PREVIEW_KEEP
    ).update(input_content=None)
