"""Selection scoring (SPEC §4.4): pure functions over small dataclasses, no ORM, Decimal arithmetic.

Decisions (also in the README, "Change of affiliation"):

- **Common scale.** Every component is put on 0–100 before weighting: the GPA as a share of 4.5,
  an English score as a share of its test's maximum (TOEIC 990, TOEFL iBT 120, TEPS 990).
- **Stage 1** = weighted mean of GPA and English on that scale (weights from the round, default 60:40).
- **Stage-1 cut** per department = ⌈multiplier × quota⌉ (default multiplier 2); quota 0 passes nobody.
- **Stage 2** = weighted mean of the stage-1 score, the document score and the interview score
  (each 0–100; default 50:20:30). The top ``quota`` per department are admitted.
- **Ranking** inside a department: higher score first; ties by higher GPA, then higher English
  (common scale), then earlier submission, then the lower application id. The last key is unique,
  so the order never depends on the order of the input, and a re-run gives the same result.
- Scores are rounded half-up to three decimals once, when computed; comparisons use the rounded value.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

GPA_MAX = Decimal("4.5")
ENGLISH_MAX = {"toeic": Decimal(990), "toefl": Decimal(120), "teps": Decimal(990)}
PLACES = Decimal("0.001")
HUNDRED = Decimal(100)


def _round(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def english_common(test: str, score: int) -> Decimal:
    """An English score as a percentage of its test's maximum (0–100)."""
    if test not in ENGLISH_MAX:
        raise ValueError(f"unknown English test {test!r}")
    maximum = ENGLISH_MAX[test]
    if not 0 <= score <= maximum:
        raise ValueError(f"{test} score {score} is outside 0–{maximum}")
    return _round(Decimal(score) * HUNDRED / maximum)


def gpa_common(gpa: Decimal) -> Decimal:
    if not 0 <= gpa <= GPA_MAX:
        raise ValueError(f"GPA {gpa} is outside 0–4.5")
    return _round(Decimal(gpa) * HUNDRED / GPA_MAX)


@dataclass(frozen=True)
class Stage1Weights:
    gpa: Decimal = Decimal(60)
    english: Decimal = Decimal(40)


@dataclass(frozen=True)
class Stage2Weights:
    stage1: Decimal = Decimal(50)
    document: Decimal = Decimal(20)
    interview: Decimal = Decimal(30)


def _weighted_mean(pairs: list[tuple[Decimal, Decimal]]) -> Decimal:
    total = sum((w for _, w in pairs), Decimal(0))
    if total <= 0:
        raise ValueError("the weights add up to zero")
    return _round(sum((Decimal(v) * w for v, w in pairs), Decimal(0)) / total)


def stage1_score(*, gpa: Decimal, english: Decimal, weights: Stage1Weights) -> Decimal:
    """Weighted mean of the GPA and the English score (``english`` already on the common scale)."""
    if not 0 <= english <= HUNDRED:
        raise ValueError(f"English {english} is outside 0–100")
    return _weighted_mean([(gpa_common(gpa), weights.gpa), (english, weights.english)])


def stage2_score(*, stage1: Decimal, document: Decimal, interview: Decimal, weights: Stage2Weights) -> Decimal:
    for name, value in (("document", document), ("interview", interview)):
        if not 0 <= value <= HUNDRED:
            raise ValueError(f"{name} score {value} is outside 0–100")
    return _weighted_mean([(stage1, weights.stage1), (document, weights.document), (interview, weights.interview)])


def stage1_cut(*, quota: int, multiplier: Decimal) -> int:
    """How many applicants of a department pass stage 1: ⌈multiplier × quota⌉."""
    if quota < 0 or multiplier < 0:
        raise ValueError("quota and multiplier must not be negative")
    return int((Decimal(multiplier) * quota).to_integral_value(rounding=ROUND_CEILING))


@dataclass(frozen=True)
class Candidate:
    application_id: int
    department_id: int
    score: Decimal
    gpa: Decimal
    english: Decimal  # common scale
    submitted_at: datetime


@dataclass(frozen=True)
class Placement:
    application_id: int
    department_id: int
    rank: int
    passed: bool


def rank_key(candidate: Candidate) -> tuple:
    """Score, then GPA, then English (all higher first), then earlier submission, then application id."""
    return (-candidate.score, -candidate.gpa, -candidate.english, candidate.submitted_at, candidate.application_id)


def select(candidates: Iterable[Candidate], places: Mapping[int, int]) -> dict[int, Placement]:
    """Rank each department's candidates and pass the top ``places[department]`` (0 when missing)."""
    by_department: dict[int, list[Candidate]] = {}
    seen: set[int] = set()
    for candidate in candidates:
        if candidate.application_id in seen:
            raise ValueError(f"application {candidate.application_id} appears twice")
        seen.add(candidate.application_id)
        by_department.setdefault(candidate.department_id, []).append(candidate)
    result: dict[int, Placement] = {}
    for department_id, group in by_department.items():
        limit = max(places.get(department_id, 0), 0)
        for rank, candidate in enumerate(sorted(group, key=rank_key), start=1):
            result[candidate.application_id] = Placement(
                application_id=candidate.application_id, department_id=department_id, rank=rank, passed=rank <= limit
            )
    return result
