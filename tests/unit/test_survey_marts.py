"""survey.marts.build_survey_marts and transforms.survey_indicators.survey_indicator_rows on a tiny
hand-made warehouse (in-memory DuckDB, staging views replaced by plain tables).

The data, and the hand-worked numbers every test checks
-------------------------------------------------------
District D's 16+ population is 600 women and 400 men aged 25-34 (every other adult cell 0;
0-15 rows are ignored). Years 2016 and 2019 only, so wave 2017 -> mid-2016 (the year before)
and wave 2015 -> preferred 2014 is missing -> nearest is 2016.

Each wave has 50 women and 50 men aged 25-34 (plus, in 2017, one respondent without sex and
one without age band: they get no weight). Post-stratification weights (mean 1):
    women 0.6 / 0.5 = 1.2, men 0.4 / 0.5 = 0.8
    n_eff = (sum w)^2 / sum w^2 = 100^2 / (50*1.44 + 50*0.64) = 10000 / 104 = 96.153846
    design effect = 100 / 96.153846 = 1.04
q_safe_night, wave 2017: women 20 of 50 very/fairly safe (40%), men 40 of 50 (80%)
    weighted all = (1.2*20 + 0.8*40) / 100 = 56%
q_safe_night, wave 2015: women 40 of 50 (80%), men 50 of 50 (100%)
    weighted all = (1.2*40 + 0.8*50) / 100 = 88%
Women vs men 2017: -40 points, pooled p = (0.4*50 + 0.8*50)/100 = 0.6 (weights constant in a
    group, so n_eff = 50 each), z = -0.4 / sqrt(0.6*0.4*(2/50)) = -4.0825, p = 4.46e-5.
Change 2017 vs 2015 (all): -32 points on n_eff 96.15 each: pooled 0.72,
    z = -0.32 / sqrt(0.72*0.28*2/96.153846) = -0.32 / 0.064756 = -4.9417, p = 7.7e-7
    -> significant.
"""

from __future__ import annotations

import json
import math
from datetime import date

import duckdb
import numpy as np
import pytest
from scipy.stats import norm

from survey.marts import WEIGHTING_AUDIT_COLUMNS, build_survey_marts, choose_target_year
from transforms.definitions import IndicatorDefinition, Plan
from transforms.engine import VALUE_COLUMNS
from transforms.survey_indicators import survey_indicator_rows

DISTRICT = "E07000999"
WARDS = ("E05000001", "E05000002")
Z = 1.959963984540054
N_EFF = 10000 / 104
QUESTIONS = ["q_safe_home", "q_safe_day", "q_safe_night", "q_worry_burglary", "q_worry_assault",
             "q_worry_car_theft", "q_worry_fraud", "q_worry_pestered"]


def wilson(p: float, n: float) -> tuple[float, float]:
    """METHODS.md §2 Wilson score interval, written out (x = p*n)."""
    x = p * n
    root = Z * math.sqrt(Z * Z + 4 * x * (1 - x / n))
    return (2 * x + Z * Z - root) / (2 * (n + Z * Z)), (2 * x + Z * Z + root) / (2 * (n + Z * Z))


