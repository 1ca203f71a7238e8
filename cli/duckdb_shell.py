"""`csp-sql` in the venv: a small SQL shell on the project's DuckDB Python package.

The published warehouse is in DuckDB storage v1.0.0 (warehouse/open_formats.py), so the official DuckDB
CLI (any 1.1 or newer, e.g. `pip install duckdb-cli`, or the binary from duckdb.org) opens it too; this
shell is named `csp-sql` so it does not shadow that `duckdb`. It offers the part analysts use:
`csp-sql FILE -c "SQL"`, `csp-sql FILE < script.sql`, or an interactive prompt, and the common
dot-commands: `.tables`, `.schema [table]`, `.help`, `.quit` / `.exit`. It opens the warehouse
READ-ONLY unless -readwrite is given, so it works while a monthly run is publishing.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

DOT_HELP = """.tables            the tables and views, per schema
.schema [TABLE]    the CREATE statement of every table and view (or of TABLE, e.g. marts.indicator_values)
.help              this list
.quit, .exit       leave"""


class Quit(Exception):
    """.quit or .exit"""


def _show(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    relation = con.sql(sql)
    if relation is not None:
        relation.show(max_width=250, max_rows=200)


def dot_command(con: duckdb.DuckDBPyConnection, line: str) -> str:
    """The text a dot-command prints; raises Quit for .quit/.exit and ValueError for an unknown one."""
    name, _, argument = line.strip().partition(" ")
    argument = argument.strip()
    if name in {".quit", ".exit", ".q"}:
        raise Quit
    if name == ".help":
        return DOT_HELP
    if name == ".tables":
        rows = con.execute("""select schema_name, list(table_name order by table_name) from (
                                select schema_name, table_name from duckdb_tables() where database_name = current_database()
                                union all
                                select schema_name, view_name from duckdb_views() where not internal
                                  and database_name = current_database())
                              group by all order by 1""").fetchall()
        return "\n".join(f"{schema}: {' '.join(names)}" for schema, names in rows)
    if name == ".schema":
        schema, _, table = argument.rpartition(".")
        rows = con.execute("""select sql from (
                                select schema_name, table_name as name, sql from duckdb_tables()
                                where database_name = current_database()
                                union all
                                select schema_name, view_name, sql from duckdb_views() where not internal
                                  and database_name = current_database())
                              where (? = '' or name = ?) and (? = '' or schema_name = ?)
                              order by schema_name, name""", [table, table, schema, schema]).fetchall()
        if argument and not rows:
            return f"Error: no table or view named {argument}"
        return "\n".join(row[0] for row in rows)
    raise ValueError(f"unknown command {name} (try .help)")


def run_text(con: duckdb.DuckDBPyConnection, text: str) -> None:
    """Run a -c argument or a script in order: dot-command lines, and SQL statements ended by ';'."""
    buffer = ""

    def flush() -> None:
        for statement in [s for s in buffer.split(";") if s.strip()]:
            _show(con, statement)

    for line in text.splitlines():
        if line.strip().startswith(".") and (not buffer.strip() or buffer.rstrip().endswith(";")):
            flush()
            buffer = ""
            print(dot_command(con, line))
            continue
        buffer += line + "\n"
    flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="csp-sql", description="SQL shell for the CSP warehouse (read-only by "
                                     "default; .tables, .schema, .help, .quit)")
    parser.add_argument("database", nargs="?", default=":memory:")
    parser.add_argument("-c", dest="command", action="append", help="run SQL and exit (repeatable)")
    parser.add_argument("-readonly", action="store_true", help="open read-only (the default for files)")
    parser.add_argument("-readwrite", action="store_true", help="open for writing (blocks the monthly run)")
    args = parser.parse_args(argv)
    read_only = args.database != ":memory:" and not args.readwrite
    try:
        con = duckdb.connect(args.database, read_only=read_only)
    except duckdb.Error as error:
        print(f"csp-sql: cannot open {args.database}: {error}", file=sys.stderr)
        return 1
    try:
        try:
            if args.command:
                for text in args.command:
                    run_text(con, text)
                return 0
            if not sys.stdin.isatty():
                run_text(con, sys.stdin.read())
                return 0
        except Quit:
            return 0
        print(f"DuckDB {duckdb.__version__} on {args.database} ({'read-only' if read_only else 'read-write'}). End statements with ';'; .help for the dot-commands, .quit to leave.")
        buffer = ""
        while True:
            try:
                line = input("D " if not buffer else "· ")
            except EOFError:
                break
            if not buffer and line.strip().startswith("."):
                try:
                    print(dot_command(con, line))
                except Quit:
                    break
                except (ValueError, duckdb.Error) as error:
                    print(f"Error: {error}")
                continue
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
