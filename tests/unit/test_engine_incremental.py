"""The indicator engine alone, run incrementally (transforms.engine.run_engine after a marts build that changed
one month): it deletes and inserts only the windows ending in or after that month, equals a full recomputation
row for row, leaves earlier windows as they were, and recomputes the coverage of an earlier window only when a
source's first or latest month can have changed it.

The warehouse is written by hand: the CSP district, a neighbour and two wards with monthly measures from
2022-01, their source coverage, and the audit.model_builds rows a marts build leaves.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from expectations.sources import catalogue
from tests.conftest import same_values
from transforms import engine
from transforms.coverage import COVERAGE_TYPES, coverage_unsettled_after
from transforms.definitions import IndicatorDefinition
from transforms.incremental import Refresh, ensure_state, record_build
from warehouse.schema import write_table

AREA, NEIGHBOUR, WARDS = "E07000110", "E07000105", ("E05004982", "E05004983")
FIRST = date(2022, 1, 1)
# (mart, measure) → the source its coverage rows are for
MEASURES = {
    ("crimes_by_area_month", "asb_incidents"): "police_street",
    ("crimes_by_area_month", "vatp_offences"): "police_street",
    ("domestic_abuse_by_area_month", "da_incidents"): "police_da_incidents",
    ("domestic_abuse_by_area_month", "da_repeat_incidents"): "police_da_incidents",
    ("substance_misuse_by_area_month", "cgl_clients_in_treatment"): "cgl_treatment",
}
ORDER = "plan_year, priority_id, outcome_id, indicator_id, area_type, area_code, period_type, period_end"
TITLES = {spec.name: spec.title for spec in catalogue()}


def months(first: date, last: date) -> list[date]:
    return [d.date() for d in pd.date_range(first, last, freq="MS")]


def varied(measure: str, area: str, month: date) -> float:
    """Counts that move month to month and area to area (zeros included); repeats never above incidents."""
    if measure == "da_repeat_incidents":
        return float(varied("da_incidents", area, month) // 3)
    n = month.year * 12 + month.month
    base = (n * 7 + sum(map(ord, area)) * 3 + len(measure)) % 23
    if measure == "cgl_clients_in_treatment":
        return float(100 + base)
    return float(base)


def add_months(con: duckdb.DuckDBPyConnection, new: list[date], value=varied,
               delivered: dict[str, list[date]] | None = None) -> None:
    """Measures of these months for every area, and each source's coverage row for them (delivered by default)."""
    areas = [("district", AREA), ("district", NEIGHBOUR)] + [("ward", ward) for ward in WARDS]
    rows = [{"mart": mart, "measure": measure, "area_type": kind, "area_code": code, "ward_vintage": None,
             "month": month, "value": value(measure, code, month)}
            for (mart, measure) in MEASURES for kind, code in areas for month in new]
    con.register("new_measures", pd.DataFrame(rows))
    con.execute("insert into marts.monthly_measures by name select * from new_measures")
    con.unregister("new_measures")
    delivered = delivered or {source: new for source in set(MEASURES.values())}
    coverage = [{"source": source, "source_title": TITLES[source], "area_code": AREA, "month": month,
                 "expected": True, "delivered": True, "missing": False, "revised": False, "files_delivered": 1,
                 "files": [f"{source}-{month:%Y-%m}.csv"], "file_in_use": f"{source}-{month:%Y-%m}.csv",
                 "files_refused": 0, "refused_files": [], "status": "received", "indicators": []}
                for source, got in delivered.items() for month in got]
    write_table(con, "new_coverage", pd.DataFrame(coverage, columns=list(COVERAGE_TYPES)), COVERAGE_TYPES, temporary=True)
    con.execute("insert into marts.source_coverage select * from temp.new_coverage")
    con.execute("drop table temp.new_coverage")


