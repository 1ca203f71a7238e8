"""SPC on the demo warehouse: every plan indicator charted, VATP rebased at April 2017.

The monthly flow does not call build_spc yet, so the test builds it on a copy of the demo
warehouse (the session fixture's warehouse stays untouched for other tests).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time

import duckdb
import pytest

from reporting.charts import COLOURS
from reporting.spc_charts import render_spc_charts
from transforms.definitions import project_definitions
from transforms.spc_mart import build_spc

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]

AREA = "E07000110"


@pytest.fixture(scope="module")
def spc_warehouse(demo_warehouse, tmp_path_factory):
    """A read-write copy of the demo warehouse with the SPC marts built, and the build time."""
    copy = tmp_path_factory.mktemp("spc") / "csp.duckdb"
    shutil.copy(demo_warehouse["settings"].warehouse_path, copy)
    con = duckdb.connect(str(copy))
    started = time.perf_counter()
    counts = build_spc(con)
    elapsed = time.perf_counter() - started
    yield {"con": con, "counts": counts, "seconds": elapsed}
    con.close()


def _plan_keys(plan_year: str, priority: str | None = None) -> set[tuple[str, str]]:
    """(priority_id, indicator_id) of every plan entry with a monthly series.

    Survey indicators are measured once per survey wave, not monthly, so they have no XmR chart.
    """
    indicators, _, plans = project_definitions()
    return {(p.id, e.id) for p, _, e in plans[plan_year].entries()
            if (priority is None or p.id == priority)
            and indicators[e.id].method != "survey_share"}


def _plan_year() -> str:
    return max(project_definitions()[2])


def test_every_plan_indicator_has_spc_rows_and_a_summary(spc_warehouse):
    con, plan_year = spc_warehouse["con"], _plan_year()
    have = set(con.execute("""select distinct priority_id, indicator_id from marts.indicator_spc
                              where plan_year = ? and area_code = ? and area_type = 'district'""",
                           [plan_year, AREA]).fetchall())
    assert _plan_keys(plan_year) <= have
    # ...and every monthly district series the indicator engine wrote is charted.
    monthly = set(con.execute("""select distinct priority_id, indicator_id
                                 from marts.indicator_values where plan_year = ? and area_code = ?
                                 and area_type = 'district' and period_type = 'month'""",
                              [plan_year, AREA]).fetchall())
    assert monthly <= have
    summary = set(con.execute("""select priority_id, indicator_id from marts.indicator_spc_summary
                                 where plan_year = ? and area_code = ?""",
                              [plan_year, AREA]).fetchall())
    assert _plan_keys(plan_year) <= summary
    assert spc_warehouse["counts"]["indicator_spc"] > 0


def test_vatp_rebases_exactly_at_april_2017(spc_warehouse):
    rows = spc_warehouse["con"].execute("""
        select month, rebase_group, rebase_date from marts.indicator_spc
        where indicator_id = 'vatp_offences' and area_code = ? and area_type = 'district'
        order by priority_id, month""", [AREA]).fetchall()
    assert rows
    switches = [month for (month, group, _), (_, before, _) in zip(rows[1:], rows[:-1],
                                                                   strict=True) if group != before]
    assert switches == [dt.date(2017, 4, 1)]
    assert {date for month, _, date in rows if month >= dt.date(2017, 4, 1)} == {dt.date(2017, 4, 1)}
    summary = spc_warehouse["con"].execute("""select rebase_dates from marts.indicator_spc_summary
        where indicator_id = 'vatp_offences' and area_code = ?""", [AREA]).fetchall()
    assert summary and all(r == (["2017-04-01"],) for r in summary)


def test_gaps_are_never_zero_and_point_types_are_known(spc_warehouse):
    con = spc_warehouse["con"]
    assert con.execute("""select count(*) from marts.indicator_spc
                          where value is null and point_type is not null""").fetchone() == (0,)
    kinds = {k for (k,) in con.execute("select distinct point_type from marts.indicator_spc").fetchall()}
    assert kinds <= {None, "common_cause", "special_cause_improvement", "special_cause_concern",
                     "special_cause_neutral_high", "special_cause_neutral_low"}


def test_domestic_abuse_charts_png_svg_forecast_and_mdc_colours(spc_warehouse, tmp_path):
    con, plan_year = spc_warehouse["con"], _plan_year()
    out = render_spc_charts(con, tmp_path / "charts", plan_year, AREA,
                            priorities=["domestic_abuse"])
    expected = _plan_keys(plan_year, "domestic_abuse")
    assert set(out) == expected
    special = dict(con.execute("""
        select indicator_id, list(distinct point_type order by point_type)
        from marts.indicator_spc
        where plan_year = ? and area_code = ? and priority_id = 'domestic_abuse'
          and point_type like 'special_cause%'
        group by all""", [plan_year, AREA]).fetchall())
    assert special, "the demo's DA series are expected to show some special cause"
    for (priority, indicator), paths in out.items():
        assert paths["png"] == tmp_path / "charts" / priority / f"{indicator}.png"
        assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = paths["svg"].read_text(encoding="utf-8")
        assert svg.lstrip().startswith(("<?xml", "<svg"))
        for kind in special.get(indicator, []):
            colour = COLOURS["improvement" if kind.endswith("improvement") else "concern"]
            assert colour in svg, f"{indicator}: {kind} points but no {colour} in the SVG"
        header = paths["forecast_csv"].read_text(encoding="utf-8").splitlines()
        assert header[0] == "month,forecast,lower,upper,method"
        assert len(header) == 13  # 12 months of baseline after the header


def test_charts_are_deterministic(spc_warehouse, tmp_path):
    con, plan_year = spc_warehouse["con"], _plan_year()
    first = render_spc_charts(con, tmp_path / "a", plan_year, AREA, priorities=["asb_reoffending"])
    second = render_spc_charts(con, tmp_path / "b", plan_year, AREA, priorities=["asb_reoffending"])
    assert set(first) == {("asb_reoffending", "asb_incidents"), ("asb_reoffending", "vatp_offences")}
    for key, paths in first.items():
        for kind, path in paths.items():
            assert path.read_bytes() == second[key][kind].read_bytes(), (key, kind)
