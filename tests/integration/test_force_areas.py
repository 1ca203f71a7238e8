"""Two Kent areas from two real months: indicators computed in one step, then one reports flow run per area.

Checked against the files, not the program: ASB counts per district from the csv rows; each area's report
folder holds only rows of that district and of its wards (the ward list read from the ONS WD19 -> LAD19
lookup csv); the run's record covers the reports and names the Prefect server that ran it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from demo.generator import generate_reference_inbox
from tests.conftest import ONS_DIR, POLICE_DIR, REAL_DIR

pytestmark = pytest.mark.integration

# Twelve real months: the first complete rolling-12-month window, so the cards have ward tables and the
# peer comparison (the 13 areas of the force, each rate against the force average).
MONTHS = [f"2025-{month:02d}" for month in range(1, 13)]
AREAS = {"E07000105": "Ashford", "E07000110": "Maidstone"}


def independent_asb(month: str) -> Counter:
    counts: Counter = Counter()
    with open(POLICE_DIR / f"{month}-kent-street.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Crime type"] == "Anti-social behaviour" and row["LSOA name"]:
                counts[row["LSOA name"].rsplit(" ", 1)[0]] += 1
    return counts


def build_inbox(data: Path, months: list[str] = MONTHS) -> None:
    """$CSP_DATA/inbox with the ONS reference files and the real Kent street crime of these months."""
    inbox = data / "inbox"
    generate_reference_inbox(inbox, REAL_DIR)
    (inbox / "police_street").mkdir(parents=True)
    for month in months:
        shutil.copy(POLICE_DIR / f"{month}-kent-street.csv", inbox / "police_street")


def warehouse_asb(con, area_code: str, month: str):
    """The monthly ASB count of one district in marts.indicator_values (None if there is no row)."""
    got = con.execute("""
        select value from marts.indicator_values where indicator_id = 'asb_incidents' and area_code = ?
        and period_type = 'month' and strftime(period_start, '%Y-%m') = ? limit 1""", [area_code, month]).fetchone()
    return None if got is None else got[0]


@pytest.fixture(scope="module")
def force_run(prefect_harness, tmp_path_factory):
    from flows.force import force_flow

    data = tmp_path_factory.mktemp("force") / "data"
    build_inbox(data)
    os.environ["CSP_DATA"] = str(data)
    try:
        result = force_flow(areas=",".join(AREAS))
    finally:
        os.environ.pop("CSP_DATA")
    return data, result


PERIOD = MONTHS[-1]


def wards_of(district: str) -> set[str]:
    """The district's wards, from the ONS ward -> district lookup file itself."""
    with open(ONS_DIR / "jtrim_csv_056_WD19_LAD19_UK_LU.csv", encoding="utf-8-sig", newline="") as handle:
        return {row["WD19CD"] for row in csv.DictReader(handle) if row["LAD19CD"] == district}


def test_each_area_is_its_own_reports_flow_run_and_counts_match(force_run):
    data, result = force_run
    assert sorted(item["area"] for item in result["results"]) == sorted(AREAS)
    assert len({item["flow_run_id"] for item in result["results"]}) == len(AREAS)  # one flow run each
    with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
        for month in MONTHS:
            expected = independent_asb(month)
            for code, name in AREAS.items():
                got = warehouse_asb(con, code, month)
                assert got is not None and got == expected[name], (code, month)


def test_all_in_force_finds_the_thirteen_kent_csps(force_run):
    data, _ = force_run
    from transforms.peers import force_areas

    with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
        areas = force_areas(con, 0.01)
    assert len(areas) == 13 and "E06000035" in areas and "E07000110" in areas  # 12 districts + Medway


