"""Baseline, recalculation and suggestion cases for marts.indicator_spc (Step 11), by hand.

Series `fake_counts` (district D1, aim decrease), Jan 2016 onwards:
  20 baseline months 10, 12, 10, 12, … (mean 11, every moving range 2 → MR-bar 2, UPL 16.32),
  then 8 months of 14 (Sep 2017 – Apr 2018): all above the centre 11 fixed on the baseline.
  The limits stay 11 / 16.32 on all 28 months; the 8 months are a sustained shift ending at the
  latest month → a suggestion to recalculate from September 2017 (run 8, above, mean 14).
  With the recalculation agreed from 2017-09-01 the last group has 8 values < 13: trial, no
  limits, so no suggestion.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from transforms.definitions import (
    IndicatorDefinition,
    Plan,
    SpcRecalculation,
    load_spc_recalculations,
)
from transforms.spc_mart import build_spc

VALUES = [10.0, 12.0] * 10 + [14.0] * 8


@pytest.fixture
def definitions():
    indicator = IndicatorDefinition.model_validate({
        "id": "fake_counts", "title": "t", "definition": "test", "sources": ["police_street"],
        "numerator": {"mart": "m", "measure": "x"}, "method": "count", "unit": "events"})
    plan = Plan.model_validate({
        "plan_year": "2018-19", "partnership": "P", "area_code": "D1", "title": "T",
        "starts": "2018-04-01", "ends": "2019-03-31",
        "priorities": [{"id": "p1", "title": "P1", "kind": "priority", "outcomes": [
            {"id": "o1", "statement": "s", "indicators": [
                {"id": "fake_counts", "aim": "decrease", "label": "Fake", "data_source": "T"}]}]}]})
    return {"fake_counts": indicator}, {}, {"2018-19": plan}


def _warehouse(values: list[float]) -> duckdb.DuckDBPyConnection:
    months = pd.date_range("2016-01-01", periods=len(values), freq="MS")
    frame = pd.DataFrame({"plan_year": "2018-19", "priority_id": "p1", "indicator_id": "fake_counts",
                          "area_type": "district", "area_code": "D1", "period_type": "month",
                          "period_start": months.date, "value": values})
    con = duckdb.connect(":memory:")
    con.execute("create schema marts")
    con.register("f", frame)
    con.execute("create table marts.indicator_values as select * from f")
    return con


def test_limits_fixed_on_the_baseline_and_a_shift_is_suggested(definitions):
    con = _warehouse(VALUES)
    assert build_spc(con, definitions=definitions, recalculations=[])["indicator_spc_suggestions"] == 1
    spc = con.execute("select centre, upper_limit, baseline from marts.indicator_spc order by month").df()
    assert spc["centre"].round(9).unique().tolist() == [11.0]
    assert spc["upper_limit"].round(9).unique().tolist() == [16.32]
    assert spc["baseline"].tolist() == [True] * 20 + [False] * 8
    summary = con.execute("select baseline_start, baseline_end, no_limits_reason "
                          "from marts.indicator_spc_summary").fetchone()
    assert summary == (dt.date(2016, 1, 1), dt.date(2017, 8, 1), None)
    row = con.execute("select suggested_from, run_months, side, run_mean, centre, reason "
                      "from marts.indicator_spc_suggestions").fetchone()
    assert row[:5] == (dt.date(2017, 9, 1), 8, "above", 14.0, 11.0)
    assert "September 2017" in row[5] and "spc_recalculations.yml" in row[5]


def test_an_agreed_recalculation_rebases_and_the_suggestion_goes(definitions):
    con = _warehouse(VALUES)
    agreed = [SpcRecalculation(date=dt.date(2017, 9, 1), indicators=("fake_counts",),
                               reason="new process", agreed_by="CSP analyst")]
    assert build_spc(con, definitions=definitions, recalculations=agreed)["indicator_spc_suggestions"] == 0
    summary = con.execute("select trial, no_limits_reason, rebase_dates from marts.indicator_spc_summary").fetchone()
    assert summary == (True, "trial", ["2017-09-01"])


def test_a_run_broken_by_a_point_on_the_other_side_is_not_suggested(definitions):
    con = _warehouse(VALUES[:-1] + [9.0])  # the latest month falls back below the centre
    assert build_spc(con, definitions=definitions, recalculations=[])["indicator_spc_suggestions"] == 0


def test_a_flat_baseline_has_no_limits_and_says_why(definitions):
    con = _warehouse([5.0] * 20 + [6.0])
    build_spc(con, definitions=definitions, recalculations=[])
    row = con.execute("select variation_icon, trial, no_limits_reason from marts.indicator_spc_summary").fetchone()
    assert row == (None, False, "no_variation")
    assert con.execute("select count(*) from marts.indicator_spc where point_type is not null").fetchone() == (0,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("recalculations:\n  - date: 2017-09-01\n    indicators: [fake_counts]\n    reason: r\n",
         "(?s)recalculation 1.*agreed_by"),
        ("recalculations:\n  - date: 2017-09-01\n    indicators: [nope]\n    reason: r\n    agreed_by: a\n",
         "recalculation 1: unknown indicator.*nope"),
        ("recalculations:\n  - date: 2017-09-01\n    indicators: []\n    reason: r\n    agreed_by: a\n",
         "(?s)recalculation 1.*indicators"),
    ],
)
def test_recalculation_file_errors_name_the_entry(tmp_path: Path, definitions, text: str, message: str) -> None:
    path = tmp_path / "spc_recalculations.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_spc_recalculations(path, indicators=definitions[0])


def test_the_project_file_loads():
    assert isinstance(load_spc_recalculations(), list)
