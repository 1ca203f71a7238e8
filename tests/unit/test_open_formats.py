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


def _files(root):
    """{partition file relative to root: inode} of every Parquet file under root."""
    return {str(p.relative_to(root)): p.stat().st_ino for p in root.rglob("*.parquet")}


def _counts(root):
    table = ds.dataset(root / "counts", format="parquet", partitioning="hive").to_table().to_pylist()
    return sorted(((r["area_code"], str(r["month"]), r["n"]) for r in table), key=lambda r: (r[0] or "~", r[1]))


def test_a_run_rewrites_only_the_partitions_whose_rows_changed(tmp_path):
    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
        con.execute("insert into marts.counts values (null, 'district', date '2025-02-01', 1)")  # no area: default partition
    root = tmp_path / "parquet" / "marts"
    before = _files(root)
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:  # a revised February for Maidstone
        con.execute("update marts.counts set n = 13 where area_code = 'E07000110' and month = date '2025-02-01'")
    after = _files(root)
    changed = sorted(name for name in after if after[name] != before.get(name))
    assert changed == ["counts/area=E07000110/year_month=2025-02/data_0.parquet"]
    assert sorted(after) == sorted(before)
    assert _counts(root) == [("E05000001", "2025-01-01", 3), ("E07000105", "2025-02-01", 7),
                             ("E07000110", "2025-01-01", 10), ("E07000110", "2025-02-01", 13), (None, "2025-02-01", 1)]
    assert not (tmp_path / ".parquet.building").exists()


def test_a_partition_whose_rows_are_gone_is_removed_and_a_new_one_added(tmp_path):
    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        con.execute("delete from marts.counts where area_code = 'E07000105'")
        con.execute("insert into marts.counts values ('E07000110', 'district', date '2025-03-01', 9)")
        con.execute("drop table marts.notes")
    root = tmp_path / "parquet" / "marts"
    assert sorted(str(p.parent.relative_to(root)) for p in root.rglob("*.parquet")) == [
        "counts/area=E07000110/year_month=2025-01", "counts/area=E07000110/year_month=2025-02",
        "counts/area=E07000110/year_month=2025-03"]
    assert not (root / "counts" / "area=E07000105").exists() and not (root / "notes").exists()
    assert _counts(root) == [("E05000001", "2025-01-01", 3), ("E07000110", "2025-01-01", 10),
                             ("E07000110", "2025-02-01", 12), ("E07000110", "2025-03-01", 9)]


def test_a_run_killed_after_the_warehouse_was_published_is_mended_by_the_next(tmp_path):
    """The warehouse was replaced but the Parquet swap never ran: the next run writes what still differs."""
    from warehouse.open_formats import discard, export_marts_parquet

    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
    with duckdb.connect(str(published)) as con:  # what the killed run published, Parquet not swapped in
        con.execute("update marts.counts set n = 99 where area_code = 'E07000105'")
        export_marts_parquet(con, tmp_path / "parquet")
    discard(tmp_path / "parquet")
    root = tmp_path / "parquet" / "marts"
    assert ("E07000105", "2025-02-01", 7) in _counts(root)
    with building_warehouse(published, tmp_path / "csp.duckdb.building"):
        pass  # nothing new this run
    assert ("E07000105", "2025-02-01", 99) in _counts(root)


def test_parquet_published_without_a_manifest_is_replaced_whole(tmp_path):
    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
    (tmp_path / "parquet" / ".partitions.json").unlink()  # an earlier layout: no manifest
    stray = tmp_path / "parquet" / "marts" / "counts" / "area=X" / "year_month=2025-01" / "data_0.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left over")
    with building_warehouse(published, tmp_path / "csp.duckdb.building"):
        pass
    assert not stray.exists()
    assert (tmp_path / "parquet" / ".partitions.json").exists()


def test_months_the_run_says_it_left_alone_are_not_read_again_unless_the_parquet_is_from_another_warehouse(tmp_path):
    """The transforms' hint (rows before a month unchanged) is trusted only when the published Parquet's token
    is the warehouse's own; here the hint is a deliberate lie, so whether January is re-read shows in the files."""
    from warehouse.open_formats import hint_unchanged_before

    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
    root = tmp_path / "parquet" / "marts"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        con.execute("update marts.counts set n = n + 100 where area_code = 'E07000110'")  # January and February
        hint_unchanged_before(con, "counts", date(2025, 2, 1))
    assert ("E07000110", "2025-01-01", 10) in _counts(root)  # January not read again: the hint was trusted
    assert ("E07000110", "2025-02-01", 112) in _counts(root)
    with duckdb.connect(str(published)) as con:  # as if the Parquet came from another warehouse
        con.execute("update audit.parquet_exports set token = 'another'")
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        hint_unchanged_before(con, "counts", date(2025, 2, 1))
    assert ("E07000110", "2025-01-01", 110) in _counts(root)  # the hint was not trusted: every month read


def test_a_table_whose_partition_columns_change_is_written_anew(tmp_path):
    published = tmp_path / "csp.duckdb"
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:
        _fill(con)
        con.execute("create table marts.later as select 'E07000110' as area_code, 1 as n")
    with building_warehouse(published, tmp_path / "csp.duckdb.building") as con:  # now with a month column
        con.execute("create or replace table marts.later as select 'E07000110' as area_code, date '2025-01-01' as month, 2 as n")
    root = tmp_path / "parquet" / "marts" / "later"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*.parquet")) == [
        "area=E07000110/year_month=2025-01/data_0.parquet"]
