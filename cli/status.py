"""`csp status`: what is loaded, what was refused, per source and period; placement; last runs."""

from __future__ import annotations

import duckdb

from transforms.coverage import coverage_frame, describe_ranges
from warehouse.config import Settings
from warehouse.publish import connect_read_only
from warehouse.schema import table_exists


def loaded_summary(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(source, files loaded, rows loaded, first period, last period, files refused)."""
    return con.execute("""
        select
            source,
            count(*) filter (where status = 'loaded') as files_loaded,
            coalesce(sum(rows_loaded) filter (where status = 'loaded'), 0) as rows_loaded,
            min(period_min) filter (where status = 'loaded') as first_period,
            max(period_max) filter (where status = 'loaded') as last_period,
            count(*) filter (where status = 'quarantined') as files_refused,
        from audit.files
        group by all
        order by source nulls last
    """).fetchall()


def placement_summary(con: duckdb.DuckDBPyConnection, area: str) -> dict[str, int]:
    if not table_exists(con, "intermediate", "int_police__street_crimes_placed"):
        return {}
    row = con.execute("""
        select
            count(*) as rows_total,
            count(*) filter (where lad_code = ?) as rows_in_area,
            count(*) filter (where placement_method = 'no_location') as rows_without_location,
            count(*) filter (where placement_method = 'unplaced') as rows_unplaced,
        from intermediate.int_police__street_crimes_placed
    """, [area]).fetchone()
    if row is None:
        return {}
    return dict(zip(["rows_total", "rows_in_area", "rows_without_location", "rows_unplaced"], row))


def coverage_lines(con: duckdb.DuckDBPyConnection, area: str) -> list[str]:
    """Per monthly source: the months received (as ranges) and the months missing; sources never received."""
    frame = coverage_frame(con, area)
    if frame.empty:
        return []
    expected = frame[frame["expected"]]
    span = describe_ranges(list(expected["month"])) or "-"
    lines = ["", f"Monthly sources, month by month (expected {span}, the span the plan's sources cover):"]
    never = []
    for source, part in frame.groupby("source", sort=True):
        received = describe_ranges(list(part.loc[part["delivered"], "month"]))
        if not received:
            if part["expected"].any():
                never.append(f"  {source}: {part['source_title'].iloc[0]} — needed by "
                             f"{', '.join(part['indicators'].iloc[0])}")
            continue
        missing = part[part["missing"]]
        refused = part[part["status"] == "refused"]
        revised = part[part["revised"]]
        text = f"  {source}: received {received}"
        if not missing.empty:
            text += f"; missing {describe_ranges(list(missing['month']))} ({len(missing)} month{'s' if len(missing) != 1 else ''})"
        else:
            text += "; no month missing"
        if not refused.empty:
            text += f"; refused (no file loaded) {describe_ranges(list(refused['month']))}"
        if not revised.empty:
            text += f"; revised {describe_ranges(list(revised['month']))}"
        lines.append(text)
    if never:
        lines += ["", f"Sources never received (missing {span}):"] + never
    return lines


def render_status(settings: Settings) -> str:
    if not settings.warehouse_path.exists():
        return f"No warehouse yet at {settings.warehouse_path}. Run `csp ingest PATH` or `make demo`."
    lines = [f"Warehouse: {settings.warehouse_path}", f"Area: {settings.area}", ""]
    with connect_read_only(settings.warehouse_path) as con:
        rows = loaded_summary(con)
        lines.append(f"{'source':<28} {'files':>6} {'rows':>10}  {'periods':<19} {'refused':>7}")
        for source, files, n_rows, first, last, refused in rows:
            span = f"{first} to {last}" if first and first != last else (first or "-")
            lines.append(f"{source or '(unrecognised)':<28} {files:>6} {n_rows:>10,}  {span:<19} {refused:>7}")
        lines += coverage_lines(con, settings.area)
        placed = placement_summary(con, settings.area)
        if placed:
            lines += ["", "police_street placement:",
                      f"  rows in area {settings.area}: {placed['rows_in_area']:,} of {placed['rows_total']:,}",
                      (f"  rows that could not be placed: {placed['rows_unplaced'] + placed['rows_without_location']:,} "
                       f"({placed['rows_without_location']:,} without a location, {placed['rows_unplaced']:,} with an unknown LSOA)")]
        refused = con.execute("""
            select source, file_name, reason from audit.files where status = 'quarantined'
            qualify row_number() over (partition by sha256 order by file_id desc) = 1
            order by file_id desc limit 20""").fetchall()
        if refused:
            lines += ["", "Refused files (latest attempt):"]
            lines += [f"  {reason}" for _, _, reason in refused]
        if table_exists(con, "audit", "pipeline_runs"):
            runs = con.execute("""select started_at, flow_name, period, state, coalesce(array_to_string(failed_stages, ','), '')
                                  from audit.pipeline_runs order by started_at desc limit 5""").fetchall()
            if runs:
                lines += ["", "Last runs:"]
                lines += [f"  {started:%Y-%m-%d %H:%M}  {flow:<14} {period or '-':<8} {state:<10} {failed}" for started, flow, period, state, failed in runs]
    return "\n".join(lines)
