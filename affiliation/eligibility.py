"""Eligibility for a change of affiliation (SPEC §4.2): one named check per rule, no ORM.

Each check takes an ``EligibilityInput`` (built by ``selectors.eligibility_input``) and returns a
``CheckResult`` whose message quotes the student's own values and the round's threshold, in the
active language; ``snapshot()`` keeps both Korean and English for the record stored at submission.

Decisions where the spec is silent:

- Registered semesters are regular semesters (spring, fall) with status *enrolled*, counted up to and
  including the round's own fall term; a leave semester does not count (rules 2 and 7).
- Rule 7, the 5th semester: allowed only if the student took a leave of absence before and their
  4th registered semester fell in a term without an application round. A fall term "had a round" if
  the portal holds a round for it; fall terms before the portal's first round are assumed to have had
  one (seed 003: "the second semester of every year").
- Rule 5: "within 2 years before the application date" means on or after the same calendar day two
  years earlier (29 Feb → 28 Feb); a test dated in the future fails; the certificate must be uploaded.
- The target department check (SPEC §4.3) is listed with the rules but cannot be waived: a quota of 0
  or an excluded college is a property of the round, not of the student.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from academics.models import Season, season_rank
from core import dates

from .eligibility_data import (  # noqa: F401 (re-exported: selectors, views and tests import them from here)
    TARGET,
    Bilingual,
    CheckResult,
    EligibilityInput,
    Semester,
    Target,
    Thresholds,
)
from .models import Rule


def _result(data: EligibilityInput, code: str, passed: bool, template, **params) -> CheckResult:
    reason = data.exceptions.get(code, "") if code != TARGET else ""
    return CheckResult(code, passed, template, params, excepted=bool(reason) and not passed, exception_reason=reason)


def _key(year: int, season: str) -> tuple[int, int]:
    return (year, season_rank(season))


def registered_semesters(data: EligibilityInput) -> list[Semester]:
    current = _key(data.round_year, Season.FALL)
    ordered = sorted(data.semesters, key=lambda s: _key(s.year, s.season))
    return [s for s in ordered if s.enrolled and _key(s.year, s.season) <= current]


def check_branch_campus(data: EligibilityInput) -> CheckResult:
    """Rule 1: belongs to the branch campus."""
    if data.on_branch_campus:
        return _result(data, Rule.BRANCH_CAMPUS, True, _("Your campus is %(campus)s, a branch campus."), campus=data.campus)
    return _result(
        data, Rule.BRANCH_CAMPUS, False,
        _("Your campus is %(campus)s; only students of the branch campus may apply."), campus=data.campus,
    )


def check_semesters(data: EligibilityInput) -> CheckResult:
    """Rule 2: at least 4 registered semesters, counting the current one."""
    count, minimum = len(registered_semesters(data)), data.thresholds.min_semesters
    if count >= minimum:
        return _result(
            data, Rule.SEMESTERS, True,
            _("You have %(count)s registered semesters, counting the current one (at least %(minimum)s required)."),
            count=count, minimum=minimum,
        )
    return _result(
        data, Rule.SEMESTERS, False,
        _("You have %(count)s registered semesters, counting the current one; at least %(minimum)s are required."),
        count=count, minimum=minimum,
    )


def check_credits(data: EligibilityInput) -> CheckResult:
    """Rule 3: earned + in-progress credits ≥ 67."""
    total = data.earned_credits + data.in_progress_credits
    params = {"earned": data.earned_credits, "progress": data.in_progress_credits, "total": total,
              "minimum": data.thresholds.min_credits}
    if total >= data.thresholds.min_credits:
        return _result(
            data, Rule.CREDITS, True,
            _("Earned %(earned)s + in progress %(progress)s = %(total)s credits (at least %(minimum)s required)."),
            **params,
        )
    return _result(
        data, Rule.CREDITS, False,
        _("Earned %(earned)s + in progress %(progress)s = %(total)s credits; at least %(minimum)s are required."),
        **params,
    )


def check_gpa(data: EligibilityInput) -> CheckResult:
    """Rule 4: cumulative GPA up to the previous term ≥ 3.75."""
    gpa, minimum = Decimal(data.gpa).quantize(Decimal("0.01")), data.thresholds.min_gpa
    if gpa >= minimum:
        return _result(
            data, Rule.GPA, True,
            _("Your cumulative GPA up to the previous term is %(gpa)s (at least %(minimum)s required)."),
            gpa=gpa, minimum=minimum,
        )
    return _result(
        data, Rule.GPA, False,
        _("Your cumulative GPA up to the previous term is %(gpa)s; at least %(minimum)s is required."),
        gpa=gpa, minimum=minimum,
    )


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def check_english(data: EligibilityInput) -> CheckResult:
    """Rule 5: TOEIC 800, TOEFL iBT 96 or TEPS 800 or more, taken within 2 years, certificate uploaded."""
    t = data.thresholds
    if not data.english_test or data.english_score is None or data.english_test_date is None:
        return _result(
            data, Rule.ENGLISH, False,
            _("Enter one English test in the application: TOEIC %(toeic)s, TOEFL iBT %(toefl)s or TEPS %(teps)s or higher, "
              "taken within %(years)s years."),
            toeic=t.min_toeic, toefl=t.min_toefl, teps=t.min_teps, years=t.english_validity_years,
        )
    test = {"toeic": "TOEIC", "toefl": "TOEFL iBT", "teps": "TEPS"}[data.english_test]
    minimum = t.english_minimum(data.english_test)
    earliest = _years_before(data.application_date, t.english_validity_years)
    params = {"test": test, "score": data.english_score, "minimum": minimum, "date": dates.day(data.english_test_date),
              "earliest": dates.day(earliest), "years": t.english_validity_years,
              "today": dates.day(data.application_date)}
    if data.english_score < minimum:
        return _result(data, Rule.ENGLISH, False, _("Your %(test)s score is %(score)s; at least %(minimum)s is required."), **params)
    if data.english_test_date > data.application_date:
        return _result(data, Rule.ENGLISH, False, _("The %(test)s test date %(date)s is in the future."), **params)
    if data.english_test_date < earliest:
        return _result(
            data, Rule.ENGLISH, False,
            _("Your %(test)s test was taken on %(date)s; it must be taken on or after %(earliest)s "
              "(within %(years)s years before %(today)s)."),
            **params,
        )
    if not data.certificate_uploaded:
        return _result(
            data, Rule.ENGLISH, False,
            _("Your %(test)s score %(score)s meets the minimum of %(minimum)s; upload its certificate."), **params,
        )
    return _result(
        data, Rule.ENGLISH, True,
        _("Your %(test)s score %(score)s (taken on %(date)s) meets the minimum of %(minimum)s and is within "
          "%(years)s years."),
        **params,
    )


def check_first_application(data: EligibilityInput) -> CheckResult:
    """Rule 6: only once during enrolment; a submitted application counts, a draft does not."""
    if data.earlier_application:
        return _result(
            data, Rule.FIRST_APPLICATION, False,
            _("You already submitted an application (%(round)s); a student may apply only once during enrolment."),
            round=data.earlier_application,
        )
    if data.applied_before:
        return _result(
            data, Rule.FIRST_APPLICATION, False,
            _("The student information system records an earlier application; a student may apply only once "
              "during enrolment."),
        )
    return _result(data, Rule.FIRST_APPLICATION, True, _("You have not applied for a change of affiliation before."))


def _had_round(data: EligibilityInput, semester: Semester) -> bool:
    if semester.season != Season.FALL:
        return False
    return semester.year in data.round_years or semester.year < data.first_round_year


def _fifth_semester(data: EligibilityInput, fourth: Semester) -> CheckResult:
    """Rule 7 in the 5th registered semester: allowed only if a leave of absence left the 4th without a round."""
    took_leave = any(
        not s.enrolled for s in data.semesters if _key(s.year, s.season) < _key(data.round_year, Season.FALL)
    )
    label = fourth.label or f"{fourth.year} {fourth.season}"
    if _had_round(data, fourth):
        return _result(
            data, Rule.SEMESTER_RULE, False,
            _("This is your 5th registered semester; your 4th (%(fourth)s) had an application round, so you may "
              "no longer apply."),
            fourth=label,
        )
    if not took_leave:
        return _result(
            data, Rule.SEMESTER_RULE, False,
            _("This is your 5th registered semester; the 5th is allowed only when a leave of absence left your 4th "
              "(%(fourth)s) without an application round."),
            fourth=label,
        )
    return _result(
        data, Rule.SEMESTER_RULE, True,
        _("This is your 5th registered semester; after your leave of absence your 4th (%(fourth)s) had no "
          "application round, so you may apply."),
        fourth=label,
    )


def check_semester_rule(data: EligibilityInput) -> CheckResult:
    """Rule 7: the 4th registered semester; the 5th only after a leave left the 4th without a round; never the 6th."""
    registered = registered_semesters(data)
    count = len(registered)
    if count < 4:
        return _result(
            data, Rule.SEMESTER_RULE, True,
            _("You are in registered semester %(count)s; applications are possible in the 4th."), count=count,
        )
    if count == 4:
        return _result(data, Rule.SEMESTER_RULE, True, _("This is your 4th registered semester: you may apply."))
    if count == 5:
        return _fifth_semester(data, registered[3])
    return _result(
        data, Rule.SEMESTER_RULE, False,
        _("This is your registered semester %(count)s; from the 6th registered semester on, no application is possible."),
        count=count,
    )


def check_window(data: EligibilityInput) -> CheckResult:
    """Rule 8: only inside the fall round's application window [opens, closes)."""
    params = {"round": data.round_label, "opens": data.opens, "closes": data.closes}
    if data.window_open:
        return _result(data, Rule.WINDOW, True, _("Applications for %(round)s are open (%(opens)s – %(closes)s)."), **params)
    if data.window_state == dates.WindowState.UPCOMING:
        return _result(data, Rule.WINDOW, False, _("Applications for %(round)s open on %(opens)s."), **params)
    return _result(data, Rule.WINDOW, False, _("Applications for %(round)s closed on %(closes)s."), **params)


