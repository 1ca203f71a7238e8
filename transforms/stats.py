"""Public-health statistics: confidence intervals, significance tests and benchmarking.

Formulas follow PHEindicatormethods / Fingertips conventions as written out in
the project's METHODS.md §2 and §6; they are implemented here from the published formulas
(the reference R/Python packages are GPL-3, so no code is taken from them).
Distributions come from scipy rather than hand-rolled approximations.

This module is the ONE implementation of each method: the indicator engine, the peer comparison
and the resident survey call these functions (vectorised where the engine needs arrays) and
never re-derive a formula.  Which test for which kind of indicator:

* change in a count or rate: exact conditional (binomial) test, "minlike" two-sided p
  (:func:`rate_change_p_value`; :func:`rate_ratio_test` adds the ratio and its CI);
* change in a proportion, survey differences: pooled two-proportion z (:func:`two_proportion_z`);
* change in the mean of a monthly stock: Welch's t-test (:func:`welch_t_test`);
* intervals: exact Poisson / Byar (:func:`poisson_count_ci`, :func:`rate_ci`), Wilson
  (:func:`wilson_ci`), t-interval for a mean (:func:`mean_t_ci`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _scipy_stats() -> Any:
    """scipy.stats, imported when first needed (≈55 MB: a run's ingest and marts build happen without it)."""
    from scipy import stats

    return stats


__all__ = [
    "POLARITIES",
    "aim_to_polarity",
    "benchmark_judgement",
    "design_effect",
    "kish_effective_n",
    "margin_of_error",
    "mean_t_ci",
    "poisson_count_ci",
    "proportion_difference_test",
    "rate_change_p_value",
    "rate_ci",
    "rate_ratio_test",
    "two_proportion_z",
    "welch_t_test",
    "wilson_ci",
    "z_value",
]

POLARITIES = ("high_is_good", "low_is_good", "none")

# Byar's approximation is only used from 10 events up; below that the exact
# chi-square limits are cheap and Byar is noticeably off (Fingertips rule).
_BYAR_MIN_COUNT = 10


def _scalar_or_array(a: np.ndarray) -> Any:
    """Return a plain float for 0-d results so scalar callers get floats back."""
    return float(a) if np.ndim(a) == 0 else a


def _check_confidence(confidence: float) -> None:
    """Reject confidence levels outside (0, 1) early, with a clear message."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")


_MISSING_POLICIES = ("raise", "propagate")


def _check_counts(method: str, x: np.ndarray, missing: str, n: np.ndarray | None = None) -> np.ndarray:
    """Refuse counts outside the method's domain with a message naming the rule broken.

    Negative counts and a numerator above its denominator are always refused (never clipped).
    A missing numerator (NaN) is refused when missing="raise" (the default for a single value);
    with missing="propagate" (the engine's vectorised call over windows some of which have no
    data) it gives NaN for BOTH limits — never a half-computed (0, NaN) pair.
    Returns the mask of rows that have a numerator (and a denominator, when one is given).
    """
    if missing not in _MISSING_POLICIES:
        raise ValueError(f"missing must be one of {_MISSING_POLICIES}, got {missing!r}")
    present = ~np.isnan(x)
    if n is not None:
        present = present & ~np.isnan(n)
    if missing == "raise" and not np.all(present):
        raise ValueError(f"{method}: the numerator or denominator is missing (NaN); "
                         "an interval needs a count (give 0 for none)")
    with np.errstate(invalid="ignore"):
        if np.any(x[present] < 0):
            raise ValueError(f"{method}: counts must be >= 0, got {x[present][x[present] < 0][0]!r}")
        if n is not None:
            if np.any(n[present] < 0):
                raise ValueError(f"{method}: the denominator must be >= 0")
            above = present & (x > n)
            if np.any(above):
                raise ValueError(f"{method}: the numerator ({x[above][0]:g}) is above the "
                                 f"denominator ({n[above][0]:g}); a proportion above 100% is "
                                 "not a proportion")
    return present


def z_value(confidence: float = 0.95) -> float:
    """Two-sided standard-normal quantile for a confidence level (0.95 → 1.959964)."""
    _check_confidence(confidence)
    return float(_scipy_stats().norm.ppf(1.0 - (1.0 - confidence) / 2.0))


def wilson_ci(x: Any, n: Any, confidence: float = 0.95, missing: str = "raise") -> tuple[Any, Any]:
    """Wilson score interval for a proportion x/n, as fractions 0–1 (n = 0 → NaN).

    x < 0 or x > n is refused (ValueError), never clipped; a missing x or n is refused unless
    missing="propagate", which gives NaN for both limits of that row.
    """
    z = z_value(confidence)
    x_arr, n_arr = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(n, dtype=float))
    present = _check_counts("wilson_ci", x_arr, missing, n_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Written as in METHODS.md §2: [2x + z² ∓ z·√(z² + 4x(1 − x/n))] / [2(n + z²)].
        # np.maximum guards the tiny negative that rounding can give when x == n.
        root = z * np.sqrt(np.maximum(z * z + 4.0 * x_arr * (1.0 - x_arr / n_arr), 0.0))
        denom = 2.0 * (n_arr + z * z)
        lower = (2.0 * x_arr + z * z - root) / denom
        upper = (2.0 * x_arr + z * z + root) / denom
    # Clip away rounding dust so x = 0 gives exactly 0 and x = n exactly 1.
    lower, upper = np.clip(lower, 0.0, 1.0), np.clip(upper, 0.0, 1.0)
    empty = (n_arr == 0) | ~present
    lower = np.where(empty, np.nan, lower)
    upper = np.where(empty, np.nan, upper)
    return _scalar_or_array(lower), _scalar_or_array(upper)


def poisson_count_ci(x: Any, confidence: float = 0.95, missing: str = "raise") -> tuple[Any, Any]:
    """CI for a Poisson count: exact chi-square limits when x < 10, Byar's when x ≥ 10.

    Negative counts are refused; a missing count is refused unless missing="propagate"
    (then both limits are NaN).
    """
    _check_confidence(confidence)
    alpha = 1.0 - confidence
    z = z_value(confidence)
    x_arr = np.asarray(x, dtype=float)
    present = _check_counts("poisson_count_ci", x_arr, missing)
    with np.errstate(divide="ignore", invalid="ignore"):
        # chi2 with 0 degrees of freedom is undefined; the exact lower limit of 0 events is 0.
        exact_lo = np.where(x_arr > 0, _scipy_stats().chi2.ppf(alpha / 2.0, 2.0 * x_arr) / 2.0, 0.0)
        exact_hi = _scipy_stats().chi2.ppf(1.0 - alpha / 2.0, 2.0 * x_arr + 2.0) / 2.0
        byar_lo = x_arr * (1.0 - 1.0 / (9.0 * x_arr) - z / (3.0 * np.sqrt(x_arr))) ** 3
        x1 = x_arr + 1.0
        byar_hi = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * np.sqrt(x1))) ** 3
    use_byar = x_arr >= _BYAR_MIN_COUNT
    lower = np.where(present, np.where(use_byar, byar_lo, exact_lo), np.nan)
    upper = np.where(present, np.where(use_byar, byar_hi, exact_hi), np.nan)
    return _scalar_or_array(lower), _scalar_or_array(upper)


def rate_ci(
    x: Any, population: Any, multiplier: float = 1000, confidence: float = 0.95,
    missing: str = "raise",
) -> tuple[Any, Any]:
    """CI for a crude rate per `multiplier` population: Poisson count CI ÷ population.

    A missing or negative count is refused as in :func:`poisson_count_ci`; a zero or missing
    population has no defined rate (NaN for both limits).
    """
    lo, hi = poisson_count_ci(x, confidence, missing)
    pop = np.asarray(population, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A zero (or missing) population has no defined rate: NaN rather than inf.
        safe = np.where(pop > 0, pop, np.nan)
        lower = np.asarray(lo) / safe * multiplier
        upper = np.asarray(hi) / safe * multiplier
    return _scalar_or_array(lower), _scalar_or_array(upper)


def mean_t_ci(mean: Any, variance: Any, n: Any, confidence: float = 0.95) -> tuple[Any, Any]:
    """t-interval for a mean of n values with sample variance s²: mean ∓ t(n − 1)·√(s²/n).

    A negative variance (rounding dust from running totals) counts as 0; n = 1 has no
    variance (NaN) and so no interval.
    """
    _check_confidence(confidence)
    mean_arr = np.asarray(mean, dtype=float)
    var_arr = np.asarray(variance, dtype=float)
    n_arr = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        quantile = _scipy_stats().t.ppf(1.0 - (1.0 - confidence) / 2.0, np.maximum(n_arr - 1, 1))
        half = quantile * np.sqrt(np.maximum(var_arr, 0) / n_arr)
    return _scalar_or_array(mean_arr - half), _scalar_or_array(mean_arr + half)


# scipy.stats.binomtest counts an outcome as "no more likely" than the observed one when its
# probability is within this relative tolerance (so rounding cannot drop a tied outcome).
_MINLIKE_TOLERANCE = 1.0 + 1e-7


def _whole_counts(*counts: np.ndarray) -> None:
    """The exact test is defined for whole-number counts only."""
    for values in counts:
        finite = values[np.isfinite(values)]
        if np.any(finite < 0):
            raise ValueError("counts must be >= 0")
        if np.any(np.abs(finite - np.round(finite)) > 1e-9):
            raise ValueError("the exact test of a change in a count needs whole-number counts")


def _minlike_p(k: np.ndarray, total: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Two-sided "minlike" p of k ~ Binomial(total, share): the probability of every outcome
    no more likely than k (as scipy.stats.binomtest and R's binom.test), all rows at once.

    The outcomes no more likely than k are the tail beyond k plus a tail on the far side of
    the mode; the pmf is monotone on each side, so a binary search per row (log2(total) steps,
    each one vectorised pmf call over every row) finds where the far tail starts.
    """
    threshold = _scipy_stats().binom.pmf(k, total, share) * _MINLIKE_TOLERANCE
    expected = share * total
    below = k < expected  # far tail is the upper one: first j >= ceil(expected) with pmf <= threshold
    lo = np.where(below, np.ceil(expected), 0.0)
    hi = np.where(below, total + 1.0, np.floor(expected) + 1.0)
    # Below the mode: find the first j with pmf(j) <= threshold (pmf non-increasing there).
    # Above the mode: find the first j with pmf(j) > threshold on [0, floor(expected)]
    # (pmf non-decreasing there); the far tail is everything before it.
    while np.any(lo < hi):
        active = lo < hi
        mid = np.floor((lo + hi) / 2.0)
        pmf = _scipy_stats().binom.pmf(mid, total, share)
        hit = np.where(below, pmf <= threshold, pmf > threshold)
        hi = np.where(active & hit, mid, hi)
        lo = np.where(active & ~hit, mid + 1.0, lo)
    p_below = _scipy_stats().binom.cdf(k, total, share) + _scipy_stats().binom.sf(lo - 1.0, total, share)
    p_above = _scipy_stats().binom.cdf(lo - 1.0, total, share) + _scipy_stats().binom.sf(k - 1.0, total, share)
    p = np.where(below, p_below, p_above)
    return np.where(k == expected, 1.0, np.minimum(1.0, p))


def rate_change_p_value(x1: Any, n1: Any, x0: Any, n0: Any) -> Any:
    """Two-sided p of the exact conditional test that two Poisson counts share one rate.

    The one test of a change in a count or rate (engine, reports, :func:`rate_ratio_test`).
    Conditional on the total N = x1 + x0, an unchanged rate means x1 ~ Binomial(N, π) with
    π = n1/(n1 + n0), n the population or exposure of each period (pass n1 = n0, e.g. 1, for
    plain counts: π = ½).  The two-sided p is the "minlike" one of scipy.stats.binomtest,
    R's binom.test and statsmodels' ``test_poisson_2indep(method='exact-cond')``: the total
    probability of the outcomes no more likely than x1.  For π = ½ the distribution is
    symmetric and that is exactly the doubled smaller tail, which is used as the fast path;
    other rows go through a vectorised search (:func:`_minlike_p`).
    N = 0 → 1 (nothing to compare); a missing count or exposure → NaN.
    Example: 9 per 1,000 vs 3 per 2,000 → p = 0.0039 (the doubled tail would give 0.0077).
    """
    x1_arr, x0_arr = np.asarray(x1, dtype=float), np.asarray(x0, dtype=float)
    n1_arr, n0_arr = np.asarray(n1, dtype=float), np.asarray(n0, dtype=float)
    x1_arr, x0_arr, n1_arr, n0_arr = np.broadcast_arrays(x1_arr, x0_arr, n1_arr, n0_arr)
    _whole_counts(x1_arr, x0_arr)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = x1_arr + x0_arr
        share = n1_arr / (n1_arr + n0_arr)
        valid = np.isfinite(total) & np.isfinite(share) & (n1_arr > 0) & (n0_arr > 0)
        # Symmetric case (equal exposure): minlike p = doubled smaller tail.
        lower = _scipy_stats().binom.cdf(x1_arr, total, share)
        upper = _scipy_stats().binom.sf(x1_arr - 1, total, share)
        p = np.minimum(1.0, 2 * np.minimum(lower, upper))
        uneven = valid & (share != 0.5) & (total > 0)
        if np.any(uneven):
            p = np.array(p, dtype=float)  # a writable copy, also for 0-d input
            p[uneven] = _minlike_p(x1_arr[uneven], total[uneven], share[uneven])
        p = np.where(valid, np.where(total > 0, p, 1.0), np.nan)
    return _scalar_or_array(p)


def rate_ratio_test(
    x1: float,
    n1: float | None,
    x0: float,
    n0: float | None,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Exact conditional test of two Poisson counts/rates: has the count (rate) changed?

    p-value: :func:`rate_change_p_value` (n None for both = plain counts, π = ½).  The CI for
    the rate ratio RR = (x1/n1)/(x0/n0) comes from the Clopper–Pearson interval (p_L, p_U)
    for the binomial proportion x1/N, mapped through RR = p/(1 − p)·n0/n1.
    significant = p_value < 1 − confidence (0.05 by default).
    """
    if x1 < 0 or x0 < 0:
        raise ValueError("counts must be >= 0")
    if (n1 is None) != (n0 is None):
        raise ValueError("give both exposures or neither")
    if n1 is None or n0 is None or n1 == n0:
        exposure_ratio = 1.0  # n0/n1: equal exposure, compare counts directly
        e1, e0 = 1.0, 1.0
    else:
        if n1 <= 0 or n0 <= 0:
            raise ValueError("exposures must be > 0")
        exposure_ratio = n0 / n1
        e1, e0 = n1, n0
    k = round(x1)
    total = round(x1 + x0)
    if abs(k - x1) > 1e-9 or abs(total - (x1 + x0)) > 1e-9:
        raise ValueError("the exact test needs whole-number counts")
    if total == 0:
        # No events in either period: nothing to compare, so no evidence of change.
        return {"ratio": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                "p_value": 1.0, "significant": False}

    p_value = float(rate_change_p_value(k, e1, total - k, e0))
    p_lo, p_hi = _scipy_stats().binomtest(k, total).proportion_ci(confidence_level=confidence, method="exact")

    def to_ratio(p: float) -> float:
        """Map the binomial share p to a rate ratio; p = 1 means an unbounded ratio."""
        return math.inf if p >= 1.0 else p / (1.0 - p) * exposure_ratio

    ratio = math.inf if x0 == 0 else (x1 / x0) * exposure_ratio
    return {
        "ratio": float(ratio),
        "ci_lower": float(to_ratio(p_lo)),
        "ci_upper": float(to_ratio(p_hi)),
        "p_value": p_value,
        "significant": bool(p_value < 1.0 - confidence),
    }


def proportion_difference_test(
    x1: float, n1: float, x0: float, n0: float, confidence: float = 0.95
) -> dict[str, Any]:
    """Difference of two proportions p1 − p0: pooled z-test p-value, Newcombe (method 10) CI."""
    if n1 <= 0 or n0 <= 0:
        raise ValueError("both denominators must be > 0")
    p1, p0 = x1 / n1, x0 / n0
    diff = p1 - p0
    # Newcombe's hybrid score interval (1998, method 10) from the two Wilson intervals;
    # unlike the Wald interval it behaves at 0 and 1 and for small n.
    l1, u1 = wilson_ci(x1, n1, confidence)
    l0, u0 = wilson_ci(x0, n0, confidence)
    # Clipped to [−1, 1] only to remove floating-point dust at the extremes.
    ci_lower = max(-1.0, diff - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2))
    ci_upper = min(1.0, diff + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2))
    z, p_value = two_proportion_z(p1, n1, p0, n0)
    return {
        "diff": float(diff),
        "ci_lower": float(ci_lower),
        "ci_upper": float(ci_upper),
        "z": float(z),
        "p_value": float(p_value),
        "significant": bool(p_value < 1.0 - confidence),
    }


def two_proportion_z(p1: Any, n1: Any, p2: Any, n2: Any) -> tuple[Any, Any]:
    """Pooled two-proportion z and two-sided p on given (effective) n's (METHODS.md §6).

    Vectorised; scalars in, floats out.  Both groups all-0 or all-1 (no variance): z = 0,
    p = 1, no evidence of a difference; an n ≤ 0 has no test: NaN.
    """
    p1_arr, p2_arr = np.asarray(p1, dtype=float), np.asarray(p2, dtype=float)
    n1_arr, n2_arr = np.asarray(n1, dtype=float), np.asarray(n2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (p1_arr * n1_arr + p2_arr * n2_arr) / (n1_arr + n2_arr)
        var = pooled * (1.0 - pooled) * (1.0 / n1_arr + 1.0 / n2_arr)
        z = (p1_arr - p2_arr) / np.sqrt(var)
        p = 2.0 * _scipy_stats().norm.sf(np.abs(z))
    flat = var <= 0
    z, p = np.where(flat, 0.0, z), np.where(flat, 1.0, p)
    no_test = (n1_arr <= 0) | (n2_arr <= 0)
    z, p = np.where(no_test, np.nan, z), np.where(no_test, np.nan, p)
    return _scalar_or_array(z), _scalar_or_array(p)


def welch_t_test(mean1: Any, var1: Any, n1: Any, mean0: Any, var0: Any, n0: Any) -> tuple[Any, Any]:
    """Welch's t-test of two means from summary statistics: t and two-sided p (vectorised).

    t = (m1 − m0)/√(s1²/n1 + s0²/n0) on Welch–Satterthwaite degrees of freedom, as
    scipy.stats.ttest_ind_from_stats(equal_var=False).  Two samples with no spread at all
    (both variances 0): t = 0, p = 1; an undefined variance (one value): NaN.
    """
    m1, m0 = np.asarray(mean1, dtype=float), np.asarray(mean0, dtype=float)
    k1, k0 = np.asarray(n1, dtype=float), np.asarray(n0, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1 = np.asarray(var1, dtype=float) / k1
        v0 = np.asarray(var0, dtype=float) / k0
        se = np.sqrt(v1 + v0)
        t = (m1 - m0) / se
        dof = (v1 + v0) ** 2 / (v1**2 / np.maximum(k1 - 1, 1) + v0**2 / np.maximum(k0 - 1, 1))
        p = 2.0 * _scipy_stats().t.sf(np.abs(t), dof)
    flat = se == 0
    t, p = np.where(flat, 0.0, t), np.where(flat, 1.0, p)
    return _scalar_or_array(t), _scalar_or_array(p)


def kish_effective_n(weights: Any) -> float:
    """Kish effective sample size (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0:
        return 0.0
    if np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValueError("weights must be finite and >= 0")
    sum_sq = float(np.sum(w * w))
    return 0.0 if sum_sq == 0 else float(np.sum(w)) ** 2 / sum_sq


def design_effect(weights: Any) -> float:
    """Kish design effect due to weighting: n / n_eff."""
    w = np.asarray(weights, dtype=float)
    n_eff = kish_effective_n(w)
    return math.nan if n_eff == 0 else float(w.size / n_eff)


def margin_of_error(p: Any, n_eff: Any, confidence: float = 0.95) -> Any:
    """Normal-approximation margin of error z·√(p(1 − p)/n_eff), as a fraction."""
    z = z_value(confidence)
    p_arr = np.asarray(p, dtype=float)
    n_arr = np.asarray(n_eff, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        moe = np.where(n_arr > 0, z * np.sqrt(p_arr * (1.0 - p_arr) / n_arr), np.nan)
    return _scalar_or_array(moe)


def benchmark_judgement(
    ci_lower: float | None,
    ci_upper: float | None,
    benchmark_value: float | None,
    polarity: str,
) -> str:
    """Fingertips comparison of an area's CI with a benchmark value, turned by polarity.

    upper < value → lower; lower > value → higher; otherwise similar.  high_is_good and
    low_is_good map that to better/worse/similar; 'none' keeps higher/similar/lower.
    Missing inputs return 'not_compared' rather than guessing.
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    parts = (ci_lower, ci_upper, benchmark_value)
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in parts):
        return "not_compared"
    if ci_upper < benchmark_value:  # type: ignore[operator]
        side = "lower"
    elif ci_lower > benchmark_value:  # type: ignore[operator]
        side = "higher"
    else:
        side = "similar"
    if polarity == "none" or side == "similar":
        return side
    good_side = "higher" if polarity == "high_is_good" else "lower"
    return "better" if side == good_side else "worse"


def aim_to_polarity(aim: str | None) -> str:
    """Map an indicator's aim ('increase' / 'decrease' / None) to a benchmark polarity."""
    if aim is None or aim in ("neutral", "none"):
        return "none"
    mapping = {"increase": "high_is_good", "decrease": "low_is_good"}
    try:
        return mapping[aim]
    except KeyError:
        raise ValueError(f"aim must be 'increase', 'decrease' or None, got {aim!r}") from None
