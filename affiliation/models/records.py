"""A home student's academic record and semester history, as imported from the student information system."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StudentRecord(models.Model):
    """A home student's academic record as imported from the student information system (SPEC §4.1)."""

    class TeacherTraining(models.TextChoices):
        NONE = "none", _("Not taking the course")
        ENROLLED = "enrolled", _("Taking the teacher-training course")
        COMPLETED = "completed", _("Completed the teacher-training course")
        CANCELLED = "cancelled", _("Teacher-training course cancelled")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="student_record", verbose_name=_("account")
    )
    student_number = models.CharField(_("student number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    campus = models.ForeignKey("academics.Campus", on_delete=models.PROTECT, related_name="+", verbose_name=_("campus"))
    department = models.ForeignKey(
        "academics.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    earned_credits = models.PositiveSmallIntegerField(_("earned credits"), default=0)
    in_progress_credits = models.PositiveSmallIntegerField(
        _("credits in progress"), default=0, help_text=_("Credits registered in the current term, not yet earned.")
    )
    gpa = models.DecimalField(
        _("cumulative GPA (4.5 scale)"), max_digits=3, decimal_places=2, default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("4.5"))],
        help_text=_("Up to and including the previous term."),
    )
    liberal_arts_met = models.BooleanField(_("liberal-arts requirement met"), default=False)
    teacher_training = models.CharField(
        _("teacher-training course"), max_length=10, choices=TeacherTraining.choices, default=TeacherTraining.NONE
    )
    applied_before = models.BooleanField(
        _("applied for a change of affiliation before"), default=False,
        help_text=_("From the student information system, for applications made before this portal."),
    )
    merit_scholarship_excluded_term = models.ForeignKey(
        "academics.Term", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("excluded from merit scholarships in"),
    )
    previous_department = models.ForeignKey(
        "academics.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department before the change of affiliation"),
    )
    affiliation_changed_at = models.DateTimeField(_("affiliation changed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Set only by the records import (issue 12): a hand edit in the admin does not make a record "refreshed".
    imported_at = models.DateTimeField(_("last imported at"), null=True, blank=True, editable=False)
    imported_email = models.EmailField(
        _("e-mail address in the last import"), blank=True, editable=False,
        help_text=_("The address the student information system gave last; an account address that differs was "
                    "changed by the student or the office since."),
    )

    class Meta:
        verbose_name = _("student academic record")
        verbose_name_plural = _("student academic records")
        ordering = ["student_number"]
        constraints = [
            models.CheckConstraint(condition=Q(gpa__gte=0, gpa__lte=Decimal("4.5")), name="record_gpa_range"),
        ]

    def __str__(self) -> str:
        return f"{self.student_number} {self.name}"

    @property
    def total_credits(self) -> int:
        return self.earned_credits + self.in_progress_credits


class SemesterRecord(models.Model):
    """One regular semester (spring or fall) of a student's registration history."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Registered (enrolled)")
        ON_LEAVE = "on_leave", _("Leave of absence")

    record = models.ForeignKey(
        StudentRecord, on_delete=models.CASCADE, related_name="semesters", verbose_name=_("student academic record")
    )
    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENROLLED)

    class Meta:
        verbose_name = _("semester record")
        verbose_name_plural = _("semester records")
        ordering = ["record", "term__year", "term__season_order"]
        constraints = [models.UniqueConstraint(fields=["record", "term"], name="semester_one_per_term")]

    def __str__(self) -> str:
        return f"{self.term}: {self.get_status_display()}"
