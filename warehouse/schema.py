"""Warehouse schemas and the tables the pipeline owns (raw per source, audit)."""

from __future__ import annotations

import duckdb

from expectations.sources import SourceCatalogue

LINEAGE_COLUMNS = "_file_id bigint not null, _row_number integer not null, _loaded_at timestamp not null"

AUDIT_DDL = [
    "create sequence if not exists audit.file_id_seq start 1",
    """create table if not exists audit.files (
        file_id bigint primary key,
        source varchar,
        file_name varchar not null,
        original_path varchar not null,
        sha256 varchar not null,
        size_bytes bigint not null,
        received_at timestamp not null,
        status varchar not null,          -- loaded | quarantined
        reason varchar,
        rows_in_file bigint,
        rows_loaded bigint,
        period_min varchar,
        period_max varchar,
        periods varchar[],
        claimed_period varchar,
        header_row integer,
        rules_checked integer,
        superseded_file_ids bigint[],
        quarantine_path varchar,
        run_id varchar
    )""",
    """create table if not exists audit.file_periods (
        file_id bigint not null,
        source varchar not null,
        period varchar not null,
        loaded_at timestamp not null,
        scope varchar not null default '',
        primary key (file_id, period)
    )""",
    "alter table audit.file_periods add column if not exists scope varchar default ''",
    """create table if not exists audit.validation_results (
        file_id bigint not null,
        source varchar,
        rule varchar not null,
        column_name varchar,
        rows_failing bigint,
        sample_rows integer[],
        message varchar not null
    )""",
    """create table if not exists audit.pipeline_runs (
        run_id varchar primary key,
        flow_run_id varchar,
        flow_name varchar,
        period varchar,
        plan_year varchar,
        area_code varchar,
        git_commit varchar,
        config json,
        started_at timestamp,
        ended_at timestamp,
        state varchar,
        failed_stages varchar[],
        stage_row_counts json,
        input_files json,
        prefect_server varchar
    )""",
    # Warehouses built before runs recorded their Prefect server.
    "alter table audit.pipeline_runs add column if not exists prefect_server varchar",
]

COMMENTS = {
    "audit.files": "One row per file the pipeline was given and checked (loaded or quarantined), keyed by sha256.",
    "audit.file_periods": "Which periods each loaded file covers (scope = whose file, e.g. the force); staging reads, per source, period and scope, only the latest file.",
    "audit.validation_results": "Every broken rule of every refused file: rule, column, rows, plain-English message.",
    "audit.pipeline_runs": "One row per pipeline run: period, git commit, config, state, row counts and input file hashes.",
}


def ensure_schema(con: duckdb.DuckDBPyConnection, catalogue: SourceCatalogue) -> None:
    """Create schemas, audit tables and one raw table per declared source (idempotent)."""
    for schema in ("raw", "staging", "reference", "intermediate", "marts", "audit"):
        con.execute(f"create schema if not exists {schema}")
    for statement in AUDIT_DDL:
        con.execute(statement)
    # Staging reads, per source and period, only the latest loaded file (revisions supersede).
    # Per source, period and scope (e.g. each force's own monthly file), only the latest loaded file.
    con.execute("""create or replace macro audit.latest_files(source_name) as table
                   select period, max(file_id) as file_id from audit.file_periods
                   where source = source_name group by period, scope""")
    for table, comment in COMMENTS.items():
        con.execute(f"comment on table {table} is '{comment}'")
    for spec in catalogue:
        columns = ", ".join(f'"{column.name}" varchar' for column in spec.columns)
        con.execute(f"create table if not exists {spec.raw_table} ({columns}, {LINEAGE_COLUMNS})")
        con.execute(f"comment on table {spec.raw_table} is 'Rows of {spec.name} files exactly as received "
                    f"(text), with _file_id, _row_number (spreadsheet row) and _loaded_at. {_q(spec.title)}.'")
        for column in spec.columns:
            note = column.description or column.header
            if column.person_key:
                note += " (pseudonymised at ingest: keyed HMAC-SHA256, never the raw key)"
            con.execute(f"comment on column {spec.raw_table}.\"{column.name}\" is '{_q(column.header + ': ' + note)}'")


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether schema.name is a table or a view (result fetched to the end: DuckDB 2.0 blocks register otherwise)."""
    return bool(con.execute(
        "select (select count(*) from duckdb_tables() where schema_name = ? and table_name = ?)"
        " + (select count(*) from duckdb_views() where schema_name = ? and view_name = ?)",
        [schema, name, schema, name]).fetchall()[0][0])


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame, types: dict[str, str], order_by: str = "",
                temporary: bool = False) -> None:
    """create or replace `table` from a pandas frame, each column cast to its declared type (in that order).

    The types are spelled out so that an empty frame still gives a well-typed table. temporary: a temp table
    (gone when the connection closes).
    """
    view = "frame_for_" + table.replace(".", "_")
    casts = ", ".join(f'"{name}"::{kind} as "{name}"' for name, kind in types.items())
    con.register(view, frame)
    try:
        con.execute(f"create or replace {'temp ' if temporary else ''}table {table} as select {casts} from {view}"
                    + (f" order by {order_by}" if order_by else ""))
    finally:
        con.unregister(view)


def _q(text: str) -> str:
    return text.replace("'", "''")
