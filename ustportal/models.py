from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # References resolved at delivery (ustportal.emails.ATTACHMENTS), e.g. {"kind": "partner_list_file", "id": 7}:
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

    class Meta:
        verbose_name = _("outgoing mail")
        verbose_name_plural = _("outgoing mail")
        ordering = ["-created_at"]
        permissions = [("resend_outgoingmail", _("Can re-send outgoing mail"))]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.status})"


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

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"