def pooled_z(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float]:
    """METHODS.md §6 pooled two-proportion z and two-sided p, written out."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, 2 * norm.sf(abs(z))


def _night_codes(n_safe: int, n: int = 50) -> list[int]:
    # safe = codes 1-2; the rest cycle through 3, 4, 5 (4-5 = unsafe)
    return [1 if i % 2 else 2 for i in range(n_safe)] + [3 + (i % 3) for i in range(n - n_safe)]


def _make_warehouse(with_wards_table: bool = False) -> duckdb.DuckDBPyConnection:
    """Plain tables named like the staging views, holding the data of the module docstring."""
    con = duckdb.connect()
    con.execute("create schema staging")
    q_cols = ", ".join(f"{q} integer" for q in QUESTIONS)
    con.execute(f"""create table staging.stg_survey__responses (
        wave integer, respondent_id varchar, ward_code varchar, age_band varchar, sex varchar,
        ethnic_group varchar, disability varchar, economic_status varchar, tenure varchar, {q_cols})""")
    rows = []
    for wave, women_safe, men_safe in ((2015, 40, 50), (2017, 20, 40)):
        people = ([("female", c) for c in _night_codes(women_safe)]
                  + [("male", c) for c in _night_codes(men_safe)])
        if wave == 2017:
            # no weight for these two; their answers (very unsafe) must not count anywhere
            people += [(None, 5), ("male", 5)]
        for i, (sex, night) in enumerate(people):
            age = None if (wave == 2017 and i == len(people) - 1) else "25-34"
            ward = WARDS[i % 2]  # half of each sex in each ward
            # home/day: everybody very safe; worry_burglary: women worried, men not
            answers = {q: None for q in QUESTIONS}
            answers.update(q_safe_home=1, q_safe_day=1, q_safe_night=night,
                           q_worry_burglary=1 if sex == "female" else 5)
            rows.append([wave, f"R{wave % 100:02d}{i:03d}", ward, age, sex, "white", "N",
                         "employed", "owner_occupier"] + [answers[q] for q in QUESTIONS])
    placeholders = ", ".join("?" * len(rows[0]))
    con.executemany(f"insert into staging.stg_survey__responses values ({placeholders})", rows)

    con.execute("""create table staging.stg_reference__populations (
        year integer, area_code varchar, area_type varchar, age_band varchar, sex varchar,
        population integer)""")
    pop = []
    for year in (2016, 2019):
        for sex, adults in (("female", 600), ("male", 400)):
            pop.append([year, DISTRICT, "district", "0-15", sex, 99_999])  # must be ignored
            for band in ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"):
                count = adults if band == "25-34" else 0
                pop.append([year, DISTRICT, "district", band, sex, count])
                for ward in WARDS:  # wards split every cell 50/50
                    pop.append([year, ward, "ward", band, sex, count // 2])
        # another district in the same file must not leak into the targets
        pop.append([year, "E07000998", "district", "25-34", "male", 10**6])
    con.executemany("insert into staging.stg_reference__populations values (?, ?, ?, ?, ?, ?)", pop)
    if with_wards_table:
        con.execute("create table staging.stg_reference__wards (ward_code varchar, ward_name varchar, "
                    "lad_code varchar, lad_name varchar)")
        con.executemany("insert into staging.stg_reference__wards values (?, ?, ?, ?)",
                        [[w, w, DISTRICT, "D"] for w in WARDS])
    return con


@pytest.fixture()
def built():
    con = _make_warehouse()
    counts = build_survey_marts(con, DISTRICT)
    yield con, counts
    con.close()


def _estimate(con, wave, question, group, breakdown="all", value="all"):
    return con.execute("""
        select n, n_eff, design_effect, estimate_pct, ci_lower, ci_upper, margin_of_error
        from marts.survey_estimates where wave = ? and question_id = ? and answer_group = ?
          and breakdown = ? and group_value = ?""", [wave, question, group, breakdown, value]).fetchone()


# --------------------------------------------------------------------------- target year


@pytest.mark.parametrize("years, wave, expected", [
    ([2014, 2016, 2017], 2017, 2016),   # the year before the wave
    ([2016, 2019], 2015, 2016),         # 2014 missing: nearest (later) year
    ([2013, 2016], 2015, 2013),         # 2014 missing: 2013 is 1 away, 2016 is 2
    ([2013, 2015], 2015, 2013),         # tie (both 1 away): the earlier year
    ([2020], 2017, 2020),
    ([], 2017, None),
])
def test_choose_target_year(years, wave, expected):
    assert choose_target_year(years, wave) == expected


# --------------------------------------------------------------------------- estimates


def test_counts_and_tables(built):
    con, counts = built
    assert counts["waves"] == 2
    assert counts["survey_weighting"] == 2
    for table in ("survey_estimates", "survey_differences", "survey_wave_changes"):
        assert con.execute(f"select count(*) from marts.{table}").fetchone()[0] == counts[table] > 0


def test_overall_estimate_hand_worked(built):
    con, _ = built
    n, n_eff, deff, pct, lo, hi, moe = _estimate(con, 2017, "q_safe_night", "very_or_fairly_safe")
    # the two respondents without a weight are not in the base: n = 100, not 102
    assert n == 100
    assert n_eff == pytest.approx(N_EFF)
    assert deff == pytest.approx(1.04)
    assert pct == pytest.approx(56.0)
    exp_lo, exp_hi = wilson(0.56, N_EFF)
    assert (lo, hi) == (pytest.approx(100 * exp_lo), pytest.approx(100 * exp_hi))
    assert moe == pytest.approx(100 * Z * math.sqrt(0.56 * 0.44 / N_EFF))
    # unsafe (codes 4-5): women 30 not safe -> 20 of codes 4/5; men 10 -> 6 (cycle 3,4,5)
    unsafe_women = sum(c in (4, 5) for c in _night_codes(20))
    unsafe_men = sum(c in (4, 5) for c in _night_codes(40))
    assert _estimate(con, 2017, "q_safe_night", "unsafe_or_very_unsafe")[3] == pytest.approx(
        (1.2 * unsafe_women + 0.8 * unsafe_men) / 100 * 100)


def test_sex_breakdown_hand_worked(built):
    con, _ = built
    women = _estimate(con, 2017, "q_safe_night", "very_or_fairly_safe", "sex", "female")
    men = _estimate(con, 2017, "q_safe_night", "very_or_fairly_safe", "sex", "male")
    assert women[0] == men[0] == 50
    # weights are constant inside each sex: n_eff = n, design effect 1
    assert women[1] == pytest.approx(50) and women[2] == pytest.approx(1.0)
    assert women[3] == pytest.approx(40.0) and men[3] == pytest.approx(80.0)
    assert women[4] == pytest.approx(100 * wilson(0.4, 50)[0])


def test_breakdowns_present(built):
    con, _ = built
    found = {r[0] for r in con.execute("select distinct breakdown from marts.survey_estimates").fetchall()}
    assert found == {"all", "sex", "age_band", "ethnic_group", "disability", "economic_activity", "ward"}


def test_unasked_question_has_no_rows(built):
    con, _ = built
    assert con.execute("select count(*) from marts.survey_estimates where question_id = 'q_worry_fraud'"
                       ).fetchone()[0] == 0


# --------------------------------------------------------------------------- differences


def test_difference_women_vs_men_hand_worked(built):
    con, _ = built
    rows = con.execute("""
        select comparison, estimate_pct, comparison_pct, difference_points, z, p_value, over_8_points, significant
        from marts.survey_differences
        where wave = 2017 and question_id = 'q_safe_night' and answer_group = 'very_or_fairly_safe'
          and breakdown = 'sex' and group_value = 'female' order by comparison""").fetchall()
    z, p = pooled_z(0.4, 50, 0.8, 50)
    assert z == pytest.approx(-4.0824829)
    # every weighted respondent has a sex, so 'the rest' of the women are exactly the men
    assert [r[0] for r in rows] == ["group:male", "rest"]
    for comparison, est, other, diff, z_db, p_db, over8, significant in rows:
        assert (est, other, diff) == (pytest.approx(40.0), pytest.approx(80.0), pytest.approx(-40.0))
        assert z_db == pytest.approx(z) and p_db == pytest.approx(p)
        assert over8 is True and significant is True


def test_small_difference_is_neither_flagged_nor_significant(built):
    con, _ = built
    # q_safe_home: everybody very safe -> women 100% vs men 100%, difference 0
    diff, over8, significant = con.execute("""
        select difference_points, over_8_points, significant from marts.survey_differences
        where wave = 2017 and question_id = 'q_safe_home' and answer_group = 'very_or_fairly_safe'
          and breakdown = 'sex' and group_value = 'male' and comparison = 'group:female'""").fetchone()
    assert diff == pytest.approx(0.0) and over8 is False and significant is False


# --------------------------------------------------------------------------- wave change


def test_wave_change_hand_worked(built):
    con, _ = built
    rows = con.execute("""
        select wave, previous_wave, estimate_pct, previous_pct, change_points, z, p_value, significant
        from marts.survey_wave_changes
        where question_id = 'q_safe_night' and answer_group = 'very_or_fairly_safe'""").fetchall()
    assert len(rows) == 1  # only 2017 has a wave before it
    wave, previous_wave, pct, previous_pct, change, z, p, significant = rows[0]
    assert (wave, previous_wave) == (2017, 2015)
    assert (pct, previous_pct, change) == (pytest.approx(56.0), pytest.approx(88.0), pytest.approx(-32.0))
    exp_z, exp_p = pooled_z(0.56, N_EFF, 0.88, N_EFF)
    assert exp_z == pytest.approx(-4.9417, abs=1e-4)
    assert (z, p) == (pytest.approx(exp_z), pytest.approx(exp_p))
    assert significant is True
    assert {r[0] for r in con.execute("select distinct breakdown from marts.survey_wave_changes").fetchall()} == {"all"}


# --------------------------------------------------------------------------- audit


def test_weighting_audit(built):
    con, _ = built
    cols = [c[0] for c in con.execute("select * from audit.survey_weighting limit 0").description]
    assert cols == WEIGHTING_AUDIT_COLUMNS
    rows = con.execute("""
        select wave, area_code, scheme, target_vintage, n_responses, n_weighted, n_dropped,
               dropped_by_reason, trimming, converged, iterations, max_abs_margin_error, design_effect,
               n_eff, margin_of_error_p50, targets, computed_at
        from audit.survey_weighting order by wave""").fetchall()
    assert [(r[0], r[3]) for r in rows] == [(2015, "mid-2016"), (2017, "mid-2016")]
    _, area, scheme, _, n_resp, n_w, n_drop, reasons, trimming, converged, iterations, max_err, \
        deff, n_eff, moe50, targets, computed_at = rows[1]
    assert (area, scheme, n_resp, n_w, n_drop) == (DISTRICT, "age_sex", 102, 100, 2)
    assert json.loads(reasons) == {"age_band": 1, "sex": 1}
    trimming = json.loads(trimming)
    assert trimming["applied"] is False and trimming["upper"] == 5.0 and trimming["lower"] == 0.2
    assert converged is True and iterations >= 1 and max_err < 1e-9
    assert deff == pytest.approx(1.04) and n_eff == pytest.approx(N_EFF)
    assert moe50 == pytest.approx(100 * Z * math.sqrt(0.25 / N_EFF))
    targets = {(t["variable"], t["category"]): t for t in json.loads(targets)}
    assert len(targets) == 14
    assert targets[("age_sex", "female|25-34")]["target_share"] == pytest.approx(0.6)
    assert targets[("age_sex", "male|25-34")]["achieved_share"] == pytest.approx(0.4)
    assert targets[("age_sex", "male|75+")]["target_share"] == 0
    assert computed_at is not None


def test_rebuild_replaces_rows_instead_of_appending(built):
    con, first = built
    assert build_survey_marts(con, DISTRICT) == first
    assert con.execute("select count(*) from audit.survey_weighting").fetchone()[0] == 2


def test_column_types(built):
    con, _ = built
    types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                             "where schema_name = 'marts' and table_name = 'survey_estimates'").fetchall())
    assert types == {"area_code": "VARCHAR", "wave": "INTEGER", "question_id": "VARCHAR",
                     "answer_group": "VARCHAR", "breakdown": "VARCHAR", "group_value": "VARCHAR",
                     "n": "INTEGER", "n_eff": "DOUBLE", "design_effect": "DOUBLE", "estimate_pct": "DOUBLE",
                     "ci_lower": "DOUBLE", "ci_upper": "DOUBLE", "margin_of_error": "DOUBLE"}
    diff_types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                                  "where schema_name = 'marts' and table_name = 'survey_differences'").fetchall())
    assert diff_types["over_8_points"] == diff_types["significant"] == "BOOLEAN"
    audit_types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                                   "where schema_name = 'audit' and table_name = 'survey_weighting'").fetchall())
    assert audit_types["targets"] == audit_types["trimming"] == audit_types["dropped_by_reason"] == "JSON"
    assert audit_types["computed_at"] == "TIMESTAMP" and audit_types["converged"] == "BOOLEAN"


def test_no_survey_rows_gives_empty_typed_tables():
    con = _make_warehouse()
    con.execute("delete from staging.stg_survey__responses")
    counts = build_survey_marts(con, DISTRICT)
    assert counts == {"waves": 0, "survey_estimates": 0, "survey_differences": 0,
                      "survey_wave_changes": 0, "survey_weighting": 0}
    assert con.execute("select count(*) from marts.survey_estimates").fetchone()[0] == 0
    types = dict(con.execute("select column_name, data_type from duckdb_columns() "
                             "where schema_name = 'marts' and table_name = 'survey_wave_changes'").fetchall())
    assert types["wave"] == "INTEGER" and types["significant"] == "BOOLEAN"


def test_ward_scheme_adds_the_ward_margin():
    con = _make_warehouse(with_wards_table=True)
    build_survey_marts(con, DISTRICT, scheme="age_sex+ward")
    scheme, converged, targets = con.execute(
        "select scheme, converged, targets from audit.survey_weighting where wave = 2017").fetchone()
    assert scheme == "age_sex+ward" and converged is True
    wards = {t["category"]: t["target_share"] for t in json.loads(targets) if t["variable"] == "ward"}
    assert wards == {WARDS[0]: pytest.approx(0.5), WARDS[1]: pytest.approx(0.5)}
    # respondents are already 50/50 by ward within each sex: same 56% as age x sex alone
    assert _estimate(con, 2017, "q_safe_night", "very_or_fairly_safe")[3] == pytest.approx(56.0)


def test_missing_population_is_an_error():
    con = _make_warehouse()
    con.execute("delete from staging.stg_reference__populations")
    with pytest.raises(ValueError, match="no 16\\+ population"):
        build_survey_marts(con, DISTRICT)
    # nothing half-written
    assert con.execute("select count(*) from duckdb_tables() where schema_name = 'marts'").fetchone()[0] == 0


# --------------------------------------------------------------------------- indicator rows


def _plan_and_definitions():
    definition = IndicatorDefinition.model_validate({
        "id": "survey_safe_night_pct", "title": "t", "definition": "d",
        "sources": ["survey_responses", "reference_population"],
        "survey": {"question_id": "q_safe_night", "answer_group": "very_or_fairly_safe"},
        "method": "survey_share", "multiplier": 100, "unit": "%"})
    other = IndicatorDefinition.model_validate({
        "id": "asb_incidents", "title": "t", "definition": "d", "sources": ["police_street"],
        "numerator": {"mart": "crimes_by_area_month", "measure": "asb_incidents"},
        "method": "count", "unit": "incidents"})
    plan = Plan.model_validate({
        "plan_year": "2018-19", "partnership": "P", "area_code": DISTRICT, "title": "T",
        "starts": "2018-04-01", "ends": "2019-03-31",
        "priorities": [{"id": "vulnerability", "title": "V", "kind": "cross_cutting", "outcomes": [{
            "id": "vulnerability_outcome_1", "statement": "S", "indicators": [
                {"id": "survey_safe_night_pct", "label": "L", "data_source": "Resident survey", "aim": "increase"},
                {"id": "asb_incidents", "label": "L", "data_source": "Police", "aim": "decrease"}]}]}]})
    return {"2018-19": plan}, {d.id: d for d in (definition, other)}


def test_indicator_rows_hand_worked(built):
    con, _ = built
    plans, indicators = _plan_and_definitions()
    rows = survey_indicator_rows(con, plans, indicators)
    assert list(rows.columns) == VALUE_COLUMNS
    assert list(rows["indicator_id"]) == ["survey_safe_night_pct"] * 2  # the count indicator is not ours
    first, latest = rows.iloc[0], rows.iloc[1]
    assert (first["period_start"], first["period_end"]) == (date(2015, 1, 1), date(2015, 12, 31))
    assert (latest["period_start"], latest["period_end"]) == (date(2017, 1, 1), date(2017, 12, 31))
    assert set(rows["period_type"]) == {"wave"} and set(rows["area_type"]) == {"district"}
    assert set(rows["area_code"]) == {DISTRICT} and set(rows["months_in_window"]) == {12}
    assert latest["value"] == pytest.approx(56.0)
    assert latest["denominator"] == pytest.approx(N_EFF)
    assert latest["numerator"] == pytest.approx(0.56 * N_EFF)  # effective "yes" count
    assert latest["ci_lower"] == pytest.approx(100 * wilson(0.56, N_EFF)[0])
    assert latest["previous_value"] == pytest.approx(88.0)
    assert latest["previous_denominator"] == pytest.approx(N_EFF)
    assert latest["change"] == pytest.approx(-32.0)
    assert latest["change_pct"] == pytest.approx(-32.0 / 88.0 * 100)
    assert latest["change_p_value"] == pytest.approx(pooled_z(0.56, N_EFF, 0.88, N_EFF)[1])
    assert latest["change_significant"] is True or latest["change_significant"] == np.True_
    assert latest["status"] == "worsening"  # aim increase, significant fall
    assert first["status"] == "not_assessed" and first["change_significant"] is None
    assert all(r == [] for r in rows["recording_changes"]) and not rows["crosses_recording_change"].any()
    assert (rows["plan_year"] == "2018-19").all() and (rows["outcome_id"] == "vulnerability_outcome_1").all()


def test_indicator_rows_without_survey_marts_are_empty():
    con = duckdb.connect()
    plans, indicators = _plan_and_definitions()
    rows = survey_indicator_rows(con, plans, indicators)
    assert rows.empty and list(rows.columns) == VALUE_COLUMNS
