"""Temporary-ID applications, their audit trail and conflicts between applicants of one number (SPEC §3.1)."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Trim, Upper
from django.utils.translation import gettext_lazy as _

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
