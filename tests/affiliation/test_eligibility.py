"""The eligibility rules of SPEC §4.2 at their boundaries, as a table over pure inputs (no database)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from affiliation import eligibility
from affiliation.eligibility import Bilingual, EligibilityInput, Semester, Target
from core.dates import WindowState

TODAY = date(2026, 9, 10)


def semesters(pattern: str, *, last_year: int = 2026) -> tuple[Semester, ...]:
    """Semesters ending with fall ``last_year``, oldest first: E enrolled, L leave."""
    terms, year, season = [], last_year, "fall"
    for _ in pattern:
        terms.append((year, season))
        year, season = (year, "spring") if season == "fall" else (year - 1, "fall")
    return tuple(
        Semester(year=y, season=s, enrolled=c == "E", label=f"{y} {s}")
        for (y, s), c in zip(reversed(terms), pattern, strict=True)
    )


TARGET = Target(name=Bilingual("컴퓨터학과", "Computer Science"), on_main_campus=True,
                college=Bilingual("공과대학", "College of Engineering"), college_excluded=False, quota=3)

BASE = EligibilityInput(
    campus=Bilingual("세종캠퍼스", "Sejong Campus"), on_branch_campus=True, major=Bilingual("응용수리과학과", "Applied Mathematics"),
    semesters=semesters("EEEE"), round_year=2026, round_years=frozenset({2024, 2025, 2026}), first_round_year=2024,
    earned_credits=55, in_progress_credits=18, gpa=Decimal("4.00"), application_date=TODAY,
    window_open=True, window_state=WindowState.OPEN, round_label="2026 Fall", opens="2026-09-01 09:00", closes="2026-09-20 18:00",
    english_test="toeic", english_score=850, english_test_date=date(2026, 5, 1), certificate_uploaded=True,
    target=TARGET,
)


def failed(data: EligibilityInput) -> set[str]:
    return {r.code for r in eligibility.evaluate(data) if not r.ok}


def result(data: EligibilityInput, code: str) -> eligibility.CheckResult:
    return next(r for r in eligibility.evaluate(data) if r.code == code)


CASES = [
    # (id, changes, failing rules)
    ("all rules met", {}, set()),
    ("branch campus required", {"on_branch_campus": False, "campus": Bilingual("서울캠퍼스", "Seoul Campus")}, {"branch_campus"}),
    ("exactly 67 credits", {"earned_credits": 52, "in_progress_credits": 15}, set()),
    ("66 credits", {"earned_credits": 52, "in_progress_credits": 14}, {"credits"}),
    ("67 earned, none in progress", {"earned_credits": 67, "in_progress_credits": 0}, set()),
    ("GPA 3.75", {"gpa": Decimal("3.75")}, set()),
    ("GPA 3.74", {"gpa": Decimal("3.74")}, {"gpa"}),
    ("TOEIC 800", {"english_test": "toeic", "english_score": 800}, set()),
    ("TOEIC 799", {"english_test": "toeic", "english_score": 799}, {"english"}),
    ("TOEFL 96", {"english_test": "toefl", "english_score": 96}, set()),
    ("TOEFL 95", {"english_test": "toefl", "english_score": 95}, {"english"}),
    ("TEPS 800", {"english_test": "teps", "english_score": 800}, set()),
    ("TEPS 799", {"english_test": "teps", "english_score": 799}, {"english"}),
    ("test taken exactly two years before", {"english_test_date": date(2024, 9, 10)}, set()),
    ("test taken two years and one day before", {"english_test_date": date(2024, 9, 9)}, {"english"}),
    ("test taken on the application day", {"english_test_date": TODAY}, set()),
    ("test dated in the future", {"english_test_date": date(2026, 9, 11)}, {"english"}),
    ("leap day: two years before 29 Feb 2028 is 28 Feb 2026",
     {"application_date": date(2028, 2, 29), "english_test_date": date(2026, 2, 28)}, set()),
    ("no English score entered", {"english_test": "", "english_score": None, "english_test_date": None}, {"english"}),
    ("certificate not uploaded", {"certificate_uploaded": False}, {"english"}),
    ("submitted application in an earlier round", {"earlier_application": "2025 Fall"}, {"first_application"}),
    ("earlier application recorded by the SIS", {"applied_before": True}, {"first_application"}),
    ("3rd registered semester", {"semesters": semesters("EEE")}, {"semesters"}),
    ("4th registered semester", {"semesters": semesters("EEEE")}, set()),
    ("4th registered semester, a leave before", {"semesters": semesters("ELEEE")}, set()),
    ("leave semesters do not count: 3 registered of 4", {"semesters": semesters("ELEE")}, {"semesters"}),
    ("5th after a leave: the 4th fell in spring 2026, no round", {"semesters": semesters("EEELEE")}, set()),
    ("5th without any leave (entered in fall, 4th in spring)", {"semesters": semesters("EEEEE")}, {"semester_rule"}),
    ("5th, leave after the 4th (fall 2025 had a round)", {"semesters": semesters("EEEELE")}, {"semester_rule"}),
    ("5th after a leave, the 4th in a fall without a round",
     {"semesters": semesters("EEEELE"), "round_years": frozenset({2024, 2026})}, set()),
    ("6th registered semester", {"semesters": semesters("EEEEEE")}, {"semester_rule"}),
    ("6th registered semester with a leave", {"semesters": semesters("EELEEEE")}, {"semester_rule"}),
    ("falls before the portal's first round are assumed to have had one",
     {"semesters": semesters("EEEELE"), "round_years": frozenset({2026}), "first_round_year": 2026}, {"semester_rule"}),
    ("window not open yet", {"window_open": False, "window_state": WindowState.UPCOMING}, {"window"}),
    ("window closed", {"window_open": False, "window_state": WindowState.CLOSED}, {"window"}),
    ("no department chosen", {"target": None}, {"target"}),
    ("excluded college", {"target": replace(TARGET, college_excluded=True)}, {"target"}),
    ("quota 0", {"target": replace(TARGET, quota=0)}, {"target"}),
    ("not a main-campus department", {"target": replace(TARGET, on_main_campus=False)}, {"target"}),
    ("similar-major policy, similar department", {"target": replace(TARGET, similar_required=True, similar=True)}, set()),
    ("similar-major policy, other department", {"target": replace(TARGET, similar_required=True, similar=False)}, {"target"}),
]


@pytest.mark.parametrize(("changes", "expected"), [(c, e) for _, c, e in CASES], ids=[i for i, _, _ in CASES])
def test_eligibility_table(changes, expected):
    assert failed(replace(BASE, **changes)) == expected


def test_semester_fixtures_are_what_the_table_says():
    assert [(s.year, s.season) for s in semesters("EEEEE")][:1] == [(2024, "fall")]
    assert len(eligibility.registered_semesters(replace(BASE, semesters=semesters("EEELEE")))) == 5
    assert eligibility.registered_semesters(replace(BASE, semesters=semesters("EEELEE")))[3].season == "spring"


def test_each_message_quotes_the_students_value_and_the_threshold():
    data = replace(BASE, gpa=Decimal("3.74"), earned_credits=52, in_progress_credits=14, english_test="toefl",
                   english_score=95)
    with translation.override("en"):
        assert "3.74" in result(data, "gpa").message and "3.75" in result(data, "gpa").message
        credits = result(data, "credits").message
        assert all(str(n) in credits for n in (52, 14, 66, 67))
        english = result(data, "english").message
        assert "TOEFL iBT" in english and "95" in english and "96" in english


def test_the_date_rule_names_the_earliest_accepted_day():
    data = replace(BASE, english_test_date=date(2024, 9, 9))
    with translation.override("en"):
        message = result(data, "english").message
    assert "2024-09-09" in message and "2024-09-10" in message


def test_the_snapshot_keeps_korean_and_english_text():
    snapshot = result(replace(BASE, gpa=Decimal("3.74")), "gpa").snapshot()
    assert snapshot["code"] == "gpa" and snapshot["passed"] is False and snapshot["excepted"] is False
    assert "3.74" in snapshot["message_ko"] and "3.74" in snapshot["message_en"]
    assert snapshot["message_ko"] != snapshot["message_en"]
    assert snapshot["label_ko"] != snapshot["label_en"]


def test_names_follow_the_readers_language():
    data = replace(BASE, on_branch_campus=False, campus=Bilingual("서울캠퍼스", "Seoul Campus"))
    check = result(data, "branch_campus")
    with translation.override("en"):
        assert "Seoul Campus" in check.message
    with translation.override("ko"):
        assert "서울캠퍼스" in check.message


def test_an_exception_waives_one_rule_and_says_so():
    data = replace(BASE, gpa=Decimal("3.70"), exceptions={"gpa": "Medical leave lowered one term"})
    check = result(data, "gpa")
    assert check.passed is False and check.excepted is True and check.ok is True
    assert check.exception_reason == "Medical leave lowered one term"
    assert failed(data) == set()
    assert check.snapshot()["excepted"] is True


def test_an_exception_for_a_met_rule_is_not_shown_as_used():
    check = result(replace(BASE, exceptions={"gpa": "just in case"}), "gpa")
    assert check.passed is True and check.excepted is False


def test_an_exception_for_one_rule_leaves_the_others_in_force():
    data = replace(BASE, gpa=Decimal("3.70"), earned_credits=40, exceptions={"gpa": "reason"})
    assert failed(data) == {"credits"}


def test_the_department_check_cannot_be_waived():
    data = replace(BASE, target=replace(TARGET, quota=0), exceptions={"target": "please"})
    assert failed(data) == {"target"}


def test_every_rule_of_the_spec_has_its_own_named_check():
    codes = [r.code for r in eligibility.evaluate(BASE)]
    assert codes == ["branch_campus", "semesters", "credits", "gpa", "english", "first_application", "semester_rule",
                     "window", "target"]
