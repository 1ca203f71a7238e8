"""Place LSOAs of both vintages in wards and districts: builds reference.lsoa_placements.

Ward vintage rule: one ward vintage per build, never mixed. When the ONS 2021 LSOA → 2022 ward lookup
(reference_lsoa21_ward_lad) is delivered, every LSOA is placed in a 2022 ward (ward_vintage '2022'):
2021 LSOAs through that lookup; a 2011 LSOA code that no longer exists in 2021 (2022 police.uk files) goes
to the 2022 ward with its 2019 ward's code when that ward kept its code (unchanged boundary), else keeps
its district but no ward (counted as not placed in a ward, never put in a 2019 ward). Months after a ward review
(Maidstone from May 2024) are still shown in the 2022 wards, and every ward output says so.
Without that lookup (the demo) the 2019 wards below are used (ward_vintage '2019').

The placements sit between staging and intermediate: they read only staging views and every
intermediate model that needs a ward or district joins them (transforms/build.py builds them
after staging and before intermediate). They are Python because they need point-in-polygon (geopandas/shapely).

ONS publishes a 2011 LSOA → 2019 ward → district best-fit lookup. Without the 2021 lookup, most 2021
LSOAs kept their 2011 code; for a new 2021 code we take its polygon's centroid and find the 2011 LSOA polygon containing it (a split LSOA sits inside its parent), and
inherit that LSOA's ward and district. Where no boundary is supplied, the district alone is read
from the LSOA name ('Ashford 012E' → Ashford), which ONS builds from the district name.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import geopandas as gpd
import pandas as pd
from shapely.geometry import shape

PLACEMENT_COLUMNS = ["lsoa_code", "lsoa_name", "lsoa_vintage", "ward_code", "ward_name", "lad_code", "lad_name", "method",
                     "ward_vintage"]

Record = dict[str, Any]


def _records(con: duckdb.DuckDBPyConnection, sql: str, sort_by: str | None = None) -> list[Record]:
    frame = con.execute(sql).df()
    if sort_by is not None:
        frame = frame.sort_values(sort_by)
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def _lsoa21_lookup_rows(con: duckdb.DuckDBPyConnection) -> list[Record]:
    """2021 LSOAs in their 2022 ward through the ONS lookup (empty when it was not delivered)."""
    return [
        {"lsoa_code": r["lsoa_code"], "lsoa_name": r["lsoa_name"], "lsoa_vintage": "2021", "ward_code": r["ward_code"],
         "ward_name": r["ward_name"], "lad_code": r["lad_code"], "lad_name": r["lad_name"], "method": "ons_lsoa21_lookup"}
        for r in _records(con, "select * from staging.stg_reference__lsoa21_lookups")
    ]


def _lsoa11_rows(con: duckdb.DuckDBPyConnection, lsoa21: list[Record]) -> list[Record]:
    """2011 LSOAs whose code is not a 2021 LSOA. Without the 2021 lookup: in their 2019 ward. With it: in
    the 2022 ward of the same code when their 2019 ward kept its code (a ward code changes whenever its
    boundary does), else in their district only."""
    skip = {r["lsoa_code"] for r in lsoa21}
    wards_2022 = {(r["ward_code"], r["lad_code"]): r["ward_name"] for r in lsoa21}
    rows: list[Record] = []
    for r in _records(con, "select * from staging.stg_reference__lsoa11_lookups"):
        if r["lsoa_code"] in skip:
            continue
        row = {"lsoa_code": r["lsoa_code"], "lsoa_name": r["lsoa_name"], "lsoa_vintage": "2011", "ward_code": r["ward_code"],
               "ward_name": r["ward_name"], "lad_code": r["lad_code"], "lad_name": r["lad_name"], "method": "ons_lsoa11_lookup"}
        if lsoa21:
            kept = (r["ward_code"], r["lad_code"]) in wards_2022
            row.update(ward_code=r["ward_code"] if kept else None,
                       ward_name=wards_2022.get((r["ward_code"], r["lad_code"])),
                       method="ons_lsoa11_lookup_ward_unchanged_2022" if kept else "lsoa11_not_in_lsoa21_district_only")
        rows.append(row)
    return rows


def _containing_polygon(points: list[tuple[float, float]], polygons: list[Record]) -> list[str | None]:
    """For each (lon, lat), the code of the first polygon (in the given order) that contains it, else None.

    A spatial join (geopandas, shapely's STRtree) with the `within` predicate: a point on a shared
    edge belongs to no polygon's interior, so such a point is left unplaced rather than guessed."""
    if not points or not polygons:
        return [None] * len(points)
    areas = gpd.GeoDataFrame({"code": [r["lsoa_code"] for r in polygons], "order": range(len(polygons))},
                             geometry=[shape(json.loads(r["geometry"])) for r in polygons], crs="OGC:CRS84")
    dots = gpd.GeoDataFrame({"point": range(len(points))}, geometry=gpd.points_from_xy(*zip(*points, strict=True)),
                            crs="OGC:CRS84")
    joined = gpd.sjoin(dots, areas, how="left", predicate="within").sort_values(["point", "order"])
    first = joined.drop_duplicates("point").set_index("point")["code"]
    return [None if pd.isna(first.get(i)) else str(first.get(i)) for i in range(len(points))]


def _place_new_lsoa21_by_centroid(con: duckdb.DuckDBPyConnection, rows: list[Record], known: set[str]) -> None:
    """New 2021 codes: the 2019 ward of the 2011 LSOA polygon holding the centroid (2019 vintage only)."""
    by_code = {r["lsoa_code"]: r for r in rows}
    polygons = _records(con, "select lsoa_code, geometry from staging.stg_reference__lsoa11_boundaries")
    new = list({r["lsoa_code"]: r for r in reversed(_records(con, "select * from staging.stg_reference__lsoa21_boundaries"))
                if r["lsoa_code"] not in known}.values())[::-1]  # each new code once, first seen
    parents = _containing_polygon([(float(r["centroid_lon"]), float(r["centroid_lat"])) for r in new], polygons)
    for r, parent in zip(new, parents, strict=True):
        base = by_code.get(parent) if parent else None
        rows.append({
            "lsoa_code": r["lsoa_code"], "lsoa_name": r["lsoa_name"], "lsoa_vintage": "2021",
            "ward_code": base["ward_code"] if base else None, "ward_name": base["ward_name"] if base else None,
            "lad_code": r["lad_code"], "lad_name": base["lad_name"] if base else None,
            "method": "lsoa21_centroid_in_lsoa11" if base else "lsoa21_boundary_district_only",
        })
        known.add(r["lsoa_code"])


def build_lsoa_placements(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build reference.lsoa_placements; returns how many LSOAs each method placed."""
    rows = _lsoa21_lookup_rows(con)
    ward_vintage = "2022" if rows else "2019"
    rows += _lsoa11_rows(con, rows)
    known = {r["lsoa_code"] for r in rows}
    if ward_vintage == "2019":
        _place_new_lsoa21_by_centroid(con, rows, known)
    districts = _records(con, "select lad_code, lad_name, is_current from staging.stg_reference__districts", "is_current")
    by_name: dict[str, str] = {}
    for r in districts:
        by_name[str(r["lad_name"]).lower()] = r["lad_code"]  # current codes win (sorted last)
    names = {r["lad_code"]: r["lad_name"] for r in rows if r["lad_name"]}
    names.update({r["lad_code"]: r["lad_name"] for r in districts})
    observed = _records(con, "select distinct lsoa_code, lsoa_name from staging.stg_police__street_records "
                             "where lsoa_code is not null and lsoa_name is not null")
    for r in observed:
        if r["lsoa_code"] in known:
            continue
        district = str(r["lsoa_name"]).rsplit(" ", 1)[0].lower()
        lad = by_name.get(district)
        if lad is None:
            continue
        rows.append({"lsoa_code": r["lsoa_code"], "lsoa_name": r["lsoa_name"], "lsoa_vintage": "2021", "ward_code": None,
                     "ward_name": None, "lad_code": lad, "lad_name": names.get(lad), "method": "lsoa_name_district"})
        known.add(r["lsoa_code"])
    for row in rows:
        if not row["lad_name"]:
            row["lad_name"] = names.get(row["lad_code"])
        row["ward_vintage"] = ward_vintage
    frame = pd.DataFrame(rows, columns=PLACEMENT_COLUMNS).astype(object)
    con.register("placements_frame", frame)
    con.execute("create or replace table reference.lsoa_placements as select * from placements_frame")
    con.unregister("placements_frame")
    con.execute("comment on table reference.lsoa_placements is 'Every known LSOA (2011 and 2021 codes) placed in a "
                "ward and district; ward_vintage is the one ward set used (2022 when the ONS 2021 LSOA lookup is delivered, "
                "else 2019); method says how (ONS lookup, 2021 centroid in a 2011 LSOA, or district from the LSOA name).'")
    return placement_counts(con)


def placement_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many LSOAs each method placed (reference.lsoa_placements)."""
    counts = con.execute("select method, count(*) from reference.lsoa_placements group by all").fetchall()
    return {str(method): int(count) for method, count in counts}
