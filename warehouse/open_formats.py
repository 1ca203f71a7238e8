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

import json
import os
import shutil
import struct
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import duckdb

PUBLISHED_STORAGE_VERSION = "v1.0.0"
# Header version numbers a DuckDB 1.1+ client reads for this storage version (bytes 12..20 of the file).
_READABLE_HEADERS = {64}
DATE_COLUMNS = ("month", "period_end", "period_start")
# Beside the marts: which partitions are published and a digest of each one's rows (a run rewrites only changed ones).
MANIFEST = ".partitions.json"
MANIFEST_VERSION = 1
REMOVED = ".removed.json"  # in the building folder only: what swap_in deletes
# Written by the transforms during a run (a temp table on the run's connection): for a marts table, the first
# month whose rows the run may have changed. Rows dated before it are as the published Parquet holds them,
# so their partitions are not read again (only used when that Parquet was exported from this very warehouse).
HINTS_TABLE = "parquet_unchanged_before"
EXPORT_TOKEN_TABLE = "audit.parquet_exports"


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


def _date_column(columns: list[str]) -> str | None:
    return next((c for c in DATE_COLUMNS if c in columns), None)


def _partition_keys(columns: list[str]) -> list[str]:
    """The partition columns of a marts table with these columns: area and/or year_month (always last)."""
    return (["area"] if "area_code" in columns else []) + (["year_month"] if _date_column(columns) else [])


def _partition_sql(table: str, columns: list[str], has_areas: bool, from_month: str | None = None) -> str:
    """The select that adds the partition columns (_partition_keys); from_month ('YYYY-MM'): only rows
    dated that month or later."""
    extra, join = [], ""
    if "area_code" in columns:
        if has_areas:
            join = ("left join (select area_code, any_value(district_code) as district_code "
                    "from intermediate.int_areas group by all) as areas on areas.area_code = t.area_code")
            extra.append("coalesce(areas.district_code, t.area_code) as area")
        else:
            extra.append("t.area_code as area")
    date_column = _date_column(columns)
    if date_column:
        extra.append(f"strftime(t.{date_column}, '%Y-%m') as year_month")
    where = f" where t.{date_column} >= '{from_month}-01'::date" if date_column and from_month else ""
    return f"select t.*{''.join(', ' + e for e in extra)} from marts.{table} as t {join}{where}"


def _key_sql(keys: list[str]) -> str:
    """A row's partition key as _partition_digests and the manifest spell it (a JSON list of the values)."""
    return f"to_json([{', '.join(f'p.{k}' for k in keys)}])" if keys else "'[]'"


def _partition_digests(con: duckdb.DuckDBPyConnection, select: str, keys: list[str]) -> dict[str, str]:
    """{partition key: digest of its rows} (row count and the sum of the rows' hashes, order-independent)."""
    group = " group by all" if keys else ""
    return {str(key): f"{count}:{total}" for key, count, total in con.execute(
        f"select {_key_sql(keys)} as partition_key, count(*), coalesce(sum(hash(p)::hugeint), 0) from ({select}) as p"
        f"{group}").fetchall()}


def _key_month(key: str) -> str:
    """The year_month of a partition key (year_month is always the last key, _partition_keys): '["E07000110","2025-01"]' → '2025-01'."""
    return key[-9:-2] if key.endswith('"]') else ""  # a null month ('[...,null]') sorts first


def _hints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{marts table: first month ('YYYY-MM') the run may have changed} from HINTS_TABLE (empty without it)."""
    if not con.execute("select count(*) from duckdb_tables() where database_name = 'temp' and table_name = ?",
                       [HINTS_TABLE]).fetchall()[0][0]:
        return {}
    return {table: f"{before:%Y-%m}" for table, before in con.execute(
        f"select table_name, min(unchanged_before) from temp.{HINTS_TABLE} group by all").fetchall()}


def hint_unchanged_before(con: duckdb.DuckDBPyConnection, table: str, month: date) -> None:
    """Tell the Parquet export that marts.<table>'s rows dated before `month` are as the run found them."""
    con.execute(f"create temp table if not exists {HINTS_TABLE} (table_name varchar, unchanged_before date)")
    con.execute(f"insert into temp.{HINTS_TABLE} values (?, ?)", [table, month])


def _export_token(con: duckdb.DuckDBPyConnection, new: str | None = None) -> str | None:
    """The token of the Parquet export this warehouse was published with (and, given `new`, record that one)."""
    con.execute("create schema if not exists audit")
    con.execute(f"create table if not exists {EXPORT_TOKEN_TABLE} (token varchar, exported_at timestamp)")
    con.execute(f"comment on table {EXPORT_TOKEN_TABLE} is 'The Parquet export published with this warehouse "
                "(the same token is in parquet/.partitions.json; a run reads only changed months when they match).'")
    rows = con.execute(f"select token from {EXPORT_TOKEN_TABLE}").fetchall()
    if new is not None:
        con.execute(f"delete from {EXPORT_TOKEN_TABLE}")
        con.execute(f"insert into {EXPORT_TOKEN_TABLE} values (?, current_timestamp)", [new])
    return rows[0][0] if rows else None


def _partition_path(relative: Path) -> str:
    """The partition key of a hive folder path as _partition_digests writes it (a JSON list of the values)."""
    values: list[str | None] = []
    for part in relative.parts:
        value = unquote(part.split("=", 1)[1])
        values.append(None if value == "__HIVE_DEFAULT_PARTITION__" else value)
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def _written_partitions(folder: Path) -> dict[str, str]:
    """{partition key: folder relative to the table's folder} of what a COPY ... partition_by wrote."""
    found: dict[str, str] = {}
    for file in folder.rglob("*.parquet"):
        relative = file.parent.relative_to(folder)
        found[_partition_path(relative) if relative.parts else "[]"] = relative.as_posix()
    return found


