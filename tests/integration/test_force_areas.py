"""Two Kent areas run concurrently as their own flow runs from two real months; counts match the files."""

from __future__ import annotations

import csv
import os
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from demo.generator import generate_reference_inbox
from tests.conftest import POLICE_DIR, REAL_DIR

pytestmark = pytest.mark.integration

MONTHS = ["2022-01", "2022-02"]
AREAS = {"E07000105": "Ashford", "E07000110": "Maidstone"}


def independent_asb(month: str) -> Counter:
    counts: Counter = Counter()
    with open(POLICE_DIR / f"{month}-kent-street.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Crime type"] == "Anti-social behaviour" and row["LSOA name"]:
                counts[row["LSOA name"].rsplit(" ", 1)[0]] += 1
    return counts


def build_inbox(data: Path) -> None:
    """$CSP_DATA/inbox with the ONS reference files and the real Kent street crime of MONTHS."""
    inbox = data / "inbox"
    generate_reference_inbox(inbox, REAL_DIR)
    (inbox / "police_street").mkdir(parents=True)
    for month in MONTHS:
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


def test_each_area_is_its_own_flow_run_and_counts_match(force_run):
    data, result = force_run
    assert sorted(item["area"] for item in result["results"]) == sorted(AREAS)
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