def warehouse(path, last: date, value=varied, delivered: dict[str, list[date]] | None = None) -> duckdb.DuckDBPyConnection:
    """A warehouse holding the measures 2022-01..last, after a full marts build."""
    con = duckdb.connect(str(path))
    for schema in ("intermediate", "marts", "audit"):
        con.execute(f"create schema {schema}")
    ensure_state(con)
    con.execute("""create table intermediate.int_areas (area_code varchar, area_type varchar, district_code varchar,
                   is_csp_area boolean, in_street_crimes boolean, ward_vintage varchar)""")
    con.execute("insert into intermediate.int_areas values (?, 'district', ?, true, true, null), "
                "(?, 'district', ?, false, true, null), (?, 'ward', ?, true, true, '2019'), (?, 'ward', ?, true, true, '2019')",
                [AREA, AREA, NEIGHBOUR, NEIGHBOUR, WARDS[0], AREA, WARDS[1], AREA])
    con.execute("""create table marts.population_by_area_year as
                   select * from (values (?, 'district', 2022, 170000::hugeint, 136000::hugeint),
                                         (?, 'district', 2023, 172000::hugeint, 137000::hugeint),
                                         (?, 'district', 2023, 120000::hugeint, 96000::hugeint))
                   as t(area_code, area_type, year, population, population_16_plus)""", [AREA, AREA, NEIGHBOUR])
    con.execute("""create table marts.monthly_measures (mart varchar, measure varchar, area_type varchar,
                   area_code varchar, ward_vintage varchar, month date, value double)""")
    write_table(con, "marts.source_coverage", pd.DataFrame(columns=list(COVERAGE_TYPES)), COVERAGE_TYPES)
    add_months(con, months(FIRST, last), value, delivered)
    record_build(con, Refresh("full", None, "first build"), {})
    return con


def values(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"select * from marts.indicator_values order by {ORDER}").fetchall()


def assert_same_table(got: duckdb.DuckDBPyConnection, expected: duckdb.DuckDBPyConnection) -> None:
    describe = "select column_name, column_type from (describe marts.indicator_values)"
    assert got.execute(describe).fetchall() == expected.execute(describe).fetchall()
    mine, theirs = values(got), values(expected)
    assert len(mine) == len(theirs)
    for row, full in zip(mine, theirs):
        assert same_values(row, full), f"incremental:\n{row}\nfull recomputation:\n{full}"


def test_month_n_plus_1_incrementally_equals_a_full_recomputation(tmp_path):
    incremental = warehouse(tmp_path / "incremental.duckdb", date(2024, 6, 1))
    first = engine.run_engine(incremental, AREA)
    assert first["refresh"]["mode"] == "full"
    before = incremental.execute("select count(*) from marts.indicator_values").fetchall()[0][0]

    add_months(incremental, [date(2024, 7, 1)])
    record_build(incremental, Refresh("incremental", date(2024, 7, 1), "files changed from 2024-07"), {})
    run = engine.run_engine(incremental, AREA)
    assert run["refresh"] == {"mode": "incremental", "since": "2024-07-01", "reason": "marts changed from 2024-07"}

    full = warehouse(tmp_path / "full.duckdb", date(2024, 7, 1))
    assert engine.run_engine(full, AREA)["refresh"]["mode"] == "full"
    assert_same_table(incremental, full)
    # Only the windows ending in 2024-07 were computed and inserted: per plan entry and area, the month, 12m and
    # fytd windows (fy and fytd for districts only, no fy ending in July); the rest were there before.
    new = full.execute("select count(*) from marts.indicator_values where period_end >= '2024-07-01'").fetchall()[0][0]
    assert run["recomputed"] == new > 0
    assert run["indicator_values"] == before + new
    again = engine.run_engine(incremental, AREA)  # no build since: nothing is recomputed, nothing changes
    assert again["refresh"]["mode"] == "unchanged" and again["recomputed"] == 0
    assert_same_table(incremental, full)
    # The data reach every method the plan uses (counts, a proportion, a mean), districts and wards, and judged
    # changes both ways.
    kinds = full.execute("select distinct indicator_id, area_type from marts.indicator_values").fetchall()
    assert {("asb_incidents", "ward"), ("vatp_offences", "district"), ("da_repeat_victim_pct", "district"),
            ("cgl_clients_in_treatment", "district")} <= set(kinds)
    judged = {row[0] for row in full.execute("select distinct status from marts.indicator_values").fetchall()}
    assert {"improving", "worsening", "no_significant_change", "not_assessed"} <= judged


