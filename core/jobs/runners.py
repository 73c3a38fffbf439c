"""What each kind of background job does: it calls the existing service and turns its result into an outcome.

Each app registers its runners in its ``AppConfig.ready()`` (``runner_register``), as the admin autodiscovers
ModelAdmins; the kernel knows no app. A runner never decides a business rule: the app's services do, exactly as when a management command or a beat task calls them.
Runners are called by ``core.jobs.services.job_run`` with the job's language active.

Outcome rules: ``done`` means the work was applied, possibly with single items skipped (listed in
``failures``); ``failed`` means nothing was applied — a whole-job refusal (a ``DomainError``), an
all-or-nothing import with row errors, or an unexpected error.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import StaffJob

Status = StaffJob.Status


@dataclass
class Outcome:
    status: str
    done: int = 0
    total: int | None = None
    failures: list[dict] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    summary: str = ""
    error: str = ""


class Progress:
    """What a runner hands to a service as ``progress``; remembers the last call (the job writer subclasses it)."""

    def __init__(self) -> None:
        self.done, self.total = 0, None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total


@dataclass(frozen=True)
class Runner:
    permission: str  # needed to start the job and to see it
    scope: Callable[[dict], str]  # one active job per kind and scope
    run: Callable[[StaffJob, Progress], Outcome]
    back: Callable[[StaffJob], str]  # the admin page the job was started from
    upload: Callable[[StaffJob], str] | None = None  # an import's upload page (a stale preview links it)


def job_input(job: StaffJob) -> bytes:
    return bytes(job.input_content or b"")


def row_failures(errors: list[tuple[int, str]]) -> list[dict]:
    return [{"row": number, "reason": str(reason)} for number, reason in errors]


def imported_sentence(count: int) -> str:
    return ngettext("Imported %(count)s row.", "Imported %(count)s rows.", count) % {"count": count}


def import_outcome(report, progress: Progress, *, summary: str) -> Outcome:
    """The shared end of the three all-or-nothing imports: what was checked and what happened to it."""
    if not report.ok:
        errors = len(report.errors)
        errors_text = ngettext("%(count)s error", "%(count)s errors", errors) % {"count": errors}
        if progress.total is None:  # refused before any row was read (e.g. a missing column)
            error = _("Nothing was imported: %(errors)s.") % {"errors": errors_text}
        else:
            checked = ngettext("%(count)s row checked", "%(count)s rows checked", progress.total) % {"count": progress.total}
            error = _("%(checked)s, 0 imported: %(errors)s.") % {"checked": checked, "errors": errors_text}
        return Outcome(
            status=Status.FAILED, done=0, total=progress.total, failures=row_failures(report.errors),
            report={"rows": progress.total, "errors": errors}, error=error,
        )
    created, updated = getattr(report, "created", 0), report.updated
    return Outcome(
        status=Status.DONE, done=created + updated, total=created + updated,
        report={"created": created, "updated": updated}, summary=summary,
    )


def preview_summary(report: dict) -> str:
    """The sentence on a finished dry run (``core.jobs.services``): what the import would do; nothing done yet."""
    created, updated = report.get("created", 0), report.get("updated", 0)
    return _(
        "Preview: %(created)s to create, %(updated)s to change. Nothing has been imported yet: check the changes "
        "below, then confirm the import."
    ) % {"created": created, "updated": updated}


# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
RUNNERS: dict[str, Runner] = {}
KIND_LABELS: dict[str, str] = {}


def runner_register(kind, runner: Runner) -> None:
    """An app's job kind (a ``TextChoices`` member: its value and label) and what runs it; once per kind."""
    known = RUNNERS.get(str(kind))
    if known is not None and known.run.__module__ != runner.run.__module__:
        raise ValueError(f"a runner for {kind!r} is registered already")
    RUNNERS[str(kind)] = runner
    KIND_LABELS[str(kind)] = getattr(kind, "label", str(kind))


def kind_choices() -> list[tuple[str, str]]:
    """``StaffJob.kind``'s choices: the registered kinds, in the order the apps registered them."""
    return list(KIND_LABELS.items())
