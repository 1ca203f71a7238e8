"""Weighted resident-survey estimates, group differences and wave-on-wave change
(METHODS.md §6).

Bases: a respondent counts towards a question if they have a weight (see
:mod:`survey.weighting`: no age band or sex -> no weight) and answered the question (non-null).
All precision measures use the Kish effective sample size of the weights in the base:
``n_eff = (sum w)^2 / sum w^2``; confidence intervals are Wilson intervals on ``n_eff``
(``x = p * n_eff``, ``n = n_eff``); the margin of error is the 95% normal half-width on
``n_eff``; differences use the pooled two-proportion z-test on effective n's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from transforms.stats import (
    design_effect,
    kish_effective_n,
    margin_of_error,
    two_proportion_z,
    wilson_ci,
)

__all__ = [
    "BREAKDOWNS",
    "DIFFERENCE_COLUMNS",
    "DIFFERENCE_THRESHOLD_POINTS",
    "ESTIMATE_COLUMNS",
    "QUESTIONS",
    "SIGNIFICANCE_LEVEL",
    "WAVE_CHANGE_COLUMNS",
    "derive_breakdowns",
    "survey_differences",
    "survey_estimates",
    "wave_change",
]

_SAFETY: dict[str, tuple[int, ...]] = {
    "very_or_fairly_safe": (1, 2),
    "very_safe": (1,),
    "unsafe_or_very_unsafe": (4, 5),
}
_WORRY: dict[str, tuple[int, ...]] = {"very_or_somewhat_worried": (1, 2)}

#: question_id -> {answer_group: answer codes counted as "yes"}
QUESTIONS: dict[str, dict[str, tuple[int, ...]]] = {
    "q_safe_home": dict(_SAFETY),
    "q_safe_day": dict(_SAFETY),
    "q_safe_night": dict(_SAFETY),
    "q_worry_burglary": dict(_WORRY),
    "q_worry_assault": dict(_WORRY),
    "q_worry_car_theft": dict(_WORRY),
    "q_worry_fraud": dict(_WORRY),
    "q_worry_pestered": dict(_WORRY),
}

DIFFERENCE_THRESHOLD_POINTS = 8.0  # the seed only discusses differences over 8 points
SIGNIFICANCE_LEVEL = 0.05

ESTIMATE_COLUMNS = ["wave", "question_id", "answer_group", "breakdown", "group_value", "n",
                    "n_eff", "design_effect", "estimate_pct", "ci_lower", "ci_upper",
                    "margin_of_error"]
DIFFERENCE_COLUMNS = ["wave", "question_id", "answer_group", "breakdown", "group_value",
                      "comparison", "estimate_pct", "comparison_pct", "difference_points", "z",
                      "p_value", "over_8_points", "significant"]
WAVE_CHANGE_COLUMNS = ["wave", "previous_wave", "question_id", "answer_group", "breakdown",
                       "group_value", "estimate_pct", "previous_pct", "change_points", "n_eff",
                       "previous_n_eff", "z", "p_value", "over_8_points", "significant"]

_ETHNIC = {"white": "white", "mixed": "bme", "asian": "bme", "black": "bme", "other": "bme"}
_ECONOMIC = {
    "employed": "economically_active",
    "self_employed": "economically_active",
    "unemployed": "economically_active",
    "retired": "economically_inactive",
    "student": "economically_inactive",
    "looking_after_home": "economically_inactive",
    "long_term_sick": "economically_inactive",
    "other": "economically_inactive",
}
_DISABILITY = {"y": "disabled", "yes": "disabled", "true": "disabled", "1": "disabled",
               "1.0": "disabled", "n": "not_disabled", "no": "not_disabled",
               "false": "not_disabled", "0": "not_disabled", "0.0": "not_disabled"}


def _text(values: pd.Series) -> pd.Series:
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def _mapped(values: pd.Series, mapping: Mapping[str, str], what: str,
            lower: bool = False) -> pd.Series:
    text = _text(values)
    if lower:
        text = text.str.lower()
    unknown = set(text.dropna()) - set(mapping)
    if unknown:
        raise ValueError(f"unexpected {what} value(s): {sorted(unknown)}")
    return text.map(mapping)


#: breakdown -> (respondent column it needs, derivation); missing value -> not in breakdown
BREAKDOWNS: dict[str, tuple[str | None, Callable[[pd.Series], pd.Series]]] = {
    "all": (None, lambda s: s),
    "sex": ("sex", _text),
    "age_band": ("age_band", _text),
    "ethnic_group": ("ethnic_group", lambda s: _mapped(s, _ETHNIC, "ethnic_group")),
    "disability": ("disability", lambda s: _mapped(s, _DISABILITY, "disability", lower=True)),
    "economic_activity": ("economic_status",
                          lambda s: _mapped(s, _ECONOMIC, "economic_status")),
    "ward": ("ward_code", _text),
}


def derive_breakdowns(responses_df: pd.DataFrame,
                      breakdowns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One column per breakdown with each respondent's group value (<NA> = left out of that
    breakdown only). Breakdowns whose source column is absent are skipped."""
    names = tuple(BREAKDOWNS) if breakdowns is None else breakdowns
    out = {}
    for name in names:
        column, derive = BREAKDOWNS[name]
        if column is None:
            out[name] = pd.Series("all", index=responses_df.index, dtype="string")
        elif column in responses_df.columns:
            out[name] = derive(responses_df[column]).astype("string")
    return pd.DataFrame(out, index=responses_df.index)