def constant(measure: str, area: str, month: date) -> float:
    return 10.0 if measure == "asb_incidents" else varied(measure, area, month)


def asb(con: duckdb.DuckDBPyConnection, period_type: str, period_end: str) -> tuple:
    """(numerator, previous_numerator) of the CSP district's ASB window ending in that month."""
    rows = con.execute("""select distinct numerator, previous_numerator from marts.indicator_values
                          where indicator_id = 'asb_incidents' and area_code = ? and period_type = ?
                            and period_end = last_day(?::date)""", [AREA, period_type, period_end]).fetchall()
    assert len(rows) == 1
    return rows[0]


def test_an_incremental_run_does_not_recompute_windows_ending_before_its_first_month(tmp_path):
    # ASB: 10 a month in the district. 2023-03 is then changed to 40 in the marts without a build saying so
    # (as no build would): an incremental run from 2024-07 must leave every window ending before 2024-07 as it
    # was, and read the change only where a window it computes reaches 2023-03.
    con = warehouse(tmp_path / "w.duckdb", date(2024, 6, 1), constant)
    engine.run_engine(con, AREA)
    con.execute("update marts.monthly_measures set value = 40 where measure = 'asb_incidents' and area_code = ? "
                "and month = '2023-03-01'", [AREA])
    add_months(con, [date(2024, 7, 1)], constant)
    record_build(con, Refresh("incremental", date(2024, 7, 1), "files changed from 2024-07"), {})
    assert engine.run_engine(con, AREA)["refresh"]["mode"] == "incremental"

    assert asb(con, "month", "2023-03-01") == (10, 10)        # not 40: the month's window was kept
    assert asb(con, "fy", "2023-03-01") == (120, None)        # FY 2022/23 = 12 × 10, not 11 × 10 + 40 = 150
    assert asb(con, "12m", "2024-02-01") == (120, 120)        # 2023-03..2024-02 would be 150: kept as 120
    assert asb(con, "12m", "2024-06-01") == (120, 120)        # previous 2022-07..2023-06 would be 150: kept as 120
    # Computed windows read the measures as they are now: 12m to 2024-07 vs 2022-08..2023-07 = 11 × 10 + 40.
    assert asb(con, "12m", "2024-07-01") == (120, 150)
    assert asb(con, "fytd", "2024-07-01") == (40, 40)         # 2024-04..07 vs 2023-04..07

    # A full refresh reads every month again, so the kept values above really were not recomputed.
    engine.run_engine(con, AREA, full_refresh=True)
    assert asb(con, "month", "2023-03-01") == (40, 10)
    assert asb(con, "fy", "2023-03-01") == (150, None)
    assert asb(con, "12m", "2024-02-01") == (150, 120)
    assert asb(con, "12m", "2024-06-01") == (120, 150)


def test_coverage_unsettled_after_is_the_last_month_each_source_sent_before_the_run():
    coverage = pd.DataFrame({
        "source": ["police_street"] * 3 + ["health_ae"] * 2 + ["cgl_treatment"],
        "month": [date(2024, 5, 1), date(2024, 6, 1), date(2024, 7, 1), date(2024, 3, 1), date(2024, 7, 1),
                  date(2024, 6, 1)],
        "delivered": [True, True, True, True, True, False],
    })
    sources_of = {"asb": ["police_street"], "both": ["police_street", "health_ae"], "cgl": ["cgl_treatment"],
                  "rate": ["police_street", "reference_population"], "survey": ["survey_responses"],
                  "needles": ["council_needle_finds"]}
    assert coverage_unsettled_after(coverage, sources_of, date(2024, 7, 1)) == {
        "asb": date(2024, 6, 1),       # police.uk sent 2024-06: windows ending by then keep their coverage
        "both": date(2024, 3, 1),      # A&E's latest month before the run was 2024-03: later windows were stale
        "cgl": None,                   # never delivered before 2024-07: every window may change
        "rate": date(2024, 6, 1),      # a yearly source has no monthly coverage
        "needles": None,               # not in the coverage at all (never received)
    }
    assert coverage_unsettled_after(None, {"asb": ["police_street"]}, date(2024, 7, 1)) == {"asb": None}


