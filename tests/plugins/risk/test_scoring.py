"""The scorecard's arithmetic against hand-worked values (no database)."""
from __future__ import annotations

import math
from decimal import Decimal as D

import pytest

from plugins.risk.scoring import (
    Band,
    Card,
    Characteristic,
    Scaling,
    ScorecardError,
    band_for,
    gini,
    psi,
    psi_verdict,
    validate,
    woe_iv,
)

# -- scaling: Siddiqi's worked example, 600 points at 50:1 good:bad, 20 points to double the odds ----------

def test_factor_and_offset_of_the_textbook_example():
    s = Scaling(pdo=20, base_score=600, base_odds=50, odds_good_to_bad=True)
    assert s.factor == pytest.approx(28.8539, abs=1e-4)            # 20 / ln 2
    assert s.offset == pytest.approx(487.1229, abs=1e-4)           # 600 − 28.8539 × ln 50
    assert s.score_at(50) == pytest.approx(600)
    assert s.score_at(100) == pytest.approx(620)                   # doubling the odds adds PDO points
    assert s.score_at(25) == pytest.approx(580)
    assert s.odds_at(640) == pytest.approx(200)
    assert s.bad_rate_at(600) == pytest.approx(1 / 51)


def test_bad_to_good_odds_give_the_same_scale_not_a_flipped_one():
    good_bad = Scaling(pdo=20, base_score=600, base_odds=50, odds_good_to_bad=True)
    bad_good = Scaling(pdo=20, base_score=600, base_odds=D("0.02"), odds_good_to_bad=False)
    assert bad_good.good_odds == pytest.approx(50)
    assert bad_good.offset == pytest.approx(good_bad.offset)
    assert bad_good.score_at(100) == pytest.approx(620)


def test_a_second_worked_example_pdo_50_at_1_to_1():
    s = Scaling(pdo=50, base_score=500, base_odds=1)
    assert s.factor == pytest.approx(72.1348, abs=1e-4)
    assert s.offset == pytest.approx(500)                          # ln 1 = 0
    assert s.score_at(4) == pytest.approx(600)


def test_attribute_points_from_a_logistic_model_add_up_to_the_scaled_score():
    s = Scaling(pdo=20, base_score=600, base_odds=50)
    intercept, coefficients, woes = -3.0, [-0.8, -1.2], [0.5, -0.3]
    # the model: ln(bad:good) = a + Σ β·WOE, so the applicant's good:bad odds are exp(−that)
    log_bad = intercept + sum(b * w for b, w in zip(coefficients, woes))
    total = sum(s.attribute_points(b, w, intercept, 2) for b, w in zip(coefficients, woes))
    assert total == pytest.approx(s.score_at(math.exp(-log_bad)))


def test_scaling_refuses_nonsense():
    with pytest.raises(ScorecardError):
        Scaling(pdo=0, base_score=600, base_odds=50)
    with pytest.raises(ScorecardError):
        Scaling(pdo=20, base_score=600, base_odds=0)


# -- bins ---------------------------------------------------------------------------------------------

def _age():
    return Characteristic.from_dict({"code": "age", "fact": "age", "kind": "numeric", "reason": "AGE", "bins": [
        {"label": "<25", "low": None, "high": "25", "points": 10},
        {"label": "25-35", "low": "25", "high": "35", "points": 25},
        {"label": ">=35", "low": "35", "high": None, "points": 40},
        {"label": "missing", "missing": True, "points": 18}]})


def _industry():
    return Characteristic.from_dict({"code": "industry", "fact": "industry", "kind": "category", "reason": "IND",
                                     "bins": [{"label": "stable", "categories": ["Retail", "services"], "points": 30},
                                              {"label": "other", "other": True, "points": 12},
                                              {"label": "missing", "missing": True, "points": 5}]})


@pytest.mark.parametrize("value, expected", [
    (D("24.999"), "<25"), (25, "25-35"), (D("25.0"), "25-35"), ("34.9999", "25-35"), (35, ">=35"),
    (-3, "<25"), (200, ">=35"), (None, "missing"), ("", "missing"), ("not a number", "missing"),
])
def test_numeric_bins_include_the_lower_and_exclude_the_upper_limit(value, expected):
    assert _age().bin_for(value).label == expected


def test_a_value_just_under_a_limit_is_not_truncated_into_the_next_bin():
    # optbinning #412: 24.9999 must not become 25
    assert _age().bin_for(D("24.9999")).points == 10


@pytest.mark.parametrize("value, expected", [("retail", "stable"), (" Services ", "stable"), ("Mining", "other"),
                                             (None, "missing"), ("", "missing")])
def test_category_bins(value, expected):
    assert _industry().bin_for(value).label == expected


