"""COMMENT ON every marts table and column from transforms/marts/marts.yml."""

from __future__ import annotations

from pathlib import Path

import duckdb

from expectations.yaml_files import load_yaml_file

MARTS_DOCS = Path(__file__).resolve().parent / "marts" / "marts.yml"


def _q(text: str) -> str:
    return str(text).replace("'", "''")


def apply_comments(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Comment every documented table/column; returns 'table.column' entries that have no description."""
    docs = load_yaml_file(MARTS_DOCS)
    common = docs.get("common_columns", {})
    missing = []
    columns = con.execute("select table_name, column_name from duckdb_columns() where schema_name = 'marts' order by all").fetchall()
    tables = {t for t, _ in columns}
    for table in tables:
        entry = docs["tables"].get(table)
        if entry is None:
            missing.append(table)
            continue
        con.execute(f"comment on table marts.{table} is '{_q(entry['description'])}'")
    for table, column in columns:
        text = (docs["tables"].get(table, {}).get("columns", {}) or {}).get(column) or common.get(column)
        if text is None:
            missing.append(f"{table}.{column}")
            continue
        con.execute(f"comment on column marts.{table}.\"{column}\" is '{_q(text)}'")
    return missing
