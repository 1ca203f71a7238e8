"""The published warehouse in formats other tools read: DuckDB 1.x storage, and the marts as Parquet.

Storage version. DuckDB 2.0 writes files that no DuckDB 1.x client opens (the CLI on PyPI, DBeaver,
the ODBC driver and R builds analysts have). Measured (Dec 2026) on a warehouse of the 12 real Kent months
written by duckdb 2.0.1 with each storage version, then opened read-only by older clients:

    storage version   header   duckdb 1.0.0   1.1.3   1.2.2   1.5.6   2.0.1
    v1.0.0            64       no (catalog)   yes     yes     yes     yes
    v1.2.0            65       no             no      yes     yes     yes
    v1.5.0            68       no             no      no      yes     yes
    (2.0 default)     999      no             no      no      no      yes

so the warehouse is published in storage version v1.0.0: every client from DuckDB 1.1 on opens it (1.0.0
reads the header but not the catalogue). A file keeps its storage version when 2.0 writes to it again;
a warehouse published earlier in the 2.0 format is copied once into a v1.0.0 file (COPY FROM DATABASE).

Parquet. Beside the warehouse, `parquet/marts/<table>/area=<district>/year_month=<YYYY-MM>/data_0.parquet`
(hive partitioning: Power BI's folder connector, R arrow::open_dataset, Polars scan_parquet, Spark and
DuckDB read_parquet(..., hive_partitioning = true) all read it). `area` is the district a row belongs to
(a ward's district for ward rows), `year_month` the month of the row (`month`, else `period_end`, else
`period_start`); tables with no area or no date are partitioned by what they have, or written whole.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import duckdb

PUBLISHED_STORAGE_VERSION = "v1.0.0"
# Header version numbers a DuckDB 1.1+ client reads for this storage version (bytes 12..20 of the file).
_READABLE_HEADERS = {64}
DATE_COLUMNS = ("month", "period_end", "period_start")


def header_version(path: Path) -> int | None:
    """The storage version number in a DuckDB file's header (64 = v1.0.0 .. 68 = v1.5.0; 999 = 2.0)."""
    with open(path, "rb") as handle:
        head = handle.read(20)
    if len(head) < 20 or head[8:12] != b"DUCK":
        return None
    return int(struct.unpack("<Q", head[12:20])[0])


def readable_by_1x(path: Path) -> bool:
    return header_version(path) in _READABLE_HEADERS


def create_side_file(published: Path, building: Path) -> None:
    """The side file a run writes to, in PUBLISHED_STORAGE_VERSION: a byte copy of the published file when
    it is already in that version, else a new file (copied from the published one's catalogue and data)."""
    if published.exists() and readable_by_1x(published):
        shutil.copyfile(published, building)
        return
    con = duckdb.connect()
    try:
        con.execute(f"attach '{_sql_path(building)}' as side (storage_version '{PUBLISHED_STORAGE_VERSION}')")
        if published.exists():
            con.execute(f"attach '{_sql_path(published)}' as old (read_only)")
            con.execute("copy from database old to side")
            con.execute("detach old")
        con.execute("detach side")
    finally:
        con.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _partition_sql(con: duckdb.DuckDBPyConnection, table: str, columns: list[str], has_areas: bool) -> tuple[str, list[str]]:
    """The select that adds the partition columns, and their names."""
    extra, keys, join = [], [], ""
    if "area_code" in columns:
        if has_areas:
            join = ("left join (select area_code, any_value(district_code) as district_code "
                    "from intermediate.int_areas group by all) as areas on areas.area_code = t.area_code")
            extra.append("coalesce(areas.district_code, t.area_code) as area")
        else:
            extra.append("t.area_code as area")
        keys.append("area")
    date_column = next((c for c in DATE_COLUMNS if c in columns), None)
    if date_column:
        extra.append(f"strftime(t.{date_column}, '%Y-%m') as year_month")
        keys.append("year_month")
    select = f"select t.*{''.join(', ' + e for e in extra)} from marts.{table} as t {join}"
    return select, keys


def export_marts_parquet(con: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Write every marts table as Parquet into target.building/ (swap_in() puts it in place); rows per table."""
    building = _building(target)
    shutil.rmtree(building, ignore_errors=True)
    (building / "marts").mkdir(parents=True)
    tables = [row[0] for row in con.execute("select table_name from duckdb_tables() where schema_name = 'marts' "
                                            "and database_name = current_database() order by 1").fetchall()]
    has_areas = bool(con.execute("select count(*) from duckdb_views() where schema_name = 'intermediate' "
                                 "and view_name = 'int_areas' and database_name = current_database()").fetchall()[0][0]
                     or con.execute("select count(*) from duckdb_tables() where schema_name = 'intermediate' "
                                    "and table_name = 'int_areas' and database_name = current_database()")
                     .fetchall()[0][0])
    rows: dict[str, int] = {}
    for table in tables:
        columns = [r[0] for r in con.execute("select column_name from duckdb_columns() where schema_name = 'marts' "
                                             "and table_name = ? and database_name = current_database() "
                                             "order by column_index", [table]).fetchall()]
        select, keys = _partition_sql(con, table, columns, has_areas)
        out = building / "marts" / table
        if keys:
            con.execute(f"copy ({select}) to '{_sql_path(out)}' (format parquet, partition_by ({', '.join(keys)}))")
        else:
            out.mkdir()
            con.execute(f"copy ({select}) to '{_sql_path(out / 'data_0.parquet')}' (format parquet)")
        rows[table] = int(con.execute(f"select count(*) from marts.{table}").fetchall()[0][0])
    return rows


def _building(target: Path) -> Path:
    return target.with_name(f".{target.name}.building")


def swap_in(target: Path) -> None:
    """Put target.building/ in place of target/ (two renames; the old copy is removed after)."""
    building = _building(target)
    if not building.exists():
        return
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    building.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def discard(target: Path) -> None:
    shutil.rmtree(_building(target), ignore_errors=True)
