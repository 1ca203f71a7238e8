"""Prefect flow: ingest the inbox (or given paths) into the warehouse and publish it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.coordination import writer_slot
from transforms.build import build_models
from warehouse.config import Settings, load_settings
from warehouse.ingest import IngestReport, discover
from warehouse.pipeline import IngestRun, apply_quarantine, ingest_files, warehouse_for_writing


def ingest_paths(settings: Settings, paths: list[Path] | None = None, source: str | None = None,
                 today: date | None = None, run_id: str | None = None, period: str | None = None) -> IngestReport:
    """Whole ingest without Prefect: discover, load, build models, publish, quarantine."""
    files = discover(paths or [settings.inbox])
    with warehouse_for_writing(settings) as con:
        run = ingest_files(con, settings, files, source=source, run_id=run_id, today=today, period=period)
        build_models(con, settings.area)
    apply_quarantine(settings, run)
    return run.report


@task(name="discover-files", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def discover_files(paths: list[str]) -> list[Path]:
    """Every data file under the given files and folders."""
    return discover([Path(p) for p in paths])


@task(name="load-files", cache_policy=NO_CACHE)
def load_files(con, settings, files: list[Path], source: str | None, run_id: str, period: str | None = None) -> IngestRun:
    """Register, check and load each file in its own transaction."""
    return ingest_files(con, settings, files, source=source, run_id=run_id, period=period)


@task(name="build-models", cache_policy=NO_CACHE)
def build_sql_models(con, area: str, full_refresh: bool = False) -> dict:
    """Staging views, LSOA placements, marts (incremental unless full_refresh)."""
    return build_models(con, area, full_refresh=full_refresh)


@task(name="quarantine-refused", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def quarantine_refused(settings, run: IngestRun) -> int:
    """Move refused files to quarantine/ with their reports (after publication)."""
    apply_quarantine(settings, run)
    return len(run.pending)


@flow(name="csp-ingest", log_prints=False)
def ingest_flow(paths: list[str] | None = None, source: str | None = None, area: str | None = None,
                period: str | None = None) -> dict:
    """Ingest files into raw, rebuild staging, publish the warehouse atomically."""
    logger = get_run_logger()
    settings = load_settings(area=area)
    logger.info("config %s", settings.describe())
    files = discover_files(paths or [str(settings.inbox)])
    logger.info("%d files to check", len(files))
    run_id = str(flow_run.get_id() or "local")
    with writer_slot(logger), warehouse_for_writing(settings) as con:
        run = load_files(con, settings, files, source, run_id, period)
        build_sql_models(con, settings.area)
    quarantine_refused(settings, run)
    for outcome in run.report.outcomes:
        (logger.warning if outcome.status == "quarantined" else logger.info)(outcome.line())
    return {"summary": run.report.summary(), "outcomes": [o.line() for o in run.report.outcomes],
            "refused": len(run.report.refused), "failed": sum(1 for o in run.report.outcomes if o.status == "failed")}