def test_missing_bins_keep_their_own_points_per_characteristic():
    card = Card([_age(), _industry()], Scaling(20, 600, 50), [Band(D(0), "E", "high")])
    result = card.score({})
    assert [c.points for c in result.contributions] == [D(18), D(5)]


@pytest.mark.parametrize("bins, why", [
    ([{"low": None, "high": "25", "points": 1}, {"low": "26", "high": None, "points": 2},
      {"missing": True, "points": 0}], "meet"),
    ([{"low": None, "high": "25", "points": 1}, {"low": "25", "high": None, "points": 2}], "missing"),
    ([{"low": "0", "high": "25", "points": 1}, {"low": "25", "high": None, "points": 2},
      {"missing": True, "points": 0}], "start"),
])
def test_validation_refuses_cards_that_leave_someone_without_a_bin(bins, why):
    with pytest.raises(ScorecardError) as refused:
        validate([Characteristic.from_dict({"code": "x", "kind": "numeric", "bins": bins})])
    assert why in str(refused.value)


def test_a_category_characteristic_needs_an_other_bin():
    with pytest.raises(ScorecardError):
        validate([Characteristic.from_dict({"code": "c", "kind": "category", "bins": [
            {"categories": ["a"], "points": 1}, {"missing": True, "points": 0}]})])


# -- scores, explanations, bands ---------------------------------------------------------------------------

def test_score_is_the_sum_with_an_explanation_and_reason_codes_of_the_costliest():
    bands = [Band(D(60), "A", "low"), Band(D(40), "B", "medium"), Band(D(0), "C", "high")]
    card = Card([_age(), _industry()], Scaling(20, 600, 50), bands, reason_count=1)
    result = card.score({"age": 22, "industry": "Mining"})
    assert result.score == D(22)                       # 10 + 12
    assert [(c.code, c.points, c.shortfall) for c in result.contributions] == [("age", D(10), D(30)),
                                                                                ("industry", D(12), D(18))]
    assert result.reasons == ("AGE",)                  # age cost 30 points below its best bin, industry 18
    assert (result.grade, result.level) == ("C", "high")
    assert card.points({"age": 22, "industry": "Mining"}) == result.score
    best = card.score({"age": 40, "industry": "retail"})
    assert best.score == D(70) and best.reasons == () and best.grade == "A"


@pytest.mark.parametrize("score, grade", [(D(640), "A"), (D("639.99"), "B"), (D(600), "B"), (D(599), "C"),
                                          (D(-10), "C")])
def test_bands_at_their_boundaries(score, grade):
    bands = [Band(D(600), "B", "low"), Band(D(640), "A", "low"), Band(D(0), "C", "high")]
    assert band_for(bands, score).grade == grade


# -- monitoring -------------------------------------------------------------------------------------------

def test_psi_against_a_hand_computed_example():
    expected = [20, 30, 50]                                  # shares 0.2, 0.3, 0.5
    actual = [30, 30, 40]                                    # shares 0.3, 0.3, 0.4
    by_hand = (0.3 - 0.2) * math.log(0.3 / 0.2) + 0 + (0.4 - 0.5) * math.log(0.4 / 0.5)
    assert by_hand == pytest.approx(0.062860, abs=1e-6)
    assert psi(expected, actual) == pytest.approx(by_hand)
    assert psi_verdict(by_hand) == "stable"
    assert psi_verdict(0.1) == "shift" and psi_verdict(0.25) == "shift" and psi_verdict(0.2501) == "major"
    assert psi([1, 1], [1, 1]) == 0


def test_gini_is_twice_the_auc_minus_one():
    assert gini([700, 650, 600, 500], [False, False, True, True]) == pytest.approx(1.0)    # perfect order
    assert gini([500, 600, 650, 700], [False, False, True, True]) == pytest.approx(-1.0)
    # goods 600, 700; bads 650, 500: pairs good>bad = (600>500, 700>650, 700>500) = 3 of 4 -> AUC .75
    assert gini([600, 700, 650, 500], [False, False, True, True]) == pytest.approx(0.5)
    assert gini([600, 600], [False, True]) == pytest.approx(0.0)                           # a tie counts half
    assert gini([600], [False]) is None


def test_woe_and_information_value_by_hand():
    woes, iv = woe_iv([60, 40], [10, 30])
    # %good .6/.4, %bad .25/.75
    assert woes[0] == pytest.approx(math.log(0.6 / 0.25))
    assert woes[1] == pytest.approx(math.log(0.4 / 0.75))
    assert iv == pytest.approx((0.6 - 0.25) * math.log(0.6 / 0.25) + (0.4 - 0.75) * math.log(0.4 / 0.75))
