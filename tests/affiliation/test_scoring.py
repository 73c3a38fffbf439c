"""Pure selection scoring (SPEC §4.4): no database."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from affiliation import scoring
from affiliation.scoring import Candidate, Stage1Weights, Stage2Weights

T0 = datetime(2026, 9, 5, 9, 0, tzinfo=UTC)


def cand(app_id, dept=1, score="80", gpa="4.00", english="85", minutes=0):
    return Candidate(application_id=app_id, department_id=dept, score=Decimal(score), gpa=Decimal(gpa),
                     english=Decimal(english), submitted_at=T0 + timedelta(minutes=minutes))


def test_english_scores_go_to_a_common_0_to_100_scale():
    assert scoring.english_common("toeic", 990) == Decimal("100.000")
    assert scoring.english_common("toeic", 800) == Decimal("80.808")
    assert scoring.english_common("toefl", 96) == Decimal("80.000")
    assert scoring.english_common("toefl", 120) == Decimal("100.000")
    assert scoring.english_common("teps", 800) == Decimal("80.808")


@pytest.mark.parametrize(("test", "score"), [("toefl", 121), ("toeic", 991), ("teps", -1), ("ielts", 7)])
def test_impossible_english_scores_are_refused(test, score):
    with pytest.raises(ValueError):
        scoring.english_common(test, score)


def test_stage1_is_the_weighted_mean_of_gpa_and_english():
    # GPA 4.5 → 100; English 50 → weighted 60:40 = 80
    assert scoring.stage1_score(gpa=Decimal("4.5"), english=Decimal(50), weights=Stage1Weights()) == Decimal("80.000")
    assert scoring.stage1_score(gpa=Decimal("3.6"), english=Decimal(100),
                                weights=Stage1Weights(gpa=Decimal(1), english=Decimal(1))) == Decimal("90.000")


def test_stage2_is_the_weighted_mean_of_stage1_documents_and_interview():
    weights = Stage2Weights(stage1=Decimal(50), document=Decimal(20), interview=Decimal(30))
    assert scoring.stage2_score(stage1=Decimal(80), document=Decimal(90), interview=Decimal(70), weights=weights) == Decimal("79.000")
    with pytest.raises(ValueError):
        scoring.stage2_score(stage1=Decimal(80), document=Decimal(101), interview=Decimal(70), weights=weights)


def test_zero_weights_are_refused():
    with pytest.raises(ValueError):
        scoring.stage1_score(gpa=Decimal(4), english=Decimal(80), weights=Stage1Weights(gpa=Decimal(0), english=Decimal(0)))


@pytest.mark.parametrize(("quota", "multiplier", "cut"), [
    (3, "2", 6), (3, "1.5", 5), (1, "1.5", 2), (2, "1.5", 3), (0, "3", 0), (4, "1.25", 5), (5, "1", 5),
])
def test_the_stage1_cut_is_the_ceiling_of_multiplier_times_quota(quota, multiplier, cut):
    assert scoring.stage1_cut(quota=quota, multiplier=Decimal(multiplier)) == cut


def test_ranking_orders_by_score_first():
    result = scoring.select([cand(1, score="70"), cand(2, score="90"), cand(3, score="80")], {1: 2})
    assert [(result[i].rank, result[i].passed) for i in (1, 2, 3)] == [(3, False), (1, True), (2, True)]


def test_a_tie_in_score_goes_to_the_higher_gpa():
    result = scoring.select([cand(1, gpa="3.90"), cand(2, gpa="4.10")], {1: 1})
    assert result[2].passed and result[2].rank == 1 and not result[1].passed


def test_a_tie_in_score_and_gpa_goes_to_the_higher_english():
    result = scoring.select([cand(1, english="81"), cand(2, english="95")], {1: 1})
    assert result[2].rank == 1 and result[1].rank == 2


def test_a_tie_in_score_gpa_and_english_goes_to_the_earlier_submission():
    result = scoring.select([cand(1, minutes=5), cand(2, minutes=1)], {1: 1})
    assert result[2].rank == 1 and result[1].rank == 2


def test_a_complete_tie_goes_to_the_lower_application_id():
    result = scoring.select([cand(9), cand(4)], {1: 1})
    assert result[4].rank == 1 and result[9].rank == 2


def test_departments_are_ranked_separately_and_missing_quota_passes_nobody():
    result = scoring.select([cand(1, dept=1), cand(2, dept=2), cand(3, dept=3, score="99")], {1: 1, 2: 1})
    assert result[1].rank == 1 and result[2].rank == 1 and result[3].rank == 1
    assert result[1].passed and result[2].passed and not result[3].passed


def test_an_application_cannot_appear_twice():
    with pytest.raises(ValueError):
        scoring.select([cand(1), cand(1)], {1: 1})


# ---- properties -------------------------------------------------------------------------------------------------

# Few distinct values make ties frequent, so the tie-breaks are exercised too.
candidate_values = st.tuples(
    st.integers(min_value=1, max_value=4),  # department
    st.sampled_from(["70", "80", "80.5", "90"]),  # score
    st.sampled_from(["3.75", "4.00", "4.50"]),  # gpa
    st.sampled_from(["80", "90"]),  # english
    st.integers(min_value=0, max_value=3),  # submission minute
)
quotas = st.dictionaries(st.integers(min_value=1, max_value=4), st.integers(min_value=0, max_value=5), max_size=4)


def build(values) -> list[Candidate]:
    return [cand(i + 1, dept=d, score=s, gpa=g, english=e, minutes=m) for i, (d, s, g, e, m) in enumerate(values)]


@settings(max_examples=200, deadline=None)
@given(st.lists(candidate_values, max_size=40), quotas, st.sampled_from(["1", "1.5", "2", "3"]))
def test_no_department_ever_passes_more_than_its_places(values, quota, multiplier):
    candidates = build(values)
    for places in (quota, {d: scoring.stage1_cut(quota=q, multiplier=Decimal(multiplier)) for d, q in quota.items()}):
        result = scoring.select(candidates, places)
        for department in {c.department_id for c in candidates}:
            passed = [p for p in result.values() if p.department_id == department and p.passed]
            applicants = [c for c in candidates if c.department_id == department]
            assert len(passed) == min(places.get(department, 0), len(applicants))
            assert sorted(p.rank for p in result.values() if p.department_id == department) == list(
                range(1, len(applicants) + 1)
            )


@settings(max_examples=200, deadline=None)
@given(st.lists(candidate_values, max_size=40), quotas, st.randoms(use_true_random=False))
def test_the_result_does_not_depend_on_input_order(values, quota, rng: random.Random):
    candidates = build(values)
    shuffled = list(candidates)
    rng.shuffle(shuffled)
    assert scoring.select(shuffled, quota) == scoring.select(candidates, quota)


@settings(max_examples=100, deadline=None)
@given(st.lists(candidate_values, min_size=2, max_size=30), quotas)
def test_nobody_who_passed_ranks_below_somebody_who_did_not(values, quota):
    candidates = {c.application_id: c for c in build(values)}
    result = scoring.select(candidates.values(), quota)
    for a in result.values():
        for b in result.values():
            if a.department_id == b.department_id and a.passed and not b.passed:
                assert scoring.rank_key(candidates[a.application_id]) < scoring.rank_key(candidates[b.application_id])
