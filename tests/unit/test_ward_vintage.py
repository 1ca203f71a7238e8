"""The LSOA placements use one ward vintage: 2022 wards when the ONS 2021 lookup is loaded, else 2019."""

from __future__ import annotations

import duckdb

from transforms.geography import build_lsoa_placements

LSOA11 = [  # lsoa_code, lsoa_name, ward_code (2019), ward_name, lad_code, lad_name
    ("E01000001", "Dartford 001A", "E05000001", "Old Ward", "E07000107", "Dartford"),   # also a 2021 code
    ("E01000002", "Dartford 001B", "E05000002", "Kept Ward", "E07000107", "Dartford"),  # split in 2021, ward kept
    ("E01000003", "Dartford 001C", "E05000003", "Gone Ward", "E07000107", "Dartford"),  # split, ward re-coded
]
LSOA21 = [  # the 2022 wards: E05000001 became E05100001; E05000002 kept its code
    ("E01000001", "Dartford 001A", "E05100001", "New Ward", "E07000107", "Dartford"),
    ("E01099998", "Dartford 001E", "E05000002", "Kept Ward", "E07000107", "Dartford"),
    ("E01099999", "Dartford 001F", "E05100001", "New Ward", "E07000107", "Dartford"),
]


def _warehouse(lsoa21: list[tuple]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for schema in ("staging", "reference"):
        con.execute(f"create schema {schema}")
    lookup = "lsoa_code varchar, lsoa_name varchar, ward_code varchar, ward_name varchar, lad_code varchar, lad_name varchar"
    for table, rows in (("stg_reference__lsoa11_lookups", LSOA11), ("stg_reference__lsoa21_lookups", lsoa21)):
        con.execute(f"create table staging.{table} ({lookup})")
        if rows:
            con.executemany(f"insert into staging.{table} values (?, ?, ?, ?, ?, ?)", rows)
    con.execute("create table staging.stg_reference__lsoa11_boundaries (lsoa_code varchar, geometry varchar)")
    con.execute("create table staging.stg_reference__lsoa21_boundaries (lsoa_code varchar, lsoa_name varchar, "
                "lad_code varchar, centroid_lon double, centroid_lat double)")
    con.execute("create table staging.stg_reference__districts (lad_code varchar, lad_name varchar, is_current boolean)")
    con.execute("create table staging.stg_police__street_records (lsoa_code varchar, lsoa_name varchar)")
    return con


def _placements(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    build_lsoa_placements(con)
    rows = con.execute("select lsoa_code, ward_code, ward_vintage, method from reference.lsoa_placements").fetchall()
    return {code: (ward, vintage, method) for code, ward, vintage, method in rows}


def test_with_the_2021_lookup_every_lsoa_is_in_a_2022_ward_or_in_none():
    got = _placements(_warehouse(LSOA21))
    assert got == {
        "E01000001": ("E05100001", "2022", "ons_lsoa21_lookup"),
        "E01099998": ("E05000002", "2022", "ons_lsoa21_lookup"),
        "E01099999": ("E05100001", "2022", "ons_lsoa21_lookup"),
        "E01000002": ("E05000002", "2022", "ons_lsoa11_lookup_ward_unchanged_2022"),
        "E01000003": (None, "2022", "lsoa11_not_in_lsoa21_district_only"),
    }


def test_without_it_the_2019_wards_are_used():
    got = _placements(_warehouse([]))
    assert got == {code: (ward, "2019", "ons_lsoa11_lookup") for code, _, ward, *_ in LSOA11}
