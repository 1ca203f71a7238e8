"""marts.indicator_spc and marts.indicator_spc_summary: Making Data Count XmR for every plan indicator.

Input is marts.indicator_values (period_type 'month', district and ward rows). One series per
plan_year × priority_id × indicator_id × area_code: the aim and target come from the plan entry
(an indicator can sit in several priorities with different aims, so priority_id is part of the
key; a repeat of the same indicator in another outcome of the same priority is the same series).

Each series is reindexed to a complete monthly range from its first to its last month; months
with no row (or a NULL value) stay NULL — gaps, never zeros — and carry no point_type.

Baseline (Making Data Count practice): in each rebase group the limits are computed on the first
20 present months (all of a shorter group; under 13 there are no limits) and extended, unchanged,
over the later months (`baseline` marks the months they came from).

Rebasing: the dates of the indicator's declared recording changes (transforms/recording_changes.yml),
the agreed recalculation points (transforms/spc_recalculations.yml: date, indicators, reason,
agreed_by) and the analyst's per-indicator `rebase_dates`. A date on the 1st starts a new group from that
month; a mid-month date starts it from the next month (the month it falls in mixes both recording
practices, and this is also how `transforms.spc.rebase_groups_for` cuts). Only dates after the
first month and up to the last month of the series are used, and dates that land on the same
month count once (two changes on 2017-04-01 are one rebase, not an empty group).

Suggestions, never silent recalculation: when the latest months of a series' last group form a
sustained shift after its baseline (at least shift_n consecutive months on one side of the centre,
ending at the latest month), marts.indicator_spc_suggestions proposes recalculating from the first
month of that run; the analyst's data-quality page lists it, and the partnership records its
decision in transforms/spc_recalculations.yml.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

import duckdb
import numpy as np
import pandas as pd

from transforms.definitions import (
    IndicatorDefinition,
    Plan,
    RecordingChange,
    SpcRecalculation,
    load_spc_recalculations,
    project_definitions,
)
from transforms.spc import (
    SpcPoint,
    SpcSettings,
    assurance_icon,
    range_assurance_icon,
    rebase_groups_for,
    variation_icon,
    xmr,
)
from warehouse.schema import write_table

__all__ = ["SPC_COLUMNS", "SPC_TYPES", "SUGGESTION_TYPES", "SUMMARY_COLUMNS", "SUMMARY_TYPES", "build_spc",
           "effective_rebase_months", "plan_entries", "shift_suggestion"]

Definitions = tuple[dict[str, IndicatorDefinition], dict[str, RecordingChange], dict[str, Plan]]

SPC_TYPES = {
    "plan_year": "varchar", "priority_id": "varchar", "indicator_id": "varchar", "area_type": "varchar",
    "area_code": "varchar", "month": "date", "value": "double", "rebase_group": "integer", "rebase_date": "date",
    "centre": "double", "upper_limit": "double", "lower_limit": "double", "upper_2sigma": "double",
    "lower_2sigma": "double", "moving_range": "double", "point_type": "varchar", "rule": "varchar",
    "direction": "integer", "trial": "boolean", "aim": "varchar", "target": "double", "baseline": "boolean",
}
SUMMARY_TYPES = {
    "plan_year": "varchar", "priority_id": "varchar", "indicator_id": "varchar", "area_type": "varchar",
    "area_code": "varchar", "plan_order": "integer", "label": "varchar", "data_source": "varchar", "aim": "varchar",
    "first_month": "date", "last_month": "date", "last_value": "double", "last_point_type": "varchar",
    "variation_icon": "varchar", "assurance_icon": "varchar", "target": "double", "trial": "boolean",
    "points_in_last_group": "integer", "rebase_dates": "varchar[]", "baseline_start": "date",
    "baseline_end": "date", "no_limits_reason": "varchar",
}
SUGGESTION_TYPES = {
    "plan_year": "varchar", "priority_id": "varchar", "indicator_id": "varchar", "area_type": "varchar",
    "area_code": "varchar", "label": "varchar", "suggested_from": "date", "run_months": "integer",
    "side": "varchar", "run_mean": "double", "centre": "double", "reason": "varchar",
}
SPC_COLUMNS = list(SPC_TYPES)
SUMMARY_COLUMNS = list(SUMMARY_TYPES)


@dataclass(frozen=True)
class PlanEntry:
    """What SPC needs from one plan indicator: the key, its aim, target and wording."""

    plan_year: str
    priority_id: str
    indicator_id: str
    aim: str
    target: float | None
    label: str
    data_source: str
    order: int
    expected_range: tuple[float, float] | None = None


def plan_entries(plans: dict[str, Plan]) -> dict[tuple[str, str, str], PlanEntry]:
    """Plan entries keyed by (plan_year, priority_id, indicator_id); the first occurrence wins."""
    out: dict[tuple[str, str, str], PlanEntry] = {}
    for plan in plans.values():
        for order, (priority, _, entry) in enumerate(plan.entries()):
            key = (plan.plan_year, priority.id, entry.id)
            # The same indicator in two outcomes of one priority is one series with one aim.
            band = (entry.expected_range.low, entry.expected_range.high) if entry.expected_range else None
            out.setdefault(key, PlanEntry(plan.plan_year, priority.id, entry.id, entry.aim,
                                          entry.target, entry.label, entry.data_source, order, band))
    return out


def _effective_month(day: dt.date) -> dt.date:
    """First month wholly under the new practice: the same month on the 1st, else the next."""
    if day.day == 1:
        return day
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def effective_rebase_months(definition: IndicatorDefinition | None,
                            changes: dict[str, RecordingChange],
                            recalculations: list[SpcRecalculation] | tuple = ()) -> list[dt.date]:
    """Sorted, distinct month starts at which the indicator's SPC limits are rebased."""
    if definition is None:
        return []
    dates = [changes[c].date for c in definition.recording_changes if c in changes]
    dates += list(definition.rebase_dates)
    dates += [r.date for r in recalculations if definition.id in r.indicators]
    return sorted({_effective_month(d) for d in dates})


