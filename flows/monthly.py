"""Prefect flow: the monthly run — ingest the inbox, rebuild SQL layers, compute indicators, publish."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.ingest import build_sql_models, discover_files, load_files, quarantine_refused
from transforms.definitions import project_definitions
from transforms.documentation import apply_comments
from transforms.engine import run_engine
from warehouse.config import load_settings
from warehouse.pipeline import warehouse_for_writing
from warehouse.runs import latest_common_period, record_run


@task(name="compute-indicators", cache_policy=NO_CACHE)
def compute_indicators(con, area: str) -> dict:
    """marts.indicator_values and marts.indicator_catalogue from the plan and the definitions."""
    return run_engine(con, area)


def resolve_period(con, period: str | None, plan_year: str) -> str | None:
    """'latest' (or None) → the latest month every source the plan's indicators need has delivered."""
    if period and period != "latest":
        return period
    indicators, _, plans = project_definitions()
    sources = sorted({source for _, _, entry in plans[plan_year].entries() for source in indicators[entry.id].sources
                      if source not in {"reference_population", "survey_responses"}})
    return latest_common_period(con, sources)


def default_plan_year() -> str:
    _, _, plans = project_definitions()
    return sorted(plans)[-1]


@flow(name="csp-monthly")
def monthly_flow(period: str | None = "latest", plan_year: str | None = None, area: str | None = None,
                 paths: list[str] | None = None) -> dict:
    """The whole monthly run; the published warehouse changes only if every stage up to publication succeeds."""
    logger = get_run_logger()
    started = datetime.now()
    settings = load_settings(area=area)
    plan_year = plan_year or default_plan_year()
    run_id = str(flow_run.get_id() or uuid.uuid4())
    logger.info("config %s, plan year %s, period %s", settings.describe(), plan_year, period)
    files = discover_files([str(p) for p in (paths or [settings.inbox])])
    counts: dict[str, object] = {}
    with warehouse_for_writing(settings) as con:
        run = load_files(con, settings, files, None, run_id)
        counts["ingest"] = run.report.summary()
        counts["models"] = len(build_sql_models(con, settings.area)["models"])
        counts["indicators"] = compute_indicators(con, settings.area)
        apply_comments(con)
        resolved = resolve_period(con, period, plan_year)
        record_run(con, run_id=run_id, flow_run_id=str(flow_run.get_id() or ""), flow_name="csp-monthly", period=resolved,
                   plan_year=plan_year, area_code=settings.area, config=settings.describe(), started_at=started,
                   state="completed", failed_stages=[], stage_row_counts=counts)
    quarantine_refused(settings, run)
    for outcome in run.report.outcomes:
        if outcome.status == "quarantined":
            logger.warning(outcome.line())
    logger.info("published %s for period %s", settings.warehouse_path, resolved)
    return {"period": resolved, "plan_year": plan_year, "counts": counts,
            "outcomes": [o.line() for o in run.report.outcomes], "warehouse": str(settings.warehouse_path),
            "paths": [str(Path(p)) for p in files[:0]]}
