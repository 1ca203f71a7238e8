"""The published warehouse opens in a DuckDB 1.x client, and the marts sit beside it as partitioned Parquet."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow.dataset as ds

from tests.duckdb1_client import duckdb1_query
from warehouse.open_formats import header_version
from warehouse.publish import building_warehouse

# A small warehouse written by hand: two districts, one ward of Maidstone, two months.
ROWS = [
    ("E07000110", "district", date(2025, 1, 1), 10),
    ("E07000110", "district", date(2025, 2, 1), 12),
    ("E05000001", "ward", date(2025, 1, 1), 3),
    ("E07000105", "district", date(2025, 2, 1), 7),
]


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    for schema in ("marts", "intermediate"):
        con.execute(f"create schema if not exists {schema}")
    con.execute("create or replace table intermediate.int_areas as select * from (values "
                "('E07000110', 'district', 'E07000110'), ('E07000105', 'district', 'E07000105'), "
                "('E05000001', 'ward', 'E07000110')) as t(area_code, area_type, district_code)")
    con.execute("create or replace table marts.counts (area_code varchar, area_type varchar, month date, n bigint)")
    con.executemany("insert into marts.counts values (?, ?, ?, ?)", ROWS)
    con.execute("create or replace table marts.notes as select 'no area, no month' as note")


def test_a_new_warehouse_is_published_in_storage_v1_and_a_1x_client_reads_it(tmp_path):
    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
    assert header_version(published) == 64  # storage version v1.0.0
    version, rows = duckdb1_query(published, "select area_code, sum(n) from marts.counts group by all order by 1")
    assert version.startswith("1.")
    assert rows == [["E05000001", 3], ["E07000105", 7], ["E07000110", 22]]


def test_a_warehouse_published_in_the_2_0_format_is_converted_with_its_data(tmp_path):
    published = tmp_path / "csp.duckdb"
    with duckdb.connect(str(published)) as con:  # what earlier runs published
        _fill(con)
    assert header_version(published) != 64
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        con.execute("insert into marts.counts values ('E07000105', 'district', date '2025-01-01', 5)")
    assert header_version(published) == 64
    _, rows = duckdb1_query(published, "select count(*), sum(n) from marts.counts")
    assert rows == [[5, 37]]  # 10 + 12 + 3 + 7 + 5


def test_marts_are_parquet_partitioned_by_district_and_month(tmp_path):
    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
    root = tmp_path / "parquet" / "marts"
    folders = sorted(str(p.parent.relative_to(root / "counts")) for p in (root / "counts").rglob("*.parquet"))
    assert folders == ["area=E07000105/year_month=2025-02", "area=E07000110/year_month=2025-01",
                       "area=E07000110/year_month=2025-02"]  # the ward's row is filed under its district
    table = ds.dataset(root / "counts", format="parquet", partitioning="hive").to_table().to_pylist()
    got = sorted((r["area"], r["year_month"], r["area_code"], r["n"]) for r in table)
    assert got == [("E07000105", "2025-02", "E07000105", 7), ("E07000110", "2025-01", "E05000001", 3),
                   ("E07000110", "2025-01", "E07000110", 10), ("E07000110", "2025-02", "E07000110", 12)]
    assert ds.dataset(root / "notes", format="parquet").to_table().to_pylist() == [{"note": "no area, no month"}]
    assert not (tmp_path / ".parquet.building").exists()


def test_a_failed_run_leaves_the_published_parquet_as_it_was(tmp_path):
    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
    before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "parquet").rglob("*"))
    try:
        with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
            con.execute("delete from marts.counts")
            raise RuntimeError("the run failed")
    except RuntimeError:
        pass
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "parquet").rglob("*")) == before
    assert not (tmp_path / ".parquet.building").exists()
