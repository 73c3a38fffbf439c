"""A yearly round: its dates, thresholds, weights and stage runs; the department quotas and similar majors."""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from academics.models import Season
from core import dates


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
