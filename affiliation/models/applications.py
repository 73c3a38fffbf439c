"""Applications, their audit trail, and the eligibility rules staff may waive per student."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import StatusEvent

from .records import StudentRecord
from .rounds import AffiliationRound


class Rule(models.TextChoices):
    """The eligibility rules of SPEC §4.2, in order; each is one named check in ``affiliation/eligibility.py``."""

    BRANCH_CAMPUS = "branch_campus", _("1. Belongs to the branch campus")
    SEMESTERS = "semesters", _("2. Registered semesters")
    CREDITS = "credits", _("3. Earned and in-progress credits")
    GPA = "gpa", _("4. Cumulative GPA")
    ENGLISH = "english", _("5. English test score")
    FIRST_APPLICATION = "first_application", _("6. Never applied before")
    SEMESTER_RULE = "semester_rule", _("7. 4th or (after a leave) 5th registered semester")
    WINDOW = "window", _("8. Fall round application window")


class EligibilityException(models.Model):
    """Staff waive one rule for one student in one round, with a documented reason."""

    round = models.ForeignKey(AffiliationRound, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("round"))
    record = models.ForeignKey(StudentRecord, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("student"))
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("eligibility exception")
        verbose_name_plural = _("eligibility exceptions")
        ordering = ["-granted_at"]
        permissions = [("grant_eligibilityexception", _("Can grant an exception to an eligibility rule"))]
        constraints = [
            models.UniqueConstraint(fields=["round", "record", "rule"], name="exception_one_per_rule"),
            models.CheckConstraint(condition=~Q(reason=""), name="exception_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.record} · {self.get_rule_display()}"


def upload_path(instance, filename: str) -> str:
    """A server-chosen name: the student's file name is never used on disk."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"affiliation/{uuid.uuid4().hex}.{extension}"


class AffiliationApplication(models.Model):
    """An application for a change of affiliation; at most one submitted per student, ever (rule 6)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft (not submitted)")
        SUBMITTED = "submitted", _("Submitted")
        STAGE1_PASSED = "stage1_passed", _("Passed stage 1")
        STAGE1_FAILED = "stage1_failed", _("Not passed in stage 1")
        ADMITTED = "admitted", _("Admitted (final pass)")
        NOT_ADMITTED = "not_admitted", _("Not admitted")
        CANCELLED = "cancelled", _("Pass cancelled")
        CONFIRMED = "confirmed", _("Change of affiliation confirmed")

    class EnglishTest(models.TextChoices):
        TOEIC = "toeic", _("TOEIC")
        TOEFL = "toefl", _("TOEFL iBT")
        TEPS = "teps", _("TEPS")

    round = models.ForeignKey(AffiliationRound, on_delete=models.PROTECT, related_name="applications", verbose_name=_("round"))
    record = models.ForeignKey(StudentRecord, on_delete=models.PROTECT, related_name="applications", verbose_name=_("student"))
    target_department = models.ForeignKey(
        "academics.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department applied for"),
    )
    english_test = models.CharField(_("English test"), max_length=5, choices=EnglishTest.choices, blank=True)
    english_score = models.PositiveSmallIntegerField(_("English score"), null=True, blank=True)
    english_test_date = models.DateField(_("English test date"), null=True, blank=True)
    english_certificate = models.FileField(_("English score certificate"), upload_to=upload_path, blank=True)
    study_plan = models.FileField(_("study plan"), upload_to=upload_path, blank=True)

    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    eligibility = models.JSONField(_("eligibility at submission"), default=list, blank=True, editable=False)

    stage1_score = models.DecimalField(_("stage-1 score"), max_digits=7, decimal_places=3, null=True, blank=True)
    stage1_rank = models.PositiveIntegerField(_("stage-1 rank"), null=True, blank=True)
    document_score = models.DecimalField(
        _("document score"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))], help_text=_("0–100"),
    )
    interview_score = models.DecimalField(
        _("interview score"), max_digits=6, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))], help_text=_("0–100"),
    )
    stage2_score = models.DecimalField(_("stage-2 score"), max_digits=7, decimal_places=3, null=True, blank=True)
    final_rank = models.PositiveIntegerField(_("final rank"), null=True, blank=True)
    decided_at = models.DateTimeField(_("final decision at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancellation"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("affiliation application")
        verbose_name_plural = _("affiliation applications")
        ordering = ["round", "target_department", "final_rank", "stage1_rank", "submitted_at"]
        permissions = [("confirm_affiliationapplication", _("Can confirm or cancel a change of affiliation"))]
        constraints = [
            models.UniqueConstraint(fields=["round", "record"], name="affiliation_one_per_round"),
            models.UniqueConstraint(
                fields=["record"], condition=~Q(status="draft"), name="affiliation_one_submitted_ever"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False, target_department__isnull=False),
                name="affiliation_submitted_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(document_score__isnull=True) | Q(document_score__gte=0, document_score__lte=100),
                name="affiliation_document_score_range",
            ),
            models.CheckConstraint(
                condition=Q(interview_score__isnull=True) | Q(interview_score__gte=0, interview_score__lte=100),
                name="affiliation_interview_score_range",
            ),
        ]
        indexes = [models.Index(fields=["round", "status"])]

    def __str__(self) -> str:
        return f"{self.round.term} · {self.record}"


class ApplicationEvent(StatusEvent):
    """Audit trail of an affiliation application: state and score changes, who, when, before/after."""

    application = models.ForeignKey(
        AffiliationApplication, on_delete=models.CASCADE, related_name="events", verbose_name=_("application")
    )
    from_status = models.CharField(_("from"), max_length=15, blank=True, choices=AffiliationApplication.Status.choices)
    to_status = models.CharField(_("to"), max_length=15, choices=AffiliationApplication.Status.choices)
    changes = models.JSONField(_("changed values"), default=dict, blank=True)

    class Meta(StatusEvent.Meta):
        verbose_name = _("affiliation application event")
        verbose_name_plural = _("affiliation application events")
