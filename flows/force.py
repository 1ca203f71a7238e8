"""Prefect flows for many areas at once: one flow run per area, then one merge that publishes.

`force_flow` ingests the inbox once (shared raw layer), then runs `area_flow` for every CSP in the
force area (or a given list) concurrently. Each area run only READS the published warehouse (many
readers may share a DuckDB file) and writes its indicator rows to `$CSP_DATA/areas/<code>/`; the
merge is the single writer. With `use_deployments=True` each area run is started through the
`csp-area` deployment instead, so Prefect workers on other machines (sharing $CSP_DATA) take them.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path
from typing import cast

import duckdb
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas import FlowRun
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.ingest import build_sql_models, discover_files, load_files, quarantine_refused
from transforms.definitions import project_definitions
from transforms.documentation import apply_comments
from transforms.engine import (
    VALUE_COLUMNS,
    catalogue_frame,
    compute_values,
    write_catalogue,
    write_values,
)
from transforms.peers import build_peers, force_areas, load_groups
from warehouse.config import load_settings
from warehouse.pipeline import warehouse_for_writing
from warehouse.publish import connect_read_only
from warehouse.runs import record_run


def _latest_police_period(con: duckdb.DuckDBPyConnection) -> str | None:
    """The newest month of police_street data loaded (what a "latest" run reports)."""
    row = con.execute("select max(period) from audit.file_periods where source = 'police_street'").fetchone()
    return row[0] if row else None


def area_output(data_dir: Path, area_code: str) -> Path:
    return data_dir / "areas" / area_code / "indicator_values.parquet"


@flow(name="csp-area")
def area_flow(area_code: str) -> dict:
    """Indicators for one district (and its wards) from the published warehouse, written to its own file."""
    settings = load_settings(area=area_code)
    with connect_read_only(settings.warehouse_path) as con:
        values = compute_values(con, [area_code], [area_code])
    target = area_output(settings.data_dir, area_code)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".parquet.partial")
    values.to_parquet(partial, index=False)
    os.replace(partial, target)
    get_run_logger().info("area %s: %d indicator rows", area_code, len(values))
    return {"area": area_code, "rows": len(values), "path": str(target)}


@task(name="run-area", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def run_area(area_code: str, use_deployments: bool) -> dict:
    """One area as its own flow run (a subflow here, or a deployment run a worker picks up)."""
    if use_deployments:
        from prefect.deployments import run_deployment

        # Called from a sync task, so async_dispatch returns the FlowRun itself, not a coroutine.
        run = cast(FlowRun, run_deployment("csp-area/csp-area", parameters={"area_code": area_code}, timeout=None))
        state = run.state
        if state is None or not state.is_completed():
            raise RuntimeError(f"area run for {area_code} ended {state.name if state else 'without a state'}")
        return {"area": area_code, "rows": None}
    return area_flow(area_code=area_code)


def resolve_areas(con, areas: str | list[str]) -> list[str]:
    if isinstance(areas, str) and areas == "all-in-force":
        return force_areas(con, float(load_groups().get("min_share", 0.01)))
    if isinstance(areas, str):
        return [a.strip() for a in areas.split(",") if a.strip()]
    return list(areas)


# Prefect types `task_runner` as TaskRunner[PrefectFuture[Any]] (invariant), which no concrete runner
# matches; ThreadPoolTaskRunner is the runner its documentation uses here.
@flow(name="csp-force", task_runner=ThreadPoolTaskRunner(max_workers=4))  # type: ignore[arg-type]
def force_flow(areas: str | list[str] = "all-in-force", period: str | None = "latest", plan_year: str | None = None,
               use_deployments: bool = False) -> dict:
    """Ingest once, one indicator run per area (concurrently), then merge, compare peers and publish."""
    logger = get_run_logger()
    started = datetime.now()
    settings = load_settings()
    run_id = str(flow_run.get_id() or uuid.uuid4())
    files = discover_files([str(settings.inbox)])
    with warehouse_for_writing(settings) as con:
        run = load_files(con, settings, files, None, run_id)
        build_sql_models(con, settings.area)
        chosen = resolve_areas(con, areas)
    quarantine_refused(settings, run)
    logger.info("running %d areas: %s", len(chosen), ", ".join(chosen))
    for area in chosen:  # the merge reads only files written by this run's area runs
        area_output(settings.data_dir, area).unlink(missing_ok=True)
    futures = [run_area.submit(area, use_deployments) for area in chosen]
    results = [future.result() for future in futures]
    missing = [area for area in chosen if not area_output(settings.data_dir, area).exists()]
    if missing:  # e.g. a worker whose $CSP_DATA is not this one: never publish without those areas
        raise RuntimeError(f"area runs completed but wrote no {area_output(settings.data_dir, '<code>')} for "
                           f"{', '.join(missing)}: do all workers share this $CSP_DATA?")
    frames = [pd.read_parquet(area_output(settings.data_dir, area)) for area in chosen]
    values = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=VALUE_COLUMNS)
    indicators, _, plans = project_definitions()
    plan_year = plan_year or max(plans)
    with warehouse_for_writing(settings) as con:
        write_values(con, values[VALUE_COLUMNS])
        write_catalogue(con, catalogue_frame(indicators, plans))
        peers = build_peers(con)
        apply_comments(con)
        resolved = period if period and period != "latest" else _latest_police_period(con)
        record_run(con, run_id=run_id, flow_run_id=str(flow_run.get_id() or ""), flow_name="csp-force", period=resolved,
                   plan_year=plan_year, area_code=",".join(chosen), config=settings.describe(), started_at=started,
                   state="completed", failed_stages=[], stage_row_counts={"areas": results, "peers": peers})
    return {"areas": chosen, "results": results, "peers": peers, "period": resolved}
