"""transforms.spc_mart.build_spc on a hand-made marts.indicator_values (expected values by hand).

Series `fake_counts` (district D1), 30 months Jan 2016 – Jun 2018, recording change 2017-04-01:
  group 0, Jan 2016 – Mar 2017 (15 months, June 2016 missing): 10, 12, 10, 12, 10, _, 12, 10, 12,
    10, 12, 10, 12, 10, 12 → 14 values, seven 10s and seven 12s: mean 11; the 12 moving ranges
    that do not touch the gap are all 2 → MR-bar 2 (none ≥ 3.267·2 is screened);
    limits 11 ± 2.66·2 = 5.68 / 16.32; 2σ 11 ± (2·2.66/3)·2 = 7.453333 / 14.546667; alternating, so
    every point is common cause.
  group 1, Apr 2017 – Jun 2018 (15 months): 19, 21, … (seven of each, ending 21 in May 2018), 40
    → mean 320/15 = 21.3333; ranges: thirteen 2s and 19 → MR-bar 45/14 = 3.214, screening drops
    19 (≥ 10.5) → MR-bar 2; UPL 21.3333 + 5.32 = 26.6533, LPL 16.0133. 40 > UPL → outside_limits.
  Without the rebase the jump from ~11 to ~20 would flag shifts, so group 0 being common cause
  also shows the rules did not span the change.
Plan: priority p1 (aim decrease, target 30, listed in two outcomes → still one series) and
priority p2 (aim increase, no target).
  p1: last point high against a decrease aim → special_cause_concern_high; target 30 > UPL
      and lower is better → the process always meets it → consistent_pass.
  p2: same point, improvement → special_cause_improvement_high; no target → no assurance icon.
Series `fake_short` (p1, aim increase, target 5): 18 months Jan 2017 – Jun 2018, analyst rebase
date 2017-10-15 (mid-month → the new group starts November 2017): groups of 10 and 8 values,
both < 13 → trial, no limits, no icons even with a target.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from transforms.definitions import IndicatorDefinition, Plan, RecordingChange
from transforms.spc import SpcSettings
from transforms.spc_mart import build_spc, effective_rebase_months

GROUP0 = [10, 12, 10, 12, 10, None, 12, 10, 12, 10, 12, 10, 12, 10, 12]
GROUP1 = [19, 21] * 7 + [40]
SHORT = [5.0 + (i % 3) for i in range(18)]


def _definition(indicator_id: str, **extra) -> IndicatorDefinition:
    """A minimal count indicator."""
    return IndicatorDefinition.model_validate({
        "id": indicator_id, "title": indicator_id, "definition": "test", "sources": ["police_street"],
        "numerator": {"mart": "m", "measure": indicator_id}, "method": "count",
        "unit": "events", **extra})


def _change(change_id: str, day: dt.date) -> RecordingChange:
    """A recording change on `day`."""
    return RecordingChange(id=change_id, date=day, title=change_id, description="test",
                           source="police_street")


@pytest.fixture
def definitions():
    """Two indicators, three recording changes (one before the data, two on the same day), a plan."""
    changes = {c.id: c for c in (_change("early", dt.date(2015, 4, 1)),
                                 _change("main", dt.date(2017, 4, 1)),
                                 _change("same_day", dt.date(2017, 4, 1)))}
    indicators = {
        "fake_counts": _definition("fake_counts", recording_changes=["early", "main", "same_day"]),
        "fake_short": _definition("fake_short", rebase_dates=["2017-10-15"]),
    }
    entry = {"label": "Fake counts", "data_source": "Test police"}
    plan = Plan.model_validate({
        "plan_year": "2018-19", "partnership": "P", "area_code": "D1", "title": "T",
        "starts": "2018-04-01", "ends": "2019-03-31",
        "priorities": [
            {"id": "p1", "title": "P1", "kind": "priority", "outcomes": [
                {"id": "o1", "statement": "s", "indicators": [
                    {"id": "fake_counts", "aim": "decrease", "target": 30, **entry},
                    {"id": "fake_short", "aim": "increase", "target": 5, "label": "Short",
                     "data_source": "Test"}]},
                {"id": "o2", "statement": "s", "indicators": [
                    {"id": "fake_counts", "aim": "decrease", "target": 30, **entry}]}]},
            {"id": "p2", "title": "P2", "kind": "priority", "outcomes": [
                {"id": "o3", "statement": "s", "indicators": [
                    {"id": "fake_counts", "aim": "increase", **entry}]}]},
        ]})
    return indicators, changes, {"2018-19": plan}


def _rows(priority: str, outcome: str, indicator: str, start: str, values: list, aim: str,
          area_code: str = "D1", area_type: str = "district") -> list[dict]:
    """indicator_values month rows; None values become absent rows (an undelivered month)."""
    months = pd.date_range(start, periods=len(values), freq="MS")
    return [{"plan_year": "2018-19", "priority_id": priority, "outcome_id": outcome,
             "indicator_id": indicator, "area_code": area_code, "area_type": area_type,
             "period_type": "month", "period_start": m.date(),
             "period_end": (m + pd.offsets.MonthEnd(0)).date(), "value": float(v), "aim": aim}
            for m, v in zip(months, values, strict=True) if v is not None]


@pytest.fixture
def con(definitions):
    """In-memory warehouse with marts.indicator_values, SPC built."""
    counts = GROUP0 + GROUP1
    rows = (_rows("p1", "o1", "fake_counts", "2016-01-01", counts, "decrease")
            + _rows("p1", "o2", "fake_counts", "2016-01-01", counts, "decrease")
            + _rows("p2", "o3", "fake_counts", "2016-01-01", counts, "increase")
            + _rows("p1", "o1", "fake_short", "2017-01-01", SHORT, "increase")
            + _rows("p1", "o1", "fake_counts", "2016-01-01", [3, None, 4], "decrease",
                    area_code="W1", area_type="ward"))
    frame = pd.DataFrame(rows)
    # A 12-month window row must be ignored: only period_type 'month' feeds SPC.
    frame = pd.concat([frame, frame.head(1).assign(period_type="12m", value=999.0)])
    connection = duckdb.connect(":memory:")
    connection.execute("create schema marts")
    connection.register("values_frame", frame)
    connection.execute("create table marts.indicator_values as select * from values_frame")
    connection.unregister("values_frame")
    build_spc(connection, definitions=definitions)
    yield connection
    connection.close()


def _series(con, priority: str, indicator: str, area: str = "D1") -> pd.DataFrame:
    """One series of marts.indicator_spc in month order."""
    return con.execute("""select * from marts.indicator_spc where priority_id = ? and
                          indicator_id = ? and area_code = ? order by month""",
                       [priority, indicator, area]).df()


def test_row_counts_cover_every_month_once_per_key(con, definitions):
    # fake_counts: 30 months × 2 priorities; fake_short 18; ward 3 → 81 rows, 4 series.
    # (Building again also shows the tables are replaced, not appended to.)
    assert build_spc(con, definitions=definitions) == {
        "indicator_spc": 81, "indicator_spc_summary": 4, "indicator_spc_suggestions": 0}
    # p1 lists fake_counts in two outcomes: still one row per month.
    assert len(_series(con, "p1", "fake_counts")) == 30


def test_rebase_group_switches_at_the_recording_change(con):
    s = _series(con, "p1", "fake_counts")
    months = pd.to_datetime(s["month"]).dt.date
    assert set(s.loc[months < dt.date(2017, 4, 1), "rebase_group"]) == {0}
    assert set(s.loc[months >= dt.date(2017, 4, 1), "rebase_group"]) == {1}
    assert s["rebase_date"].isna()[months < dt.date(2017, 4, 1)].all()
    assert set(pd.to_datetime(s.loc[months >= dt.date(2017, 4, 1), "rebase_date"]).dt.date) == {
        dt.date(2017, 4, 1)}


def test_limits_worked_by_hand(con):
    s = _series(con, "p1", "fake_counts")
    g0, g1 = s[s["rebase_group"] == 0], s[s["rebase_group"] == 1]
    assert g0["centre"].iloc[0] == pytest.approx(11)
    assert g0["upper_limit"].iloc[0] == pytest.approx(16.32)
    assert g0["lower_limit"].iloc[0] == pytest.approx(5.68)
    assert g0["upper_2sigma"].iloc[0] == pytest.approx(14.546667, abs=5e-7)
    assert g0["lower_2sigma"].iloc[0] == pytest.approx(7.453333, abs=5e-7)
    assert set(g0["point_type"].dropna()) == {"common_cause"}
    assert g1["centre"].iloc[0] == pytest.approx(320 / 15)
    assert g1["upper_limit"].iloc[0] == pytest.approx(320 / 15 + 5.32)
    assert g1["lower_limit"].iloc[0] == pytest.approx(320 / 15 - 5.32)
    last = s.iloc[-1]
    assert (last["value"], last["point_type"], last["rule"]) == (
        40.0, "special_cause_concern", "outside_limits")
    assert not s["trial"].any()


def test_gap_month_is_null_not_zero(con):
    gap = con.execute("""select value, point_type, rule, moving_range, centre
                         from marts.indicator_spc where priority_id = 'p1' and area_code = 'D1'
                         and indicator_id = 'fake_counts' and month = date '2016-06-01'""").fetchall()
    assert len(gap) == 1
    value, point_type, rule, moving_range, centre = gap[0]
    assert (value, point_type, rule, moving_range) == (None, None, None, None)
    # The gap still carries its group's limits so the chart draws unbroken limit lines.
    assert centre == pytest.approx(11)
    # No moving range is taken across the gap: July's is None too.
    july = con.execute("""select moving_range from marts.indicator_spc where priority_id = 'p1'
                          and area_code = 'D1' and indicator_id = 'fake_counts'
                          and month = date '2016-07-01'""").fetchone()
    assert july == (None,)
    ward = _series(con, "p1", "fake_counts", area="W1")
    assert ward["value"].isna().tolist() == [False, True, False]


def test_summary_icons(con):
    rows = con.execute("""select priority_id, area_code, variation_icon, assurance_icon, target,
                          trial, last_month, last_value, rebase_dates
                          from marts.indicator_spc_summary where indicator_id = 'fake_counts'
                          order by all""").fetchall()
    # The 2015 change is before the data and the two 2017-04-01 changes are one rebase.
    assert rows[0] == ("p1", "D1", "special_cause_concern_high", "consistent_pass", 30.0, False,
                       dt.date(2018, 6, 1), 40.0, ["2017-04-01"])
    # The ward's two values are far too few for limits.
    assert rows[1] == ("p1", "W1", None, None, 30.0, True, dt.date(2016, 3, 1), 4.0, [])
    assert rows[2] == ("p2", "D1", "special_cause_improvement_high", None, None, False,
                       dt.date(2018, 6, 1), 40.0, ["2017-04-01"])


def test_trial_groups_under_13_points_have_no_limits_or_icons(con):
    s = _series(con, "p1", "fake_short")
    months = pd.to_datetime(s["month"]).dt.date
    # Mid-month analyst date 2017-10-15: October mixes both practices, so November starts group 1.
    assert s.loc[months == dt.date(2017, 10, 1), "rebase_group"].item() == 0
    assert s.loc[months == dt.date(2017, 11, 1), "rebase_group"].item() == 1
    assert s["trial"].all() and s["centre"].isna().all() and s["point_type"].isna().all()
    summary = con.execute("""select variation_icon, assurance_icon, trial, rebase_dates,
                             points_in_last_group from marts.indicator_spc_summary
                             where indicator_id = 'fake_short'""").fetchone()
    assert summary == (None, None, True, ["2017-11-01"], 8)


def test_column_types(con):
    types = dict(con.execute("""select column_name, data_type from duckdb_columns()
                                where table_name = 'indicator_spc'""").fetchall())
    assert types["month"] == "DATE" and types["rebase_date"] == "DATE"
    assert types["value"] == "DOUBLE" and types["rebase_group"] == "INTEGER"
    assert types["trial"] == "BOOLEAN" and types["point_type"] == "VARCHAR"
    summary = dict(con.execute("""select column_name, data_type from duckdb_columns()
                                  where table_name = 'indicator_spc_summary'""").fetchall())
    assert summary["rebase_dates"] == "VARCHAR[]" and summary["assurance_icon"] == "VARCHAR"


def test_settings_are_passed_through(con, definitions):
    # min_points 16 makes both 15-month groups of fake_counts trial.
    build_spc(con, SpcSettings(min_points=16), definitions=definitions)
    s = _series(con, "p1", "fake_counts")
    assert s["trial"].all() and s["upper_limit"].isna().all()


def test_empty_input_still_creates_typed_tables(definitions):
    connection = duckdb.connect(":memory:")
    connection.execute("""create schema marts; create table marts.indicator_values (
        plan_year varchar, priority_id varchar, outcome_id varchar, indicator_id varchar,
        area_code varchar, area_type varchar, period_type varchar, period_start date,
        period_end date, value double, aim varchar)""")
    assert build_spc(connection, definitions=definitions) == {
        "indicator_spc": 0, "indicator_spc_summary": 0, "indicator_spc_suggestions": 0}
    assert connection.execute("select count(*) from marts.indicator_spc_summary").fetchone() == (0,)


def test_effective_rebase_months(definitions):
    indicators, changes, _ = definitions
    assert effective_rebase_months(indicators["fake_counts"], changes) == [
        dt.date(2015, 4, 1), dt.date(2017, 4, 1)]
    assert effective_rebase_months(indicators["fake_short"], changes) == [dt.date(2017, 11, 1)]
    assert effective_rebase_months(None, changes) == []