# --------------------------------------------------------------------------- internals


def _aligned_weights(responses_df: pd.DataFrame, weights) -> pd.Series:
    if hasattr(weights, "weights") and isinstance(weights.weights, pd.Series):
        weights = weights.weights  # a WeightingResult
    if not isinstance(weights, pd.Series):
        raise TypeError("weights must be a pandas Series indexed like responses_df")
    if not responses_df.index.is_unique or not weights.index.is_unique:
        raise ValueError("responses_df and weights need unique indexes")
    stray = weights.index.difference(responses_df.index)
    if len(stray):
        raise ValueError(f"{len(stray)} weights have no matching respondent")
    w = pd.to_numeric(weights, errors="raise").astype(float)
    w = w[w.notna()]
    if (w <= 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be positive and finite")
    return w


def _share(yes: np.ndarray, w: np.ndarray) -> float:
    """Weighted proportion, clipped to [0, 1] (dot() and sum() round differently)."""
    return min(max(float(np.dot(w, yes) / w.sum()), 0.0), 1.0)


def _iter_bases(responses_df: pd.DataFrame, weights, breakdowns):
    """Yield (question_id, answers, weights, breakdown frame) over answered, weighted bases.

    Questions whose column is absent (not asked in that wave) are skipped.
    """
    w_all = _aligned_weights(responses_df, weights)
    groups_all = derive_breakdowns(responses_df.loc[w_all.index], breakdowns)
    for question_id in QUESTIONS:
        if question_id not in responses_df.columns:
            continue
        answers = pd.to_numeric(responses_df.loc[w_all.index, question_id], errors="raise")
        answered = answers.notna().to_numpy()
        yield (question_id, answers[answered].astype(float), w_all[answered],
               groups_all[answered])


def _group_masks(values: pd.Series) -> list[tuple[str, np.ndarray]]:
    """(group value, boolean mask) for each non-missing value, in sorted order."""
    codes, uniques = pd.factorize(values, sort=True)  # missing -> -1
    return [(str(value), codes == i) for i, value in enumerate(uniques)]


# --------------------------------------------------------------------------- public


def survey_estimates(responses_df: pd.DataFrame, weights, wave) -> pd.DataFrame:
    """Weighted % giving each answer group, by breakdown; columns :data:`ESTIMATE_COLUMNS`.

    ``weights``: Series indexed like ``responses_df`` (respondents absent/NaN have no weight),
    or a :class:`survey.weighting.WeightingResult`. Groups with no answered, weighted
    respondent produce no row.
    """
    rows = []
    for question_id, answers, w, groups in _iter_bases(responses_df, weights, None):
        answer_codes = answers.to_numpy()
        wv = w.to_numpy()
        for breakdown in groups.columns:
            for value, mask in _group_masks(groups[breakdown]):
                gw = wv[mask]
                n_eff = float(kish_effective_n(gw))
                deff = float(design_effect(gw))
                for answer_group, codes in QUESTIONS[question_id].items():
                    rows.append({
                        "wave": wave, "question_id": question_id, "answer_group": answer_group,
                        "breakdown": breakdown, "group_value": value, "n": int(mask.sum()),
                        "n_eff": n_eff, "design_effect": deff,
                        "p": _share(np.isin(answer_codes[mask], codes), gw),
                    })
    out = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS[:8] + ["p"])
    p = out["p"].to_numpy(dtype=float)
    n_eff = out["n_eff"].to_numpy(dtype=float)
    # wilson_ci / margin_of_error are vectorised: one call for the whole table
    lo, hi = wilson_ci(p * n_eff, n_eff)
    out["estimate_pct"] = 100.0 * p
    out["ci_lower"] = 100.0 * np.asarray(lo, dtype=float)
    out["ci_upper"] = 100.0 * np.asarray(hi, dtype=float)
    out["margin_of_error"] = 100.0 * np.asarray(margin_of_error(p, n_eff), dtype=float)
    return out[ESTIMATE_COLUMNS].astype({"n": "int64"})


