"""Change of affiliation from the branch campus to the main campus (SPEC §4, seed 003)."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from academics.models import SEASONS_IN_ORDER, Season, season_rank
from core import dates
from core.models import StatusEvent

SEASON_ORDER = {s: season_rank(s) + 1 for s in SEASONS_IN_ORDER}  # removed once staffdesk stops importing it


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


class Stage(StrEnum):
    """The two publications of a round's results: stage 1, then the final results (stage 2)."""

    STAGE1 = "stage1"
    FINAL = "final"


class ConditionsAlert(StrEnum):
    """What the scheduled conditions check last told the committee (``AffiliationRound.conditions_alert``)."""

    REFUSED = "refused"
    READY = "ready"


class AffiliationRound(models.Model):
    """One yearly round, held in a fall term (seed 003: "the second semester of every year")."""

    class TargetPolicy(models.TextChoices):
        ANY = "any", _("Any department with a quota")
        SIMILAR = "similar", _("Only departments mapped as same or similar to the applicant's major")

    term = models.OneToOneField(
        "academics.Term", on_delete=models.PROTECT, related_name="affiliation_round", verbose_name=_("fall term")
    )
    opens_at = models.DateTimeField(_("applications open at"))
    closes_at = models.DateTimeField(_("applications close at"), help_text=_("Exclusive: closed from this instant."))
    stage1_publish_at = models.DateTimeField(_("stage-1 results published at"))
    interview_on = models.DateField(_("interview date"), null=True, blank=True)
    final_publish_at = models.DateTimeField(_("final results published at"))
    conditions_check_at = models.DateTimeField(
        _("conditions checked at"), help_text=_("End of the winter session of the application year.")
    )
    winter_session_ends_on = models.DateField(
        _("last day of the winter session"), null=True, blank=True,
        help_text=_("Asia/Seoul. The conditions check needs every admitted student's record imported after this day."),
    )

    min_semesters = models.PositiveSmallIntegerField(_("minimum registered semesters"), default=4)
    min_credits = models.PositiveSmallIntegerField(_("minimum credits"), default=67)
    min_gpa = models.DecimalField(_("minimum GPA"), max_digits=3, decimal_places=2, default=Decimal("3.75"))
    min_toeic = models.PositiveSmallIntegerField(_("minimum TOEIC"), default=800)
    min_toefl = models.PositiveSmallIntegerField(_("minimum TOEFL iBT"), default=96)
    min_teps = models.PositiveSmallIntegerField(_("minimum TEPS"), default=800)
    english_validity_years = models.PositiveSmallIntegerField(_("English score valid for (years)"), default=2)

    stage1_gpa_weight = models.DecimalField(_("stage 1: GPA weight"), max_digits=5, decimal_places=2, default=Decimal("60"))
    stage1_english_weight = models.DecimalField(
        _("stage 1: English weight"), max_digits=5, decimal_places=2, default=Decimal("40")
    )
    stage1_multiplier = models.DecimalField(
        _("stage 1: multiplier of the quota"), max_digits=4, decimal_places=2, default=Decimal("2.00"),
        help_text=_("The top ⌈multiplier × quota⌉ applicants of each department pass stage 1."),
    )
    stage2_stage1_weight = models.DecimalField(
        _("stage 2: stage-1 score weight"), max_digits=5, decimal_places=2, default=Decimal("50")
    )
    stage2_document_weight = models.DecimalField(
        _("stage 2: document weight"), max_digits=5, decimal_places=2, default=Decimal("20")
    )
    stage2_interview_weight = models.DecimalField(
        _("stage 2: interview weight"), max_digits=5, decimal_places=2, default=Decimal("30")
    )
    target_policy = models.CharField(
        _("target departments"), max_length=10, choices=TargetPolicy.choices, default=TargetPolicy.ANY
    )

    stage1_run_at = models.DateTimeField(_("stage 1 run at"), null=True, blank=True, editable=False)
    stage2_run_at = models.DateTimeField(_("stage 2 run at"), null=True, blank=True, editable=False)
    stage1_published_at = models.DateTimeField(_("stage-1 results released at"), null=True, blank=True, editable=False)
    final_published_at = models.DateTimeField(_("final results released at"), null=True, blank=True, editable=False)
    conditions_checked_at = models.DateTimeField(_("conditions checked on"), null=True, blank=True, editable=False)
    # What the scheduled check last told the committee ("refused" or "ready"): one alert per state, not per beat tick.
    conditions_alert = models.CharField(_("conditions check alert sent"), max_length=10, blank=True, editable=False)
    # What each stage run decided on (quotas, multiplier, weights, every applicant's scores): publication compares
    # it with the inputs now and refuses while any of them changed (issue 12, finding 2).
    stage1_inputs = models.JSONField(_("stage 1: inputs of the run"), default=dict, blank=True, editable=False)
    stage2_inputs = models.JSONField(_("stage 2: inputs of the run"), default=dict, blank=True, editable=False)
    # The refusal the schedule last mailed the committee about, per stage: one alert per refusal, not one per tick.
    publication_alerts = models.JSONField(_("publication refusals mailed"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("affiliation round")
        verbose_name_plural = _("affiliation rounds")
        ordering = ["-term__year"]
        permissions = [
            ("run_selection", _("Can run the selection of a change-of-affiliation round")),
            ("publish_results", _("Can publish change-of-affiliation results")),
            ("check_conditions", _("Can check the conditions after the pass")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(opens_at__lt=F("closes_at")), name="round_opens_before_closing"),
            models.CheckConstraint(condition=Q(closes_at__lte=F("stage1_publish_at")), name="round_stage1_after_window"),
            models.CheckConstraint(condition=Q(stage1_publish_at__lte=F("final_publish_at")), name="round_final_after_stage1"),
            models.CheckConstraint(condition=Q(final_publish_at__lte=F("conditions_check_at")), name="round_check_after_final"),
            models.CheckConstraint(
                condition=Q(stage1_gpa_weight__gte=0, stage1_english_weight__gte=0, stage2_stage1_weight__gte=0,
                            stage2_document_weight__gte=0, stage2_interview_weight__gte=0, stage1_multiplier__gte=1),
                name="round_weights_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Change of affiliation %(term)s") % {"term": self.term})

    def clean(self) -> None:
        if self.term_id and self.term.season != Season.FALL:
            raise ValidationError({"term": _("A change-of-affiliation round belongs to a fall term.")})

    def window_state(self, at: datetime | None = None) -> dates.WindowState:
        """The application window [opens_at, closes_at) at ``at`` (default now): upcoming, open or closed."""
        return dates.window_state(self.opens_at, self.closes_at, at)

    def window_open(self, at: datetime | None = None) -> bool:
        return dates.is_open(self.opens_at, self.closes_at, at)

    def stage1_visible(self, at: datetime | None = None) -> bool:
        return self.stage1_published_at is not None and self.stage1_published_at <= (at or timezone.now())

    def final_visible(self, at: datetime | None = None) -> bool:
        return self.final_published_at is not None and self.final_published_at <= (at or timezone.now())


class DepartmentQuota(models.Model):
    """Quota of a main-campus department = that year's general-transfer number, unless overridden (SPEC §4.3)."""

    round = models.ForeignKey(AffiliationRound, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("round"))
    department = models.ForeignKey(
        "academics.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    general_transfer_number = models.PositiveSmallIntegerField(_("general-transfer recruitment number"))
    override = models.PositiveSmallIntegerField(
        _("quota override"), null=True, blank=True, help_text=_("Leave empty to use the general-transfer number.")
    )

    class Meta:
        verbose_name = _("department quota")
        verbose_name_plural = _("department quotas")
        ordering = ["round", "department__name_ko"]
        constraints = [
            models.UniqueConstraint(fields=["round", "department"], name="quota_one_per_department"),
            models.CheckConstraint(condition=Q(general_transfer_number__gte=0), name="quota_number_non_negative"),
            models.CheckConstraint(condition=Q(override__isnull=True) | Q(override__gte=0), name="quota_override_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.quota}"

    @property
    def quota(self) -> int:
        return self.general_transfer_number if self.override is None else self.override


class SimilarMajor(models.Model):
    """A branch-campus major and a main-campus department that is the same or similar (kept across rounds)."""

    from_department = models.ForeignKey(
        "academics.Department", on_delete=models.CASCADE, related_name="+", verbose_name=_("branch-campus department")
    )
    to_department = models.ForeignKey(
        "academics.Department", on_delete=models.CASCADE, related_name="+", verbose_name=_("main-campus department")
    )

    class Meta:
        verbose_name = _("similar major")
        verbose_name_plural = _("similar majors")
        constraints = [models.UniqueConstraint(fields=["from_department", "to_department"], name="similar_major_unique")]

    def __str__(self) -> str:
        return f"{self.from_department} → {self.to_department}"


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
