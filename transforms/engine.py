"""The indicator engine: plan (YAML) × indicator definitions (YAML) × marts.monthly_measures →
marts.indicator_values (long form) and marts.indicator_catalogue.

Windows: 'month' (one month), '12m' (rolling 12 months to the period end), 'fy' (April–March),
'fytd' (April to the period end). A window is computed only when every month in it was delivered
(gaps are never zeros). `previous_*` is the same window 12 months earlier.

Every interval and test comes from transforms.stats (one implementation per method), chosen by
the definition's `method`:
Confidence intervals (95%): counts and rates — exact Poisson under 10 events, Byar from 10
(stats.poisson_count_ci, stats.rate_ci); proportions — Wilson score (stats.wilson_ci); means of a
monthly stock — t-interval on the monthly values (stats.mean_t_ci).
Significance of a change: counts and rates — the exact conditional test of two Poisson counts
(stats.rate_change_p_value): given N = x1 + x0 events, x1 ~ Binomial(N, π) with π = n1/(n1 + n0)
(π = ½ for counts), two-sided "minlike" p = the probability of every outcome no more likely than the
observed one, as scipy.stats.binomtest, R's binom.test and statsmodels'
test_poisson_2indep(method='exact-cond'); proportions — pooled two-proportion z-test
(stats.two_proportion_z); means — Welch's t-test on the two sets of monthly values
(stats.welch_t_test). Significant when p < 0.05.
Status against the aim: improving / worsening when the change is significant, else
no_significant_change; not_assessed when there is no previous window or the two windows straddle a
declared recording-practice change (the comparison is not like for like).

Each indicator is computed for all its areas at once: the measures become areas × months arrays,
a window's total is the difference of two running totals, and the CIs and p-values of every window
of every area come from one vectorised scipy call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

import duckdb
import numpy as np
import pandas as pd

from expectations.sources import catalogue
from transforms import stats
from transforms.coverage import (
    SYNTHETIC_POPULATION_NOTE,
    VALUE_COVERAGE_TYPES,
    attach_value_coverage,
    coverage_unsettled_after,
    population_is_synthetic,
)
from transforms.definitions import IndicatorDefinition, Plan, RecordingChange, project_definitions
from transforms.incremental import (
    AFTER_EVERY_MONTH,
    digest,
    engine_done,
    engine_refresh,
    forget_engine,
)
from transforms.judgement import VALUE_COLUMNS, VALUE_TYPES, status_for, statuses, within_range
from transforms.survey_indicators import survey_indicator_rows
from warehouse.schema import table_exists, write_table

PERIOD_TYPES = ("month", "12m", "fy", "fytd")



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


@dataclass(frozen=True)
class MeasureGrid:
    """Monthly measures as areas × months arrays, one per (mart, measure); NaN = not delivered."""

    area_types: np.ndarray
    area_codes: np.ndarray
    months: pd.DatetimeIndex
    values: dict[tuple[str, str], np.ndarray]


def measure_grid(measures: pd.DataFrame) -> MeasureGrid:
    """Long monthly measures (mart, measure, area_type, area_code, month, value) as one grid per measure.

    Areas are sorted by (area_type, area_code); months run from the first to the last month of any
    measure. An area or month a measure has no row for is NaN, like a month that was not delivered.
    """
    measures = measures.dropna(subset=["area_type", "area_code", "month"])
    if measures.duplicated(["mart", "measure", "area_type", "area_code", "month"]).any():
        raise ValueError("marts.monthly_measures holds two values of one measure for one area and month")
    area_keys = pd.MultiIndex.from_frame(measures[["area_type", "area_code"]])
    areas = area_keys.unique().sort_values()
    months = pd.date_range(measures["month"].min(), measures["month"].max(), freq="MS")
    rows, columns = areas.get_indexer(area_keys), months.get_indexer(pd.DatetimeIndex(measures["month"]))
    numbers = measures["value"].to_numpy(dtype=float, na_value=np.nan)
    values: dict[tuple[str, str], np.ndarray] = {}
    for key, positions in measures.groupby(["mart", "measure"]).indices.items():
        grid = np.full((len(areas), len(months)), np.nan)
        grid[rows[positions], columns[positions]] = numbers[positions]
        values[cast(tuple[str, str], key)] = grid
    return MeasureGrid(areas.get_level_values("area_type").to_numpy(dtype=object),
                       areas.get_level_values("area_code").to_numpy(dtype=object), months, values)


def _running_totals(values: np.ndarray) -> np.ndarray:
    """Cumulative sums along months with a leading zero column: a window's total is two look-ups."""
    return np.concatenate([np.zeros((len(values), 1), dtype=values.dtype), np.cumsum(values, axis=1)], axis=1)


