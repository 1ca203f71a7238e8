"""Every CSP of the force gets its reports: compute once, publish per area as its own flow run.

`force_flow` (csp run --area all-in-force, or a comma list) is one writer run:

1. under the `csp-warehouse-writer` slot (flows.coordination) and the file lock: ingest the inbox once,
   build the SQL layers, compute the indicators of every district in one step (the engine does all
   districts of a national year in well under a second) with the wards of every chosen area, SPC and
   the peer comparison, and publish the warehouse;
2. fan out: one `csp-area-reports` flow run per area. Each reads the published warehouse read-only
   (many readers share a DuckDB file) and writes `reports/<area_code>/<period>/` — cards, committee
   summary, data quality, with only that area's figures and its peer comparison. With
   `use_deployments=True` each run is started through the `csp-area-reports` deployment, so the
   workers of the work pool share them (on this machine or others sharing $CSP_DATA); otherwise they
   run here, one after the other, as subflows;
3. record the run in audit.pipeline_runs once every area's reports are out (ended_at covers them).

The writer slot is held from 1 to 3, so every area reports from the same warehouse and a second
writer waits, visibly, for the whole run.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import cast

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas import FlowRun
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner

from flows.coordination import configured_server, writer_slot
from flows.ingest import build_sql_models, discover_files, load_files, quarantine_refused
from reporting.publish import publish_reports
from transforms.definitions import project_definitions
from transforms.documentation import apply_comments
from transforms.engine import catalogue_frame, compute_values, write_catalogue, write_values
from transforms.peers import build_peers, force_areas, load_groups
from transforms.spc_mart import build_spc
from warehouse.config import load_settings
from warehouse.pipeline import warehouse_for_writing
from warehouse.runs import finish_run, latest_common_period, record_run

AREA_REPORTS_DEPLOYMENT = "csp-area-reports/csp-area-reports"


def area_reports_dir(reports: Path, area_code: str) -> Path:
    """Where one area's monthly folders go: reports/<area_code>/ (its months below it)."""
    return reports / area_code


@flow(name="csp-area-reports")
def area_reports_flow(area_code: str, period: str, plan_year: str) -> dict:
    """One area's reports for one month, from the published warehouse (read only)."""
    settings = load_settings(area=area_code)
    target = area_reports_dir(settings.reports, area_code)
    result = publish_reports(settings.warehouse_path, target, period, plan_year, area_code,
                             notes_dir=settings.data_dir / "notes" / area_code,
                             run_id=str(flow_run.get_id() or uuid.uuid4()))
    get_run_logger().info("area %s: %d report files in %s", area_code, len(result["files"]), result["reports_dir"])
    return {"area": area_code, "reports_dir": result["reports_dir"], "files": len(result["files"]),
            "flow_run_id": str(flow_run.get_id() or ""),
            "seconds": round(float(result.get("timings", {}).get("total", 0.0)), 1)}


@task(name="publish-area-reports", cache_policy=NO_CACHE)
def publish_area(area_code: str, period: str, plan_year: str, use_deployments: bool) -> dict:
    """One area's publication as its own flow run: a deployment run a worker takes, or a subflow here."""
    if not use_deployments:
        return area_reports_flow(area_code=area_code, period=period, plan_year=plan_year)
    from prefect.deployments import run_deployment

    # Called from a sync task, so async_dispatch returns the FlowRun itself, not a coroutine.
    run = cast(FlowRun, run_deployment(AREA_REPORTS_DEPLOYMENT, timeout=None,
                                       parameters={"area_code": area_code, "period": period, "plan_year": plan_year}))
    state = run.state
    if state is None or not state.is_completed():
        raise RuntimeError(f"the reports run of {area_code} ({run.id}) ended "
                           f"{state.name if state else 'without a state'}: see its logs in the Prefect UI")
    settings = load_settings(area=area_code)
    folder = area_reports_dir(settings.reports, area_code) / period
    if not folder.is_dir():  # e.g. a worker whose $CSP_DATA is not this one
        raise RuntimeError(f"the reports run of {area_code} ({run.id}) completed but {folder} does not exist: "
                           "do all workers share this $CSP_DATA?")
    return {"area": area_code, "reports_dir": str(folder), "files": sum(1 for p in folder.rglob("*") if p.is_file()),
            "flow_run_id": str(run.id), "seconds": None}


def resolve_areas(con, areas: str | list[str]) -> list[str]:
    if isinstance(areas, str) and areas == "all-in-force":
        return force_areas(con, float(load_groups().get("min_share", 0.01)))
    if isinstance(areas, str):
        return [a.strip() for a in areas.split(",") if a.strip()]
    return list(areas)


