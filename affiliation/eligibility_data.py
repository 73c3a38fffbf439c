"""The plain data the eligibility checks read and return (``EligibilityInput``, ``CheckResult``); no ORM."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core import dates
from core.language import ENGLISH, KOREAN, is_english

from .models import Rule

TARGET = "target"


@dataclass(frozen=True)
class Bilingual:
    """A value shown in the reader's language (names of campuses, departments, terms)."""

    ko: str
    en: str

    def __str__(self) -> str:
        return self.en if is_english() else self.ko


@dataclass(frozen=True)
class Semester:
    year: int
    season: str  # "spring" or "fall"
    enrolled: bool
    label: Bilingual | str = ""


@dataclass(frozen=True)
class Thresholds:
    min_semesters: int = 4
    min_credits: int = 67
    min_gpa: Decimal = Decimal("3.75")
    min_toeic: int = 800
    min_toefl: int = 96
    min_teps: int = 800
    english_validity_years: int = 2

    def english_minimum(self, test: str) -> int:
        return {"toeic": self.min_toeic, "toefl": self.min_toefl, "teps": self.min_teps}[test]


@dataclass(frozen=True)
class Target:
    name: Bilingual | str
    on_main_campus: bool
    college: Bilingual | str
    college_excluded: bool
    quota: int  # 0 when the round has no quota for it
    similar_required: bool = False
    similar: bool = True


@dataclass(frozen=True)
class EligibilityInput:
    campus: Bilingual | str
    on_branch_campus: bool
    semesters: tuple[Semester, ...]  # chronological, regular semesters up to and including the round's term
    round_year: int
    round_years: frozenset[int]  # fall terms with a round in the portal
    first_round_year: int
    earned_credits: int
    in_progress_credits: int
    gpa: Decimal
    application_date: date
    window_open: bool
    window_state: dates.WindowState
    round_label: Bilingual | str
    opens: str
    closes: str
    major: Bilingual | str = ""
    english_test: str = ""
    english_score: int | None = None
    english_test_date: date | None = None
    certificate_uploaded: bool = False
    applied_before: bool = False  # from the student information system
    earlier_application: Bilingual | str = ""  # a submitted application in the portal, e.g. its round's term
    target: Target | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    exceptions: Mapping[str, str] = field(default_factory=dict)  # rule code → reason


@dataclass(frozen=True)
class CheckResult:
    code: str
    passed: bool
    template: object  # a lazily translated message with %(name)s placeholders
    params: Mapping[str, object] = field(default_factory=dict)
    excepted: bool = False
    exception_reason: str = ""

    @property
    def ok(self) -> bool:
        return self.passed or self.excepted

    @property
    def label(self) -> str:
        return str(_("9. Department applied for")) if self.code == TARGET else str(Rule(self.code).label)

    @property
    def message(self) -> str:
        return str(self.template) % {k: str(v) for k, v in self.params.items()}

    def snapshot(self) -> dict:
        texts = {}
        for language in (KOREAN, ENGLISH):
            with translation.override(language):
                texts[f"label_{language}"] = self.label
                texts[f"message_{language}"] = self.message
        return {
            "code": self.code, "passed": self.passed, "excepted": self.excepted,
            "exception_reason": self.exception_reason, **texts,
        }
