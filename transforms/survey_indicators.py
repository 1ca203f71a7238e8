"""Plan indicators computed from the resident survey (definition ``method: survey_share``),
as rows for ``marts.indicator_values`` (columns ``transforms.judgement.VALUE_COLUMNS``).

Read from the tables :func:`survey.marts.build_survey_marts` writes, breakdown ``'all'``:

* one row per plan entry x survey area x wave; ``period_type 'wave'``, the wave's calendar
  year as the period (Jan 1 - Dec 31), ``months_in_window`` 12;
* ``value`` = weighted share x the definition's multiplier (100 -> ``estimate_pct``);
  ``ci_lower``/``ci_upper`` = the Wilson interval on the effective n from
  ``marts.survey_estimates``;
* ``denominator`` = Kish effective n of the answered, weighted base; ``numerator`` =
  ``estimate_pct / 100 * n_eff``, the *effective* number answering yes -- the x of the Wilson
  interval on n_eff, NOT a count of respondents (``n`` in the estimates is that);
* ``previous_*`` = the wave before (``marts.survey_wave_changes``); ``change`` in points,
  ``change_pct`` relative to the previous value, ``change_p_value`` = pooled two-proportion
  z-test on the two effective n's, ``change_significant`` = p < 0.05; the first wave (or a
  question not asked in the wave before) has no previous and status ``not_assessed``;
* ``status`` = :func:`transforms.judgement.status_for` (aim, change, significant, no recording
  change: survey waves declare none), ``recording_changes`` ``[]``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from transforms.definitions import IndicatorDefinition, Plan
from transforms.judgement import VALUE_COLUMNS, status_for
from warehouse.schema import table_exists

__all__ = ["SURVEY_METHOD", "SURVEY_PERIOD_TYPE", "survey_indicator_rows"]

SURVEY_METHOD = "survey_share"
SURVEY_PERIOD_TYPE = "wave"
_SURVEY_AREA_TYPE = "district"  # the survey is weighted to the CSP district


def _keyed(frame: pd.DataFrame) -> dict[tuple[str, int, str, str], Any]:
    """The frame's rows (named tuples) by (area_code, wave, question_id, answer_group)."""
    records: Iterable[Any] = frame.itertuples(index=False)
    return {(r.area_code, int(r.wave), r.question_id, r.answer_group): r for r in records}


def _float(value: Any) -> float | None:
    """A finite float or None (pandas NaN/NA -> None, as engine rows hold)."""
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def survey_indicator_rows(con: duckdb.DuckDBPyConnection, plans: Mapping[str, Plan],
                          indicators: Mapping[str, IndicatorDefinition]) -> pd.DataFrame:
    """indicator_values rows for every plan entry whose definition is a survey share."""
    entries = [(plan, priority, outcome, entry, indicators[entry.id])
               for plan in plans.values() for priority, outcome, entry in plan.entries()
               if entry.id in indicators and indicators[entry.id].method == SURVEY_METHOD]
    if not entries or not table_exists(con, "marts", "survey_estimates"):
        return pd.DataFrame(columns=VALUE_COLUMNS)
    estimates = con.execute("""
        select area_code, wave, question_id, answer_group, estimate_pct, ci_lower, ci_upper, n_eff
        from marts.survey_estimates where breakdown = 'all' and group_value = 'all'""").df()
    if table_exists(con, "marts", "survey_wave_changes"):
        changes = con.execute("""
            select area_code, wave, previous_wave, question_id, answer_group, p_value, significant
            from marts.survey_wave_changes where breakdown = 'all' and group_value = 'all'""").df()
    else:
        changes = pd.DataFrame(columns=["area_code", "wave", "previous_wave", "question_id", "answer_group",
                                        "p_value", "significant"])
    by_key = _keyed(estimates)
    change_by_key = _keyed(changes)

    rows: list[dict[str, Any]] = []
    for plan, priority, outcome, entry, definition in entries:
        if definition.survey is None:  # a survey_share definition always names one (typed model)
            continue
        question, group = definition.survey.question_id, definition.survey.answer_group
        # estimate_pct is a percentage; the definition's multiplier says what the value is per 1
        scale = definition.multiplier / 100.0
        for key in sorted(k for k in by_key if k[2] == question and k[3] == group):
            area_code, wave = key[0], key[1]
            current = by_key[key]
            row: dict[str, Any] = {
                "plan_year": plan.plan_year, "priority_id": priority.id, "outcome_id": outcome.id,
                "indicator_id": entry.id, "area_code": area_code, "area_type": _SURVEY_AREA_TYPE,
                "period_type": SURVEY_PERIOD_TYPE, "period_start": date(wave, 1, 1),
                "period_end": date(wave, 12, 31),
                "value": _float(current.estimate_pct * scale),
                "numerator": _float(current.estimate_pct / 100.0 * current.n_eff),
                "denominator": _float(current.n_eff),
                "ci_lower": _float(current.ci_lower * scale), "ci_upper": _float(current.ci_upper * scale),
                "previous_value": None, "previous_numerator": None, "previous_denominator": None,
                "change": None, "change_pct": None, "change_p_value": None, "change_significant": None,
                "aim": entry.aim, "crosses_recording_change": False, "recording_changes": [],
                "months_in_window": 12,
            }
            change = change_by_key.get(key)
            previous = (by_key.get((area_code, int(change.previous_wave), question, group))
                        if change is not None else None)
            if change is not None and previous is not None:
                before = _float(previous.estimate_pct * scale)
                difference = row["value"] - before
                p_value = _float(change.p_value)
                row.update(
                    previous_value=before,
                    previous_numerator=_float(previous.estimate_pct / 100.0 * previous.n_eff),
                    previous_denominator=_float(previous.n_eff), change=difference,
                    change_pct=(difference / before * 100.0) if before else None,
                    change_p_value=p_value,
                    change_significant=None if p_value is None else bool(change.significant))
            row["status"] = status_for(entry.aim, row["change"], row["change_significant"], False)
            rows.append(row)
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)
