import re
import uuid
from email.utils import parseaddr

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import dates

_DOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def _safe_domain(value: str) -> str:
    """``value`` as the ASCII dot-atom an RFC 5322 msg-id needs (IDNA for a Korean domain), or ``""``."""
    value = value.strip().rstrip(".").lower()
    try:
        value = value.encode("idna").decode("ascii") if value else ""
    except UnicodeError:
        return ""
    return value if _DOMAIN.fullmatch(value) and len(value) <= 200 else ""


def message_id_domain() -> str:
    """The portal's own domain for Message-IDs: MAIL_MESSAGE_ID_DOMAIN, else DEFAULT_FROM_EMAIL's (never the host name).

    Only a valid domain is used (a line break, space or ``>`` in a setting must not reach a header);
    otherwise ``portal.invalid``.
    """
    configured = getattr(settings, "MAIL_MESSAGE_ID_DOMAIN", "")
    if configured:
        return _safe_domain(configured) or "portal.invalid"
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    local, at, domain = address.rpartition("@")
    return (_safe_domain(domain) if local and at else "") or "portal.invalid"


def new_message_id() -> str:
    """``<32 hex digits@domain>``: random, so unique across processes and machines without a counter."""
    return f"<{uuid.uuid4().hex}@{message_id_domain()}>"


