"""The shape of marts.indicator_values and the judgement of a change against the plan's aim.

Shared by the indicator engine and the survey indicators, so both write the same columns and
judge a change the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VALUE_TYPES = {
    "plan_year": "varchar", "priority_id": "varchar", "outcome_id": "varchar", "indicator_id": "varchar",
    "area_code": "varchar", "area_type": "varchar", "period_type": "varchar", "period_start": "date",
    "period_end": "date", "value": "double", "numerator": "double", "denominator": "double", "ci_lower": "double",
    "ci_upper": "double", "previous_value": "double", "previous_numerator": "double",
    "previous_denominator": "double", "change": "double", "change_pct": "double", "change_p_value": "double",
    "change_significant": "boolean", "aim": "varchar", "status": "varchar", "crosses_recording_change": "boolean",
    "recording_changes": "varchar[]", "months_in_window": "integer",
}
VALUE_COLUMNS = list(VALUE_TYPES)


def status_for(aim: str, change: float | None, significant: bool | None, crossing: bool) -> str:
    if change is None or significant is None or crossing:
        return "not_assessed"
    if not significant or change == 0:
        return "no_significant_change"
    up = change > 0
    return "improving" if up == (aim == "increase") else "worsening"


def within_range(status: np.ndarray, value: pd.Series, low: pd.Series, high: pd.Series,
                 crossing: pd.Series) -> np.ndarray:
    """Status against a plan's expected range: a value inside [low, high] (both in the indicator's
    unit) is "within_expected_range" whatever its change; outside it, or without a range, the
    status against the aim stands. Never across a recording change (still "not_assessed")."""
    values, lows, highs = (x.to_numpy(dtype=float) for x in (value, low, high))
    with np.errstate(invalid="ignore"):
        inside = (values >= lows) & (values <= highs) & ~crossing.to_numpy(dtype=bool)
    return np.where(inside, "within_expected_range", status)


def statuses(aim: pd.Series, change: pd.Series, significant: pd.Series, crossing: pd.Series) -> np.ndarray:
    """`status_for` of every row at once (change NaN and significant None = not compared)."""
    assessed = change.notna().to_numpy() & significant.notna().to_numpy() & ~crossing.to_numpy(dtype=bool)
    is_significant = significant.where(significant.notna(), False).to_numpy(dtype=bool)
    changes = change.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        improving = (changes > 0) == (aim.to_numpy() == "increase")
        return np.select([~assessed, ~is_significant | (changes == 0), improving],
                         ["not_assessed", "no_significant_change", "improving"], "worsening")
