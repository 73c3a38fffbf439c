"""Transcripts of records to the partner universities (issue 15): immutable snapshots, like the lists.

When a term's grades are final, each partner with students that term gets one ``TranscriptBatch``: a
``Transcript`` per student (its PDF, the courses as they were, a verification code) and the batch's files (one
XLSX and one CSV of all its students). A correction after sending is a new batch with the next ``version``; the
earlier one stays as it was sent, and the verification page says that a later version exists.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .partner_lists import SnapshotFile, WrittenOnce

# The verification code: 16 characters of an alphabet without 0/O, 1/I/L (read from paper), shown in four groups.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class TranscriptBatch(WrittenOnce):
    """The transcripts of one partner's students for one term, as sent (or made ready to send) once."""

    class Trigger(models.TextChoices):
        STAFF = "staff", _("Staff (send now)")
        SCHEDULE = "schedule", _("Schedule (grades made final)")
        COMMAND = "command", _("Management command")

    partner = models.ForeignKey(
        "academics.Institution", on_delete=models.PROTECT, related_name="transcript_batches", verbose_name=_("partner")
    )
    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="transcript_batches", verbose_name=_("term"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    language = models.CharField(_("language"), max_length=2)
    recipients = models.JSONField(_("recipients"), default=list, editable=False)
    issued_at = models.DateTimeField(_("issued at"))
    trigger = models.CharField(_("triggered by"), max_length=10, choices=Trigger.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("issued by"),
    )
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why a corrected version was issued."))

    class Meta:
        verbose_name = _("transcripts to a partner")
        verbose_name_plural = _("transcripts to partners")
        ordering = ["-issued_at"]
        permissions = [("issue_transcripts", _("Can issue transcripts of records to partner universities"))]
        constraints = [
            models.UniqueConstraint(fields=["partner", "term", "version"], name="transcript_batch_once_per_version"),
            models.CheckConstraint(condition=Q(version=1) | ~Q(reason=""), name="transcript_batch_correction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.partner.code} · v{self.version}"


class TranscriptBatchFile(SnapshotFile):
    """An attachment of a batch: the XLSX or the CSV of all its students."""

    batch = models.ForeignKey(TranscriptBatch, on_delete=models.CASCADE, related_name="files", verbose_name=_("transcripts"))

    class Meta:
        verbose_name = _("transcripts file")
        verbose_name_plural = _("transcripts files")
        ordering = ["batch", "filename"]
        constraints = [models.UniqueConstraint(fields=["batch", "filename"], name="transcript_file_unique_name")]


class Transcript(WrittenOnce):
    """One student's transcript of records in a batch: the courses as they were (``rows``) and the PDF sent."""

    batch = models.ForeignKey(TranscriptBatch, on_delete=models.PROTECT, related_name="transcripts", verbose_name=_("transcripts"))
    application = models.ForeignKey(
        "creditexchange.TemporaryIdApplication", on_delete=models.PROTECT, related_name="transcripts",
        verbose_name=_("application"),
    )
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transcripts", verbose_name=_("student"))
    code = models.CharField(_("verification code"), max_length=CODE_LENGTH, unique=True, default=new_verification_code, editable=False)
    rows = models.JSONField(_("courses"), default=list, editable=False)
    issued_at = models.DateTimeField(_("issued at"))
    pdf = models.BinaryField(_("PDF"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"))

    class Meta:
        verbose_name = _("transcript of records")
        verbose_name_plural = _("transcripts of records")
        ordering = ["batch", "pk"]
        constraints = [models.UniqueConstraint(fields=["batch", "application"], name="transcript_once_per_batch")]

    def __str__(self) -> str:
        return f"{self.batch} · {self.application}"

    @property
    def code_display(self) -> str:
        return "-".join(self.code[i:i + 4] for i in range(0, len(self.code), 4))