def _read_monthly(con: duckdb.DuckDBPyConnection, area_types: tuple[str, ...]) -> pd.DataFrame:
    """Monthly values per plan key and area (one row per month even if several outcomes repeat it)."""
    placeholders = ", ".join("?" for _ in area_types)
    frame = con.execute(f"""
        select plan_year, priority_id, indicator_id, area_type, area_code,
               period_start as month, any_value(value) as value
        from marts.indicator_values
        where period_type = 'month' and area_type in ({placeholders})
        group by all
        order by plan_year, priority_id, indicator_id, area_type, area_code, month
    """, list(area_types)).df()
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def _none(x: float | None) -> float | None:
    """NaN → None so the frame holds real NULLs."""
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else x


def build_spc(
    con: duckdb.DuckDBPyConnection,
    settings: SpcSettings | None = None,
    *,
    definitions: Definitions | None = None,
    area_types: tuple[str, ...] = ("district", "ward"),
    recalculations: list[SpcRecalculation] | None = None,
) -> dict[str, int]:
    """Write marts.indicator_spc, marts.indicator_spc_summary and marts.indicator_spc_suggestions;
    return their row counts."""
    settings = settings or SpcSettings()
    indicators, changes, plans = definitions or project_definitions()
    if recalculations is None:
        recalculations = load_spc_recalculations(indicators=indicators)
    entries = plan_entries(plans)
    monthly = _read_monthly(con, area_types)

    columns: dict[str, list] = {name: [] for name in SPC_COLUMNS}
    summary: list[dict] = []
    suggestions: list[dict] = []
    keys = ["plan_year", "priority_id", "indicator_id", "area_type", "area_code"]
    for key, frame in monthly.groupby(keys, sort=True):
        plan_year, priority_id, indicator_id, area_type, area_code = cast(tuple[str, str, str, str, str], key)
        entry = entries.get((plan_year, priority_id, indicator_id))
        if entry is None:
            continue  # values of a plan entry that no longer exists: nothing to judge them by
        series = frame.set_index("month")["value"]
        months = pd.date_range(series.index.min(), series.index.max(), freq="MS")
        # reindex, never fillna: an undelivered month is a gap for the XmR rules.
        values = [_none(float(v)) for v in series.reindex(months).to_numpy(dtype=float)]
        month_dates = [m.date() for m in months]
        first, last = month_dates[0], month_dates[-1]
        cuts = [d for d in effective_rebase_months(indicators.get(indicator_id), changes, recalculations)
                if first < d <= last]
        groups = rebase_groups_for(month_dates, cuts)
        points = xmr(values, entry.aim, groups, settings, entry.target)
        starts = [None, *cuts]  # group g > 0 starts at cuts[g - 1]; group 0 was never rebased
        _append_points(columns, points, month_dates, starts, entry, area_type, area_code)
        summary.append(_summary_row(points, month_dates, cuts, entry, area_type, area_code))
        suggestion = shift_suggestion(points, month_dates, settings.shift_n)
        if suggestion is not None:
            suggestions.append({"plan_year": plan_year, "priority_id": priority_id,
                                "indicator_id": indicator_id, "area_type": area_type,
                                "area_code": area_code, "label": entry.label, **suggestion})

    _write_spc(con, pd.DataFrame(columns, columns=SPC_COLUMNS))
    _write_summary(con, pd.DataFrame(summary, columns=SUMMARY_COLUMNS))
    write_table(con, "marts.indicator_spc_suggestions",
                pd.DataFrame(suggestions, columns=list(SUGGESTION_TYPES)), SUGGESTION_TYPES,
                order_by="plan_year, priority_id, indicator_id, area_type, area_code")
    return {"indicator_spc": len(columns["month"]), "indicator_spc_summary": len(summary),
            "indicator_spc_suggestions": len(suggestions)}


