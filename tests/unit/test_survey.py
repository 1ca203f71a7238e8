"""Resident-survey weighting and estimates (METHODS.md §6).

Hand-worked expected values are written out in the comments; the production code uses
weightipy for raking and transforms.stats for every statistic.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from survey.estimates import (
    DIFFERENCE_COLUMNS,
    ESTIMATE_COLUMNS,
    QUESTIONS,
    WAVE_CHANGE_COLUMNS,
    derive_breakdowns,
    survey_differences,
    survey_estimates,
    wave_change,
)
from survey.weighting import (
    ADULT_AGE_BANDS,
    SEXES,
    WeightingResult,
    population_targets,
    rake,
)
from transforms.stats import two_proportion_z

Z95 = 1.959963984540054
DISTRICT = "E07000110"
WARDS = ("E05005001", "E05005002")


# --------------------------------------------------------------------------- fixtures


def _population(year: int = 2016) -> pd.DataFrame:
    """District rows (incl. 0-15, which must be ignored) plus two wards that add up to it."""
    rows = []
    for s_i, sex in enumerate(SEXES):
        for b_i, band in enumerate(("0-15",) + ADULT_AGE_BANDS):
            # district 16+ cell = 1000 + 100*b_i + 50*s_i; 0-15 gets a big number on purpose
            pop = 99_999 if band == "0-15" else 1000 + 100 * b_i + 50 * s_i
            rows.append({"year": year, "area_code": DISTRICT, "area_type": "district",
                         "age_band": band, "sex": sex, "population": pop})
            if band != "0-15":
                # ward 1 holds 40% of every cell, ward 2 60%
                rows.append({"year": year, "area_code": WARDS[0], "area_type": "ward",
                             "age_band": band, "sex": sex, "population": pop * 0.4})
                rows.append({"year": year, "area_code": WARDS[1], "area_type": "ward",
                             "age_band": band, "sex": sex, "population": pop * 0.6})
    # another year that must be ignored
    rows.append({"year": year + 1, "area_code": DISTRICT, "area_type": "district",
                 "age_band": "16-24", "sex": "female", "population": 10**6})
    return pd.DataFrame(rows)


def _respondents(cells: dict[tuple[str | None, str | None], int]) -> pd.DataFrame:
    rows = []
    for (band, sex), count in cells.items():
        rows += [{"age_band": band, "sex": sex} for _ in range(count)]
    df = pd.DataFrame(rows)
    df.insert(0, "respondent_id", [f"R{i:05d}" for i in range(len(df))])
    return df


def _cell_weights(df: pd.DataFrame, result: WeightingResult) -> pd.Series:
    w = result.weights
    cells = df.loc[w.index, "age_band"] + "|" + df.loc[w.index, "sex"]
    per_cell = w.groupby(cells).agg(["min", "max"])
    assert np.allclose(per_cell["min"], per_cell["max"]), "one weight per cell expected"
    return per_cell["min"]


# --------------------------------------------------------------------------- targets


def test_population_targets_joint_age_sex():
    t = population_targets(_population(), DISTRICT, 2016, scheme="age_sex")
    assert list(t) == ["age_sex"]
    assert len(t["age_sex"]) == 14
    # 16+ total = sum over 7 bands x 2 sexes of 1000 + 100*b + 50*s
    #           = 14*1000 + 2*100*(1+..+7) + 7*50 = 14000 + 5600 + 350 = 19950
    assert t["age_sex"]["female|16-24"] == pytest.approx(1100 / 19950)
    assert t["age_sex"]["male|75+"] == pytest.approx(1750 / 19950)
    assert sum(t["age_sex"].values()) == pytest.approx(1.0)
    assert t.vintage == "mid-2016 population"


def test_population_targets_separate_margins_and_ward():
    t = population_targets(_population(), DISTRICT, 2016, scheme="age+sex")
    assert set(t) == {"age_band", "sex"}
    # female 16+ = 7000 + 100*(1+..+7) = 9800; male = 9800 + 7*50 = 10150
    assert t["sex"] == pytest.approx({"female": 9800 / 19950, "male": 10150 / 19950})
    # 16-24: 1100 + 1150
    assert t["age_band"]["16-24"] == pytest.approx(2250 / 19950)

    tw = population_targets(_population(), DISTRICT, 2016, scheme="age_sex+ward")
    assert set(tw) == {"age_sex", "ward"}
    assert tw["ward"] == pytest.approx({WARDS[0]: 0.4, WARDS[1]: 0.6})

    with pytest.raises(ValueError):
        population_targets(_population(), DISTRICT, 2016, scheme="age_by_sex")
    with pytest.raises(ValueError):
        population_targets(_population(), "E07000999", 2016)


# --------------------------------------------------------------------------- raking


def test_rake_two_margins_hand_worked_fixed_point():
    # Sample (5 respondents)      female  male
    #                   16-24        2      1
    #                   25-34        1      1
    # Targets: age 50/50, sex 50/50.
    # Raking gives w_ij = r_i * c_j, so the weighted table keeps the sample odds ratio
    # (2*1)/(1*1) = 2. With all margins 1/2 the weighted shares are symmetric:
    #   t11 = t22 = x, t12 = t21 = 1/2 - x, x^2 / (1/2 - x)^2 = 2  =>  x = (2 - sqrt2)/2.
    # Relative weights (mean 1, total 5) = 5 * share / cell count:
    #   16-24 female: 5 * (2 - sqrt2)/2 / 2 = 5(2 - sqrt2)/4 = 0.732233
    #   16-24 male = 25-34 female: 5 * (sqrt2 - 1)/2   = 1.035534
    #   25-34 male:  5 * (2 - sqrt2)/2                 = 1.464466
    df = _respondents({("16-24", "female"): 2, ("16-24", "male"): 1,
                       ("25-34", "female"): 1, ("25-34", "male"): 1})
    targets = {"age_band": {"16-24": 0.5, "25-34": 0.5}, "sex": {"female": 0.5, "male": 0.5}}
    r = rake(df, targets, target_vintage="hand-worked")
    w = _cell_weights(df, r)
    s2 = math.sqrt(2)
    assert w["16-24|female"] == pytest.approx(5 * (2 - s2) / 4, abs=1e-6)
    assert w["16-24|male"] == pytest.approx(5 * (s2 - 1) / 2, abs=1e-6)
    assert w["25-34|female"] == pytest.approx(5 * (s2 - 1) / 2, abs=1e-6)
    assert w["25-34|male"] == pytest.approx(5 * (2 - s2) / 2, abs=1e-6)
    assert r.weights.mean() == pytest.approx(1.0)
    assert r.converged and r.max_abs_margin_error < 1e-6
    assert r.method == "rake" and r.target_vintage == "hand-worked"
    assert r.n_weighted == 5 and r.n_unweighted_dropped == 0
    assert r.trimming["n_trimmed"] == 0 and not r.trimming["applied"]
    assert list(r.targets.columns) == ["variable", "category", "target_share", "achieved_share"]


def test_rake_unequal_margins_independent_sample():
    # Sample odds ratio 1 (16-24: 2 female, 2 male; 25-34: 1 female, 1 male), so the fixed
    # point is the independence table t_ij = age_i * sex_j; weight = 6 * t_ij / n_ij:
    #   16-24 f: 6*.3*.6/2 = 0.54   16-24 m: 6*.3*.4/2 = 0.36
    #   25-34 f: 6*.7*.6/1 = 2.52   25-34 m: 6*.7*.4/1 = 1.68     (mean = 6/6 = 1)
    df = _respondents({("16-24", "female"): 2, ("16-24", "male"): 2,
                       ("25-34", "female"): 1, ("25-34", "male"): 1})
    targets = {"age_band": {"16-24": 0.3, "25-34": 0.7}, "sex": {"female": 0.6, "male": 0.4}}
    w = _cell_weights(df, rake(df, targets))
    assert w.to_dict() == pytest.approx({"16-24|female": 0.54, "16-24|male": 0.36,
                                         "25-34|female": 2.52, "25-34|male": 1.68}, abs=1e-6)


def test_post_stratification_on_joint_variable_reproduces_cell_shares():
    counts = {(band, sex): 3 + (i * 7 + j * 3) % 11
              for i, band in enumerate(ADULT_AGE_BANDS) for j, sex in enumerate(SEXES)}
    df = _respondents(counts)
    targets = population_targets(_population(), DISTRICT, 2016, scheme="age_sex")
    r = rake(df, targets)
    assert r.target_vintage == "mid-2016 population"
    assert r.converged
    got = r.targets.set_index("category")
    assert np.allclose(got["achieved_share"], got["target_share"], atol=1e-12, rtol=0)
    # post-stratification weight = target share * n / cell count
    n = len(df)
    w = _cell_weights(df, r)
    for (band, sex), count in counts.items():
        expected = targets["age_sex"][f"{sex}|{band}"] * n / count
        assert w[f"{band}|{sex}"] == pytest.approx(expected, rel=1e-9)


def test_missing_age_or_sex_get_no_weight():
    # 2017: "weights applied to the 2,008 of 2,350 responses that gave both age and gender"
    counts = {(band, sex): 143 + (2 * i + j < 6)  # 14 cells: 6 x 144 + 8 x 143 = 2,008
              for i, band in enumerate(ADULT_AGE_BANDS) for j, sex in enumerate(SEXES)}
    df = _respondents(counts)
    assert len(df) == 2008
    missing = _respondents({(None, "female"): 150, ("35-44", None): 100, (None, None): 92})
    missing["respondent_id"] = [f"R9{i:04d}" for i in range(len(missing))]
    missing.loc[missing.index[:5], "sex"] = ""  # blank string = not given
    missing.loc[missing.index[:5], "age_band"] = "25-34"
    df = pd.concat([df, missing], ignore_index=True)
    assert len(df) == 2350

    r = rake(df, population_targets(_population(), DISTRICT, 2016, "age_sex"))
    assert r.n_weighted == 2008
    assert r.n_unweighted_dropped == 342
    no_weight = df.index.difference(r.weights.index)
    assert len(no_weight) == 342
    assert df.loc[no_weight, "respondent_id"].str.startswith("R9").all()
    assert r.weights.notna().all() and r.weights.mean() == pytest.approx(1.0)
    # no age: 150 - 5 (given an age below) + 92; no sex: 5 blanks + 100 + 92
    assert r.dropped_by_reason == {"age_band": 237, "sex": 197}

    # and they are not in any weighted base
    df["q_safe_home"] = 1
    est = survey_estimates(df, r, 2017)
    assert est.loc[est.breakdown == "all", "n"].unique().tolist() == [2008]


def test_ward_margin_drops_respondents_without_ward():
    counts = {(band, sex): 6 for band in ADULT_AGE_BANDS for sex in SEXES}
    df = _respondents(counts)
    df["ward_code"] = [WARDS[i % 3 == 0] for i in range(len(df))]
    df.loc[df.index[:4], "ward_code"] = None
    r = rake(df, population_targets(_population(), DISTRICT, 2016, "age_sex+ward"))
    assert r.n_unweighted_dropped == 4 and r.dropped_by_reason["ward_code"] == 4
    ward = r.targets[r.targets.variable == "ward"].set_index("category")["achieved_share"]
    assert ward.to_dict() == pytest.approx({WARDS[0]: 0.4, WARDS[1]: 0.6}, abs=1e-6)
    assert r.converged


def test_trimming_upper_cap_then_re_rake():
    # 1 female, 19 male, targets 50/50: untrimmed female weight = .5*20/1 = 10 > 5.
    df = _respondents({("16-24", "female"): 1, ("16-24", "male"): 19})
    targets = {"sex": {"female": 0.5, "male": 0.5}}
    untrimmed = rake(df, targets, trim=None)
    assert untrimmed.weights.max() == pytest.approx(10.0)
    assert untrimmed.trimming["n_trimmed"] == 0 and not untrimmed.trimming["applied"]

    r = rake(df, targets, trim=(0.2, 5.0))
    assert r.trimming["lower"] == 0.2 and r.trimming["upper"] == 5.0
    assert r.trimming["n_trimmed"] == 1 and r.trimming["applied"]
    assert r.weights.max() == pytest.approx(5.0, abs=1e-3)
    assert r.weights.mean() == pytest.approx(1.0)
    # the cap stops the margin being met: female share 5/20 = .25, not .5
    assert not r.converged
    assert r.max_abs_margin_error == pytest.approx(0.25, abs=1e-3)


def test_trimming_lower_cap():
    # 10 female, 10 male, targets female .05: untrimmed female weight = .05*20/10 = 0.1 < 0.2
    df = _respondents({("16-24", "female"): 10, ("16-24", "male"): 10})
    r = rake(df, {"sex": {"female": 0.05, "male": 0.95}}, trim=(0.2, 5.0))
    assert r.trimming["n_trimmed"] == 10
    assert r.weights.min() == pytest.approx(0.2, abs=1e-3)
    # mean 1 keeps the male weight at (20 - 10*0.2)/10 = 1.8
    assert r.weights.max() == pytest.approx(1.8, abs=1e-3)


def test_rake_rejects_unknown_category():
    df = _respondents({("16-24", "female"): 3, ("25-34", "male"): 3})
    with pytest.raises(ValueError, match="without a target"):
        rake(df, {"age_band": {"16-24": 1.0}, "sex": {"female": 0.5, "male": 0.5}})


def test_rake_and_estimate_2350_random_respondents():
    rng = np.random.default_rng(7)
    n = 2350
    df = pd.DataFrame({
        "age_band": rng.choice(ADULT_AGE_BANDS, n), "sex": rng.choice(SEXES, n),
        "ward_code": rng.choice(WARDS, n),
    })
    for q in QUESTIONS:
        df[q] = rng.integers(1, 6, n)
    r = rake(df, population_targets(_population(), DISTRICT, 2016, "age_sex"))
    assert r.converged and r.n_weighted == n and r.n_unweighted_dropped == 0
    # The weighted shares, summed here from the weights themselves, meet every population target.
    weights = r.weights.reindex(df.index)
    cells = df["sex"] + "|" + df["age_band"]  # the joint age x sex cell the 'age_sex' scheme weights to
    for target in r.targets.itertuples():
        share = weights[cells == target.category].sum() / weights.sum()
        assert share == pytest.approx(target.target_share, abs=1e-3), (target.variable, target.category)
    estimates = survey_estimates(df, r, 2017)
    assert set(QUESTIONS) <= set(estimates["question_id"])


# --------------------------------------------------------------------------- n_eff / MoE


@pytest.mark.parametrize("deff, expected_moe", [(1.0, 2.02), (1.2, 2.21), (1.5, 2.48)])
def test_kish_n_eff_and_margin_of_error(deff, expected_moe):
    # METHODS §6: n = 2,350, p = 0.5: deff 1 -> ±2.02 (the seed's "±2.0%"), 1.2 -> ±2.21,
    # 1.5 -> ±2.48. Two weight values a, b = 1 ± sqrt(deff - 1) alternate, so
    # mean w = 1 and mean w^2 = deff, i.e. n_eff = n / deff. Answers come in (a, b) pairs,
    # 588 "very safe" pairs and 587 "very unsafe", so p = 588/1175 = 0.50043.
    n = 2350
    d = math.sqrt(deff - 1)
    weights = pd.Series([1 + d if i % 2 == 0 else 1 - d for i in range(n)], dtype=float)
    df = pd.DataFrame({"q_safe_home": [1 if (i // 2) % 2 == 0 else 5 for i in range(n)]})
    est = survey_estimates(df, weights, 2017)
    row = est[(est.breakdown == "all") & (est.answer_group == "very_safe")].iloc[0]
    assert row["n"] == n
    assert row["n_eff"] == pytest.approx(n / deff)
    assert row["design_effect"] == pytest.approx(deff)
    assert row["estimate_pct"] == pytest.approx(100 * 588 / 1175)
    assert round(row["margin_of_error"], 2) == expected_moe


# --------------------------------------------------------------------------- estimates


def _ten_rows() -> tuple[pd.DataFrame, pd.Series]:
    df = pd.DataFrame({
        "respondent_id": [f"R{i:05d}" for i in range(10)],
        "sex": ["female", "male", "female", "male", "female",
                "male", "female", "male", "female", "male"],
        "q_safe_home": pd.array([1, 4, 2, 5, 1, 3, 2, None, 4, 1], dtype="Int64"),
    })
    weights = pd.Series([2, 2, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5], dtype=float)
    return df, weights


def test_estimates_columns_and_all_estimate_by_hand():
    df, weights = _ten_rows()
    est = survey_estimates(df, weights, 2017)
    assert list(est.columns) == ESTIMATE_COLUMNS == [
        "wave", "question_id", "answer_group", "breakdown", "group_value", "n", "n_eff",
        "design_effect", "estimate_pct", "ci_lower", "ci_upper", "margin_of_error"]
    assert set(est.question_id) == {"q_safe_home"}  # other questions not in the frame
    all_rows = est[est.breakdown == "all"].set_index("answer_group")
    assert set(all_rows.group_value) == {"all"}
    assert (all_rows.wave == 2017).all()

    # Base: 9 answered (row 7 is null). sum w = 9.5, sum w^2 = 4+4+1+1+1+1+.25*3 = 12.75
    # n_eff = 9.5^2 / 12.75 = 7.078431;  deff = 9 / 7.078431 = 1.271468
    # very_or_fairly_safe (1-2): rows 0,2,4,6,9 -> 2+1+1+.5+.5 = 5.0 -> p = 5/9.5 = 52.6316%
    # very_safe (1): rows 0,4,9 -> 3.5 -> 36.8421%;  unsafe (4-5): rows 1,3,8 -> 3.5 -> 36.8421%
    row = all_rows.loc["very_or_fairly_safe"]
    assert row["n"] == 9
    assert row["n_eff"] == pytest.approx(90.25 / 12.75)
    assert row["design_effect"] == pytest.approx(9 / (90.25 / 12.75))
    assert row["estimate_pct"] == pytest.approx(100 * 5 / 9.5)
    assert all_rows.loc["very_safe", "estimate_pct"] == pytest.approx(100 * 3.5 / 9.5)
    assert all_rows.loc["unsafe_or_very_unsafe", "estimate_pct"] == pytest.approx(100 * 3.5 / 9.5)

    # Wilson on effective n: x = p*n_eff = 3.725490, n = n_eff = 7.078431, z^2 = 3.841459
    # [2x + z^2 -/+ z*sqrt(z^2 + 4x(1 - x/n))] / [2(n + z^2)]
    #   = (7.450980 + 3.841459 -/+ 6.470936) / 21.839780 = 0.220767 / 0.813349
    assert row["ci_lower"] == pytest.approx(22.0767, abs=1e-3)
    assert row["ci_upper"] == pytest.approx(81.3349, abs=1e-3)
    # MoE = 1.96 * sqrt(.526316 * .473684 / 7.078431) = 0.367830 -> 36.78 points
    assert row["margin_of_error"] == pytest.approx(36.783, abs=1e-3)


def test_wilson_uses_effective_not_raw_n():
    df, weights = _ten_rows()
    row = survey_estimates(df, weights, 2017).query(
        "breakdown == 'all' and answer_group == 'very_or_fairly_safe'").iloc[0]
    p, n_eff = 5 / 9.5, 90.25 / 12.75

    def wilson(x, n):
        z2 = Z95**2
        root = Z95 * math.sqrt(z2 + 4 * x * (1 - x / n))
        return ((2 * x + z2 - root) / (2 * (n + z2)), (2 * x + z2 + root) / (2 * (n + z2)))

    lo, hi = wilson(p * n_eff, n_eff)
    assert (row.ci_lower, row.ci_upper) == pytest.approx((100 * lo, 100 * hi))
    raw_lo, raw_hi = wilson(p * 9, 9)
    assert row.ci_upper - row.ci_lower > 100 * (raw_hi - raw_lo)  # wider than on raw n


def test_breakdowns_and_missing_values():
    df = pd.DataFrame({
        "sex": ["female", "male", None, "female", "male", "female"],
        "age_band": ["16-24", "75+", "35-44", None, "16-24", "16-24"],
        "ethnic_group": ["white", "asian", "mixed", "black", "other", None],
        "disability": ["Y", "N", None, True, False, "N"],
        "economic_status": ["employed", "self_employed", "unemployed", "retired", "student",
                            None],
        "ward_code": ["E05005001", None, "E05005002", "E05005001", "E05005001", "E05005002"],
    })
    b = derive_breakdowns(df)
    assert b["ethnic_group"].tolist()[:5] == ["white", "bme", "bme", "bme", "bme"]
    assert pd.isna(b["ethnic_group"].iloc[5])
    assert b["disability"].tolist()[:2] == ["disabled", "not_disabled"]
    assert b["disability"].tolist()[3:] == ["disabled", "not_disabled", "not_disabled"]
    assert b["economic_activity"].tolist()[:5] == [
        "economically_active", "economically_active", "economically_active",
        "economically_inactive", "economically_inactive"]
    assert (b["all"] == "all").all()

    df["q_worry_fraud"] = [1, 2, 3, 4, None, 1]
    est = survey_estimates(df, pd.Series(1.0, index=df.index), 2017)
    n = est.groupby(["breakdown", "group_value"])["n"].first()
    assert n[("all", "all")] == 5  # row 4 did not answer
    assert n[("sex", "female")] == 3 and n[("sex", "male")] == 1  # row 2: no sex
    assert n[("ward", "E05005001")] == 2 and n[("ward", "E05005002")] == 2  # row 1: no ward
    assert n[("ethnic_group", "bme")] == 3 and n[("ethnic_group", "white")] == 1
    assert set(est.breakdown) == {"all", "sex", "age_band", "ethnic_group", "disability",
                                  "economic_activity", "ward"}

    with pytest.raises(ValueError, match="ethnic_group"):
        derive_breakdowns(pd.DataFrame({"ethnic_group": ["martian"]}))


# --------------------------------------------------------------------------- z-tests


@pytest.mark.parametrize("p1, n1, p2, n2, z, p_value", [
    # pbar = .55, se = sqrt(.55*.45*(1/100 + 1/100)) = .0703562, z = .1/.0703562
    (0.60, 100, 0.50, 100, 1.421338, 0.155218),
    (0.50, 1000, 0.50, 1000, 0.0, 1.0),
    # pbar = .6, se = sqrt(.24 * 2/600) = .0282843
    (0.70, 600, 0.50, 600, 7.071068, 1.5375e-12),
    # pbar = .51, se = sqrt(.2499 * 2/20000) = .0049990
    (0.52, 20000, 0.50, 20000, 4.000800, 6.3129e-05),
    # pbar = .55, se = sqrt(.2475 * .2) = .222486
    (0.60, 10, 0.50, 10, 0.449467, 0.653095),
    (1.0, 50, 1.0, 50, 0.0, 1.0),  # no variance: no evidence of a difference
])
def test_two_proportion_z_cases(p1, n1, p2, n2, z, p_value):
    got_z, got_p = two_proportion_z(p1, n1, p2, n2)
    assert got_z == pytest.approx(z, abs=1e-5)
    assert got_p == pytest.approx(p_value, rel=1e-3, abs=1e-9)


def _two_groups(n_f, yes_f, n_m, yes_m) -> pd.DataFrame:
    sex = ["female"] * n_f + ["male"] * n_m
    q = [1] * yes_f + [3] * (n_f - yes_f) + [1] * yes_m + [3] * (n_m - yes_m)
    return pd.DataFrame({"sex": sex, "q_safe_night": q})


@pytest.mark.parametrize("n_f, yes_f, n_m, yes_m, over8, significant", [
    (600, 420, 600, 300, True, True),  # 70% v 50%: 20 points, z = 7.07
    (10, 6, 10, 5, True, False),  # 60% v 50%: 10 points, z = 0.45
    (20000, 10400, 20000, 10000, False, True),  # 52% v 50%: 2 points, z = 4.00
    (10, 5, 10, 5, False, False),  # no difference
])
def test_differences_flags(n_f, yes_f, n_m, yes_m, over8, significant):
    df = _two_groups(n_f, yes_f, n_m, yes_m)
    diffs = survey_differences(df, pd.Series(1.0, index=df.index), 2017)
    assert list(diffs.columns) == DIFFERENCE_COLUMNS == [
        "wave", "question_id", "answer_group", "breakdown", "group_value", "comparison",
        "estimate_pct", "comparison_pct", "difference_points", "z", "p_value",
        "over_8_points", "significant"]
    sel = diffs[(diffs.answer_group == "very_safe") & (diffs.breakdown == "sex")]
    assert set(sel.comparison) == {"rest", "group:female", "group:male"}
    f_rest = sel[(sel.group_value == "female") & (sel.comparison == "rest")].iloc[0]
    f_m = sel[(sel.group_value == "female") & (sel.comparison == "group:male")].iloc[0]
    m_f = sel[(sel.group_value == "male") & (sel.comparison == "group:female")].iloc[0]
    expected_diff = 100 * (yes_f / n_f - yes_m / n_m)
    z, p = two_proportion_z(yes_f / n_f, n_f, yes_m / n_m, n_m)
    for row in (f_rest, f_m):  # everyone has a sex, so "rest" of female = male
        assert row.difference_points == pytest.approx(expected_diff)
        assert row.estimate_pct - row.comparison_pct == pytest.approx(row.difference_points)
        assert row.z == pytest.approx(z) and row.p_value == pytest.approx(p)
        assert bool(row.over_8_points) is over8
        assert bool(row.significant) is significant
    assert m_f.difference_points == pytest.approx(-expected_diff)
    assert m_f.z == pytest.approx(-z) and m_f.p_value == pytest.approx(p)


def test_rest_includes_respondents_missing_the_breakdown():
    df = pd.DataFrame({"sex": ["female"] * 4 + ["male"] * 4 + [None] * 2,
                       "q_safe_day": [1, 1, 1, 3, 1, 3, 3, 3, 1, 1]})
    # with a weight but no sex (possible with externally supplied weights)
    diffs = survey_differences(df, pd.Series(1.0, index=df.index), 2017)
    row = diffs.query("answer_group == 'very_safe' and group_value == 'female' "
                      "and comparison == 'rest'").iloc[0]
    # rest = 4 male (1 yes) + 2 no-sex (2 yes) = 3/6
    assert row.comparison_pct == pytest.approx(50.0)
    assert row.estimate_pct == pytest.approx(75.0)


def test_wave_change():
    def table(wave, pct, n_eff):
        return pd.DataFrame([{
            "wave": wave, "question_id": "q_safe_night", "answer_group": "very_or_fairly_safe",
            "breakdown": "all", "group_value": "all", "n": 120, "n_eff": n_eff,
            "design_effect": 1.2, "estimate_pct": pct, "ci_lower": 0.0, "ci_upper": 100.0,
            "margin_of_error": 5.0}], columns=ESTIMATE_COLUMNS)

    ch = wave_change(table(2019, 60.0, 100.0), table(2017, 50.0, 100.0))
    assert list(ch.columns) == WAVE_CHANGE_COLUMNS
    row = ch.iloc[0]
    assert (row.wave, row.previous_wave) == (2019, 2017)
    assert row.change_points == pytest.approx(10.0)
    assert row.z == pytest.approx(1.421338, abs=1e-5)  # as the first z-test case
    assert row.p_value == pytest.approx(0.155218, rel=1e-4)
    assert not row.significant

    big = wave_change(table(2019, 60.0, 2000.0), table(2017, 50.0, 2000.0)).iloc[0]
    assert big.significant and big.z > 6
