"""Wards everywhere in Kent: Dartford's 2025 ward totals equal an independent count of the real police.uk
files joined, in plain Python (csv module), to the ONS 2021 LSOA → 2022 ward lookup."""

from __future__ import annotations

import csv
from collections import Counter

import duckdb
import pytest

from tests.conftest import POLICE_DIR, REAL_DIR, run_police_only_inbox

pytestmark = pytest.mark.integration

DARTFORD = "E07000107"
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
LOOKUP = REAL_DIR / "ons" / "Birmingham-and-Solihull-ICS_BSOL_Outcomes_Framework_LSOA21_WD22_LAD22_EW_LU_v3.csv"


def ons_lookup() -> dict[str, tuple[str, str]]:
    """LSOA21CD → (WD22CD, LAD22CD), read straight from the ONS file (it starts with a BOM)."""
    with open(LOOKUP, encoding="utf-8-sig", newline="") as handle:
        return {row["LSOA21CD"]: (row["WD22CD"], row["LAD22CD"]) for row in csv.DictReader(handle)}


def independent_counts() -> tuple[Counter, Counter, int]:
    """(ward, month, 'asb'|'crime') counts for Dartford, district total, Dartford-named rows not in the lookup."""
    lookup = ons_lookup()
    wards: Counter = Counter()
    district: Counter = Counter()
    missing = 0
    for month in MONTHS:
        with open(POLICE_DIR / f"{month}-kent-street.csv", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                code = row["LSOA code"]
                if code not in lookup:
                    missing += row["LSOA name"].startswith("Dartford")
                    continue
                ward, lad = lookup[code]
                if lad != DARTFORD:
                    continue
                kind = "asb" if row["Crime type"] == "Anti-social behaviour" else "crime"
                wards[(ward, row["Month"], kind)] += 1
                district[(row["Month"], kind)] += 1
    return wards, district, missing


@pytest.fixture(scope="module")
def dartford(prefect_harness, tmp_path_factory):
    data = tmp_path_factory.mktemp("dartford") / "data"
    run_police_only_inbox(data, MONTHS, area=DARTFORD)
    return data


def test_dartford_2025_ward_totals_equal_an_independent_count(dartford):
    wards, district, missing = independent_counts()
    assert missing == 0  # SOURCES.md: every 2024-25 LSOA code is in the ONS lookup
    with duckdb.connect(str(dartford / "csp.duckdb"), read_only=True) as con:
        rows = con.execute("""
            select area_code, strftime(month, '%Y-%m'), asb_incidents, all_crimes, ward_vintage
            from marts.crimes_by_area_month
            where area_type = 'ward' and district_code = ? and year(month) = 2025""", [DARTFORD]).fetchall()
        totals = con.execute("""
            select strftime(month, '%Y-%m'), asb_incidents, all_crimes from marts.crimes_by_area_month
            where area_type = 'district' and area_code = ? and year(month) = 2025""", [DARTFORD]).fetchall()
    expected_wards = {ward for ward, _, _ in wards}
    assert {code for code, *_ in rows} == expected_wards
    assert {vintage for *_, vintage in rows} == {"2022"}
    assert len(rows) == len(expected_wards) * 12
    for code, month, asb, crimes, _ in rows:
        assert (asb, crimes) == (wards[(code, month, "asb")], wards[(code, month, "crime")]), (code, month)
    # The district total loses nothing: it equals the sum of its wards (no Dartford row is unplaced).
    for month, asb, crimes in totals:
        assert (asb, crimes) == (district[(month, "asb")], district[(month, "crime")]), month
    assert sum(district[(m, "asb")] for m in MONTHS) == sum(v for (_, _, k), v in wards.items() if k == "asb")


def test_dartford_ward_outputs_state_the_ward_vintage(dartford):
    folders = [p for p in (dartford / "reports").rglob("indicators.csv")]
    assert folders, "no report card csv was written"
    with open(folders[0], encoding="utf-8-sig", newline="") as handle:
        ward_rows = [row for row in csv.DictReader(handle) if row["area_type"] == "ward"]
    assert ward_rows and all(row["ward_vintage"].startswith("Wards as at 2022") for row in ward_rows)
    card = folders[0].parent / "report_card.html"
    if card.exists():
        assert "Wards as at 2022" in card.read_text(encoding="utf-8")