def compute_all_areas(con: duckdb.DuckDBPyConnection, areas: list[str]) -> dict:
    """Indicators of every district with data and of the wards of each chosen area, in one step."""
    indicators, _, plans = project_definitions()
    known = {row[0] for row in con.execute("select distinct lad_code from staging.stg_reference__districts").fetchall()}
    unknown = [area for area in areas if area not in known]
    if unknown:
        raise ValueError(f"--area: {', '.join(unknown)} is not a district code in the ONS lookups loaded "
                         "(staging.stg_reference__districts)")
    values = compute_values(con, None, areas)
    write_values(con, values)
    write_catalogue(con, catalogue_frame(indicators, plans))
    return {"indicator_values": len(values), "areas": len(areas)}


def fan_out(chosen: list[str], period: str, plan_year: str, use_deployments: bool) -> tuple[list[dict], list[str]]:
    """Every area's reports; returns (results, failed areas). One area failing does not stop the others."""
    logger = get_run_logger()
    futures = ({area: publish_area.submit(area, period, plan_year, use_deployments) for area in chosen}
               if use_deployments else {})
    results, failed = [], []
    for area in chosen:
        try:
            results.append(futures[area].result() if use_deployments
                           else publish_area(area, period, plan_year, use_deployments))
        except Exception as error:  # noqa: BLE001 - recorded, and the run ends failed
            logger.error("reports of %s failed: %s: %s", area, type(error).__name__, error)
            failed.append(f"reports:{area}")
            results.append({"area": area, "error": f"{type(error).__name__}: {error}"})
    return results, failed


# Prefect types `task_runner` as TaskRunner[PrefectFuture[Any]] (invariant), which no concrete runner
# matches; ThreadPoolTaskRunner is the runner its documentation uses here. Locally the subflows run one
# at a time (chart drawing is not thread-safe); through deployments each thread only waits for its
# worker's run, so the pool's workers set the parallelism.
@flow(name="csp-force", task_runner=ThreadPoolTaskRunner(max_workers=16))  # type: ignore[arg-type]
def force_flow(areas: str | list[str] = "all-in-force", period: str | None = "latest", plan_year: str | None = None,
               use_deployments: bool = False, reports: bool = True, full_refresh: bool = False) -> dict:
    """Ingest once, every area's indicators in one step, publish, then one reports run per area
    (full_refresh=True rebuilds every mart from all months, as `csp run --full-refresh`)."""
    logger = get_run_logger()
    started = datetime.now()
    settings = load_settings()
    run_id = str(flow_run.get_id() or uuid.uuid4())
    plan_year = plan_year or max(project_definitions()[2])
    files = discover_files([str(settings.inbox)])
    counts: dict[str, object] = {}
    seconds: dict[str, float] = {}
    with writer_slot(logger) as slot:
        counts["writer_slot"] = slot
        clock = time.perf_counter()
        with warehouse_for_writing(settings) as con:
            run = load_files(con, settings, files, None, run_id)
            counts["ingest"] = run.report.summary()
            build_sql_models(con, settings.area, full_refresh)
            chosen = resolve_areas(con, areas)
            logger.info("computing %d areas in one step: %s", len(chosen), ", ".join(chosen))
            counts["indicators"] = compute_all_areas(con, chosen)
            counts["spc"] = build_spc(con)
            counts["peers"] = build_peers(con)
            apply_comments(con)
            resolved = period if period and period != "latest" else latest_common_period(con, ["police_street"])
            record_run(con, run_id=run_id, flow_run_id=str(flow_run.get_id() or ""), flow_name="csp-force",
                       period=resolved, plan_year=plan_year, area_code=",".join(chosen), config=settings.describe(),
                       started_at=started, state="publishing_reports", failed_stages=[], stage_row_counts=counts,
                       prefect_server=configured_server())
        seconds["ingest_compute_publish"] = round(time.perf_counter() - clock, 1)
        quarantine_refused(settings, run)
        results: list[dict] = []
        failed: list[str] = [f"ingest:{source}" for source in run.failed_sources]
        if reports and resolved:
            if not use_deployments:
                logger.info("publishing the reports of %d areas here, one flow run each (use --use-deployments "
                            "to let the work pool's workers share them)", len(chosen))
            clock = time.perf_counter()
            results, report_failures = fan_out(chosen, resolved, plan_year, use_deployments)
            seconds["reports"] = round(time.perf_counter() - clock, 1)
            failed += report_failures
        with warehouse_for_writing(settings) as con:  # the run's record covers its reports
            finish_run(con, run_id, failed, extra_counts={"reports": results, "seconds": seconds})
    if failed:
        raise RuntimeError(f"stages failed: {', '.join(failed)} (warehouse published for period {resolved}; "
                           f"see audit.pipeline_runs and the Prefect UI)")
    return {"areas": chosen, "results": results, "peers": counts["peers"], "period": resolved,
            "indicators": counts["indicators"], "seconds": seconds}
