"""Course offerings, their time slots and students' registrations (SPEC §3.2)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import dates
from core.language import bilingual
from core.models import StatusEvent


class CourseOffering(models.Model):
    """A section offered in a term (SPEC §3.2). ``seats_taken`` is the counter a conditional UPDATE guards."""

    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="offerings", verbose_name=_("term"))
    code = models.CharField(_("course code"), max_length=20)
    section = models.CharField(_("section"), max_length=5, default="01")
    title_ko = models.CharField(_("title (Korean)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    credits = models.PositiveSmallIntegerField(_("credits"))
    capacity = models.PositiveIntegerField(_("capacity"))
    seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    waiting = models.PositiveIntegerField(
        _("on the waitlist"), default=0, editable=False,
        help_text=_("Students waiting for a seat or holding an offered one; while any are, free seats go only to them."),
    )
    instructor = models.CharField(_("instructor"), max_length=100, blank=True)
    department = models.ForeignKey(
        "academics.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="offerings",
        verbose_name=_("department"),
    )
    campus = models.ForeignKey("academics.Campus", on_delete=models.PROTECT, related_name="offerings", verbose_name=_("campus"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    open_to_exchange = models.BooleanField(_("open to exchange students"), default=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("course offering")
        verbose_name_plural = _("course offerings")
        ordering = ["code", "section"]
        permissions = [("publish_courseoffering", _("Can publish course offerings"))]
        constraints = [
            models.UniqueConstraint(fields=["term", "code", "section"], name="offering_unique_section"),
            models.CheckConstraint(condition=Q(seats_taken__lte=models.F("capacity")), name="offering_never_overbooked"),
            models.CheckConstraint(condition=Q(credits__gte=1, credits__lte=6), name="offering_credits_range"),
        ]
        indexes = [models.Index(fields=["term", "published_at"])]

    def __str__(self) -> str:
        return f"{self.code}-{self.section} {self.title}"

    @property
    def title(self) -> str:
        return bilingual(self.title_ko, self.title_en)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def has_capacity(self) -> bool:
        """A seat anyone may take now: free, and nobody waiting for it (a waitlist gets freed seats at release times)."""
        return self.seats_taken < self.capacity and self.waiting == 0

    @property
    def waitlist_open(self) -> bool:
        """Students may join the waitlist only when no seat is open to them directly."""
        return not self.has_capacity

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class TimeSlot(models.Model):
    class Weekday(models.IntegerChoices):
        MON = 0, _("Mon")
        TUE = 1, _("Tue")
        WED = 2, _("Wed")
        THU = 3, _("Thu")
        FRI = 4, _("Fri")
        SAT = 5, _("Sat")

    offering = models.ForeignKey(
        CourseOffering, on_delete=models.CASCADE, related_name="slots", verbose_name=_("course offering")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))

    class Meta:
        verbose_name = _("time slot")
        verbose_name_plural = _("time slots")
        ordering = ["weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="slot_starts_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {dates.clock(self.starts_at)}–{dates.clock(self.ends_at)}"

    def overlaps(self, other: "TimeSlot") -> bool:
        return self.weekday == other.weekday and self.starts_at < other.ends_at and other.starts_at < self.ends_at


class CourseRegistration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        DROPPED = "dropped", _("Dropped")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="course_registrations", verbose_name=_("student")
    )
    offering = models.ForeignKey(CourseOffering, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("course offering"))
    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    registered_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("course registration")
        verbose_name_plural = _("course registrations")
        ordering = ["-registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "offering"], condition=Q(status="registered"), name="registration_once_per_offering"
            ),
        ]
        indexes = [models.Index(fields=["student", "term", "status"])]

    def __str__(self) -> str:
        return f"{self.student} · {self.offering.code}-{self.offering.section}"


class RegistrationEvent(StatusEvent):
    """Audit trail of a registration: who (student or staff), when, from → to, reason."""

    registration = models.ForeignKey(
        CourseRegistration, on_delete=models.CASCADE, related_name="events", verbose_name=_("course registration")
    )
    from_status = models.CharField(_("from"), max_length=12, blank=True, choices=CourseRegistration.Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=CourseRegistration.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("registration event")
        verbose_name_plural = _("registration events")