def test_an_earlier_window_whose_source_was_stale_gets_its_coverage_recomputed(tmp_path, monkeypatch):
    # ASB read from two monthly sources (police.uk and A&E, as a multi-source indicator would): A&E sent
    # 2022-01..2024-04, so the windows ending 2024-05 and 2024-06 were 'stale'. A&E then sends 2024-07 (not
    # 2024-05 or 2024-06): those kept windows now have A&E's months missing: 'incomplete', like a full recomputation.
    indicators, changes, plans = engine.project_definitions()
    both = dict(indicators)
    both["asb_incidents"] = indicators["asb_incidents"].model_copy(update={"sources": ("police_street", "health_ae")})
    monkeypatch.setattr(engine, "project_definitions", lambda: (both, changes, plans))
    police = months(FIRST, date(2024, 6, 1))
    delivered = {source: police for source in set(MEASURES.values())} | {"health_ae": months(FIRST, date(2024, 4, 1))}
    con = warehouse(tmp_path / "w.duckdb", date(2024, 6, 1), delivered=delivered)
    engine.run_engine(con, AREA)

    def status(end: str) -> tuple:
        return con.execute("""select distinct months_present, data_status, data_status_reason from marts.indicator_values
                              where indicator_id = 'asb_incidents' and area_code = ? and period_type = 'month'
                                and period_end = last_day(?::date)""", [AREA, end]).fetchall()[0]

    ae = TITLES["health_ae"]
    assert status("2024-06-01") == (0, "stale", f"{ae}: latest month received is 2024-04, before 2024-06")
    add_months(con, [date(2024, 7, 1)], delivered={source: [date(2024, 7, 1)] for source in [*set(MEASURES.values()), "health_ae"]})
    record_build(con, Refresh("incremental", date(2024, 7, 1), "files changed from 2024-07"), {})
    assert engine.run_engine(con, AREA)["refresh"]["mode"] == "incremental"
    assert status("2024-06-01") == (0, "incomplete", f"{ae}: missing 2024-06")
    assert status("2024-05-01") == (0, "incomplete", f"{ae}: missing 2024-05")
    assert status("2024-04-01") == (1, "complete", None)
    assert status("2024-07-01") == (1, "complete", None)

    full = warehouse(tmp_path / "full.duckdb", date(2024, 6, 1), delivered=delivered)
    add_months(full, [date(2024, 7, 1)], delivered={source: [date(2024, 7, 1)] for source in [*set(MEASURES.values()), "health_ae"]})
    engine.run_engine(full, AREA)
    assert_same_table(con, full)


@pytest.mark.parametrize("since, first_end, count", [
    (None, date(2022, 12, 31), 19),            # 2022-01..2024-06 of 1 a month: 12m windows end 2022-12..2024-06
    (date(2024, 5, 1), date(2024, 5, 31), 2),  # 2024-05 and 2024-06
    (date(2024, 7, 1), None, 0),               # after the last month
])
def test_only_windows_ending_in_or_after_since_are_computed(since, first_end, count):
    long = pd.DataFrame({"mart": "m", "measure": "x", "area_type": "district", "area_code": AREA,
                         "month": pd.date_range(FIRST, periods=30, freq="MS"), "value": 1.0})
    spec = IndicatorDefinition.model_validate(
        {"id": "toy", "title": "Toy", "definition": "Toy", "sources": ["police_street"],
         "numerator": {"mart": "m", "measure": "x"}, "method": "count", "unit": "things"})
    rows = engine.indicator_rows(spec, {}, engine.measure_grid(long), pd.DataFrame(), period_types=("12m",), since=since)
    assert len(rows) == count
    if count:
        assert rows["period_end"].iloc[0] == first_end and rows["period_end"].iloc[-1] == date(2024, 6, 30)
        assert set(rows["numerator"]) == {12}