class OutgoingMail(models.Model):
    """Every mail the portal sends, recorded first and delivered by a task (an outbox).

    The row is written in the same transaction as the change that causes it, so a broker
    outage loses nothing: the relay task re-queues rows the broker never got. Only ids and
    plain values are stored in ``params``; links with tokens are built at delivery time, and
    attachments are references rendered at delivery, not copies.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    to = models.EmailField(_("recipient"))
    language = models.CharField(_("language"), max_length=8, default="ko")
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # References resolved at delivery (core.emails.ATTACHMENTS), e.g. {"kind": "partner_list_file", "id": 7}:
    # the bytes stay in one place and every retry attaches the very same file.
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # One Message-ID for every attempt (issue 12): a redelivery after a crash carries the same header, and the
    # recipient's mail system and archives de-duplicate on it. Made once when the row is written.
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, editable=False, default=new_message_id)

    class Meta:
        db_table = "ustportal_outgoingmail"  # moved from ustportal with its table (issue 13)
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at"]
        permissions = [("resend_outgoingmail", _("Can re-send outgoing mail"))]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"


class BulkAction(models.Model):
    """What one bulk or irreversible staff action did (``core.bulk``): the one place staff read it.

    Written by the service in the same transaction as the change; never edited. ``actor`` empty and
    ``actor_name`` empty mean the schedule ran it. An undo is a new row whose ``undoes`` is the original.
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    kind = models.CharField(_("action"), max_length=60, db_index=True)
    scope = models.CharField(_("scope"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("run by"),
    )
    actor_name = models.CharField(_("run by (user name)"), max_length=150, blank=True)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    count = models.PositiveIntegerField(_("objects changed"), default=0)
    summary = models.TextField(_("summary"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    undoes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="undone_by", verbose_name=_("undoes"),
    )

    class Meta:
        db_table = "ustportal_bulkaction"  # moved from ustportal with its table (issue 13)
        verbose_name = _("staff action")
        verbose_name_plural = _("staff action log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["kind", "at"])]

    def __str__(self) -> str:
        return f"{dates.when(self.at)} {self.kind} {self.scope}".strip()


class StatusEvent(models.Model):
    """One line of an audit trail (STYLE §3): who, when, from → to and why; subclasses add the subject and statuses."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("actor"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:  # the statuses' labels in the reader's language, not their codes
        before = self.get_from_status_display() if self.from_status else "∅"
        return f"{before} → {self.get_to_status_display()}"


class PersonalDataAccessQuerySet(models.QuerySet):
    def delete(self):
        # The safety-measure standard keeps access records for at least ACCESS_LOG_RETENTION_YEARS: refuse younger ones.
        from .privacy import access_log_cutoff

        if self.filter(at__gt=access_log_cutoff()).exists():
            raise ImmutableAccessRecord("Access-log entries younger than the retention period cannot be deleted.")
        return super().delete()

    def update(self, **kwargs):
        raise ImmutableAccessRecord("Access-log entries cannot change.")


class ImmutableAccessRecord(Exception):
    """Raised when code tries to change an access-log entry or delete one inside its retention period."""


class PersonalDataAccess(models.Model):
    """One access to personal data (PIPA safety-measure standard, art. 8): who, when, from where, what, whose.

    ``subject`` names the data by model label, ids and a short reference (an id or a student
    number, never a name or an address). ``actor_name`` is a copy of the user name, so the entry
    outlives the account; the coordinator's signed link has no account and leaves ``actor`` empty.
    Entries never change; none younger than ``settings.ACCESS_LOG_RETENTION_YEARS`` is ever deleted.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        LIST = "list", _("Listed")
        CHANGE = "change", _("Changed")
        ADD = "add", _("Added")
        DELETE = "delete", _("Deleted")
        EXPORT = "export", _("Exported")
        DOWNLOAD = "download", _("Downloaded")
        DESTROY = "destroy", _("Destroyed (retention period over)")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor's user name"), max_length=150, blank=True)
    address = models.CharField(_("address"), max_length=64, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    model = models.CharField(_("data"), max_length=100, help_text=_("App and model label, e.g. affiliation.studentrecord."))
    object_ids = models.JSONField(_("object ids"), default=list, blank=True)
    count = models.PositiveIntegerField(_("number of rows"), default=0)
    reference = models.CharField(_("reference"), max_length=255, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)

    objects = PersonalDataAccessQuerySet.as_manager()

    class Meta:
        db_table = "ustportal_personaldataaccess"  # moved from ustportal with its table (issue 13)
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data access log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["model", "at"]), models.Index(fields=["actor_name", "at"])]

    def __str__(self) -> str:
        return f"{dates.when(self.at)} {self.actor_name or '—'} {self.action} {self.model}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableAccessRecord(f"Access-log entry {self.pk} cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        return type(self).objects.filter(pk=self.pk).delete()


def job_kind_choices() -> list[tuple[str, str]]:
    from .jobs.runners import kind_choices

    return kind_choices()


# The staff-job machinery (core/jobs/): moved here from staffdesk with its table (issue 13).
class StaffJob(models.Model):
    """One long staff operation, run by a Celery task and reported back on ``/staff/jobs/<id>/``.

    The row is written first (with the uploaded file, if any, as bytes) and the task gets only its
    id. The task claims the row with a conditional UPDATE (queued → running), so a duplicated or
    re-dispatched task does nothing. At most one job per kind and scope (a term, a round, a list)
    is queued or running at a time: a partial unique index refuses the second one.

    ``done``/``total`` count rows or items as the service reports them; ``failures`` lists
    ``{"row": n, "reason": …}`` (file rows, numbered as Excel shows them) or ``{"item": …, "reason": …}``
    (applications); ``report`` holds the service's counts and ``summary`` says them in a sentence;
    ``error`` is the reason a whole job failed (nothing was applied).
    Texts are written in ``language``, the language of the person who started the job. The uploaded
    bytes are dropped when the job finishes (the rows now live in their own tables; personal data are
    not kept twice); the file's name, size and SHA-256 stay as the record of what was imported. Only a
    finished import preview (a dry run) keeps them, until its confirmation copies them to the real job
    (``confirms``) or for at most ``services.PREVIEW_KEEP`` (24 h).
    """

    # The kinds are the apps' (``creditexchange.jobs.JobKind``, ``affiliation.jobs.JobKind``), registered with their
    # runners in each app's ready(): the kernel names none of them.
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(_("kind"), max_length=30, choices=job_kind_choices)
    scope = models.CharField(
        _("scope"), max_length=100, help_text=_("What the job works on, e.g. a term or a round; one active job per kind and scope.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, default="ko")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    dispatched_at = models.DateTimeField(_("handed to a worker at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    failures = models.JSONField(_("failures"), default=list, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    error = models.TextField(_("error"), blank=True)
    input_name = models.CharField(_("uploaded file name"), max_length=200, blank=True)
    input_content = models.BinaryField(_("uploaded file"), null=True, blank=True, editable=False)
    input_size = models.PositiveIntegerField(_("uploaded file size in bytes"), default=0)
    input_sha256 = models.CharField(_("uploaded file SHA-256"), max_length=64, blank=True)
    # The real import confirms one dry run (its preview); one-to-one, so a preview is never confirmed twice.
    confirms = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="confirmed_by",
        verbose_name=_("confirms the preview"),
    )

    class Meta:
        db_table = "staffdesk_staffjob"
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope"], condition=Q(status__in=["queued", "running"]), name="staffjob_one_active_per_scope"
            ),
            models.CheckConstraint(condition=Q(total__isnull=True) | Q(done__lte=models.F("total")), name="staffjob_done_within_total"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