def check_target(data: EligibilityInput) -> CheckResult:
    """SPEC §4.3: a main-campus department with a quota, not in an excluded college, and similar if required."""
    target = data.target
    if target is None:
        return _result(data, TARGET, False, _("Choose the main-campus department you apply for."))
    params = {"department": target.name, "college": target.college, "major": data.major}
    if not target.on_main_campus:
        return _result(data, TARGET, False, _("%(department)s is not a department of the main campus."), **params)
    if target.college_excluded:
        return _result(
            data, TARGET, False,
            _("%(department)s belongs to %(college)s, which is excluded from the change of affiliation."), **params,
        )
    if target.quota <= 0:
        return _result(data, TARGET, False, _("%(department)s has no places in this round."), **params)
    if target.similar_required and not target.similar:
        return _result(
            data, TARGET, False,
            _("In this round only departments similar to your major %(major)s can be chosen; %(department)s is not one."),
            **params,
        )
    return _result(data, TARGET, True, _("%(department)s has %(quota)s places in this round."), quota=target.quota, **params)


CHECKS = [
    check_branch_campus, check_semesters, check_credits, check_gpa, check_english, check_first_application,
    check_semester_rule, check_window, check_target,
]


def evaluate(data: EligibilityInput) -> list[CheckResult]:
    return [check(data) for check in CHECKS]


