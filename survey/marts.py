"""Resident-survey marts: weight every wave, then write estimates, group differences,
wave-on-wave change and the weighting audit (METHODS.md §6).

For each wave in ``staging.stg_survey__responses``:

* **Targets**: the adult (16+) mid-year population of the CSP district by age band x sex
  (scheme ``'age_sex'``, i.e. post-stratification on the 14 cells; ``'age_sex+ward'`` etc.
  add a ward margin) from ``staging.stg_reference__populations``, for the year before the
  wave (the latest estimate published when the survey ran: wave 2017 -> mid-2016). If that
  year is missing, the nearest year that has the district (ties -> the earlier year).
  The vintage is recorded as ``'mid-<year>'``.
* **Weights**: :func:`survey.weighting.rake` (weightipy; caps 0.2-5 on mean-1 weights).
  As the 2017 survey did, only respondents who gave BOTH age band and sex are weighted
  (2,008 of 2,350 in the demo 2017 wave). The others (342) get no weight and are left out of
  every estimate, difference and change -- including the unweighted base ``n`` -- and are
  counted in ``audit.survey_weighting.n_dropped`` / ``dropped_by_reason``.
* **Tables** (all rebuilt by each call, for ``area_code``):
  ``marts.survey_estimates``, ``marts.survey_differences``, ``marts.survey_wave_changes``
  (breakdown ``'all'``, each wave against the wave before it) and ``audit.survey_weighting``
  (one row per wave and area: the rows of ``area_code`` are replaced, other areas kept).
"""

from __future__ import annotations

import json
import math
from datetime import datetime

import duckdb
import pandas as pd

from survey.estimates import (
    DIFFERENCE_COLUMNS,
    ESTIMATE_COLUMNS,
    WAVE_CHANGE_COLUMNS,
    survey_differences,
    survey_estimates,
    wave_change,
)
from survey.weighting import CHILD_AGE_BAND, WeightingResult, population_targets, rake
from transforms.stats import design_effect, kish_effective_n, margin_of_error
from warehouse.schema import write_table

__all__ = [
    "DEFAULT_SCHEME",
    "WEIGHTING_AUDIT_COLUMNS",
    "build_survey_marts",
    "choose_target_year",
]

DEFAULT_SCHEME = "age_sex"
RESPONSES_VIEW = "staging.stg_survey__responses"
POPULATION_VIEW = "staging.stg_reference__populations"
WARDS_VIEW = "staging.stg_reference__wards"

WEIGHTING_AUDIT_COLUMNS = [
    "wave", "area_code", "scheme", "target_vintage", "n_responses", "n_weighted", "n_dropped",
    "dropped_by_reason", "trimming", "converged", "iterations", "max_abs_margin_error",
    "design_effect", "n_eff", "margin_of_error_p50", "targets", "computed_at",
]

# Column types are spelled out so an empty wave list still yields well-typed tables (warehouse.schema.write_table).
_ESTIMATE_TYPES = {
    "area_code": "varchar", "wave": "integer", "question_id": "varchar", "answer_group": "varchar",
    "breakdown": "varchar", "group_value": "varchar", "n": "integer", "n_eff": "double",
    "design_effect": "double", "estimate_pct": "double", "ci_lower": "double", "ci_upper": "double",
    "margin_of_error": "double",
}
_DIFFERENCE_TYPES = {
    "area_code": "varchar", "wave": "integer", "question_id": "varchar", "answer_group": "varchar",
    "breakdown": "varchar", "group_value": "varchar", "comparison": "varchar", "estimate_pct": "double",
    "comparison_pct": "double", "difference_points": "double", "z": "double", "p_value": "double",
    "over_8_points": "boolean", "significant": "boolean",
}
_WAVE_CHANGE_TYPES = {
    "area_code": "varchar", "wave": "integer", "previous_wave": "integer", "question_id": "varchar",
    "answer_group": "varchar", "breakdown": "varchar", "group_value": "varchar", "estimate_pct": "double",
    "previous_pct": "double", "change_points": "double", "n_eff": "double", "previous_n_eff": "double",
    "z": "double", "p_value": "double", "over_8_points": "boolean", "significant": "boolean",
}
_AUDIT_DDL = """
    create table if not exists audit.survey_weighting (
        wave integer not null,
        area_code varchar not null,
        scheme varchar not null,
        target_vintage varchar not null,
        n_responses integer not null,
        n_weighted integer not null,
        n_dropped integer not null,
        dropped_by_reason json,
        trimming json,
        converged boolean not null,
        iterations integer,
        max_abs_margin_error double,
        design_effect double,
        n_eff double,
        margin_of_error_p50 double,
        targets json,
        computed_at timestamp not null,
        primary key (area_code, wave)
    )"""
