"""Build the warehouse in a side file and publish it with an atomic replace.

DuckDB lets no other process open a file a writer holds, so analysts would be locked out during a
run. Instead every run copies the published file to `csp.duckdb.building`, writes there, checkpoints,
closes and `os.replace`s it onto `csp.duckdb`. Readers keep their snapshot until they reconnect; a
killed run leaves the published file untouched and its side file is discarded by the next run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.open_formats import create_side_file, export_marts_parquet
from warehouse.open_formats import discard as discard_parquet
from warehouse.open_formats import swap_in as swap_parquet_in


class PublicationError(RuntimeError):
    pass


@contextmanager
def writer_lock(lock_path: Path) -> Iterator[None]:
    """One writer at a time on a data directory (a second run waits for the first); POSIX and Windows."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        if sys.platform == "win32":
            import msvcrt
            import time

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after ~10 s; keep waiting like flock does
                    time.sleep(1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def discard_side_files(building: Path) -> None:
    for path in (building, Path(str(building) + ".wal")):
        if path.exists():
            path.unlink()


@contextmanager
def building_warehouse(published: Path, building: Path,
                       parquet_dir: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a read-write connection to a side copy; publish it atomically if the block succeeds.

    The side copy is in storage version PUBLISHED_STORAGE_VERSION (DuckDB 1.1+ clients open it). The
    marts are exported as Parquet to parquet_dir (default: `parquet/` beside the warehouse) from the
    same snapshot, and put in place right after the warehouse.
    """
    parquet_dir = parquet_dir or published.parent / "parquet"
    discard_side_files(building)
    create_side_file(published, building)
    con = duckdb.connect(str(building))
    try:
        yield con
        export_marts_parquet(con, parquet_dir)  # records its token in the warehouse, so before the checkpoint
        con.execute("checkpoint")
    except BaseException:
        con.close()
        discard_side_files(building)
        discard_parquet(parquet_dir)
        raise
    con.close()
    wal = Path(str(building) + ".wal")
    if wal.exists():
        discard_side_files(building)
        raise PublicationError(f"{wal} still exists after checkpoint; the warehouse was not published")
    with open(building, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(building, published)
    directory = os.open(published.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    swap_parquet_in(parquet_dir)


def connect_read_only(published: Path) -> duckdb.DuckDBPyConnection:
    """An analyst-style read-only connection to the published warehouse."""
    if not published.exists():
        raise FileNotFoundError(f"no warehouse at {published} yet: run `csp ingest` or `make demo` first")
    return duckdb.connect(str(published), read_only=True)
