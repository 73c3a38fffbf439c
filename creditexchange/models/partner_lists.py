"""Lists to partner universities and the partners' recommendations (SPEC §3.3)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import dates

from .applications import TemporaryIdApplication


class ImmutableSnapshot(Exception):
    """Raised when code tries to change a sent list or its files: a send is a record, not a draft."""


class WrittenOnce(models.Model):
    """A record written once and never changed (a sent list, a file as sent, a transcript as issued): ``save``
    refuses an update; the admin shows these read-only."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableSnapshot(f"{type(self).__name__} {self.pk} was sent or issued and cannot change.")
        super().save(*args, **kwargs)


class PartnerList(WrittenOnce):
    """One list sent to one partner for one term and kind: an immutable snapshot (SPEC §3.3).

    ``rows`` (the students as they were), ``sent_at``, ``recipients`` and the files are fixed when
    the row is written; nothing updates them afterwards (``save`` refuses, the admin is read-only).
    The unique (partner, term, kind) row is also the job's claim: a second job for the same list
    finds it and mails nothing.
    """

    class Kind(models.TextChoices):
        APPLICANTS = "applicants", _("Applicants")
        REGISTRATIONS = "registrations", _("Course registrations")
        FINAL = "final", _("Final registrations")

    class Trigger(models.TextChoices):
        STAFF = "staff", _("Staff (send now)")
        SCHEDULE = "schedule", _("Schedule (window closed)")
        COMMAND = "command", _("Management command")

    partner = models.ForeignKey(
        "academics.Institution", on_delete=models.PROTECT, related_name="partner_lists", verbose_name=_("partner")
    )
    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="partner_lists", verbose_name=_("term"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=2)
    rows = models.JSONField(_("rows"), default=list, editable=False)
    recipients = models.JSONField(_("recipients"), default=list, editable=False)
    sent_at = models.DateTimeField(_("sent at"))
    deadline = models.DateTimeField(_("answers accepted until"), help_text=_("Exclusive: the link stops accepting answers at this instant."))
    trigger = models.CharField(_("triggered by"), max_length=10, choices=Trigger.choices)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        verbose_name = _("list to a partner")
        verbose_name_plural = _("lists to partners")
        ordering = ["-sent_at"]
        permissions = [("send_partnerlist", _("Can send lists to partner universities"))]
        constraints = [
            models.UniqueConstraint(fields=["partner", "term", "kind"], name="partner_list_once_per_kind"),
            models.CheckConstraint(condition=Q(sent_at__lt=models.F("deadline")), name="partner_list_deadline_after_send"),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.partner.code} · {self.get_kind_display()}"

    def is_open(self, at=None, *, deadline=None) -> bool:
        """Answers are accepted until the deadline (exclusive); a link whose own ``deadline`` is earlier closes then."""
        return dates.before(min(deadline, self.deadline) if deadline else self.deadline, at)

    @property
    def student_count(self) -> int:
        return len(self.rows)

    @property
    def last_answer_day(self):
        """The last local day on which answers are accepted (the deadline itself is exclusive)."""
        return dates.seoul(self.deadline - timedelta(microseconds=1)).date()


class SnapshotFile(WrittenOnce):
    """A file as sent (a list's or a transcript batch's XLSX, CSV…), kept as bytes so every mail and download is the
    same file; written once (``save`` refuses a change)."""

    filename = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.filename


class PartnerListFile(SnapshotFile):
    """An attachment of a sent list (XLSX or CSV)."""

    partner_list = models.ForeignKey(PartnerList, on_delete=models.CASCADE, related_name="files", verbose_name=_("list"))

    class Meta:
        verbose_name = _("list file")
        verbose_name_plural = _("list files")
        ordering = ["partner_list", "filename"]
        constraints = [models.UniqueConstraint(fields=["partner_list", "filename"], name="partner_list_file_unique_name")]


def answered_q() -> Q:
    """A line with an answer (not ``pending``): ``RecommendationQuerySet.answered`` as a condition, e.g. in a Case."""
    return ~Q(decision=Recommendation.Decision.PENDING)


class RecommendationQuerySet(models.QuerySet):
    """The rule "the latest answered recommendation decides" (seed 000 §2), written once: ``answered()`` then
    ``latest_first()``; the first row is the one that counts (lists, the credit mark, the staff figures)."""

    def answered(self) -> "RecommendationQuerySet":
        return self.filter(answered_q())

    def latest_first(self) -> "RecommendationQuerySet":
        return self.order_by("-decided_at", "-pk")


class Recommendation(models.Model):
    """A partner's answer for one student: a line of a sent list, or a record staff made from another source.

    The student's *latest* answered recommendation for the term decides credit (seed 000 §2):
    ``not_recommended`` means their registrations carry a no-credit mark.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not answered yet")
        RECOMMENDED = "recommended", _("Recommended")
        NOT_RECOMMENDED = "not_recommended", _("Not recommended")

    class Source(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator (signed link)")
        STAFF = "staff", _("Staff (received by other means)")

    partner_list = models.ForeignKey(
        PartnerList, on_delete=models.PROTECT, null=True, blank=True, related_name="recommendations",
        verbose_name=_("list"),
    )
    application = models.ForeignKey(
        TemporaryIdApplication, on_delete=models.PROTECT, related_name="recommendations", verbose_name=_("application")
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, default=Decision.PENDING)
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, blank=True)
    source_note = models.CharField(
        _("received how"), max_length=300, blank=True, help_text=_("For staff records: where the answer came from.")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["partner_list", "pk"]
        permissions = [("record_recommendation", _("Can record recommendations received by other means"))]
        constraints = [
            models.UniqueConstraint(
                fields=["partner_list", "application"], condition=Q(partner_list__isnull=False),
                name="recommendation_once_per_list",
            ),
            models.UniqueConstraint(
                fields=["application"], condition=Q(partner_list__isnull=True), name="recommendation_one_standalone",
            ),
            models.CheckConstraint(
                condition=Q(decision="pending") | Q(decided_at__isnull=False), name="recommendation_decided_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(source="staff") | ~Q(source_note=""), name="recommendation_staff_names_source"
            ),
        ]
        indexes = [models.Index(fields=["application", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_decision_display()}"

    @property
    def withholds_credit(self) -> bool:
        return self.decision == self.Decision.NOT_RECOMMENDED


class RecommendationEvent(models.Model):
    """Audit trail of a recommendation: before → after, by whom (staff user or the link's IP), when."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="events", verbose_name=_("recommendation")
    )
    from_decision = models.CharField(_("from"), max_length=16, choices=Recommendation.Decision.choices)
    to_decision = models.CharField(_("to"), max_length=16, choices=Recommendation.Decision.choices)
    from_comment = models.TextField(_("comment before"), blank=True)
    to_comment = models.TextField(_("comment after"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Recommendation.Source.choices)
    source_note = models.CharField(_("received how"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("actor")
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("recommendation event")
        verbose_name_plural = _("recommendation events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_decision_display()} → {self.get_to_decision_display()}"