_AUDIT_SQL = """
    wave::integer, area_code::varchar, scheme::varchar, target_vintage::varchar,
    n_responses::integer, n_weighted::integer, n_dropped::integer, dropped_by_reason::json,
    trimming::json, converged::boolean, iterations::integer, max_abs_margin_error::double,
    design_effect::double, n_eff::double, margin_of_error_p50::double, targets::json,
    computed_at::timestamp"""


def choose_target_year(available_years: list[int], wave: int) -> int | None:
    """The population year for a wave: wave - 1 if present, else the nearest (ties -> earlier)."""
    preferred = int(wave) - 1
    years = sorted({int(y) for y in available_years})
    if not years:
        return None
    # min over (distance, year) picks the nearest year and, on a tie, the earlier one
    return min(years, key=lambda y: (abs(y - preferred), y))


def _relation_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    """Whether a table or view schema.name exists."""
    schema, name = qualified.split(".")
    found = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ? "
        "union all select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
        [schema, name, schema, name]).fetchall()
    return any(row[0] for row in found)


def _ward_codes(con: duckdb.DuckDBPyConnection, area_code: str) -> list[str] | None:
    """The district's wards (for ward schemes), or None if the lookup is not loaded."""
    if not _relation_exists(con, WARDS_VIEW):
        return None
    rows = con.execute(f"select distinct ward_code from {WARDS_VIEW} where lad_code = ? "
                       "order by 1", [area_code]).fetchall()
    return [r[0] for r in rows] or None


def _populations(con: duckdb.DuckDBPyConnection, area_code: str,
                 ward_codes: list[str] | None) -> pd.DataFrame:
    """District rows of ``area_code`` plus its ward rows (only those are needed for targets)."""
    wards = ward_codes or []
    return con.execute(
        f"""select year, area_code, area_type, age_band, sex, population from {POPULATION_VIEW}
            where (area_type = 'district' and area_code = ?)
               or (area_type = 'ward' and area_code in (select unnest(?::varchar[])))""",
        [area_code, wards]).df()


def _weighting_row(wave: int, area_code: str, scheme: str, responses: pd.DataFrame,
                   result: WeightingResult, computed_at: datetime) -> dict:
    """One audit.survey_weighting row: what the weights were raked to and how well."""
    weights = result.weights.to_numpy(dtype=float)
    n_eff = float(kish_effective_n(weights))
    return {
        "wave": int(wave), "area_code": area_code, "scheme": scheme,
        "target_vintage": result.target_vintage, "n_responses": len(responses),
        "n_weighted": int(result.n_weighted), "n_dropped": int(result.n_unweighted_dropped),
        # per column: respondents missing it (one missing both is counted under each)
        "dropped_by_reason": json.dumps(result.dropped_by_reason, sort_keys=True),
        "trimming": json.dumps(result.trimming, sort_keys=True, default=float),
        "converged": bool(result.converged), "iterations": int(result.iterations),
        "max_abs_margin_error": float(result.max_abs_margin_error),
        "design_effect": float(design_effect(weights)), "n_eff": n_eff,
        # the "overall margin of error" surveys quote: 95% half-width at p = 0.5 on n_eff
        "margin_of_error_p50": 100.0 * float(margin_of_error(0.5, n_eff)) if n_eff > 0 else math.nan,
        "targets": json.dumps(result.targets.to_dict("records")),
        "computed_at": computed_at,
    }


