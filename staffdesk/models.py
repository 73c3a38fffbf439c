"""Background jobs that staff start from the admin (imports, list sends, ID issuance, selection runs)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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

    class Kind(models.TextChoices):
        OFFERINGS_IMPORT = "offerings_import", _("Course offering import")
        TEMPORARY_IDS_ISSUE = "temporary_ids_issue", _("Temporary student ID issuance")
        PARTNER_LIST_SEND = "partner_list_send", _("List to a partner university")
        RECORDS_IMPORT = "records_import", _("Student academic record import")
        SCORES_IMPORT = "scores_import", _("Document and interview score import")
        SELECTION_STAGE1 = "selection_stage1", _("Selection stage 1")
        SELECTION_STAGE2 = "selection_stage2", _("Selection stage 2")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
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