def _window_total(totals: np.ndarray, area: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    return totals[area, ends + 1] - totals[area, starts]


def _complete(delivered: np.ndarray, area: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Was every month of each window (start..end, month positions, broadcast) delivered in its area?"""
    inside = starts >= 0
    clipped_starts, clipped_ends = np.clip(starts, 0, None), np.clip(ends, 0, None)
    return inside & (_window_total(delivered, area, clipped_starts, clipped_ends) == ends - starts + 1)


def _complete_windows(grid: MeasureGrid, delivered: np.ndarray, period_types: tuple[str, ...],
                      first_end: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(area, start, end, period type position) of every complete window ending at month position first_end or
    later, ordered by area, period type, end."""
    every_area = np.arange(len(grid.area_codes))[:, None]
    found = []
    for position, period_type in enumerate(period_types):
        starts, ends = _window_bounds(grid.months, period_type)
        later = ends >= first_end
        starts, ends = starts[later], ends[later]
        complete = _complete(delivered, every_area, starts[None, :], ends[None, :])
        if period_type in {"fy", "fytd"}:  # financial-year windows are reported for districts only
            complete &= (grid.area_types != "ward")[:, None]
        area, window = np.nonzero(complete)
        found.append((area, starts[window], ends[window], np.full(len(area), position)))
    area, starts, ends, kind = (np.concatenate(parts) for parts in zip(*found))
    order = np.lexsort((ends, kind, area))
    return area[order], starts[order], ends[order], kind[order]


def _population_by_year(populations: pd.DataFrame, area_codes: np.ndarray, kind: str, years: np.ndarray) -> np.ndarray:
    """Mid-year population of each area in each year (latest earlier year if missing, else earliest)."""
    out = np.full(len(years), np.nan)
    if populations.empty:
        return out
    column = "population" if kind == "all" else "population_16_plus"
    known = populations.sort_values(["area_code", "year"])
    known_areas, codes = pd.factorize(known["area_code"], sort=True)
    # One sorted key per (area, year), so a single searchsorted finds every area's latest year <= year.
    span = np.int64(1 << 32)
    keys = known_areas.astype(np.int64) * span + known["year"].to_numpy(dtype=np.int64)
    wanted = codes.get_indexer(pd.Index(area_codes))
    targets = wanted.astype(np.int64) * span
    latest = np.searchsorted(keys, targets + years.astype(np.int64), side="right") - 1
    earliest = np.searchsorted(keys, targets, side="left")
    position = np.maximum(latest, earliest)
    known_values = known[column].to_numpy(dtype=float, na_value=np.nan)
    has_any = wanted >= 0
    out[has_any] = known_values[position[has_any]]
    return out


def _window_values(definition: IndicatorDefinition, grid: MeasureGrid, totals: dict[str, np.ndarray],
                   area: np.ndarray, starts: np.ndarray, ends: np.ndarray, populations: pd.DataFrame) -> dict:
    """Numerator, denominator and value of each window (arrays; variance of the monthly values for means)."""
    x = _window_total(totals["numerator"], area, starts, ends)
    length = ends - starts + 1
    out = {"numerator": x, "denominator": np.full(len(x), np.nan)}
    method, multiplier = definition.method, definition.multiplier
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "count":
            out["value"] = x
        elif method == "mean":
            mean = x / length
            sum_squares = _window_total(totals["squares"], area, starts, ends)
            variance = np.where(length > 1, (sum_squares - length * mean ** 2) / np.maximum(length - 1, 1), np.nan)
            out.update(value=mean, variance=variance)
        elif method == "proportion":
            n = _window_total(totals["denominator"], area, starts, ends)
            out["denominator"] = n
            out["value"] = np.where(n > 0, x / np.where(n > 0, n, 1.0) * multiplier, np.nan)
        elif method == "rate":
            years = grid.months[ends].year.to_numpy()
            kind = definition.denominator.population if definition.denominator is not None else None
            if kind is None:
                raise ValueError(f"{definition.id}: a rate needs a population denominator")
            population = _population_by_year(populations, grid.area_codes[area], kind, years)
            out["denominator"] = population
            out["value"] = x / np.where(population > 0, population, np.nan) * multiplier
        else:
            raise ValueError(f"{definition.id}: method {method} is not computed from monthly measures")
    return out


def _confidence_limits(definition: IndicatorDefinition, window: dict, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95% CI of each window (method per the module docstring), one vectorised call for all areas."""
    method, multiplier = definition.method, definition.multiplier
    x, n = window["numerator"], window["denominator"]
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "count":
            lower, upper = stats.poisson_count_ci(x, missing="propagate")
            return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if method == "rate":
            lower, upper = stats.rate_ci(x, n, multiplier, missing="propagate")
            return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        if method == "proportion":
            # Never clipped: a numerator above its denominator is refused by wilson_ci
            # (the engine names the indicator, see _refuse_impossible_proportions).
            safe_n = np.where(n > 0, n, np.nan)
            lower, upper = stats.wilson_ci(x, safe_n, missing="propagate")
            return (np.where(n > 0, np.asarray(lower) * multiplier, np.nan),
                    np.where(n > 0, np.asarray(upper) * multiplier, np.nan))
        lower, upper = stats.mean_t_ci(window["value"], window["variance"], length)
        return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


def _first_impossible_window(definition: IndicatorDefinition, window: dict, grid, area: np.ndarray,
                             starts: np.ndarray, ends: np.ndarray) -> str:
    """' (area …, months … to …)' of the first window whose counts are out of domain, or ''."""
    x, n = np.asarray(window["numerator"], dtype=float), window.get("denominator")
    with np.errstate(invalid="ignore"):
        bad = x < 0
        if n is not None and definition.method == "proportion":
            bad = bad | (x > np.asarray(n, dtype=float))
    if not np.any(bad):
        return ""
    i = int(np.argmax(bad))
    return (f" (area {grid.area_codes[area[i]]}, months {grid.months[starts[i]]:%Y-%m} to "
            f"{grid.months[ends[i]]:%Y-%m})")


def _change_p_values(definition: IndicatorDefinition, current: dict[str, np.ndarray],
                     previous: dict[str, np.ndarray], length: np.ndarray) -> np.ndarray:
    """Two-sided p-value of the change from the previous window (method per the module docstring)."""
    method = definition.method
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "count":
            ones = np.ones(len(length))
            return np.asarray(stats.rate_change_p_value(current["numerator"], ones, previous["numerator"], ones))
        if method == "rate":
            return np.asarray(stats.rate_change_p_value(current["numerator"], current["denominator"],
                                                        previous["numerator"], previous["denominator"]))
        if method == "proportion":
            x1, n1, x0, n0 = current["numerator"], current["denominator"], previous["numerator"], previous["denominator"]
            _, p = stats.two_proportion_z(x1 / n1, n1, x0 / n0, n0)
            return np.asarray(p, dtype=float)
        if method == "mean":
            _, p = stats.welch_t_test(current["value"], current["variance"], length,
                                      previous["value"], previous["variance"], length)
            # A one-month window has no spread to test (variance undefined); it has always been
            # published as p = 1 (no evidence of a change), and Step 8 does not change that.
            return np.where(np.isnan(p) & (length == 1), 1.0, p)
    return np.full(len(length), np.nan)


def crosses(changes: list[RecordingChange], current: Window, previous: Window) -> list[str]:
    """Recording changes dated after the previous window starts and no later than the current window ends."""
    out = []
    for change in changes:
        when = pd.Timestamp(change.date)
        if previous.start < when <= current.end + pd.offsets.MonthEnd(0):
            out.append(change.id)
    return out


def _crossed_changes(changes: list[RecordingChange], previous_starts: pd.DatetimeIndex, current_ends: pd.DatetimeIndex,
                     compared: np.ndarray) -> tuple[list[list[str]], np.ndarray]:
    """The recording changes each comparison straddles (the rule of `crosses`, all windows at once), and whether any."""
    crossed_ids: list[list[str]] = [[] for _ in range(len(compared))]
    crossed = np.zeros(len(compared), dtype=bool)
    last_days = current_ends + pd.offsets.MonthEnd(0)
    for change in changes:
        when = pd.Timestamp(change.date)
        hit = compared & (previous_starts < when) & (when <= last_days)
        for position in np.flatnonzero(hit):
            crossed_ids[position].append(change.id)
        crossed |= hit
    return crossed_ids, crossed


def indicator_rows(definition: IndicatorDefinition, changes: dict[str, RecordingChange], grid: MeasureGrid,
                   populations: pd.DataFrame, wards: bool = True, period_types: tuple[str, ...] = PERIOD_TYPES,
                   since: date | None = None) -> pd.DataFrame:
    """All windows of one indicator in every area of the grid (aim-independent part of indicator_values).

    wards=False leaves the grid's wards out; since (first day of a month): only the windows ending in or after
    that month (the grid must hold the WINDOW_REACH_MONTHS before it). Rows are ordered by area, period type,
    period end."""
    method = definition.method
    if definition.numerator is None:
        return pd.DataFrame()
    numerator = grid.values.get((definition.numerator.mart, definition.numerator.measure))
    denominator = None
    if method == "proportion":
        ref = definition.denominator
        if ref is None or ref.mart is None or ref.measure is None:
            return pd.DataFrame()
        denominator = grid.values.get((ref.mart, ref.measure))
        if denominator is None:
            return pd.DataFrame()
    if numerator is None:
        return pd.DataFrame()
    available = ~np.isnan(numerator)
    if not wards:
        available &= (grid.area_types != "ward")[:, None]
    if denominator is not None:
        available &= ~np.isnan(denominator)
    filled = np.where(available, numerator, 0.0)
    totals = {"numerator": _running_totals(filled), "squares": _running_totals(filled ** 2)}
    if denominator is not None:
        totals["denominator"] = _running_totals(np.where(available, denominator, 0.0))
    delivered = _running_totals(available.astype(np.int64))

    first_end = 0 if since is None else int(grid.months.searchsorted(pd.Timestamp(since)))
    area, starts, ends, kind = _complete_windows(grid, delivered, period_types, first_end)
    if len(area) == 0:
        return pd.DataFrame()
    length = ends - starts + 1
    current = _window_values(definition, grid, totals, area, starts, ends, populations)
    try:
        ci_lower, ci_upper = _confidence_limits(definition, current, length)
    except ValueError as error:
        # A count outside the method's domain (negative, numerator above denominator) is a data
        # error: refuse the indicator with its name rather than publish a clipped interval.
        bad = _first_impossible_window(definition, current, grid, area, starts, ends)
        raise ValueError(f"indicator {definition.id}{bad}: {error}") from error
    previous_ok = _complete(delivered, area, starts - 12, ends - 12)
    # A window without a complete previous one is compared with itself; the result is dropped below.
    previous_starts, previous_ends = np.where(previous_ok, starts - 12, starts), np.where(previous_ok, ends - 12, ends)
    previous = _window_values(definition, grid, totals, area, previous_starts, previous_ends, populations)
    p_values = _change_p_values(definition, current, previous, length)

    value, before = current["value"], previous["value"]
    compared = previous_ok & ~np.isnan(value) & ~np.isnan(before)
    p_value = np.where(compared, p_values, np.nan)
    significant = np.full(len(area), None, dtype=object)
    judged = ~np.isnan(p_value)
    significant[judged] = p_value[judged] < 0.05
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(compared, value - before, np.nan)
        change_pct = np.where(compared & (before != 0), change / before * 100, np.nan)
    period_starts, period_ends = grid.months[starts], grid.months[ends]
    own_changes = [changes[c] for c in definition.recording_changes]
    crossed_ids, crossed = _crossed_changes(own_changes, grid.months[previous_starts], period_ends, compared)
    return pd.DataFrame({
        "indicator_id": definition.id,
        "area_code": grid.area_codes[area],
        "area_type": grid.area_types[area],
        "period_type": np.array(period_types, dtype=object)[kind],
        "period_start": period_starts.date,
        "period_end": (period_ends + pd.offsets.MonthEnd(0)).date,
        "value": value,
        "numerator": current["numerator"],
        "denominator": current["denominator"],
        "ci_lower": ci_lower,
        "ci_upper": ci_upper,
        "months_in_window": length,
        "previous_value": np.where(compared, before, np.nan),
        "previous_numerator": np.where(compared, previous["numerator"], np.nan),
        "previous_denominator": np.where(compared, previous["denominator"], np.nan),
        "change": change,
        "change_pct": change_pct,
        "change_p_value": p_value,
        "change_significant": significant,
        "recording_changes": crossed_ids,
        "crosses_recording_change": crossed,
    })


# Months before a window's end that its value and its comparison read: 12 + 12 (12m, fy, fytd windows).
WINDOW_REACH_MONTHS = 24


def load_inputs(con: duckdb.DuckDBPyConnection, measures: set[tuple[str, str]], districts: list[str] | None,
                ward_areas: set[str], first_month: date | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The monthly measures the indicators use ((mart, measure) pairs) in these districts (None = all) and
    wards (from first_month on, if given), and the populations."""
    pairs = sorted(measures)
    # The month test is a plain comparison so that DuckDB applies it while scanning (an incremental run reads
    # the WINDOW_REACH_MONTHS before its first month, whatever the history); the measures are a semi-join.
    monthly = con.execute(f"""
        with wanted as (select unnest($marts::varchar[]) as mart, unnest($names::varchar[]) as measure)
        select mart, measure, area_type, area_code, month, value
        from marts.monthly_measures semi join wanted using (mart, measure)
        where {"month >= $first and " if first_month is not None else ""}
          ((area_type = 'district' and ($districts is null or list_contains($districts, area_code)))
           or (area_type = 'ward' and list_contains($wards, area_code)))
    """, {"marts": [mart for mart, _ in pairs], "names": [measure for _, measure in pairs],
          "districts": None if districts is None else list(districts), "wards": sorted(ward_areas)}
        | ({"first": first_month} if first_month is not None else {})).df()
    monthly["month"] = pd.to_datetime(monthly["month"])
    populations = con.execute("select area_code, area_type, year, population, population_16_plus from marts.population_by_area_year").df()
    return monthly, populations


def measures_used(definitions: list[IndicatorDefinition]) -> set[tuple[str, str]]:
    """(mart, measure) of every numerator and measure denominator of these indicators."""
    used = {(d.numerator.mart, d.numerator.measure) for d in definitions if d.numerator is not None}
    used |= {(d.denominator.mart, d.denominator.measure) for d in definitions
             if d.denominator is not None and d.denominator.mart is not None and d.denominator.measure is not None}
    return used


def compute_base_values(measures: pd.DataFrame, populations: pd.DataFrame, indicators: dict[str, IndicatorDefinition],
                        changes: dict[str, RecordingChange], wanted: set[str], ward_districts: set[str],
                        since: date | None = None) -> pd.DataFrame:
    """Aim-independent values for every wanted indicator, every district it has data for, and wards (since: only
    the windows ending in or after that month)."""
    if measures.empty:
        return pd.DataFrame()
    grid = measure_grid(measures)
    frames = []
    for indicator_id in sorted(wanted):
        definition = indicators[indicator_id]
        if definition.numerator is None:
            continue
        wards = "ward" in definition.breakdowns and bool(ward_districts)
        frames.append(indicator_rows(definition, changes, grid, populations, wards, since=since))
    frames = [frame for frame in frames if len(frame)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def attach_plan(base: pd.DataFrame, plans: dict[str, Plan], ward_areas: set[str]) -> pd.DataFrame:
    """One copy of the values per plan entry (priority × outcome × indicator), with aim and status."""
    entries = pd.DataFrame(
        [{"plan_year": plan.plan_year, "priority_id": priority.id, "outcome_id": outcome.id, "indicator_id": entry.id,
          "aim": entry.aim, "range_low": entry.expected_range.low if entry.expected_range else np.nan,
          "range_high": entry.expected_range.high if entry.expected_range else np.nan}
         for plan in plans.values() for priority, outcome, entry in plan.entries()],
        columns=["plan_year", "priority_id", "outcome_id", "indicator_id", "aim", "range_low", "range_high"])
    shown = base[(base["area_type"] == "district") | base["area_code"].isin(ward_areas)]
    # An inner merge keeps the order of the entries, and of the base rows within each entry.
    values = entries.merge(shown, on="indicator_id", how="inner", sort=False)
    if values.empty:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    values["status"] = within_range(
        statuses(values["aim"], values["change"], values["change_significant"], values["crosses_recording_change"]),
        values["value"], values["range_low"], values["range_high"], values["crosses_recording_change"])
    return values[VALUE_COLUMNS]


def _drafts(plans: dict[str, Plan]) -> pd.DataFrame:
    """Per plan entry: whether its outcome or indicator is a draft (not word for word in the published plan)."""
    return pd.DataFrame(
        [{"plan_year": plan.plan_year, "priority_id": priority.id, "outcome_id": outcome.id, "indicator_id": entry.id,
          "draft": bool(entry.draft or outcome.draft)} for plan in plans.values() for priority, outcome, entry in plan.entries()],
        columns=["plan_year", "priority_id", "outcome_id", "indicator_id", "draft"]).drop_duplicates(
        ["plan_year", "priority_id", "outcome_id", "indicator_id"])


def monthly_indicator_ids(indicators: dict[str, IndicatorDefinition]) -> list[str]:
    """Indicators computed from monthly measures (the rest, survey shares, are recomputed whole every run)."""
    return sorted(i for i, d in indicators.items() if d.numerator is not None)


VALUE_ORDER = "plan_year, priority_id, outcome_id, indicator_id, area_type, area_code, period_type, period_end"
_WINDOW_KEY_TYPES = {"indicator_id": "varchar", "period_type": "varchar", "period_end": "date"}


def write_values(con: duckdb.DuckDBPyConnection, values: pd.DataFrame, keep_before: date | None = None) -> None:
    """marts.indicator_values: the values, each row's draft mark, and its window's coverage (marts.source_coverage).

    keep_before (incremental): rows of monthly indicators whose window ends before that month stay in the table
    as they are (their coverage is recomputed only where it can have changed: `coverage_unsettled_after`); the
    rest are deleted and `values` inserted in their place. Without it the whole table is written."""
    indicators, _, plans = project_definitions()
    frame = values.copy()
    for column in ("change_significant",):
        frame[column] = frame[column].astype("boolean")
    frame = frame.merge(_drafts(plans), how="left", on=["plan_year", "priority_id", "outcome_id", "indicator_id"], sort=False)
    frame["draft"] = frame["draft"].astype("boolean").fillna(False)
    write_table(con, "indicator_values_new", frame, VALUE_TYPES | {"draft": "boolean"}, temporary=True)
    coverage = (con.execute("select source, month, delivered from marts.source_coverage").df()
                if table_exists(con, "marts", "source_coverage") else None)  # what attach_value_coverage reads
    sources_of = {i: list(d.sources) for i, d in indicators.items()}
    titles = {spec.name: spec.title for spec in catalogue()}
    keys = frame[list(_WINDOW_KEY_TYPES)].drop_duplicates()
    write_table(con, "indicator_value_coverage", attach_value_coverage(keys, coverage, sources_of, titles),
                _WINDOW_KEY_TYPES | VALUE_COVERAGE_TYPES, temporary=True)
    rows = f"""select * from temp.indicator_values_new
               left join temp.indicator_value_coverage using (indicator_id, period_type, period_end)
               order by {VALUE_ORDER}"""
    if keep_before is not None and table_exists(con, "marts", "indicator_values"):
        con.execute("delete from marts.indicator_values "
                    "where not (period_end < $keep_before and list_contains($monthly, indicator_id))",
                    {"keep_before": keep_before, "monthly": monthly_indicator_ids(indicators)})
        _refresh_kept_coverage(con, coverage, sources_of, titles, keep_before)
        con.execute(f"insert into marts.indicator_values by name {rows}")
    else:
        con.execute(f"create or replace table marts.indicator_values as {rows}")
    for table in ("indicator_values_new", "indicator_value_coverage"):
        con.execute(f"drop table temp.{table}")
    if keep_before is None:  # a whole table written (run_engine records its state after this call)
        forget_engine(con)


def _refresh_kept_coverage(con: duckdb.DuckDBPyConnection, coverage: pd.DataFrame | None,
                           sources_of: dict[str, list[str]], titles: dict[str, str], since: date) -> None:
    """Coverage of the kept rows (windows ending before `since`) whose coverage can have changed, recomputed."""
    unsettled = coverage_unsettled_after(coverage, sources_of, since)
    if not unsettled:
        return
    keys = con.execute("""
        with unsettled as (select unnest($ids::varchar[]) as indicator_id, unnest($after::date[]) as after)
        select distinct indicator_id, period_type, period_end
        from marts.indicator_values inner join unsettled using (indicator_id)
        where after is null or period_end > last_day(after)
    """, {"ids": list(unsettled), "after": list(unsettled.values())}).df()
    if keys.empty:
        return
    write_table(con, "indicator_value_coverage_kept", attach_value_coverage(keys, coverage, sources_of, titles),
                _WINDOW_KEY_TYPES | VALUE_COVERAGE_TYPES, temporary=True)
    assignments = ", ".join(f"{column} = kept.{column}" for column in VALUE_COVERAGE_TYPES)
    con.execute(f"""update marts.indicator_values as v set {assignments}
                    from temp.indicator_value_coverage_kept as kept
                    where v.indicator_id = kept.indicator_id and v.period_type = kept.period_type
                      and v.period_end = kept.period_end""")
    con.execute("drop table temp.indicator_value_coverage_kept")


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
                "expected_low": entry.expected_range.low if entry.expected_range else None,
                "expected_high": entry.expected_range.high if entry.expected_range else None,
                "expected_source": entry.expected_range.source if entry.expected_range else None,
                "lead": "; ".join(f"{lead.name} ({lead.agency})" for lead in priority.leads) or "to be confirmed",
                "caveats": " ".join(definition.caveats), "recording_changes": ", ".join(definition.recording_changes),
                "interpretation": definition.interpretation,
                "draft": bool(entry.draft or outcome.draft),
            })
    return pd.DataFrame(rows)


def write_catalogue(con: duckdb.DuckDBPyConnection, catalogue: pd.DataFrame) -> None:
    """marts.indicator_catalogue; reference_note flags rates and peer comparisons that use a synthetic population."""
    catalogue = catalogue.copy()
    if len(catalogue):
        synthetic = population_is_synthetic(con)
        uses_population = (catalogue["method"] == "rate") | ((catalogue["method"] == "count") & (catalogue["source"] == "police_street"))
        catalogue["reference_note"] = [SYNTHETIC_POPULATION_NOTE if synthetic and used else None for used in uses_population]
    con.register("catalogue_frame", catalogue.astype(object))
    con.execute("""create or replace table marts.indicator_catalogue as
                   select * replace (target::double as target, draft::boolean as draft,
                                     expected_low::double as expected_low, expected_high::double as expected_high,
                                     expected_source::varchar as expected_source)
                   from catalogue_frame""")
    if "reference_note" not in catalogue:
        con.execute("alter table marts.indicator_catalogue add column reference_note varchar")
    con.unregister("catalogue_frame")


def wards_of(con: duckdb.DuckDBPyConnection, districts: list[str]) -> set[str]:
    if not districts:
        return set()
    rows = con.execute("select area_code from intermediate.int_areas where area_type = 'ward' "
                       "and district_code in (select unnest(?::varchar[]))",
                       [list(districts)]).fetchall()
    return {row[0] for row in rows}


def compute_values(con: duckdb.DuckDBPyConnection, districts: list[str] | None, ward_districts: list[str],
                   since: date | None = None) -> pd.DataFrame:
    """indicator_values rows for these districts (None = every district with data) and the wards of ward_districts.

    since (first day of a month): only the windows of monthly indicators ending in or after that month (read
    from the measures of the WINDOW_REACH_MONTHS before it on); survey indicators are always computed whole."""
    indicators, changes, plans = project_definitions()
    wanted = {entry.id for plan in plans.values() for _, _, entry in plan.entries()}
    ward_areas = wards_of(con, ward_districts)
    used = measures_used([indicators[indicator_id] for indicator_id in wanted])
    first = None if since is None else (pd.Timestamp(since) - pd.DateOffset(months=WINDOW_REACH_MONTHS)).date()
    measures, populations = load_inputs(con, used, districts, ward_areas, first)
    base = compute_base_values(measures, populations, indicators, changes, wanted, set(ward_districts), since)
    frames = [attach_plan(base, plans, ward_areas)] if not base.empty else []
    if table_exists(con, "marts", "survey_estimates"):
        survey_rows = survey_indicator_rows(con, plans, indicators)
        if districts is not None and len(survey_rows):
            survey_rows = survey_rows[survey_rows["area_code"].isin(districts)]
        if len(survey_rows):
            frames.append(survey_rows[VALUE_COLUMNS])
    if not frames:
        return pd.DataFrame(columns=VALUE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[VALUE_COLUMNS]


def run_engine(con: duckdb.DuckDBPyConnection, area_code: str, full_refresh: bool = False) -> dict[str, object]:
    """Compute and write indicator_values (every district with data, wards of the CSP) and the catalogue.

    Incremental (transforms/incremental.py): only the windows ending in or after the first month the marts
    builds since the last computation changed; every window after a full marts build, a change of the
    definitions, or with full_refresh."""
    indicators, changes, plans = project_definitions()
    definitions = digest(indicators, changes, plans, area_code)
    refresh, build_id = engine_refresh(con, definitions, full_refresh)
    if refresh.mode == "full":
        values = compute_values(con, None, [area_code])
        write_values(con, values)
    else:
        # unchanged: no monthly window is recomputed (since = after every month); survey rows and coverage still are
        since = refresh.since or AFTER_EVERY_MONTH
        values = compute_values(con, None, [area_code], since=since)
        write_values(con, values, keep_before=since)
    write_catalogue(con, catalogue_frame(indicators, plans))
    engine_done(con, definitions, build_id)
    total, distinct = con.execute("select count(*), count(distinct indicator_id) from marts.indicator_values").fetchall()[0]
    return {"indicator_values": int(total), "indicators": int(distinct), "recomputed": len(values),
            "refresh": refresh.as_dict()}


__all__ = ["MeasureGrid", "Window", "compute_values", "crosses", "indicator_rows", "measure_grid",
           "run_engine", "status_for", "statuses", "windows_for"]