def test_each_area_folder_holds_only_its_own_figures(force_run):
    data, _ = force_run
    assert sorted(p.name for p in (data / "reports").iterdir() if not p.name.startswith(".")) == sorted(AREAS)
    for code, name in AREAS.items():
        folder = data / "reports" / code / PERIOD
        assert (folder / "committee_summary.html").is_file() and (folder / "data_quality.html").is_file()
        tables = sorted(folder.glob("*/indicators.csv"))
        assert tables, folder
        allowed = {code} | wards_of(code)
        seen: set[str] = set()
        for table in tables:
            with open(table, encoding="utf-8", newline="") as handle:
                rows = list(csv.DictReader(handle))
            seen |= {row["area_code"] for row in rows if row["area_type"] in {"district", "ward"}}
            assert {row["area_name"] for row in rows if row["area_type"] == "district"} <= {name}, table
        assert code in seen and seen <= allowed, (code, sorted(seen - allowed))
        assert seen & wards_of(code), code  # the area's own wards are there
        data_sheet = pd.read_excel(folder / "asb_reoffending" / "indicators.xlsx", sheet_name="Data", header=2,
                                   engine="openpyxl")
        asb = data_sheet[data_sheet["Indicator id"] == "asb_incidents"]
        by_month = {pd.Timestamp(m).strftime("%Y-%m"): int(v) for m, v in zip(asb["Month"], asb["Value"], strict=True)}
        assert by_month == {month: independent_asb(month)[name] for month in MONTHS}, code


def test_each_area_gets_the_peer_comparison(force_run):
    data, result = force_run
    assert result["peers"]["force_areas"] == 13
    for code in AREAS:
        card = (data / "reports" / code / PERIOD / "asb_reoffending" / "report_card.html").read_text(encoding="utf-8")
        assert "Compared with peers" in card and "Peer group “force”" in card, code
        table = card[card.index("Peer group “force”"):]
        table = table[:table.index("</table>")]
        for other in AREAS.values():  # both areas are in each other's table
            assert other in table, (code, other, table[:3000])


def test_a_borrowed_plan_says_whose_it_is(force_run):
    data, _ = force_run
    ashford = (data / "reports" / "E07000105" / PERIOD / "committee_summary.html").read_text(encoding="utf-8")
    assert "Safer Maidstone Partnership&#39;s plan, applied to Ashford" in ashford
    assert "Safer Maidstone Partnership · " not in ashford  # not headed as Maidstone's own plan
    maidstone = (data / "reports" / "E07000110" / PERIOD / "committee_summary.html").read_text(encoding="utf-8")
    assert "Safer Maidstone Partnership · " in maidstone


def test_the_run_record_covers_the_reports_and_names_its_server(force_run):
    data, _ = force_run
    newest = max(p.stat().st_mtime for p in (data / "reports").rglob("*") if p.is_file())
    with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
        rows = con.execute("""select state, ended_at, flow_run_id, prefect_server, area_code,
                                     json_extract(stage_row_counts, '$.reports')
                              from audit.pipeline_runs where flow_name = 'csp-force'""").fetchall()
    (state, ended_at, flow_run_id, server, areas, reports), = rows
    assert state == "completed" and sorted(areas.split(",")) == sorted(AREAS)
    assert ended_at.timestamp() >= newest  # ended_at is written after the last report file
    from prefect.settings import get_current_settings

    assert server == str(get_current_settings().api.url) and server.startswith("http")  # the test server
    assert flow_run_id
    assert sorted(item["area"] for item in json.loads(reports)) == sorted(AREAS)


def test_a_duckdb_1x_client_and_a_parquet_reader_get_the_same_counts(force_run):
    from tests.duckdb1_client import duckdb1_query

    data, _ = force_run
    month = MONTHS[-1]
    expected = independent_asb(month)
    version, rows = duckdb1_query(data / "csp.duckdb", f"""
        select area_code, value from marts.indicator_values where indicator_id = 'asb_incidents'
        and period_type = 'month' and strftime(period_start, '%Y-%m') = '{month}'
        and area_code in ('E07000105', 'E07000110') group by all order by 1""")
    assert version.startswith("1.") and rows == [[code, float(expected[name])] for code, name in sorted(AREAS.items())]
    import pyarrow.dataset as ds

    values = ds.dataset(data / "parquet" / "marts" / "indicator_values", format="parquet", partitioning="hive")
    for code, name in AREAS.items():
        table = values.to_table(filter=(ds.field("area") == code) & (ds.field("year_month") == month)
                                & (ds.field("indicator_id") == "asb_incidents") & (ds.field("period_type") == "month")
                                & (ds.field("area_code") == code)).to_pylist()
        assert {row["value"] for row in table} == {expected[name]}, code