def shift_suggestion(points: list[SpcPoint], months: list[dt.date], shift_n: int) -> dict | None:
    """A suggested recalculation when the latest months are a sustained shift after the baseline.

    The run is the consecutive present months at the end of the series (a gap ends it) on one
    side of the last group's centre, all after its baseline; it must be at least shift_n long.
    Returns the suggestion's columns (suggested_from … reason) or None.
    """
    last = points[-1]
    if last.centre is None or last.value is None:
        return None
    side = (last.value > last.centre) - (last.value < last.centre)
    run: list[int] = []
    for i in range(len(points) - 1, -1, -1):
        p = points[i]
        if (p.rebase_group != last.rebase_group or p.value is None or p.baseline
                or (p.value > last.centre) - (p.value < last.centre) != side):
            break
        run.append(i)
    if side == 0 or len(run) < shift_n:
        return None
    run.reverse()
    run_mean = float(np.mean([points[i].value for i in run]))
    where = "above" if side > 0 else "below"
    start = months[run[0]]
    reason = (f"The last {len(run)} months (from {start:%B %Y}) are all {where} the centre line "
              f"({last.centre:.4g}) fixed on the baseline; their average is {run_mean:.4g}. If the "
              "change in the process is understood and expected to last, agree a recalculation "
              f"from {start:%B %Y} and record it in transforms/spc_recalculations.yml.")
    return {"suggested_from": start, "run_months": len(run), "side": where, "run_mean": run_mean,
            "centre": last.centre, "reason": reason}


def _append_points(columns: dict[str, list], points: list[SpcPoint], months: list[dt.date],
                   starts: list[dt.date | None], entry: PlanEntry, area_type: str,
                   area_code: str) -> None:
    """Add one series' points to the column lists (plain attribute reads: asdict is slow)."""
    for month, p in zip(months, points, strict=True):
        row = {
            "plan_year": entry.plan_year, "priority_id": entry.priority_id,
            "indicator_id": entry.indicator_id, "area_type": area_type, "area_code": area_code,
            "month": month, "value": p.value, "rebase_group": p.rebase_group,
            "rebase_date": starts[p.rebase_group], "centre": p.centre,
            "upper_limit": p.upper_limit, "lower_limit": p.lower_limit,
            "upper_2sigma": p.upper_2sigma, "lower_2sigma": p.lower_2sigma,
            "moving_range": p.moving_range, "point_type": p.point_type, "rule": p.rule,
            "direction": p.direction, "trial": p.trial, "aim": entry.aim, "target": entry.target,
            "baseline": p.baseline,
        }
        for name, value in row.items():
            columns[name].append(value)


def _summary_row(points: list[SpcPoint], months: list[dt.date], cuts: list[dt.date],
                 entry: PlanEntry, area_type: str, area_code: str) -> dict:
    """Icons and latest value of one series."""
    present = [i for i, p in enumerate(points) if p.value is not None]
    last = present[-1] if present else None
    last_group = points[-1].rebase_group
    base = [months[i] for i, p in enumerate(points) if p.baseline and p.rebase_group == last_group]
    return {
        "plan_year": entry.plan_year, "priority_id": entry.priority_id,
        "indicator_id": entry.indicator_id, "area_type": area_type, "area_code": area_code,
        "plan_order": entry.order, "label": entry.label, "data_source": entry.data_source,
        "aim": entry.aim, "first_month": months[0],
        "last_month": months[last] if last is not None else None,
        "last_value": points[last].value if last is not None else None,
        "last_point_type": points[last].point_type if last is not None else None,
        "variation_icon": variation_icon(points),
        # An expected range (plan data) is judged as a band; otherwise the target as MDC does.
        "assurance_icon": (range_assurance_icon(points, *entry.expected_range) if entry.expected_range
                           else assurance_icon(points, entry.target, entry.aim)),
        "target": entry.target,
        # The judgement is about the current process, so trial refers to the last group.
        "trial": points[-1].trial,
        "points_in_last_group": sum(1 for p in points
                                    if p.rebase_group == last_group and p.value is not None),
        "rebase_dates": [d.isoformat() for d in cuts],
        "baseline_start": base[0] if base else None,
        "baseline_end": base[-1] if base else None,
        "no_limits_reason": points[-1].no_limits_reason,
    }


def _write_spc(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.execute("create schema if not exists marts")
    write_table(con, "marts.indicator_spc", frame, SPC_TYPES,
                order_by="plan_year, priority_id, indicator_id, area_type, area_code, month")


def _write_summary(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    write_table(con, "marts.indicator_spc_summary", frame, SUMMARY_TYPES,
                order_by="plan_year, priority_id, indicator_id, area_type, area_code")
