"""Reads for the change of affiliation that span relations (rounds, quotas, records, eligibility inputs)."""

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import override

from academics.models import Department, Season
from core import dates
from core.language import ENGLISH, KOREAN

from .eligibility import Bilingual, EligibilityInput, Semester, Target, Thresholds
from .models import (
    AffiliationApplication,
    AffiliationRound,
    DepartmentQuota,
    EligibilityException,
    SemesterRecord,
    SimilarMajor,
    StudentRecord,
)


def bilingual(obj) -> Bilingual:
    """Names of BilingualName rows, or any object whose str() depends on the language (terms)."""
    if hasattr(obj, "name_ko"):
        return Bilingual(obj.name_ko or obj.name_en, obj.name_en or obj.name_ko)
    with override(KOREAN):
        ko = str(obj)
    with override(ENGLISH):
        en = str(obj)
    return Bilingual(ko, en)


def record_for(user) -> StudentRecord | None:
    if not user.is_authenticated:
        return None
    return StudentRecord.objects.select_related("campus", "department__college").filter(user=user).first()


def round_current(at: datetime | None = None) -> AffiliationRound | None:
    """The round a student deals with now: the open one, else the next to open, else the latest."""
    at = at or timezone.now()
    rounds = AffiliationRound.objects.select_related("term")
    return (
        rounds.filter(dates.open_q(at, opens="opens_at", closes="closes_at")).first()
        or rounds.filter(opens_at__gt=at).order_by("opens_at").first()
        or rounds.order_by("-opens_at").first()
    )


def quotas_for(round: AffiliationRound) -> dict[int, int]:
    return {q.department_id: q.quota for q in DepartmentQuota.objects.filter(round=round)}


def target_departments(*, round: AffiliationRound, record: StudentRecord | None = None) -> QuerySet[Department]:
    """Departments a student may choose: main campus, college not excluded, quota > 0 (and similar, if required)."""
    positive = [d for d, q in quotas_for(round).items() if q > 0]
    departments = Department.objects.filter(
        pk__in=positive, campus__is_main=True, college__excluded_from_affiliation_change=False
    ).select_related("college").order_by("name_ko")
    if round.target_policy == AffiliationRound.TargetPolicy.SIMILAR and record is not None:
        similar = SimilarMajor.objects.filter(from_department=record.department_id).values("to_department")
        departments = departments.filter(pk__in=similar)
    return departments


def _target(*, round: AffiliationRound, record: StudentRecord, department: Department | None) -> Target | None:
    if department is None:
        return None
    similar_required = round.target_policy == AffiliationRound.TargetPolicy.SIMILAR
    return Target(
        name=bilingual(department),
        on_main_campus=department.campus.is_main,
        college=bilingual(department.college),
        college_excluded=department.college.excluded_from_affiliation_change,
        quota=quotas_for(round).get(department.pk, 0),
        similar_required=similar_required,
        similar=not similar_required or SimilarMajor.objects.filter(
            from_department=record.department_id, to_department=department.pk
        ).exists(),
    )


def eligibility_input(
    *, record: StudentRecord, round: AffiliationRound, application: AffiliationApplication | None = None,
    at: datetime | None = None, values: dict | None = None,
) -> EligibilityInput:
    """Everything the checks need, from the record, its history, the rounds and the application (or form values)."""
    at = at or timezone.now()
    return EligibilityInput(
        **_student_inputs(record=record, application=application),
        **_round_inputs(round=round, at=at),
        **_application_inputs(record=record, round=round, application=application, values=values or {}),
        thresholds=thresholds_of(round),
        exceptions=dict(EligibilityException.objects.filter(round=round, record=record).values_list("rule", "reason")),
    )


def _student_inputs(*, record: StudentRecord, application: AffiliationApplication | None) -> dict:
    """The record: campus, major, credits, GPA, the regular semesters, and any earlier submitted application."""
    semesters = tuple(
        Semester(year=s.term.year, season=s.term.season, enrolled=s.status == SemesterRecord.Status.ENROLLED,
                 label=bilingual(s.term))
        for s in record.semesters.select_related("term").filter(term__season__in=[Season.SPRING, Season.FALL])
    )
    earlier = (
        AffiliationApplication.objects.filter(record=record)
        .exclude(status=AffiliationApplication.Status.DRAFT)
        .exclude(pk=application.pk if application else None)
        .select_related("round__term")
        .first()
    )
    return {
        "campus": bilingual(record.campus), "on_branch_campus": not record.campus.is_main,
        "major": bilingual(record.department), "semesters": semesters,
        "earned_credits": record.earned_credits, "in_progress_credits": record.in_progress_credits, "gpa": record.gpa,
        "applied_before": record.applied_before,
        "earlier_application": bilingual(earlier.round.term) if earlier else "",
    }


