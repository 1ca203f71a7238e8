"""No raw victim key is stored anywhere in the warehouse (every table, every text column)."""

from __future__ import annotations

import csv

import duckdb
import openpyxl
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]


def raw_keys(inbox) -> set[str]:
    keys: set[str] = set()
    for path in (inbox / "police_da_incidents").glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as handle:
            keys |= {row["Victim ID"] for row in csv.DictReader(handle) if row.get("Victim ID")}
    for path in sorted((inbox / "marac_cases").glob("*.xlsx"))[:12]:
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Case Reference")
        column = rows[header_at].index("Victim ID")
        keys |= {str(r[column]) for r in rows[header_at + 1:] if r and r[column]}
    return keys


def test_no_raw_person_key_in_any_table(demo_warehouse):
    settings = demo_warehouse["settings"]
    keys = raw_keys(settings.inbox)
    assert len(keys) > 1000
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        con.execute("create temp table raw_keys as select unnest(?::varchar[]) as key", [sorted(keys)])
        columns = con.execute("""
            select schema_name, table_name, column_name from duckdb_columns()
            where data_type = 'VARCHAR' and schema_name in ('raw', 'staging', 'reference', 'intermediate', 'marts', 'audit')
              and database_name = current_database()""").fetchall()
        assert len(columns) > 100
        leaks = []
        for schema, table, column in columns:
            found = con.execute(f'select count(*) from {schema}.{table} where "{column}" in (select key from raw_keys)').fetchone()[0]
            pattern = con.execute(f"""select count(*) from {schema}.{table} where regexp_full_match("{column}", 'P\\d{{7}}')""").fetchone()[0]
            if found or pattern:
                leaks.append((schema, table, column, found, pattern))
    assert leaks == []