def all_ok(results: list[CheckResult]) -> bool:
    return all(r.ok for r in results)


FORM_RULES = frozenset({Rule.ENGLISH, TARGET})  # completed in the application form itself


@dataclass(frozen=True)
class Verdict:
    """The checklist in one sentence: eligible, or may apply and complete the form, or not yet and why."""

    eligible: bool  # every rule met (or excepted)
    may_apply: bool  # nothing outside the application form stands in the way
    blocking: tuple[CheckResult, ...]  # failed rules the form cannot mend: the reasons for "not yet"
    to_complete: tuple[CheckResult, ...]  # failed rules the application form completes (English test, department)

    @property
    def reasons(self) -> list[str]:
        return [check.label for check in self.blocking]


def verdict(results: list[CheckResult], *, late_exception_usable: bool = True) -> Verdict:
    """``late_exception_usable`` is False once stage 1 has run: a window exception no longer lets anyone in."""

    def blocks(check: CheckResult) -> bool:
        return not check.ok or (check.code == Rule.WINDOW and check.excepted and not late_exception_usable)

    failing = [check for check in results if blocks(check)]
    blocking = tuple(check for check in failing if check.code not in FORM_RULES)
    return Verdict(eligible=not failing, may_apply=not blocking, blocking=blocking,
                   to_complete=tuple(check for check in failing if check.code in FORM_RULES))