def _round_inputs(*, round: AffiliationRound, at: datetime) -> dict:
    """The round: its year, the years that had a round (rule 7), the window at ``at`` and the application date."""
    fall_years = set(AffiliationRound.objects.values_list("term__year", flat=True))
    state = round.window_state(at)
    return {
        "round_year": round.term.year, "round_years": frozenset(fall_years),
        "first_round_year": min(fall_years, default=round.term.year),
        "application_date": dates.seoul_day(at),
        "window_open": state == dates.WindowState.OPEN, "window_state": state,
        "round_label": bilingual(round.term), "opens": dates.when(round.opens_at), "closes": dates.when(round.closes_at),
    }


def _application_inputs(
    *, record: StudentRecord, round: AffiliationRound, application: AffiliationApplication | None, values: dict,
) -> dict:
    """What the application form holds: the form's values where given, else the saved application's."""

    def pick(name: str, default=None):
        if name in values:
            return values[name]
        return getattr(application, name) if application is not None else default

    department = pick("target_department")
    if department is not None and not isinstance(department, Department):
        department = Department.objects.select_related("campus", "college").filter(pk=department).first()
    return {
        "english_test": pick("english_test", "") or "", "english_score": pick("english_score"),
        "english_test_date": pick("english_test_date"), "certificate_uploaded": bool(pick("english_certificate")),
        "target": _target(round=round, record=record, department=department),
    }


def thresholds_of(round: AffiliationRound) -> Thresholds:
    return Thresholds(
        min_semesters=round.min_semesters, min_credits=round.min_credits, min_gpa=round.min_gpa,
        min_toeic=round.min_toeic, min_toefl=round.min_toefl, min_teps=round.min_teps,
        english_validity_years=round.english_validity_years,
    )


def rounds_due_for_publication(at: datetime | None = None) -> QuerySet[AffiliationRound]:
    at = at or timezone.now()
    return AffiliationRound.objects.filter(
        Q(stage1_publish_at__lte=at, stage1_published_at__isnull=True, stage1_run_at__isnull=False)
        | Q(final_publish_at__lte=at, final_published_at__isnull=True, stage2_run_at__isnull=False)
    )


def rounds_due_for_conditions(at: datetime | None = None) -> QuerySet[AffiliationRound]:
    at = at or timezone.now()
    return AffiliationRound.objects.filter(conditions_check_at__lte=at, conditions_checked_at__isnull=True)


def conditions_checkers() -> list:
    """Who the scheduled conditions check alerts: active staff holding ``affiliation.check_conditions`` through a
    group or directly (superusers only when nobody does), each with an address."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    users = get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")
    permission = Permission.objects.filter(content_type__app_label="affiliation", codename="check_conditions").first()
    holders = users.filter(Q(groups__permissions=permission) | Q(user_permissions=permission)).distinct()
    return list(holders.order_by("pk")) or list(users.filter(is_superuser=True).order_by("pk"))


def application_for(*, record: StudentRecord, round: AffiliationRound | None) -> AffiliationApplication | None:
    """The application a student's pages are about: the submitted one, from whichever round it belongs to (a
    student applies once ever, rule 6, so a later round must not hide it), else their draft in ``round``."""
    applications = AffiliationApplication.objects.select_related("target_department", "round__term").filter(record=record)
    submitted = applications.exclude(status=AffiliationApplication.Status.DRAFT).first()
    if submitted is not None or round is None:
        return submitted
    return applications.filter(round=round).first()


Status = AffiliationApplication.Status
STAGE1_SHOWN = {Status.STAGE1_PASSED, Status.STAGE1_FAILED}
FINAL_SHOWN = {Status.ADMITTED, Status.NOT_ADMITTED, Status.CANCELLED, Status.CONFIRMED}


def student_view(*, application: AffiliationApplication, at: datetime | None = None) -> dict:
    """What the applicant may see now: results only after their publication time (SPEC §4.4)."""
    at = at or timezone.now()
    round, status = application.round, application.status
    stage1 = round.stage1_visible(at) and status != Status.DRAFT
    final = round.final_visible(at) and stage1
    if status in FINAL_SHOWN and final:
        shown = status
    elif status in FINAL_SHOWN | STAGE1_SHOWN and stage1:
        shown = Status.STAGE1_PASSED if status in FINAL_SHOWN else status
    elif status == Status.DRAFT:
        shown = Status.DRAFT
    else:
        shown = Status.SUBMITTED
    competitors = AffiliationApplication.objects.filter(
        round=round, target_department=application.target_department_id
    ).exclude(status=Status.DRAFT)
    return {
        "status": shown,
        "status_label": Status(shown).label,
        "is_draft": shown == Status.DRAFT,
        "is_cancelled": shown == Status.CANCELLED,
        "stage1": stage1,
        "final": final and status in FINAL_SHOWN,
        "stage1_count": competitors.count() if stage1 else None,
        "final_count": competitors.exclude(status__in=[Status.SUBMITTED, Status.STAGE1_FAILED]).count() if final else None,
    }
