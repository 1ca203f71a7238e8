"""Prefect flow: the annual Strategic Assessment pack for one district, from the published warehouse.

Reads only (many readers may share the DuckDB file while a monthly run builds its side copy); writes
`$CSP_DATA/reports/assessment/<plan_year>/<area>/` through reporting.assessment, which swaps the
folder into place only after the disclosure check passes.
"""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from reporting.assessment import next_plan_year, resolve_window, write_assessment
from warehouse.config import load_settings


@task(name="write-assessment", timeout_seconds=900, cache_policy=NO_CACHE)
def write_pack(plan_year: str, area: str, window_end: str | None) -> dict:
    """Read the figures, rank the themes, write and check the pack."""
    settings = load_settings(area=area)
    window = resolve_window(settings.warehouse_path, window_end)
    year = next_plan_year(window.end) if plan_year == "next" else plan_year
    get_run_logger().info("Strategic Assessment %s for %s, window %s, warehouse %s", year, settings.area,
                          window.label, settings.warehouse_path)
    result = write_assessment(settings.warehouse_path, settings.reports, year, settings.area, window)
    return {**result, "plan_year": year}


@flow(name="csp-assess")
def assess_flow(plan_year: str = "next", area: str | None = None, window_end: str | None = None) -> dict:
    """The year's assessment pack: plan_year like 2026-27 ('next' = the one starting after the window),
    area a district code (default $CSP_AREA), window_end YYYY-MM (default the latest month received)."""
    return write_pack(plan_year, area or load_settings().area, window_end)
