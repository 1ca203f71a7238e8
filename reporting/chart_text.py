"""Words for a chart: the alt text that describes its series, for readers who cannot see it.

The alt text says what the chart shows, not only that it exists: the months it covers, the first,
last, lowest and highest values (with their months), the latest limits, the latest month's SPC
signal and where the baseline forecast ends, and points to the sheet that holds every value.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from reporting.months import short_month

__all__ = ["CHART_DATA_SHEET", "chart_alt_text", "format_value"]

CHART_DATA_SHEET = "Chart data"
_SIGNALS = {"common_cause": "common cause variation (no signal)",
            "special_cause_improvement": "special cause, improvement",
            "special_cause_concern": "special cause, concern",
            "special_cause_neutral_high": "special cause, unusually high (no aim)",
            "special_cause_neutral_low": "special cause, unusually low (no aim)"}


def format_value(value: float, method: str) -> str:
    """A monthly value as the card writes it: whole counts, 1 dp percentages and means, 2 dp rates."""
    if method == "count":
        return f"{value:,.0f}"
    if method in ("proportion", "survey_share"):
        return f"{value:.1f}%"
    return f"{value:,.2f}" if method == "rate" else f"{value:,.1f}"


def chart_alt_text(label: str, method: str, unit: str, data: pd.DataFrame,
                   forecast: list[dict[str, Any]]) -> str:
    """Alt text of an SPC chart from the data behind it (month, value, centre, limits, point_type)."""
    frame = data.copy()
    frame["month"] = pd.to_datetime(frame["month"])
    present = frame[frame["value"].notna()].sort_values("month")
    if present.empty:
        return f"Chart of {label}: no monthly values."
    unit_words = "" if method in ("proportion", "survey_share") else f" {unit}"

    def at(row: Any) -> str:
        return f"{format_value(float(row['value']), method)} ({short_month(row['month'].date())})"

    first, last = present.iloc[0], present.iloc[-1]
    low = present.loc[present["value"].idxmin()]
    high = present.loc[present["value"].idxmax()]
    span = f"{short_month(first['month'].date())} to {short_month(last['month'].date())} ({len(present)} months)"
    parts = [f"Statistical process control chart of {label}{unit_words and ','}{unit_words}, one point a month, {span}.",
             f"First {at(first)}, latest {at(last)}; lowest {at(low)}, highest {at(high)}."]
    latest = frame.iloc[-1]
    if pd.notna(latest.get("centre")):
        limits = ""
        if pd.notna(latest.get("lower_limit")) and pd.notna(latest.get("upper_limit")):
            limits = (f", process limits {format_value(float(latest['lower_limit']), method)} to "
                      f"{format_value(float(latest['upper_limit']), method)}")
        parts.append(f"Current mean {format_value(float(latest['centre']), method)}{limits}.")
    groups = frame["rebase_group"].nunique() if "rebase_group" in frame.columns else 1
    if groups > 1:
        parts.append(f"Limits rebased {groups - 1} time{'s' if groups > 2 else ''}.")
    kind = last.get("point_type")
    if isinstance(kind, str) and kind in _SIGNALS:
        parts.append(f"Latest month: {_SIGNALS[kind]}.")
    if forecast:
        end = forecast[-1]
        parts.append(f"Baseline forecast to {short_month(end['month'])}: {format_value(end['forecast'], method)} "
                     f"(95% prediction interval {format_value(end['lower'], method)} to "
                     f"{format_value(end['upper'], method)}).")
    parts.append(f"Every value is in indicators.xlsx, sheet “{CHART_DATA_SHEET}”.")
    return " ".join(parts)
