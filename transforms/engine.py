"""The indicator engine: plan (YAML) × indicator definitions (YAML) × marts.monthly_measures →
marts.indicator_values (long form) and marts.indicator_catalogue.

Windows: 'month' (one month), '12m' (rolling 12 months to the period end), 'fy' (April–March),
'fytd' (April to the period end). A window is computed only when every month in it was delivered
(gaps are never zeros). `previous_*` is the same window 12 months earlier.

Confidence intervals (95%): counts and rates — exact Poisson under 10 events, Byar from 10;
proportions — Wilson score; means of a monthly stock — t-interval on the monthly values.
Significance of a change: counts and rates — exact conditional (binomial) test of two Poisson
counts (transforms.stats.rate_ratio_test); proportions — pooled two-proportion z-test;
means — Welch's t-test on the two sets of monthly values. p < 0.05.
Status against the aim: improving / worsening when the change is significant, else
no_significant_change; not_assessed when there is no previous window or the two windows straddle a
declared recording-practice change (the comparison is not like for like).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from transforms import stats
from transforms.definitions import IndicatorDefinition, Plan, RecordingChange, project_definitions
from warehouse.schema import table_exists

PERIOD_TYPES = ("month", "12m", "fy", "fytd")

VALUE_COLUMNS = [
    "plan_year", "priority_id", "outcome_id", "indicator_id", "area_code", "area_type", "period_type",
    "period_start", "period_end", "value", "numerator", "denominator", "ci_lower", "ci_upper",
    "previous_value", "previous_numerator", "previous_denominator", "change", "change_pct", "change_p_value",
    "change_significant", "aim", "status", "crosses_recording_change", "recording_changes", "months_in_window",
]


def month_end(month_start: pd.Timestamp) -> date:
    return (month_start + pd.offsets.MonthEnd(0)).date()


@dataclass(frozen=True)
class Window:
    period_type: str
    start: pd.Timestamp
    end: pd.Timestamp  # first day of the final month

    def shifted(self, months: int) -> Window:
        return Window(self.period_type, self.start - pd.DateOffset(months=months), self.end - pd.DateOffset(months=months))

    @property
    def months(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="MS")


def windows_for(months: pd.DatetimeIndex, period_type: str) -> list[Window]:
    """Every window of a type whose months were all delivered."""
    available = set(months)
    out = []
    for end in months:
        if period_type == "month":
            start = end
        elif period_type == "12m":
            start = end - pd.DateOffset(months=11)
        elif period_type == "fy":
            if end.month != 3:
                continue
            start = pd.Timestamp(end.year - 1, 4, 1)
        elif period_type == "fytd":
            start = pd.Timestamp(end.year if end.month >= 4 else end.year - 1, 4, 1)
        else:
            raise ValueError(period_type)
        window = Window(period_type, start, end)
        if all(m in available for m in window.months):
            out.append(window)
    return out


def _population_by_year(populations: pd.DataFrame, area_code: str, kind: str, years: np.ndarray) -> np.ndarray:
    """Mid-year population of each window's final year (latest earlier year if missing, else earliest)."""
    rows = populations[populations["area_code"] == area_code]
    column = "population" if kind == "all" else "population_16_plus"
    out = np.full(len(years), np.nan)
    if rows.empty:
        return out
    known = rows.sort_values("year")
    known_years = known["year"].to_numpy()
    known_values = known[column].to_numpy(dtype=float)
    for i, year in enumerate(years):
        position = np.searchsorted(known_years, year, side="right") - 1
        out[i] = known_values[max(position, 0)]
    return out


def count_change_p_values(x1: np.ndarray, n1: np.ndarray, x0: np.ndarray, n0: np.ndarray) -> np.ndarray:
    """Exact conditional test of two Poisson counts, vectorised.

    Given N = x1 + x0, x1 ~ Binomial(N, n1/(n1+n0)) when the rate is unchanged; the two-sided p is
    the doubled smaller tail, capped at 1. With equal exposure (π = ½, plain counts) this is the
    same p as scipy.stats.binomtest / transforms.stats.rate_ratio_test (the distribution is symmetric).
    """
    total = x1 + x0
    share = n1 / (n1 + n0)
    lower = scipy_stats.binom.cdf(x1, total, share)
    upper = scipy_stats.binom.sf(x1 - 1, total, share)
    p = np.minimum(1.0, 2 * np.minimum(lower, upper))
    return np.where(total > 0, p, 1.0)