def read_manifest(target: Path) -> dict | None:
    """The partitions (and their digests) of the published Parquet, or None (none published, or an older layout)."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("version") == MANIFEST_VERSION else None


def export_marts_parquet(con: duckdb.DuckDBPyConnection, target: Path) -> dict[str, int]:
    """Write the marts' changed Parquet partitions into target.building/ (swap_in() puts them in place); rows per table.

    A partition is written when its rows' digest differs from the published manifest's (so a monthly run
    writes the months it changed, not the whole history); without a manifest every partition is written
    and swap_in() replaces the whole folder."""
    building = _building(target)
    shutil.rmtree(building, ignore_errors=True)
    (building / "marts").mkdir(parents=True)
    old = read_manifest(target) if target.exists() else None
    token = str(uuid.uuid4())
    exported_with = _export_token(con, token)
    in_step = old is not None and old.get("token") == exported_with  # the published Parquet is this warehouse's
    hints = _hints(con) if in_step else {}
    tables = [row[0] for row in con.execute("select table_name from duckdb_tables() where schema_name = 'marts' "
                                            "and database_name = current_database() order by 1").fetchall()]
    has_areas = bool(con.execute("select count(*) from duckdb_views() where schema_name = 'intermediate' "
                                 "and view_name = 'int_areas' and database_name = current_database()").fetchall()[0][0]
                     or con.execute("select count(*) from duckdb_tables() where schema_name = 'intermediate' "
                                    "and table_name = 'int_areas' and database_name = current_database()")
                     .fetchall()[0][0])
    manifest: dict = {"version": MANIFEST_VERSION, "token": token, "tables": {}}
    removed: list[str] = [table for table in (old or {}).get("tables", {}) if table not in tables]
    rows: dict[str, int] = {}
    for table in tables:
        columns = [r[0] for r in con.execute("select column_name from duckdb_columns() where schema_name = 'marts' "
                                             "and table_name = ? and database_name = current_database() "
                                             "order by column_index", [table]).fetchall()]
        keys = _partition_keys(columns)
        previous = (old or {}).get("tables", {}).get(table)
        if previous is not None and previous["keys"] != keys:
            removed.append(table)
            previous = None
        published = previous["partitions"] if previous is not None else {}
        from_month = hints.get(table) if previous is not None and "year_month" in keys else None
        select = _partition_sql(table, columns, has_areas, from_month)
        digests = _partition_digests(con, select, keys)
        if from_month:  # earlier months are as published: their digests are the manifest's
            digests |= {key: entry["digest"] for key, entry in published.items() if _key_month(key) < from_month}
        changed = sorted(key for key, digest in digests.items() if published.get(key, {}).get("digest") != digest)
        written = _write_partitions(con, select, keys, changed, building / "marts" / table, whole=old is None)
        manifest["tables"][table] = {"keys": keys, "partitions": {
            key: {"digest": digest, "path": written[key] if key in written else published[key]["path"]}
            for key, digest in digests.items()}}
        removed += [f"{table}/{entry['path']}" for key, entry in published.items() if key not in digests]
        rows[table] = sum(int(digest.split(":")[0]) for digest in digests.values())
    (building / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    (building / REMOVED).write_text(json.dumps({"whole": old is None, "removed": removed}), encoding="utf-8")
    return rows


def _write_partitions(con: duckdb.DuckDBPyConnection, select: str, keys: list[str], changed: list[str], out: Path,
                      whole: bool) -> dict[str, str]:
    """COPY the changed partitions (all rows when `whole`) to out/; {partition key: folder} written."""
    if not changed and not whole:
        return {}
    if not keys:
        out.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy ({select}) to '{_sql_path(out / 'data_0.parquet')}' (format parquet)")
        return {"[]": ""}
    chosen = select
    if not whole:
        con.execute("create or replace temp table parquet_changed as select unnest(?::varchar[]) as partition_key",
                    [changed])
        chosen = f"select p.* from ({select}) as p where {_key_sql(keys)} in (select partition_key from parquet_changed)"
    con.execute(f"copy ({chosen}) to '{_sql_path(out)}' (format parquet, partition_by ({', '.join(keys)}))")
    return _written_partitions(out) if out.exists() else {}


def _building(target: Path) -> Path:
    return target.with_name(f".{target.name}.building")


def swap_in(target: Path) -> None:
    """Put what export_marts_parquet wrote in place: the whole folder (two renames, when no manifest was
    published), else each changed partition's files (one rename each), then removals, then the manifest."""
    building = _building(target)
    if not building.exists():
        return
    plan = json.loads((building / REMOVED).read_text(encoding="utf-8"))
    (building / REMOVED).unlink()
    if plan["whole"] or not target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        building.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return
    # Removals first: a table whose partition columns changed is removed whole, then written anew.
    for relative in plan["removed"]:
        gone = target / "marts" / relative
        shutil.rmtree(gone, ignore_errors=True)
        for parent in gone.parents:
            if parent == target / "marts" or not parent.exists() or any(parent.iterdir()):
                break
            parent.rmdir()
    for folder in {file.parent for file in (building / "marts").rglob("*.parquet")}:
        destination = target / folder.relative_to(building)
        destination.mkdir(parents=True, exist_ok=True)
        incoming = {file.name for file in folder.glob("*.parquet")}
        for stale in destination.glob("*.parquet"):
            if stale.name not in incoming:
                stale.unlink()
        for name in incoming:
            os.replace(folder / name, destination / name)
    os.replace(building / MANIFEST, target / MANIFEST)
    shutil.rmtree(building, ignore_errors=True)


def discard(target: Path) -> None:
    shutil.rmtree(_building(target), ignore_errors=True)
