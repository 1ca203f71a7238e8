"""The real data.police.uk Kent files load unmodified; counts match an independent csv count."""

from __future__ import annotations

import csv
from collections import Counter

import duckdb
import pytest

from tests.conftest import POLICE_DIR, REFERENCE_FILES

pytestmark = pytest.mark.integration

MONTHS = ["2022-01", "2025-02"]  # a 2011-LSOA CRLF file and a 2021-LSOA LF file


def independent_counts(month: str) -> dict[str, int]:
    counts: Counter = Counter()
    with open(POLICE_DIR / f"{month}-kent-street.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            counts["rows"] += 1
            counts["asb"] += row["Crime type"] == "Anti-social behaviour"
            counts["no_location"] += row["LSOA code"] == ""
            counts["maidstone"] += row["LSOA name"].startswith("Maidstone ")
            counts["maidstone_asb"] += row["LSOA name"].startswith("Maidstone ") and row["Crime type"] == "Anti-social behaviour"
            counts["empty_crime_id"] += row["Crime ID"] == ""
    return counts


@pytest.fixture(scope="module")
def ingested(prefect_harness, tmp_path_factory):
    import os

    from flows.ingest import ingest_flow

    data = tmp_path_factory.mktemp("real") / "data"
    os.environ["CSP_DATA"] = str(data)
    try:
        result = ingest_flow(paths=[str(p) for p in REFERENCE_FILES] + [str(POLICE_DIR / f"{m}-kent-street.csv") for m in MONTHS])
    finally:
        os.environ.pop("CSP_DATA")
    return data / "csp.duckdb", result


def test_flow_loads_every_row_as_received(ingested):
    path, result = ingested
    assert not [line for line in result["outcomes"] if line.startswith("REFUSED")]
    with duckdb.connect(str(path), read_only=True) as con:
        for month in MONTHS:
            expected = independent_counts(month)
            got = con.execute("""
                select count(*), count(*) filter (where crime_type = 'Anti-social behaviour'),
                       count(*) filter (where lsoa_code is null), count(*) filter (where crime_id is null)
                from raw.police_street where month = ?""", [month]).fetchone()
            assert got == (expected["rows"], expected["asb"], expected["no_location"], expected["empty_crime_id"])


def test_rows_are_placed_in_maidstone_through_both_lsoa_vintages(ingested):
    path, _ = ingested
    with duckdb.connect(str(path), read_only=True) as con:
        for month in MONTHS:
            expected = independent_counts(month)
            got = con.execute("""
                select count(*), count(*) filter (where is_asb)
                from intermediate.int_police__street_crimes_in_area where strftime(month, '%Y-%m') = ?""", [month]).fetchone()
            assert got == (expected["maidstone"], expected["maidstone_asb"])
        new_codes = con.execute("""
            select count(distinct lsoa_code) from intermediate.int_police__street_crimes_placed
            where placement_method = 'lsoa21_centroid_in_lsoa11' and lad_code = 'E07000110' and ward_code is not null""").fetchone()[0]
    assert new_codes >= 5  # the new 2021 Maidstone LSOAs (E01034990-9) that appear in Feb 2025


def test_every_maidstone_2011_lsoa_has_a_2019_ward(ingested):
    path, _ = ingested
    with duckdb.connect(str(path), read_only=True) as con:
        wards = con.execute("""select count(distinct ward_code), count(*) filter (where ward_code is null)
                               from intermediate.int_police__street_crimes_in_area where month = date '2022-01-01'""").fetchone()
    assert wards == (26, 0)


def test_audit_answers_the_readme_query(ingested):
    path, _ = ingested
    with duckdb.connect(str(path), read_only=True) as con:
        rows = {(s, st): n for s, st, n in con.execute("select source, status, count(*) from audit.files group by all").fetchall()}
    assert rows[("police_street", "loaded")] == 2
    assert rows[("reference_lsoa11_ward_lad", "loaded")] == 1


def test_each_raw_row_keeps_its_spreadsheet_row_number(ingested):
    """raw._row_number is the row as a spreadsheet shows it (header = row 1): every stored row equals that csv record."""
    path, _ = ingested
    month = MONTHS[1]
    with open(POLICE_DIR / f"{month}-kent-street.csv", encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))[1:]
    with duckdb.connect(str(path), read_only=True) as con:
        stored = con.execute("""
            select _row_number, crime_id, longitude, location, crime_type, last_outcome_category
            from raw.police_street where month = ? order by _row_number""", [month]).fetchall()
    assert [row[0] for row in stored] == list(range(2, len(records) + 2))
    for row_number, crime_id, longitude, location, crime_type, outcome in stored:
        record = records[row_number - 2]
        assert (crime_id or "", longitude or "", location or "", crime_type, outcome or "") == (
            record[0], record[4], record[6], record[9], record[10]), row_number