def _window_bounds(months: pd.DatetimeIndex, period_type: str) -> tuple[np.ndarray, np.ndarray]:
    """(start index, end index) of every candidate window over a complete monthly index."""
    ends = np.arange(len(months))
    month_numbers = months.month.to_numpy()
    if period_type == "month":
        starts = ends.copy()
    elif period_type == "12m":
        starts = ends - 11
    elif period_type == "fy":
        ends = ends[month_numbers == 3]
        starts = ends - 11
    elif period_type == "fytd":
        starts = ends - ((month_numbers - 4) % 12)
    else:
        raise ValueError(period_type)
    return starts, ends


def _f(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _window_values(definition: IndicatorDefinition, sums: np.ndarray, squares: np.ndarray, den_sum: np.ndarray | None,
                   starts: np.ndarray, ends: np.ndarray, length: np.ndarray, populations: pd.DataFrame,
                   area_code: str, months: pd.DatetimeIndex) -> dict:
    """Value, numerator, denominator and 95% CI of each window (arrays)."""
    x = sums[ends + 1] - sums[starts]
    out = {"numerator": x, "denominator": np.full(len(x), np.nan)}
    method, multiplier = definition.method, definition.multiplier
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "count":
            lower, upper = stats.poisson_count_ci(x)
            out.update(value=x, ci_lower=np.asarray(lower, dtype=float), ci_upper=np.asarray(upper, dtype=float))
        elif method == "mean":
            mean = x / length
            sum_squares = squares[ends + 1] - squares[starts]
            variance = np.where(length > 1, (sum_squares - length * mean ** 2) / np.maximum(length - 1, 1), np.nan)
            half = scipy_stats.t.ppf(0.975, np.maximum(length - 1, 1)) * np.sqrt(np.maximum(variance, 0) / length)
            out.update(value=mean, ci_lower=mean - half, ci_upper=mean + half, variance=variance)
        elif method == "proportion":
            n = den_sum[ends + 1] - den_sum[starts]
            out["denominator"] = n
            safe_n = np.where(n > 0, n, 1.0)
            lower, upper = stats.wilson_ci(np.minimum(x, safe_n), safe_n)
            value = np.where(n > 0, x / safe_n * multiplier, np.nan)
            out.update(value=value, ci_lower=np.where(n > 0, np.asarray(lower) * multiplier, np.nan),
                       ci_upper=np.where(n > 0, np.asarray(upper) * multiplier, np.nan))
        elif method == "rate":
            years = months[ends].year.to_numpy()
            population = _population_by_year(populations, area_code, definition.denominator.population, years)
            out["denominator"] = population
            safe = np.where(population > 0, population, np.nan)
            lower, upper = stats.poisson_count_ci(x)
            out.update(value=x / safe * multiplier, ci_lower=np.asarray(lower) / safe * multiplier,
                       ci_upper=np.asarray(upper) / safe * multiplier)
        else:
            raise ValueError(f"{definition.id}: method {method} is not computed from monthly measures")
    return out


def _change_p_values(definition: IndicatorDefinition, current: dict, previous: dict, length: np.ndarray) -> np.ndarray:
    """Two-sided p-value of the change from the previous window (method per the module docstring)."""
    method = definition.method
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "count":
            ones = np.ones(len(length))
            return count_change_p_values(current["numerator"], ones, previous["numerator"], ones)
        if method == "rate":
            return count_change_p_values(current["numerator"], current["denominator"], previous["numerator"], previous["denominator"])
        if method == "proportion":
            x1, n1, x0, n0 = current["numerator"], current["denominator"], previous["numerator"], previous["denominator"]
            pooled = (x1 + x0) / (n1 + n0)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
            z = (x1 / n1 - x0 / n0) / se
            return np.where(se > 0, 2 * scipy_stats.norm.sf(np.abs(z)), 1.0)
        if method == "mean":
            v1, v0 = current["variance"] / length, previous["variance"] / length
            se = np.sqrt(v1 + v0)
            t = (current["value"] - previous["value"]) / se
            dof = (v1 + v0) ** 2 / ((v1 ** 2 + v0 ** 2) / np.maximum(length - 1, 1))
            return np.where(se > 0, 2 * scipy_stats.t.sf(np.abs(t), dof), 1.0)
    return np.full(len(length), np.nan)


def crosses(changes: list[RecordingChange], current: Window, previous: Window) -> list[str]:
    """Recording changes dated after the previous window starts and no later than the current window ends."""
    out = []
    for change in changes:
        when = pd.Timestamp(change.date)
        if previous.start < when <= current.end + pd.offsets.MonthEnd(0):
            out.append(change.id)
    return out


def status_for(aim: str, change: float | None, significant: bool | None, crossing: bool) -> str:
    if change is None or significant is None or crossing:
        return "not_assessed"
    if not significant or change == 0:
        return "no_significant_change"
    up = change > 0
    return "improving" if up == (aim == "increase") else "worsening"


def series_rows(definition: IndicatorDefinition, changes: dict[str, RecordingChange], numerator: pd.Series,
                denominator: pd.Series | None, populations: pd.DataFrame, area_code: str, area_type: str,
                period_types: tuple[str, ...] = PERIOD_TYPES) -> list[dict]:
    """All windows of one indicator in one area (aim-independent part of indicator_values), vectorised."""
    if numerator.empty:
        return []
    method = definition.method
    months = pd.date_range(numerator.index.min(), numerator.index.max(), freq="MS")
    num = numerator.reindex(months).to_numpy(dtype=float)
    available = ~np.isnan(num)
    den = None
    if method == "proportion":
        if denominator is None:
            return []
        den = denominator.reindex(months).to_numpy(dtype=float)
        available &= ~np.isnan(den)
    filled = np.where(available, num, 0.0)
    sums = np.concatenate([[0.0], np.cumsum(filled)])
    squares = np.concatenate([[0.0], np.cumsum(filled ** 2)])
    have = np.concatenate([[0], np.cumsum(available)])
    den_sum = np.concatenate([[0.0], np.cumsum(np.where(available, den, 0.0))]) if den is not None else None
    own_changes = [changes[c] for c in definition.recording_changes]

    def complete(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        inside = starts >= 0
        clipped_starts, clipped_ends = np.clip(starts, 0, None), np.clip(ends, 0, None)
        return inside & (have[clipped_ends + 1] - have[clipped_starts] == ends - starts + 1)

    rows: list[dict] = []
    for period_type in period_types:
        if area_type == "ward" and period_type in {"fy", "fytd"}:
            continue
        starts, ends = _window_bounds(months, period_type)
        keep = complete(starts, ends)
        starts, ends = starts[keep], ends[keep]
        if len(ends) == 0:
            continue
        length = ends - starts + 1
        current = _window_values(definition, sums, squares, den_sum, starts, ends, length, populations, area_code, months)
        previous_ok = complete(starts - 12, ends - 12)
        p_starts, p_ends = np.where(previous_ok, starts - 12, starts), np.where(previous_ok, ends - 12, ends)
        previous = _window_values(definition, sums, squares, den_sum, p_starts, p_ends, length, populations, area_code, months)
        p_values = _change_p_values(definition, current, previous, length)
        for i in range(len(ends)):
            start, end = months[starts[i]], months[ends[i]]
            value, before = _f(current["value"][i]), _f(previous["value"][i])
            row = {
                "indicator_id": definition.id, "area_code": area_code, "area_type": area_type,
                "period_type": period_type, "period_start": start.date(), "period_end": month_end(end),
                "value": value, "numerator": _f(current["numerator"][i]), "denominator": _f(current["denominator"][i]),
                "ci_lower": _f(current["ci_lower"][i]), "ci_upper": _f(current["ci_upper"][i]),
                "months_in_window": int(length[i]),
                "previous_value": None, "previous_numerator": None, "previous_denominator": None,
                "change": None, "change_pct": None, "change_p_value": None, "change_significant": None,
                "recording_changes": [],
            }
            if previous_ok[i] and value is not None and before is not None:
                change = value - before
                p_value = _f(p_values[i])
                row.update(
                    previous_value=before, previous_numerator=_f(previous["numerator"][i]),
                    previous_denominator=_f(previous["denominator"][i]), change=change,
                    change_pct=(change / before * 100) if before else None,
                    change_p_value=p_value, change_significant=None if p_value is None else bool(p_value < 0.05),
                    recording_changes=crosses(own_changes, Window(period_type, start, end),
                                              Window(period_type, months[p_starts[i]], months[p_ends[i]])),
                )
            rows.append(row)
    return rows


def load_inputs(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    measures = con.execute("select mart, measure, area_type, area_code, month, value from marts.monthly_measures").df()
    measures["month"] = pd.to_datetime(measures["month"])
    populations = con.execute("select area_code, area_type, year, population, population_16_plus from marts.population_by_area_year").df()
    return measures, populations


def compute_base_values(measures: pd.DataFrame, populations: pd.DataFrame, indicators: dict[str, IndicatorDefinition],
                        changes: dict[str, RecordingChange], wanted: set[str], ward_districts: set[str]) -> pd.DataFrame:
    """Aim-independent values for every wanted indicator, every district it has data for, and wards."""
    grouped = {key: frame for key, frame in measures.groupby(["mart", "measure"])}
    rows: list[dict] = []
    for indicator_id in sorted(wanted):
        definition = indicators[indicator_id]
        if definition.numerator is None:
            continue
        numerator_frame = grouped.get((definition.numerator.mart, definition.numerator.measure))
        if numerator_frame is None:
            continue
        denominator_frame = None
        if definition.denominator is not None and definition.denominator.measure:
            denominator_frame = grouped.get((definition.denominator.mart, definition.denominator.measure))
        for (area_type, area_code), frame in numerator_frame.groupby(["area_type", "area_code"]):
            if area_type == "ward" and ("ward" not in definition.breakdowns or not ward_districts):
                continue
            numerator = frame.set_index("month")["value"].sort_index()
            denominator = None
            if denominator_frame is not None:
                match = denominator_frame[(denominator_frame["area_type"] == area_type) & (denominator_frame["area_code"] == area_code)]
                denominator = match.set_index("month")["value"].sort_index()
            rows.extend(series_rows(definition, changes, numerator, denominator, populations, area_code, area_type))
    return pd.DataFrame(rows)


def attach_plan(base: pd.DataFrame, plans: dict[str, Plan], ward_areas: set[str]) -> pd.DataFrame:
    """One copy of the values per plan entry (priority × outcome × indicator), with aim and status."""
    frames = []
    for plan in plans.values():
        for priority, outcome, entry in plan.entries():
            subset = base[base["indicator_id"] == entry.id]
            if subset.empty:
                continue
            subset = subset[(subset["area_type"] == "district") | subset["area_code"].isin(ward_areas)].copy()
            subset["plan_year"] = plan.plan_year
            subset["priority_id"] = priority.id
            subset["outcome_id"] = outcome.id
            subset["aim"] = entry.aim
            frames.append(subset)
    if not frames:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    values = pd.concat(frames, ignore_index=True)
    values["crosses_recording_change"] = values["recording_changes"].map(lambda c: bool(c))
    values["status"] = [
        status_for(aim, change, significant, crossing)
        for aim, change, significant, crossing in zip(values["aim"], values["change"].where(values["change"].notna(), None),
                                                      values["change_significant"], values["crosses_recording_change"])
    ]
    return values[VALUE_COLUMNS]


def write_values(con: duckdb.DuckDBPyConnection, values: pd.DataFrame) -> None:
    frame = values.copy()
    for column in ("change_significant",):
        frame[column] = frame[column].astype("boolean")
    con.register("indicator_values_frame", frame)
    con.execute("""
        create or replace table marts.indicator_values as
        select
            plan_year::varchar as plan_year, priority_id::varchar as priority_id, outcome_id::varchar as outcome_id,
            indicator_id::varchar as indicator_id, area_code::varchar as area_code, area_type::varchar as area_type,
            period_type::varchar as period_type, period_start::date as period_start, period_end::date as period_end,
            value::double as value, numerator::double as numerator, denominator::double as denominator,
            ci_lower::double as ci_lower, ci_upper::double as ci_upper,
            previous_value::double as previous_value, previous_numerator::double as previous_numerator,
            previous_denominator::double as previous_denominator, change::double as change,
            change_pct::double as change_pct, change_p_value::double as change_p_value,
            change_significant::boolean as change_significant, aim::varchar as aim, status::varchar as status,
            crosses_recording_change::boolean as crosses_recording_change,
            recording_changes::varchar[] as recording_changes, months_in_window::integer as months_in_window,
        from indicator_values_frame
        order by plan_year, priority_id, outcome_id, indicator_id, area_type, area_code, period_type, period_end
    """)
    con.unregister("indicator_values_frame")


def catalogue_frame(indicators: dict[str, IndicatorDefinition], plans: dict[str, Plan]) -> pd.DataFrame:
    rows = []
    for plan in plans.values():
        for priority, outcome, entry in plan.entries():
            definition = indicators[entry.id]
            rows.append({
                "plan_year": plan.plan_year, "priority_id": priority.id, "priority_title": priority.title,
                "outcome_id": outcome.id, "outcome_statement": outcome.statement, "indicator_id": entry.id,
                "label": entry.label, "title": definition.title, "definition": definition.definition,
                "source": ", ".join(definition.sources), "data_source": entry.data_source, "method": definition.method,
                "unit": definition.unit, "aim": entry.aim, "target": entry.target, "kind": entry.kind, "tag": entry.tag,
                "lead": "; ".join(f"{lead.name} ({lead.agency})" for lead in priority.leads),
                "caveats": " ".join(definition.caveats), "recording_changes": ", ".join(definition.recording_changes),
                "draft": bool(entry.draft or outcome.draft),
            })
    return pd.DataFrame(rows)


def write_catalogue(con: duckdb.DuckDBPyConnection, catalogue: pd.DataFrame) -> None:
    con.register("catalogue_frame", catalogue.astype(object))
    con.execute("""create or replace table marts.indicator_catalogue as
                   select * replace (target::double as target, draft::boolean as draft) from catalogue_frame""")
    con.unregister("catalogue_frame")


def wards_of(con: duckdb.DuckDBPyConnection, districts: list[str]) -> set[str]:
    if not districts:
        return set()
    rows = con.execute("select ward_code from staging.stg_reference__wards where lad_code in (select unnest(?::varchar[]))",
                       [list(districts)]).fetchall()
    return {row[0] for row in rows}


def compute_values(con: duckdb.DuckDBPyConnection, districts: list[str] | None, ward_districts: list[str]) -> pd.DataFrame:
    """indicator_values rows for these districts (None = every district with data) and the wards of ward_districts."""
    indicators, changes, plans = project_definitions()
    measures, populations = load_inputs(con)
    ward_areas = wards_of(con, ward_districts)
    keep = (measures["area_type"] == "ward") & measures["area_code"].isin(ward_areas)
    if districts is None:
        keep |= measures["area_type"] == "district"
    else:
        keep |= (measures["area_type"] == "district") & measures["area_code"].isin(districts)
    measures = measures[keep]
    wanted = {entry.id for plan in plans.values() for _, _, entry in plan.entries()}
    base = compute_base_values(measures, populations, indicators, changes, wanted, set(ward_districts))
    frames = [attach_plan(base, plans, ward_areas)] if not base.empty else []
    if table_exists(con, "marts", "survey_estimates"):
        from survey.indicators import survey_indicator_rows

        survey_rows = survey_indicator_rows(con, plans, indicators)
        if districts is not None and len(survey_rows):
            survey_rows = survey_rows[survey_rows["area_code"].isin(districts)]
        if len(survey_rows):
            frames.append(survey_rows[VALUE_COLUMNS])
    if not frames:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[VALUE_COLUMNS]


def run_engine(con: duckdb.DuckDBPyConnection, area_code: str) -> dict[str, int]:
    """Compute and write indicator_values (every district with data, wards of the CSP) and the catalogue."""
    indicators, _, plans = project_definitions()
    values = compute_values(con, None, [area_code])
    write_values(con, values)
    write_catalogue(con, catalogue_frame(indicators, plans))
    return {"indicator_values": len(values), "indicators": int(values["indicator_id"].nunique()) if len(values) else 0}


__all__ = ["Window", "compute_values", "count_change_p_values", "crosses", "run_engine", "series_rows", "status_for", "windows_for"]
