"""audit.pipeline_runs: one row per run, so every published number traces to its inputs."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime

import duckdb

from warehouse.config import PROJECT_ROOT


def git_commit() -> str:
    """The commit of the code that ran (or 'unknown' outside a git checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=10,
                             check=False)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10, check=False)
        if out.returncode == 0:
            return out.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def input_files(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every file whose rows staging reads now (latest per source and period), with its sha256."""
    rows = con.execute("""
        select distinct files.file_id, files.source, files.file_name, files.sha256
        from audit.files as files
        inner join (select source, period, scope, max(file_id) as file_id from audit.file_periods group by all) as latest
            on latest.file_id = files.file_id
        order by files.file_id
    """).fetchall()
    return [{"file_id": r[0], "source": r[1], "file": r[2], "sha256": r[3]} for r in rows]


NO_SERVER = "none"
RUN_COLUMNS = ("run_id, flow_run_id, flow_name, period, plan_year, area_code, git_commit, config, started_at, "
               "ended_at, state, failed_stages, stage_row_counts, input_files, prefect_server")


def record_run(con: duckdb.DuckDBPyConnection, *, run_id: str, flow_run_id: str | None, flow_name: str, period: str | None,
               plan_year: str | None, area_code: str, config: dict, started_at: datetime, state: str,
               failed_stages: list[str], stage_row_counts: dict, prefect_server: str | None = None) -> None:
    """One row per run. prefect_server: the API URL of the Prefect server that ran it, or None when the run
    had none (PREFECT_API_URL unset): then the row says 'none' and keeps no flow_run_id, whose temporary
    server ended with the process."""
    con.execute("delete from audit.pipeline_runs where run_id = ?", [run_id])
    con.execute(
        f"insert into audit.pipeline_runs ({RUN_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, (flow_run_id or None) if prefect_server else None, flow_name, period, plan_year, area_code,
         git_commit(), json.dumps(config, default=str), started_at, datetime.now(), state, failed_stages,
         json.dumps(stage_row_counts, default=str), json.dumps(input_files(con)), prefect_server or NO_SERVER],
    )


def latest_common_period(con: duckdb.DuckDBPyConnection, sources: list[str]) -> str | None:
    """The latest month that every one of these (monthly) sources has delivered."""
    if not sources:
        return None
    rows = con.execute("""
        select source, max(period) from audit.file_periods
        where length(period) = 7 and source in (select unnest(?::varchar[]))
        group by all""", [sources]).fetchall()
    found = {source: period for source, period in rows}
    if not found:
        return None
    return min(found.values())




def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, failed_stages: list[str],
               extra_counts: dict | None = None) -> None:
    """The run's final state and ended_at, once its reports and artifacts are published (or failed)."""
    con.execute("update audit.pipeline_runs set state = ?, failed_stages = ?, ended_at = ? where run_id = ?",
                ["completed_with_failures" if failed_stages else "completed", failed_stages, datetime.now(), run_id])
    if extra_counts:
        con.execute("""update audit.pipeline_runs set stage_row_counts = json_merge_patch(stage_row_counts, ?::json)
                       where run_id = ?""", [json.dumps(extra_counts, default=str), run_id])


def record_killed_run(con: duckdb.DuckDBPyConnection, *, run_id: str, period: str, area_code: str, found_by: str,
                      started_at: datetime) -> bool:
    """A run that died while writing its reports (its side copy was never published): record it as failed.

    Returns False when the run is already recorded (nothing to do).
    """
    if con.execute("select count(*) from audit.pipeline_runs where run_id = ? or flow_run_id = ?",
                   [run_id, run_id]).fetchall()[0][0]:
        return False
    note = {"note": f"stopped while writing the reports of {period} (the process was killed); "
                    f"found and recorded by run {found_by}; its warehouse was never published"}
    con.execute(f"insert into audit.pipeline_runs ({RUN_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, run_id, "csp-monthly", period, None, area_code, None, None, started_at, None, "failed",
                 ["reports"], json.dumps(note), None, None])
    return True
