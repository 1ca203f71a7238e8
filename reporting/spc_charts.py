"""One Making Data Count chart per plan indicator of a district, from marts.indicator_spc.

Each chart carries the OBA "turn the curve" baseline: `reporting.forecast.baseline_forecast` on
the latest rebase group only (values before a rebase were recorded differently, so they must not
steer the forecast), 12 months ahead, and the plan target if there is one.

Layout: ``<out_dir>/<priority_id>/<indicator_id>.png|.svg`` and ``..._forecast.csv``. An indicator
can sit in several priorities with different labels and aims (drug_trafficking_offences is in
three), so a flat ``<out_dir>/<indicator_id>.png`` would overwrite itself; one folder per priority
keeps one file per (priority_id, indicator_id) key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from reporting.charts import axis_title, spc_chart
from reporting.csv_safety import safe_frame
from reporting.forecast import COLUMNS as FORECAST_COLUMNS
from reporting.forecast import baseline_forecast
from transforms.definitions import project_definitions

__all__ = ["render_spc_charts"]

_AIM_WORDS = {"increase": "aim: increase (higher is better)",
              "decrease": "aim: decrease (lower is better)"}


CHART_DATA_COLUMNS = ["month", "value", "centre", "lower_limit", "upper_limit", "lower_2sigma", "upper_2sigma",
                      "point_type", "rebase_group"]


def _ceiling(indicator_id: str) -> float | None:
    """Upper bound of a forecast: a proportion cannot exceed its multiplier (100 for a %)."""
    indicators = project_definitions()[0]
    definition = indicators.get(indicator_id)
    if definition is not None and definition.method == "proportion":
        return float(definition.multiplier)
    return None


def _method_unit(indicator_id: str) -> tuple[str, str]:
    definition = project_definitions()[0].get(indicator_id)
    return (definition.method, definition.unit) if definition is not None else ("", "")


def _forecast(points: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """Baseline forecast from the latest rebase group's months (gaps stay gaps).

    The prediction interval is kept as the model gives it (not cut at 0 or 100): the chart shows
    how uncertain the baseline is, and the Forecast sheet holds the same numbers.
    """
    latest = points[points["rebase_group"] == points["rebase_group"].max()]
    months = [m.date() for m in pd.to_datetime(latest["month"])]
    values = [None if pd.isna(v) else float(v) for v in latest["value"]]
    return baseline_forecast(months, values, horizon=12, ceiling=_ceiling(indicator_id), clip_interval=False)


def render_spc_charts(
    con: duckdb.DuckDBPyConnection,
    out_dir: Path,
    plan_year: str,
    area_code: str,
    forecast: bool = True,
    priorities: Sequence[str] | None = None,
) -> dict[tuple[str, str], dict[str, Path]]:
    """Write PNG + SVG (+ forecast CSV) per plan indicator of the area; return paths by key."""
    out_dir = Path(out_dir)
    summary = con.execute("""
        select priority_id, indicator_id, label, data_source, aim, target
        from marts.indicator_spc_summary
        where plan_year = ? and area_code = ?
        order by plan_order, priority_id, indicator_id
    """, [plan_year, area_code]).df()
    points = con.execute("""
        select priority_id, indicator_id, month, value, rebase_group, centre, upper_limit,
               lower_limit, upper_2sigma, lower_2sigma, point_type, rule, direction
        from marts.indicator_spc
        where plan_year = ? and area_code = ?
        order by priority_id, indicator_id, month
    """, [plan_year, area_code]).df()
    by_key = {key: frame for key, frame in points.groupby(["priority_id", "indicator_id"])}

    out: dict[tuple[str, str], dict[str, Path]] = {}
    for row in summary.itertuples(index=False):
        if priorities is not None and row.priority_id not in priorities:
            continue
        part = by_key.get((row.priority_id, row.indicator_id))
        if part is None or part.empty:
            continue
        # pd.NA / NaN → None: the chart only draws a target that is a real number.
        target = None if pd.isna(row.target) else float(row.target)
        stem = out_dir / row.priority_id / row.indicator_id
        paths: dict[str, Path] = {}
        forecast_df = None
        if forecast:
            forecast_df = _forecast(part, row.indicator_id)
            csv_path = stem.parent / f"{stem.name}_forecast.csv"
            csv_path.parent.mkdir(parents=True, exist_ok=True)
            # Written even when empty (too few points for a baseline) so the file set is stable.
            safe_frame(forecast_df[FORECAST_COLUMNS]).to_csv(csv_path, index=False, float_format="%.6g",
                                                 lineterminator="\n")
            paths["forecast_csv"] = csv_path
        subtitle = f"Source: {row.data_source} · {_AIM_WORDS.get(row.aim, row.aim)} · monthly"
        method, unit = _method_unit(row.indicator_id)
        chart = spc_chart(part.drop(columns=["priority_id", "indicator_id"]), title=row.label,
                          improvement=row.aim, out_stem=stem, target=target,
                          forecast_df=forecast_df if forecast_df is not None and len(forecast_df)
                          else None, subtitle=subtitle, y_label=axis_title(method, unit),
                          whole_numbers=method == "count")
        # The data behind the chart (read into the workbook's "Chart data" sheet; not published itself).
        data_csv = stem.parent / f"{stem.name}_data.csv"
        data = part[CHART_DATA_COLUMNS].copy()
        data["month"] = pd.to_datetime(data["month"]).dt.strftime("%Y-%m-%d")
        safe_frame(data).to_csv(data_csv, index=False, float_format="%.6g", lineterminator="\n")
        paths["data_csv"] = data_csv
        out[(row.priority_id, row.indicator_id)] = {**chart, **paths}
    return out
