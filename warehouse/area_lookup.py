"""The ONS lookups in the warehouse as an AreaLookup (codes → district) for the area check at ingest.

Read from raw (staging views may not exist yet in a new warehouse): every loaded lookup file, later
files overriding earlier ones. Empty when no lookup is loaded yet: the area check then says so
instead of guessing (the monthly run and `csp ingest` load reference files before the others).
"""

from __future__ import annotations

import duckdb

from expectations.area import AreaLookup

_SOURCES = {
    "lsoa11": "select lsoa11_code, lad_code, lad_name from raw.reference_lsoa11_ward_lad order by _file_id",
    "lsoa21": "select lsoa21_code, lad_code, null from raw.reference_lsoa21_boundaries order by _file_id",
    "wards": "select ward_code, lad_code, lad_name from raw.reference_ward_lad order by _file_id",
    "districts": "select lad_code, lad_code, lad_name from raw.reference_lad order by _file_id",
}


def load_area_lookup(con: duckdb.DuckDBPyConnection | None) -> AreaLookup:
    lookup = AreaLookup()
    if con is None:
        return lookup
    for kind, sql in _SOURCES.items():
        try:
            rows = con.execute(sql).fetchall()
        except duckdb.Error:  # a warehouse from before this source existed
            continue
        target = lookup.wards if kind == "wards" else lookup.lsoa if kind.startswith("lsoa") else None
        for code, district, name in rows:
            if not code or not district:
                continue
            if target is not None:
                target[code.strip()] = district.strip()
            if name:
                lookup.district_names[district.strip()] = name.strip()
    return lookup