def _difference_row(base: dict, comparison: str, p1: float, p2: float, z: float,
                    p_value: float) -> dict:
    diff = 100.0 * (p1 - p2)
    return {**base, "comparison": comparison, "estimate_pct": 100.0 * p1,
            "comparison_pct": 100.0 * p2, "difference_points": diff, "z": z,
            "p_value": p_value,
            "over_8_points": bool(abs(diff) > DIFFERENCE_THRESHOLD_POINTS + 1e-9),
            "significant": bool(np.isfinite(p_value) and p_value < SIGNIFICANCE_LEVEL)}


def _z(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float]:
    z, p_value = two_proportion_z(p1, n1, p2, n2)
    return float(z), float(p_value)


def survey_differences(responses_df: pd.DataFrame, weights, wave) -> pd.DataFrame:
    """Each group vs the rest and vs every other group of its breakdown.

    ``comparison='rest'``: every other weighted respondent who answered the question
    (including those with no value for this breakdown); ``'group:<value>'``: that other group.
    Proportions and the z-test use effective n's; ``over_8_points`` = |difference| > 8 points,
    ``significant`` = two-sided p < 0.05. Columns :data:`DIFFERENCE_COLUMNS`.
    """
    names = tuple(b for b in BREAKDOWNS if b != "all")
    rows = []
    for question_id, answers, w, groups in _iter_bases(responses_df, weights, names):
        answer_codes = answers.to_numpy()
        wv = w.to_numpy()
        for answer_group, codes in QUESTIONS[question_id].items():
            yes_all = np.isin(answer_codes, codes)
            for breakdown in groups.columns:
                # value -> ((p, n_eff) of the group, (p, n_eff) of the rest or None)
                stats: dict[str, tuple[tuple[float, float], tuple[float, float] | None]] = {}
                for value, mask in _group_masks(groups[breakdown]):
                    rest = ~mask
                    stats[value] = (
                        (_share(yes_all[mask], wv[mask]), float(kish_effective_n(wv[mask]))),
                        (_share(yes_all[rest], wv[rest]), float(kish_effective_n(wv[rest])))
                        if rest.any() else None)
                pair_tests: dict[tuple[str, str], tuple[float, float]] = {}
                for value, (g, r) in stats.items():
                    base = {"wave": wave, "question_id": question_id,
                            "answer_group": answer_group, "breakdown": breakdown,
                            "group_value": value}
                    if r is not None:
                        rows.append(_difference_row(base, "rest", g[0], r[0],
                                                    *_z(g[0], g[1], r[0], r[1])))
                    for other, (og, _) in stats.items():
                        if other == value:
                            continue
                        if (other, value) in pair_tests:  # pooled z is antisymmetric
                            z, p_value = pair_tests[(other, value)]
                            z = -z
                        else:
                            z, p_value = _z(g[0], g[1], og[0], og[1])
                            pair_tests[(value, other)] = (z, p_value)
                        rows.append(_difference_row(base, f"group:{other}", g[0], og[0],
                                                    z, p_value))
    return pd.DataFrame(rows, columns=DIFFERENCE_COLUMNS)


def wave_change(current_df: pd.DataFrame, previous_df: pd.DataFrame,
                breakdown: str = "all") -> pd.DataFrame:
    """Change between two :func:`survey_estimates` tables (default breakdown 'all').

    ``change_points`` = current - previous estimate_pct; z-test on the two effective n's
    (independent samples); ``significant`` = p < 0.05. Columns :data:`WAVE_CHANGE_COLUMNS`;
    only question/answer groups present in both waves.
    """
    keys = ["question_id", "answer_group", "breakdown", "group_value"]
    cur = current_df[current_df["breakdown"] == breakdown]
    prev = previous_df[previous_df["breakdown"] == breakdown]
    merged = cur[keys + ["wave", "estimate_pct", "n_eff"]].merge(
        prev[keys + ["wave", "estimate_pct", "n_eff"]].rename(columns={
            "wave": "previous_wave", "estimate_pct": "previous_pct",
            "n_eff": "previous_n_eff"}),
        on=keys, how="inner")
    rows = []
    for rec in merged.to_dict("records"):
        p1, p2 = rec["estimate_pct"] / 100.0, rec["previous_pct"] / 100.0
        z, p_value = _z(p1, rec["n_eff"], p2, rec["previous_n_eff"])
        change = rec["estimate_pct"] - rec["previous_pct"]
        rows.append({**rec, "change_points": change, "z": z, "p_value": p_value,
                     "over_8_points": bool(abs(change) > DIFFERENCE_THRESHOLD_POINTS + 1e-9),
                     "significant": bool(np.isfinite(p_value) and p_value < SIGNIFICANCE_LEVEL)})
    return pd.DataFrame(rows, columns=WAVE_CHANGE_COLUMNS)
