"""`duckdb` in the venv: a small SQL shell on the project's DuckDB 2.0 Python package.

The DuckDB CLI on PyPI (duckdb-cli) is 1.5 and cannot open 2.0 files, so `.venv/bin/duckdb`
offers the part analysts use: `duckdb FILE -c "SQL"`, `duckdb FILE < script.sql`, or an
interactive prompt. It opens the warehouse READ-ONLY unless -readwrite is given, so it works
while a monthly run is publishing.
"""

from __future__ import annotations

import argparse
import sys

import duckdb


def _show(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    relation = con.sql(sql)
    if relation is not None:
        relation.show(max_width=250, max_rows=200)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="duckdb", description="SQL shell for the CSP warehouse (DuckDB 2.0)")
    parser.add_argument("database", nargs="?", default=":memory:")
    parser.add_argument("-c", dest="command", action="append", help="run SQL and exit (repeatable)")
    parser.add_argument("-readonly", action="store_true", help="open read-only (the default for files)")
    parser.add_argument("-readwrite", action="store_true", help="open for writing (blocks the monthly run)")
    args = parser.parse_args(argv)
    read_only = args.database != ":memory:" and not args.readwrite
    try:
        con = duckdb.connect(args.database, read_only=read_only)
    except duckdb.Error as error:
        print(f"duckdb: cannot open {args.database}: {error}", file=sys.stderr)
        return 1
    try:
        if args.command:
            for sql in args.command:
                _show(con, sql)
            return 0
        if not sys.stdin.isatty():
            script = sys.stdin.read()
            for statement in [s for s in script.split(";") if s.strip()]:
                _show(con, statement)
            return 0
        print(f"DuckDB {duckdb.__version__} on {args.database} ({'read-only' if read_only else 'read-write'}). End statements with ';', .quit to leave.")
        buffer = ""
        while True:
            try:
                line = input("D " if not buffer else "· ")
            except EOFError:
                break
            if line.strip() in {".quit", ".exit"}:
                break
            buffer += line + "\n"
            if buffer.strip().endswith(";"):
                try:
                    _show(con, buffer)
                except duckdb.Error as error:
                    print(f"Error: {error}")
                buffer = ""
        return 0
    except duckdb.Error as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    finally:
        con.close()


if __name__ == "__main__":
    sys.exit(main())
