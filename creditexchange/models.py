import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Trim, Upper
from django.utils.translation import gettext_lazy as _

from core import dates
from core.language import bilingual
from core.models import StatusEvent


def _new_nonce() -> str:
    return secrets.token_urlsafe(12)


def student_number_key(value: str) -> str:
    """How home student numbers compare (issue 10, finding 3): without surrounding spaces, case-insensitively.

    ``TemporaryIdApplication.number_key`` is this value computed by the database (``UPPER(TRIM(number))``);
    the number itself is kept as the applicant typed it (stripped) for lists to the partner.
    """
    return (value or "").strip().upper()


class TemporaryIdApplication(models.Model):
    """A partner student's application for a temporary student ID for one term (SPEC §3.1)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted (e-mail not confirmed)")
        CONFIRMED = "confirmed", _("Confirmed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ISSUED = "issued", _("Issued")

    class DegreeLevel(models.TextChoices):
        BACHELOR = "bachelor", _("Bachelor's")
        MASTER = "master", _("Master's")
        DOCTORATE = "doctorate", _("Doctorate")
        INTEGRATED = "integrated", _("Integrated master's and doctorate")

    term = models.ForeignKey(
        "academics.Term", on_delete=models.PROTECT, related_name="temporary_id_applications", verbose_name=_("term")
    )
    partner = models.ForeignKey(
        "academics.Institution", on_delete=models.PROTECT, related_name="applications", verbose_name=_("partner")
    )
    home_student_number = models.CharField(_("home student number"), max_length=30)
    # Every comparison of student numbers (duplicates, conflicts, result look-up) uses this key.
    number_key = models.GeneratedField(
        expression=Upper(Trim("home_student_number")), output_field=models.CharField(max_length=30), db_persist=True,
        verbose_name=_("student number (for comparison)"),
    )
    name_ko = models.CharField(_("name (Korean)"), max_length=100, blank=True)
    name_latin = models.CharField(_("name (Latin letters)"), max_length=150, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("mobile phone"), max_length=30)
    home_department = models.CharField(_("department at home university"), max_length=150)
    degree_level = models.CharField(_("degree level"), max_length=12, choices=DegreeLevel.choices)
    language = models.CharField(_("language"), max_length=2, default="ko")
    consent_at = models.DateTimeField(_("personal information consent given at"))
    consent_version = models.CharField(
        _("privacy notice version agreed to"), max_length=20, blank=True,
        help_text=_("settings.PRIVACY_NOTICE_VERSION when the applicant agreed; empty for applications made before it was recorded."),
    )

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    temporary_id = models.ForeignKey(
        "accounts.TemporaryStudentId", on_delete=models.PROTECT, null=True, blank=True, related_name="applications",
        verbose_name=_("temporary student ID"),
    )
    returning = models.BooleanField(_("returning student"), default=False)
    confirmation_nonce = models.CharField(_("confirmation nonce"), max_length=32, default=_new_nonce, editable=False)
    confirmation_sent_at = models.DateTimeField(_("confirmation mail last requested at"), null=True, blank=True)
    confirmation_resends = models.PositiveSmallIntegerField(_("confirmation re-sends"), default=0)

    class Meta:
        verbose_name = _("temporary student ID application")
        verbose_name_plural = _("temporary student ID applications")
        ordering = ["-submitted_at"]
        permissions = [
            ("approve_temporaryidapplication", _("Can approve or reject temporary student ID applications")),
            ("issue_temporaryidapplication", _("Can issue temporary student IDs")),
        ]
        constraints = [
            # A plain repeat (same person: same birth date and e-mail) never makes a second row; a different
            # person with the same number is kept and opens an ApplicationConflict instead (finding 3).
            models.UniqueConstraint(
                F("term"), F("partner"), F("number_key"), F("date_of_birth"), Lower("email"),
                name="application_one_per_term_person_identity",
            ),
            models.CheckConstraint(
                condition=~Q(name_ko="", name_latin=""), name="application_has_a_name"
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | Q(temporary_id__isnull=False), name="issued_application_has_id"
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="rejected_application_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            models.Index(fields=["partner", "number_key"], name="application_partner_number"),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.partner.code} · {self.home_student_number}"

    @property
    def display_name(self) -> str:
        return " / ".join(part for part in (self.name_ko, self.name_latin) if part)

    display_name.fget.short_description = _("display name")


class ApplicationEvent(StatusEvent):
    """Audit trail of a temporary-ID application: who, when, from → to, why, and changed values."""

    application = models.ForeignKey(
        TemporaryIdApplication, on_delete=models.CASCADE, related_name="events", verbose_name=_("application")
    )
    from_status = models.CharField(_("from"), max_length=10, blank=True, choices=TemporaryIdApplication.Status.choices)
    to_status = models.CharField(_("to"), max_length=10, choices=TemporaryIdApplication.Status.choices)
    changes = models.JSONField(_("changed values"), default=dict, blank=True)

    class Meta(StatusEvent.Meta):
        verbose_name = _("application event")
        verbose_name_plural = _("application events")


class ApplicationConflict(models.Model):
    """Applications of different people for one term, partner and home student number (issue 10, finding 3).

    Opened when a second person applies with a number that already has an application; while it is
    open no application of that number can be issued an ID. Staff resolve it by keeping one application
    and rejecting the others (``rejected`` keeps their earlier state so the resolution can be undone
    while nothing is issued). At most one conflict per number is open at a time.
    """

    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    partner = models.ForeignKey(
        "academics.Institution", on_delete=models.PROTECT, related_name="+", verbose_name=_("partner")
    )
    number_key = models.CharField(_("home student number"), max_length=30)
    applications = models.ManyToManyField(
        TemporaryIdApplication, related_name="conflicts", verbose_name=_("applications")
    )
    opened_at = models.DateTimeField(_("opened at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("resolved by"),
    )
    kept = models.ForeignKey(
        TemporaryIdApplication, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("application kept"),
    )
    reason = models.TextField(_("reason"), blank=True)
    rejected = models.JSONField(_("rejected by the resolution"), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("application conflict")
        verbose_name_plural = _("application conflicts")
        ordering = ["-opened_at"]
        permissions = [("resolve_applicationconflict", _("Can resolve conflicting temporary student ID applications"))]
        constraints = [
            models.UniqueConstraint(
                fields=["term", "partner", "number_key"], condition=Q(resolved_at__isnull=True),
                name="application_conflict_one_open_per_number",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | ~Q(reason=""), name="application_conflict_resolution_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.partner.code} · {self.number_key}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class ApplicationConflictEvent(StatusEvent):
    """Audit trail of a conflict: opened, joined by a further application, resolved, resolution undone."""

    class Action(models.TextChoices):
        OPENED = "opened", _("Opened")
        JOINED = "joined", _("Another application joined")
        RESOLVED = "resolved", _("Resolved")
        REOPENED = "reopened", _("Resolution undone")

    conflict = models.ForeignKey(
        ApplicationConflict, on_delete=models.CASCADE, related_name="events", verbose_name=_("conflict")
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("details"), default=dict, blank=True)

    class Meta(StatusEvent.Meta):
        verbose_name = _("application conflict event")
        verbose_name_plural = _("application conflict events")

    def __str__(self) -> str:
        return str(self.get_action_display())



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
        return self.seats_taken < self.capacity

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



# --- Lists to partner universities (SPEC §3.3) ---------------------------------------------------------------------


class ImmutableSnapshot(Exception):
    """Raised when code tries to change a sent list or its files: a send is a record, not a draft."""


class PartnerList(models.Model):
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

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableSnapshot(f"Partner list {self.pk} was sent and cannot change.")
        super().save(*args, **kwargs)

    def is_open(self, at=None, *, deadline=None) -> bool:
        """Answers are accepted in [sent_at, deadline); a link whose own ``deadline`` is earlier closes then."""
        return dates.is_open(self.sent_at, min(deadline, self.deadline) if deadline else self.deadline, at)

    @property
    def student_count(self) -> int:
        return len(self.rows)

    @property
    def last_answer_day(self):
        """The last local day on which answers are accepted (the deadline itself is exclusive)."""
        return dates.seoul(self.deadline - timedelta(microseconds=1)).date()


class PartnerListFile(models.Model):
    """An attachment of a sent list (XLSX or CSV), kept as bytes so every mail and download is the same file."""

    partner_list = models.ForeignKey(PartnerList, on_delete=models.CASCADE, related_name="files", verbose_name=_("list"))
    filename = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"))

    class Meta:
        verbose_name = _("list file")
        verbose_name_plural = _("list files")
        ordering = ["partner_list", "filename"]
        constraints = [models.UniqueConstraint(fields=["partner_list", "filename"], name="partner_list_file_unique_name")]

    def __str__(self) -> str:
        return self.filename

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableSnapshot(f"List file {self.pk} was sent and cannot change.")
        super().save(*args, **kwargs)


class RecommendationQuerySet(models.QuerySet):
    """The rule "the latest answered recommendation decides" (seed 000 §2), written once: ``answered()`` then
    ``latest_first()``; the first row is the one that counts (lists, the credit mark, the staff figures)."""

    def answered(self) -> "RecommendationQuerySet":
        return self.exclude(decision=Recommendation.Decision.PENDING)

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
