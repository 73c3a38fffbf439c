"""Final grades of the host's courses and the term's grade lock (issue 15; seed 000 §2 and §5).

A grade belongs to one registration (a registered, not a dropped one). The host's scale is the Korean 4.5 one:
A+ 4.5, A0 4.0, B+ 3.5, B0 3.0, C+ 2.5, C0 2.0, D+ 1.5, D0 1.0, F 0.0, and three marks without grade points:
P (pass), NP (non-pass) and W (withdrawn). Every change is a ``GradeEvent`` (who, when, before → after, from
which source); once the term's grades are final (``TermGrades``) nothing changes them unless staff reopen the term
with a reason, itself recorded.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import StatusEvent


class GradeValue(models.TextChoices):
    A_PLUS = "A+", pgettext_lazy("grade", "A+")
    A_ZERO = "A0", pgettext_lazy("grade", "A0")
    B_PLUS = "B+", pgettext_lazy("grade", "B+")
    B_ZERO = "B0", pgettext_lazy("grade", "B0")
    C_PLUS = "C+", pgettext_lazy("grade", "C+")
    C_ZERO = "C0", pgettext_lazy("grade", "C0")
    D_PLUS = "D+", pgettext_lazy("grade", "D+")
    D_ZERO = "D0", pgettext_lazy("grade", "D0")
    F = "F", pgettext_lazy("grade", "F")
    PASS = "P", pgettext_lazy("grade", "P (pass)")
    NON_PASS = "NP", pgettext_lazy("grade", "NP (non-pass)")
    WITHDRAWN = "W", pgettext_lazy("grade", "W (withdrawn)")


GRADE_POINTS: dict[str, Decimal] = {
    "A+": Decimal("4.5"), "A0": Decimal("4.0"), "B+": Decimal("3.5"), "B0": Decimal("3.0"), "C+": Decimal("2.5"),
    "C0": Decimal("2.0"), "D+": Decimal("1.5"), "D0": Decimal("1.0"), "F": Decimal("0.0"),
}
NO_CREDIT_VALUES = frozenset({"F", "NP", "W"})  # the course earns no credit whatever the recommendation


class Grade(models.Model):
    """The final grade of one registration. ``student``, ``offering`` and ``term`` repeat the registration's, so the
    grade sheet of an offering and a student's transcript are one indexed query each."""

    class Source(models.TextChoices):
        STAFF = "staff", _("Entered by staff")
        IMPORT = "import", _("Imported from a file")

    registration = models.OneToOneField(
        "creditexchange.CourseRegistration", on_delete=models.PROTECT, related_name="grade",
        verbose_name=_("course registration"),
    )
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grades", verbose_name=_("student"))
    offering = models.ForeignKey(
        "creditexchange.CourseOffering", on_delete=models.PROTECT, related_name="grades", verbose_name=_("course offering")
    )
    term = models.ForeignKey("academics.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("term"))
    value = models.CharField(pgettext_lazy("course result", "grade"), max_length=2, choices=GradeValue.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    entered_at = models.DateTimeField(_("entered at"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("entered by"),
    )

    class Meta:
        verbose_name = pgettext_lazy("course result", "grade")
        verbose_name_plural = pgettext_lazy("course result", "grades")
        ordering = ["offering", "student"]
        permissions = [("finalize_grades", _("Can make a term's grades final or reopen them"))]
        indexes = [models.Index(fields=["term", "student"]), models.Index(fields=["offering"])]

    def __str__(self) -> str:
        return f"{self.registration} · {self.value}"

    @property
    def points(self) -> Decimal | None:
        """Grade points on the 4.5 scale; None for P, NP and W (they count in no average)."""
        return GRADE_POINTS.get(self.value)

    @property
    def earns_credit(self) -> bool:
        return self.value not in NO_CREDIT_VALUES


class GradeEvent(StatusEvent):
    """Audit trail of a grade: before → after (∅ for the first entry), by whom, when, from which source."""

    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="events", verbose_name=pgettext_lazy("course result", "grade"))
    from_status = models.CharField(_("from"), max_length=2, choices=GradeValue.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=2, choices=GradeValue.choices)
    source = models.CharField(_("source"), max_length=10, choices=Grade.Source.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")


class TermGrades(models.Model):
    """The lock of one term's grades: ``final`` once staff make them final; reopening needs a reason."""

    class Status(models.TextChoices):
        OPEN = "open", _("Being entered")
        FINAL = "final", _("Final")

    term = models.OneToOneField("academics.Term", on_delete=models.PROTECT, related_name="grades_state", verbose_name=_("term"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    finalized_at = models.DateTimeField(_("final since"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("made final by"),
    )

    class Meta:
        verbose_name = _("grades of a term")
        verbose_name_plural = _("grades of terms")
        ordering = ["-term__year", "-term__season_order"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open") | models.Q(finalized_at__isnull=False), name="term_grades_final_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} · {self.get_status_display()}"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.FINAL


class TermGradesEvent(StatusEvent):
    """Audit trail of the lock: made final, reopened (with the reason)."""

    term_grades = models.ForeignKey(TermGrades, on_delete=models.CASCADE, related_name="events", verbose_name=_("grades of a term"))
    from_status = models.CharField(_("from"), max_length=8, choices=TermGrades.Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=8, choices=TermGrades.Status.choices)

    class Meta(StatusEvent.Meta):
        verbose_name = _("grade lock change")
        verbose_name_plural = _("grade lock changes")
