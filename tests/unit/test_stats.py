"""Tests for transforms.stats against METHODS.md anchors and hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from transforms.stats import (
    aim_to_polarity,
    benchmark_judgement,
    design_effect,
    kish_effective_n,
    margin_of_error,
    mean_t_ci,
    poisson_count_ci,
    proportion_difference_test,
    rate_change_p_value,
    rate_ci,
    rate_ratio_test,
    two_proportion_z,
    welch_t_test,
    wilson_ci,
    z_value,
)

Z95 = 1.959964
Z998 = 3.090232


@pytest.mark.parametrize(
    ("confidence", "expected"), [(0.95, Z95), (0.998, Z998), (0.99, 2.575829)]
)
def test_z_value_matches_methods_constants(confidence: float, expected: float) -> None:
    assert z_value(confidence) == pytest.approx(expected, abs=1e-6)


# --- Wilson -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "n", "confidence", "lower", "upper"),
    [
        # METHODS.md §2 anchors: 65/100 → 55.25%–73.64% (95%), 49.55%–77.84% (99.8%).
        (65, 100, 0.95, 0.5525, 0.7364),
        (65, 100, 0.998, 0.4955, 0.7784),
        # x = 0: the root is z·√(z²) = z², so L = 0 and U = 2z²/(2(n + z²)) = z²/(n + z²).
        # n = 10: 3.841459 / 13.841459 = 0.27753.
        (0, 10, 0.95, 0.0, 0.27753),
        # x = n: mirror image, L = n/(n + z²) = 10 / 13.841459 = 0.72247, U = 1.
        (10, 10, 0.95, 0.72247, 1.0),
        # 56/70 (Newcombe 1998 example): 2x+z² = 115.8415; z·√(z²+4·56·0.2) = 13.6697;
        # 2(n+z²) = 147.6829 → (102.1718, 129.5112)/147.6829 = 0.69183, 0.87695.
        (56, 70, 0.95, 0.69183, 0.87695),
    ],
)
def test_wilson_ci(x: int, n: int, confidence: float, lower: float, upper: float) -> None:
    lo, hi = wilson_ci(x, n, confidence)
    assert lo == pytest.approx(lower, abs=5e-5)
    assert hi == pytest.approx(upper, abs=5e-5)


def test_wilson_ci_empty_denominator_is_nan() -> None:
    lo, hi = wilson_ci(0, 0)
    assert math.isnan(lo) and math.isnan(hi)


def test_wilson_ci_accepts_arrays() -> None:
    lo, hi = wilson_ci(np.array([65, 0]), np.array([100, 10]))
    assert lo == pytest.approx([0.5525, 0.0], abs=5e-5)
    assert hi == pytest.approx([0.7364, 0.27753], abs=5e-5)


def test_wilson_ci_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_ci(11, 10)


# --- Poisson count and crude rate ---------------------------------------------------------
@pytest.mark.parametrize(
    ("x", "confidence", "lower", "upper"),
    [
        # Exact, x = 0: chi2(2 df) quantile is −2·ln(1 − q), so U = −ln(0.025) = 3.68888.
        (0, 0.95, 0.0, 3.68888),
        # 99.8%: U = −ln(0.001) = 6.90776.
        (0, 0.998, 0.0, 6.90776),
        # Exact, x = 1: L = chi2(0.025; 2)/2 = −ln(0.975) = 0.025318; U solves
        # e^−U(1 + U) = 0.025 → 5.57164 (Garwood's table value 5.5716).
        (1, 0.95, 0.025318, 5.57164),
        # Exact, x = 5: Garwood table 1.6235 – 11.6683.
        (5, 0.95, 1.6235, 11.6683),
        # Byar, x = 10, 95%: √10 = 3.162278, z/(3√10) = 0.206598, 1 − 1/90 = 0.988889,
        # 0.988889 − 0.206598 = 0.782291, cubed 0.478745, ×10 = 4.78745.
        # U: √11 = 3.316625, z/(3√11) = 0.196984, 1 − 1/99 = 0.989899,
        # 0.989899 + 0.196984 = 1.186883, cubed 1.671951, ×11 = 18.39146.
        (10, 0.95, 4.78745, 18.39146),
        # Byar, x = 100, 95%: 1 − 1/900 − z/30 = 0.933557 → cubed ×100 = 81.3621;
        # (1 − 1/909 + z/(3√101)) = 1.063908 → cubed ×101 = 121.6279.
        (100, 0.95, 81.3621, 121.6279),
    ],
)
def test_poisson_count_ci(x: int, confidence: float, lower: float, upper: float) -> None:
    lo, hi = poisson_count_ci(x, confidence)
    assert lo == pytest.approx(lower, abs=1e-4)
    assert hi == pytest.approx(upper, abs=1e-4)


@pytest.mark.parametrize("x", [1, 3, 9])
def test_exact_limits_satisfy_their_definition(x: int) -> None:
    # Exact limits are the means at which the observed count is just in the 2.5% tail.
    lo, hi = poisson_count_ci(x)
    assert st.poisson.sf(x - 1, lo) == pytest.approx(0.025, abs=1e-9)  # P(X >= x | L)
    assert st.poisson.cdf(x, hi) == pytest.approx(0.025, abs=1e-9)  # P(X <= x | U)


def test_switch_from_exact_to_byar_at_ten() -> None:
    # 9 uses exact chi-square (4.1150–17.0848 in Garwood's table); 10 uses Byar.
    lo9, hi9 = poisson_count_ci(9)
    assert (lo9, hi9) == pytest.approx((4.1150, 17.0848), abs=1e-3)
    lo10, _ = poisson_count_ci(10)
    exact_lo10 = st.chi2.ppf(0.025, 20) / 2  # 4.7954, the exact value Byar approximates
    assert lo10 != pytest.approx(exact_lo10, abs=1e-3)
    assert lo10 == pytest.approx(4.78745, abs=1e-4)


def test_poisson_count_ci_arrays() -> None:
    lo, hi = poisson_count_ci(np.array([0, 10]))
    assert lo == pytest.approx([0.0, 4.78745], abs=1e-4)
    assert hi == pytest.approx([3.68888, 18.39146], abs=1e-4)


@pytest.mark.parametrize(
    ("x", "population", "multiplier", "lower", "upper"),
    [
        # METHODS.md: x = 0 → U = 3.689/n; per 1,000 of 50,000 → 0.073778.
        (0, 50_000, 1000, 0.0, 3.68888 / 50),
        # Byar x = 100 per 100,000 of 250,000: ×0.4 → 32.5448 – 48.6512.
        (100, 250_000, 100_000, 81.3621 * 0.4, 121.6279 * 0.4),
    ],
)
def test_rate_ci(x: int, population: int, multiplier: float, lower: float, upper: float) -> None:
    lo, hi = rate_ci(x, population, multiplier)
    assert lo == pytest.approx(lower, abs=1e-4)
    assert hi == pytest.approx(upper, abs=1e-4)


def test_rate_ci_zero_population_is_nan() -> None:
    lo, hi = rate_ci(5, 0)
    assert math.isnan(lo) and math.isnan(hi)


# --- rate ratio (has the count changed?) -------------------------------------------------
def test_rate_ratio_large_change_is_significant() -> None:
    # 3096 vs 2683 (equal exposure): N = 5779; under H0 x1 ~ Bin(5779, ½), mean 2889.5,
    # sd √(5779/4) = 38.01, z = 206.5/38.01 = 5.43 → p ≈ 6e-8.
    res = rate_ratio_test(3096, None, 2683, None)
    assert res["significant"] is True
    assert res["p_value"] < 1e-6
    # Ratio 3096/2683 = 1.15393. Log-scale check of the CI: SE = √(1/3096 + 1/2683)
    # = 0.026376, ×1.96 = 0.051697 → exp(ln 1.15393 ± 0.051697) = 1.0958 – 1.2152;
    # the exact interval must agree closely at these counts.
    assert res["ratio"] == pytest.approx(1.15393, abs=1e-5)
    assert res["ci_lower"] == pytest.approx(1.0958, abs=2e-3)
    assert res["ci_upper"] == pytest.approx(1.2152, abs=2e-3)


def test_rate_ratio_small_change_is_not_significant() -> None:
    # 342 vs 345: z ≈ (342 − 343.5)/√(687/4) = −0.11 → p ≈ 0.9.
    res = rate_ratio_test(342, None, 345, None)
    assert res["significant"] is False
    assert res["p_value"] > 0.8
    assert res["ci_lower"] < 1 < res["ci_upper"]


def test_rate_ratio_doubling_from_ten_matches_binomial_tail() -> None:
    # 20 vs 10: P(X >= 20 | Bin(30, ½)) = Σ C(30,k)/2³⁰ for k = 20..30 = 0.049369;
    # the distribution is symmetric so the two-sided p is twice that, 0.098737.
    tail = sum(math.comb(30, k) for k in range(20, 31)) / 2**30
    res = rate_ratio_test(20, None, 10, None)
    assert res["p_value"] == pytest.approx(2 * tail, rel=1e-9)
    assert res["p_value"] == pytest.approx(0.098737, abs=1e-6)
    assert res["ratio"] == 2.0
    assert res["significant"] is False


def test_rate_ratio_is_symmetric() -> None:
    a = rate_ratio_test(3096, None, 2683, None)
    b = rate_ratio_test(2683, None, 3096, None)
    assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-9)
    assert b["ratio"] == pytest.approx(1 / a["ratio"])
    assert b["ci_lower"] == pytest.approx(1 / a["ci_upper"])
    assert b["ci_upper"] == pytest.approx(1 / a["ci_lower"])


def test_rate_ratio_uses_exposure() -> None:
    # 20 events in 1,000 vs 10 in 500: identical rates, π0 = 2/3 and x1 = 20 is the mode.
    res = rate_ratio_test(20, 1000, 10, 500)
    assert res["ratio"] == pytest.approx(1.0)
    assert res["p_value"] > 0.9
    assert res["ci_lower"] < 1 < res["ci_upper"]
    # Equal exposures are the same as comparing counts.
    assert rate_ratio_test(20, 500, 10, 500) == rate_ratio_test(20, None, 10, None)


def test_rate_ratio_edge_cases() -> None:
    none = rate_ratio_test(0, None, 0, None)
    assert none["p_value"] == 1.0 and none["significant"] is False
    assert math.isnan(none["ratio"])
    # 0 before, 8 after: P = 2·(½)⁸ = 0.0078 → significant; the ratio is unbounded.
    up = rate_ratio_test(8, None, 0, None)
    assert up["p_value"] == pytest.approx(2 * 0.5**8)
    assert up["ratio"] == math.inf and up["ci_upper"] == math.inf
    assert up["significant"] is True
    with pytest.raises(ValueError):
        rate_ratio_test(3, 100, 2, None)


def test_rate_change_with_unequal_exposure_is_the_minlike_exact_test() -> None:
    # 9 events per 1,000 vs 3 per 2,000: x1 ~ Bin(12, 1/3). P(k) = C(12,k)·2^(12−k)/3^12;
    # P(9) = 220·8 = 1,760/531,441. Outcomes no more likely: k = 9..12 (1,760 + 264 + 24 + 1);
    # on the low side P(0) = 4,096/531,441 > P(9), so none. p = 2,049/531,441 = 0.0038556
    # (statsmodels test_poisson_2indep(..., method='exact-cond') and R binom.test(9, 12, 1/3)
    # agree); the doubled upper tail would be 0.0077.
    assert rate_change_p_value(9, 1000, 3, 2000) == pytest.approx(2049 / 531441, rel=1e-12)
    assert round(rate_change_p_value(9, 1000, 3, 2000), 4) == 0.0039
    assert rate_ratio_test(9, 1000, 3, 2000)["p_value"] == pytest.approx(0.0039, abs=5e-5)


def test_rate_change_arrays_match_scipy_binomtest_row_by_row() -> None:
    rng = np.random.default_rng(8)
    total = rng.integers(1, 400, 300)
    x1 = rng.binomial(total, 0.4)
    n1, n0 = rng.integers(500, 3000, 300).astype(float), rng.integers(500, 3000, 300).astype(float)
    n0[:50] = n1[:50]  # some equal exposures (the symmetric fast path)
    got = rate_change_p_value(x1, n1, total - x1, n0)
    expected = [st.binomtest(int(k), int(n), a / (a + b)).pvalue for k, n, a, b in zip(x1, total, n1, n0)]
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-15)


def test_rate_change_edges() -> None:
    got = rate_change_p_value(np.array([0.0, 2.0, 4.0, np.nan]), np.array([1.0, 1.0, np.nan, 1.0]),
                              np.array([0.0, 4.0, 2.0, 1.0]), np.array([1.0, 2.0, 1.0, 1.0]))
    # nothing to compare → 1; 2 vs 4 at exposure 1:2 → x1 = N·π exactly → 1; missing → NaN
    assert got[0] == 1.0 and got[1] == 1.0 and np.isnan(got[2]) and np.isnan(got[3])
    with pytest.raises(ValueError, match="whole-number"):
        rate_change_p_value(2.5, 1.0, 1.0, 1.0)


# --- means of a monthly stock ---------------------------------------------------------------
def test_mean_t_ci_hand_worked() -> None:
    # 12 values with mean 135 and s² = 300/11: t(0.975, 11) = 2.200985 → half-width
    # 2.200985·√(300/11/12) = 3.3181.
    lo, hi = mean_t_ci(135.0, 300 / 11, 12)
    assert hi - 135.0 == pytest.approx(3.3181, abs=1e-4) and 135.0 - lo == pytest.approx(hi - 135.0)
    lo1, hi1 = mean_t_ci(np.array([5.0]), np.array([np.nan]), np.array([1]))
    assert np.isnan(lo1[0]) and np.isnan(hi1[0])  # one value: no interval


def test_welch_t_test_matches_scipy_from_summary_statistics() -> None:
    # Published implementation as the reference: scipy.stats.ttest_ind_from_stats(equal_var=False).
    cases = [(135.0, 27.27, 12, 105.0, 27.27, 12), (10.0, 4.0, 5, 12.0, 9.0, 8)]
    for m1, v1, n1, m0, v0, n0 in cases:
        reference = st.ttest_ind_from_stats(m1, math.sqrt(v1), n1, m0, math.sqrt(v0), n0, equal_var=False)
        t, p = welch_t_test(m1, v1, n1, m0, v0, n0)
        assert t == pytest.approx(reference.statistic, rel=1e-12)
        assert p == pytest.approx(reference.pvalue, rel=1e-9)
    # No spread in either sample: no evidence of a change.
    assert welch_t_test(5.0, 0.0, 12, 5.0, 0.0, 12) == (0.0, 1.0)


def test_two_proportion_z_accepts_arrays() -> None:
    z, p = two_proportion_z(np.array([0.55, 0.3]), np.array([1000, 400]), np.array([0.47, 0.3]),
                            np.array([1000, 900]))
    assert z[0] == pytest.approx(3.5784, abs=1e-3) and (z[1], p[1]) == (0.0, 1.0)
    z0, p0 = two_proportion_z(0.5, 0, 0.4, 100)
    assert math.isnan(z0) and math.isnan(p0)  # no test without a base


# --- two proportions ----------------------------------------------------------------------
def test_proportion_difference_newcombe_example() -> None:
    # Newcombe (1998) example 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    # Wilson: 56/70 → 0.69183–0.87695, 48/80 → 0.49045–0.70038.
    # L = 0.2 − √(0.10817² + 0.10038²) = 0.2 − 0.14757 = 0.05243
    # U = 0.2 + √(0.07695² + 0.10955²) = 0.2 + 0.13387 = 0.33387
    # Pooled z: p̄ = 104/150 = 0.693333, SE = √(0.693333·0.306667·(1/70 + 1/80)) = 0.075467,
    # z = 0.2/0.075467 = 2.6502, p = 2·Φ(−2.6502) = 0.00804.
    res = proportion_difference_test(56, 70, 48, 80)
    assert res["diff"] == pytest.approx(0.2)
    assert res["ci_lower"] == pytest.approx(0.0524, abs=1e-4)
    assert res["ci_upper"] == pytest.approx(0.3339, abs=1e-4)
    assert res["z"] == pytest.approx(2.6502, abs=1e-3)
    assert res["p_value"] == pytest.approx(0.00804, abs=5e-5)
    assert res["significant"] is True


def test_proportion_difference_edges() -> None:
    same = proportion_difference_test(0, 20, 0, 30)
    assert same["diff"] == 0 and same["p_value"] == 1.0 and same["significant"] is False
    assert same["ci_lower"] < 0 < same["ci_upper"]
    full = proportion_difference_test(20, 20, 0, 20)
    assert full["diff"] == 1.0 and full["ci_upper"] <= 1.0 and full["significant"] is True


@pytest.mark.parametrize(
    ("p1", "n1", "p2", "n2", "z", "p_value"),
    [
        # p̄ = 0.51, SE = √(0.51·0.49·(2/1000)) = 0.0223562, z = 0.08/0.0223562 = 3.5784,
        # p = 2·Φ(−3.5784) = 0.000346.
        (0.55, 1000, 0.47, 1000, 3.5784, 0.000346),
        # Equal proportions → z = 0, p = 1.
        (0.3, 400, 0.3, 900, 0.0, 1.0),
        # Effective n's (design effect 1.2 on 1,000 and 500): p̄ = (0.6·833.33 + 0.52·416.67)
        # / 1250 = 0.573333; SE = √(0.573333·0.426667·(1/833.33 + 1/416.67)) = 0.029676;
        # z = 0.08/0.029676 = 2.6958, p = 0.00702.
        (0.6, 1000 / 1.2, 0.52, 500 / 1.2, 2.6958, 0.00702),
    ],
)
def test_two_proportion_z(p1: float, n1: float, p2: float, n2: float, z: float,
                          p_value: float) -> None:
    got_z, got_p = two_proportion_z(p1, n1, p2, n2)
    assert got_z == pytest.approx(z, abs=1e-3)
    assert got_p == pytest.approx(p_value, abs=2e-5)


def test_two_proportion_z_sign_follows_order() -> None:
    z_ab, p_ab = two_proportion_z(0.55, 1000, 0.47, 1000)
    z_ba, p_ba = two_proportion_z(0.47, 1000, 0.55, 1000)
    assert z_ba == pytest.approx(-z_ab) and p_ba == pytest.approx(p_ab)


# --- survey weighting ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("weights", "n_eff", "deff"),
    [
        ([1, 1, 1, 1], 4.0, 1.0),
        # Σw = 6, Σw² = 10 → 36/10 = 3.6; deff = 4/3.6 = 1.1111.
        ([1, 1, 2, 2], 3.6, 4 / 3.6),
        # One huge weight: Σw = 13, Σw² = 103 → 1.6408; deff = 4/1.6408 = 2.4379.
        ([1, 1, 1, 10], 169 / 103, 4 * 103 / 169),
    ],
)
def test_kish(weights: list[float], n_eff: float, deff: float) -> None:
    assert kish_effective_n(weights) == pytest.approx(n_eff)
    assert design_effect(weights) == pytest.approx(deff)


def test_kish_scale_invariant() -> None:
    assert kish_effective_n(np.array([0.5, 0.5, 1.0, 1.0])) == pytest.approx(3.6)


@pytest.mark.parametrize(
    ("deff", "moe"),
    # METHODS.md §6: n = 2,350, p = 0.5 → ±2.02% (deff 1), ±2.21% (1.2), ±2.48% (1.5).
    # 1.959964·√(0.25/2350) = 1.959964·0.010314 = 0.020216.
    [(1.0, 0.0202), (1.2, 0.0221), (1.5, 0.0248)],
)
def test_margin_of_error_methods_anchor(deff: float, moe: float) -> None:
    assert margin_of_error(0.5, 2350 / deff) == pytest.approx(moe, abs=5e-5)


def test_margin_of_error_zero_n_is_nan() -> None:
    assert math.isnan(margin_of_error(0.5, 0))


# --- benchmarking ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lower", "upper", "value", "polarity", "expected"),
    [
        (10, 12, 15, "high_is_good", "worse"),
        (10, 12, 15, "low_is_good", "better"),
        (10, 12, 15, "none", "lower"),
        (16, 18, 15, "high_is_good", "better"),
        (16, 18, 15, "low_is_good", "worse"),
        (16, 18, 15, "none", "higher"),
        (14, 16, 15, "high_is_good", "similar"),
        (14, 16, 15, "none", "similar"),
        # Touching the value counts as similar: the comparison is strict.
        (15, 16, 15, "high_is_good", "similar"),
        (14, 15, 15, "low_is_good", "similar"),
        (None, 16, 15, "high_is_good", "not_compared"),
        (14, 16, math.nan, "none", "not_compared"),
    ],
)
def test_benchmark_judgement(lower: float | None, upper: float, value: float, polarity: str,
                             expected: str) -> None:
    assert benchmark_judgement(lower, upper, value, polarity) == expected


def test_benchmark_judgement_rejects_unknown_polarity() -> None:
    with pytest.raises(ValueError):
        benchmark_judgement(1, 2, 3, "up")


@pytest.mark.parametrize(
    ("aim", "polarity"),
    [("increase", "high_is_good"), ("decrease", "low_is_good"), (None, "none")],
)
def test_aim_to_polarity(aim: str | None, polarity: str) -> None:
    assert aim_to_polarity(aim) == polarity


def test_aim_to_polarity_rejects_unknown() -> None:
    with pytest.raises(ValueError):
        aim_to_polarity("sideways")


# --- domain errors (Step 11): refused with a clear message, never clipped or half-computed ---
@pytest.mark.parametrize(
    ("call", "message"),
    [
        # rate_ci(NaN, 100) used to give (0.0, NaN).
        (lambda: rate_ci(math.nan, 100), "missing"),
        (lambda: poisson_count_ci(math.nan), "missing"),
        (lambda: wilson_ci(math.nan, 100), "missing"),
        (lambda: wilson_ci(5, math.nan), "missing"),
        # 120/100 used to be clipped to 100/100 (a CI of 96.3%–100%).
        (lambda: wilson_ci(120, 100), "above the denominator"),
        (lambda: wilson_ci(np.array([5.0, 120.0]), np.array([10.0, 100.0])), "above the denominator"),
        (lambda: rate_ci(-1, 100), ">= 0"),
        (lambda: poisson_count_ci(-3), ">= 0"),
        (lambda: wilson_ci(-1, 10), ">= 0"),
        (lambda: wilson_ci(1, -10), ">= 0"),
        (lambda: rate_ci(5, 100, missing="ignore"), "missing must be"),
    ],
)
def test_out_of_domain_inputs_are_refused(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_missing_propagates_to_both_limits_when_asked() -> None:
    # The engine's vectorised call: a window with no count gets NaN for BOTH limits.
    lo, hi = rate_ci(np.array([math.nan, 0.0]), np.array([100.0, 100.0]), missing="propagate")
    assert np.isnan(lo[0]) and np.isnan(hi[0])
    # 0 events per 100 per 1,000: L = 0, U = 3.689/100·1000 = 36.89 (METHODS.md §2).
    assert lo[1] == 0.0 and hi[1] == pytest.approx(36.89, abs=5e-3)
    wlo, whi = wilson_ci(np.array([math.nan, 65.0]), np.array([100.0, 100.0]), missing="propagate")
    assert np.isnan(wlo[0]) and np.isnan(whi[0])
    assert wlo[1] == pytest.approx(0.5525, abs=5e-5) and whi[1] == pytest.approx(0.7364, abs=5e-5)