def _weight_wave(responses: pd.DataFrame, populations: pd.DataFrame, area_code: str,
                 wave: int, scheme: str, ward_codes: list[str] | None) -> WeightingResult:
    """Population targets for the wave (year before, else nearest) and the raked weights."""
    district = populations[(populations["area_type"] == "district")
                           & (populations["age_band"] != CHILD_AGE_BAND)]
    year = choose_target_year(district["year"].tolist(), wave)
    if year is None:
        raise ValueError(f"no 16+ population rows for {area_code} in {POPULATION_VIEW}: "
                         f"cannot weight survey wave {wave}")
    targets = population_targets(populations, area_code, year, scheme,
                                 ward_codes=ward_codes if scheme.endswith("+ward") else None)
    return rake(responses, targets, target_vintage=f"mid-{year}")


def build_survey_marts(con: duckdb.DuckDBPyConnection, area_code: str,
                       scheme: str = DEFAULT_SCHEME) -> dict[str, int]:
    """Weight every survey wave and write the survey marts and audit; returns row counts."""
    area_code = str(area_code)
    responses_all = (con.execute(f"select * from {RESPONSES_VIEW} order by wave, respondent_id").df()
                     if _relation_exists(con, RESPONSES_VIEW) else pd.DataFrame(columns=["wave"]))
    waves = sorted(int(w) for w in responses_all["wave"].dropna().unique())
    ward_codes = _ward_codes(con, area_code) if scheme.endswith("+ward") else None
    populations = _populations(con, area_code, ward_codes) if waves else pd.DataFrame()
    computed_at = datetime.now()

    estimates, differences, changes, audit_rows = [], [], [], []
    previous: pd.DataFrame | None = None
    for wave in waves:
        # a fresh 0..n-1 index: the estimate functions align weights to responses by index
        responses = responses_all[responses_all["wave"] == wave].reset_index(drop=True)
        result = _weight_wave(responses, populations, area_code, wave, scheme, ward_codes)
        current = survey_estimates(responses, result, wave)
        estimates.append(current)
        differences.append(survey_differences(responses, result, wave))
        if previous is not None:
            changes.append(wave_change(current, previous, "all"))
        previous = current
        audit_rows.append(_weighting_row(wave, area_code, scheme, responses, result, computed_at))

    def frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
        out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
        out.insert(0, "area_code", area_code)
        return out

    estimates_df = frame(estimates, ESTIMATE_COLUMNS)
    differences_df = frame(differences, DIFFERENCE_COLUMNS)
    changes_df = frame(changes, WAVE_CHANGE_COLUMNS)
    audit_df = pd.DataFrame(audit_rows, columns=WEIGHTING_AUDIT_COLUMNS)

    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists audit")
    con.execute("begin transaction")  # the four tables change together or not at all
    try:
        write_table(con, "marts.survey_estimates", estimates_df, _ESTIMATE_TYPES,
                    "wave, question_id, answer_group, breakdown, group_value")
        write_table(con, "marts.survey_differences", differences_df, _DIFFERENCE_TYPES,
                    "wave, question_id, answer_group, breakdown, group_value, comparison")
        write_table(con, "marts.survey_wave_changes", changes_df, _WAVE_CHANGE_TYPES,
                    "wave, question_id, answer_group, breakdown, group_value")
        con.execute(_AUDIT_DDL)
        con.execute("delete from audit.survey_weighting where area_code = ?", [area_code])
        con.register("survey_audit_frame", audit_df)
        try:
            con.execute(f"insert into audit.survey_weighting select {_AUDIT_SQL} "
                        "from survey_audit_frame order by wave")
        finally:
            con.unregister("survey_audit_frame")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return {"waves": len(waves), "survey_estimates": len(estimates_df),
            "survey_differences": len(differences_df), "survey_wave_changes": len(changes_df),
            "survey_weighting": len(audit_df)}
