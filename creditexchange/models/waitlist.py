"""The basket (희망과목 담기) and the waitlist of a full offering (issue 14).

A basket item reserves nothing: it is a list the student fills before registration opens and registers in one
click. A waitlist entry is a place in the queue of one offering; ``sequence`` is given once, in joining order,
under the offering's row lock, so two entries of one offering never share a number and none is skipped. The
position a student sees is their rank among the entries still active (waiting or offered).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import StatusEvent


class BasketItem(models.Model):
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="basket_items", verbose_name=_("student")
    )
    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    offering = models.ForeignKey(
        "creditexchange.CourseOffering", on_delete=models.CASCADE, related_name="basket_items",
        verbose_name=_("course offering"),
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("course registration", "basket item")
        verbose_name_plural = pgettext_lazy("course registration", "basket items")
        ordering = ["added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["student", "offering"], name="basket_once_per_offering")]
        indexes = [models.Index(fields=["student", "term"])]

    def __str__(self) -> str:
        return f"{self.student} · {self.offering.code}-{self.offering.section}"


ACTIVE = ("waiting", "offered")


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        OFFERED = "offered", _("Seat offered")
        REGISTERED = "registered", _("Registered")
        LEFT = "left", _("Left the waitlist")
        DECLINED = "declined", _("Offer declined")
        EXPIRED = "expired", _("Offer expired")
        REMOVED = "removed", _("Removed by staff")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries", verbose_name=_("student")
    )
    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    offering = models.ForeignKey(
        "creditexchange.CourseOffering", on_delete=models.PROTECT, related_name="waitlist_entries",
        verbose_name=_("course offering"),
    )
    sequence = models.PositiveIntegerField(
        _("place in joining order"), help_text=_("1 for the first student who joined this offering's waitlist.")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.WAITING)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    claim_until = models.DateTimeField(_("claim until"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    registration = models.OneToOneField(
        "creditexchange.CourseRegistration", on_delete=models.PROTECT, null=True, blank=True, related_name="waitlist_entry",
        verbose_name=_("course registration"),
    )

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["offering", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["offering", "sequence"], name="waitlist_one_place_per_number"),
            models.UniqueConstraint(
                fields=["student", "offering"], condition=Q(status__in=ACTIVE), name="waitlist_once_per_offering"
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(claim_until__isnull=False), name="waitlist_offer_has_deadline"
            ),
        ]
        indexes = [
            models.Index(fields=["offering", "status", "sequence"]),
            models.Index(fields=["student", "term", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} · {self.offering.code}-{self.offering.section} #{self.sequence}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE


class WaitlistRelease(models.Model):
    """One announced release instant of a term, done once (a beat that fires twice or late finds it done)."""

    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    scheduled_for = models.DateTimeField(_("release time"))
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("started by"), help_text=_("Empty when the schedule started it."),
    )
    registered = models.PositiveIntegerField(_("registered"), default=0)
    offered = models.PositiveIntegerField(_("offered"), default=0)
    passed_over = models.PositiveIntegerField(_("passed over"), default=0)
    expired = models.PositiveIntegerField(_("offers expired"), default=0)

    class Meta:
        verbose_name = _("waitlist release")
        verbose_name_plural = _("waitlist releases")
        ordering = ["-scheduled_for"]
        constraints = [models.UniqueConstraint(fields=["term", "scheduled_for"], name="waitlist_release_once")]

    def __str__(self) -> str:
        from core import dates

        return f"{self.term} · {dates.when(self.scheduled_for)}"


class WaitlistEvent(StatusEvent):
    """Every step of an entry: joined, passed over (status unchanged, the reason says why), offered, registered,
    left, declined, expired, removed; with the position the student held at that moment and the release."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="events", verbose_name=_("waitlist entry"))
    from_status = models.CharField(_("from"), max_length=12, blank=True, choices=WaitlistEntry.Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=WaitlistEntry.Status.choices)
    position = models.PositiveIntegerField(_("position"), null=True, blank=True)
    release = models.ForeignKey(
        WaitlistRelease, on_delete=models.SET_NULL, null=True, blank=True, related_name="events",
        verbose_name=_("waitlist release"),
    )

    class Meta(StatusEvent.Meta):
        verbose_name = _("waitlist event")
        verbose_name_plural = _("waitlist events")
