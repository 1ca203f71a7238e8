"""Prefect flow: the monthly run, stage by stage.

clean what killed runs left → discover → ingest (one transaction per file; a failing source does not
stop the others) → SQL models → survey weighting → indicators → SPC → peers → record the run →
reports (from the side copy) and Prefect artifacts → the run's final state → PUBLISH (atomic replace)
→ quarantine refused files. Everything happens in a side copy of the warehouse under the writer's
lock, so a run killed in any stage leaves the previous good warehouse published, and a run is
recorded `completed` only once its reports and artifacts are published. A stage that fails after
ingest (reports included) is listed in audit.pipeline_runs.failed_stages and in the flow's final
(failed) state; its tables are dropped rather than left stale. A run killed while writing reports
leaves `reports/.<period>.building-<run id>.*`: the next run records that run as failed, writes its
failure report and removes the folder.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.coordination import configured_server, writer_slot
from flows.hooks import on_failure_report, write_killed_run_report
from flows.ingest import build_sql_models, discover_files, load_files, quarantine_refused
from reporting.artifacts import publish_artifacts
from reporting.publish import publish_reports
from reporting.stale_builds import clean_stale_builds
from survey.marts import build_survey_marts
from transforms.definitions import project_definitions
from transforms.documentation import apply_comments
from transforms.engine import run_engine
from transforms.peers import build_peers
from transforms.spc_mart import build_spc
from warehouse.config import load_settings
from warehouse.pipeline import warehouse_for_writing
from warehouse.runs import finish_run, latest_common_period, record_run

STAGE_TABLES = {
    "survey": ["marts.survey_estimates", "marts.survey_differences", "marts.survey_wave_changes"],
    "spc": ["marts.indicator_spc", "marts.indicator_spc_summary", "marts.indicator_spc_suggestions"],
    "peers": ["marts.indicator_peers"],
}


class StagesFailed(RuntimeError):
    """Raised at the end of a run in which some stages failed (what could be published, was)."""


@task(name="build-survey", timeout_seconds=600, cache_policy=NO_CACHE)
def build_survey(con, area: str) -> dict:
    """Weight each survey wave to the population; survey estimates and differences."""
    return build_survey_marts(con, area)


@task(name="compute-indicators", timeout_seconds=900, cache_policy=NO_CACHE)
def compute_indicators(con, area: str, full_refresh: bool = False) -> dict:
    """marts.indicator_values and marts.indicator_catalogue from the plan and the definitions."""
    return run_engine(con, area, full_refresh=full_refresh)


@task(name="build-spc", timeout_seconds=600, cache_policy=NO_CACHE)
def build_spc_charts_data(con) -> dict:
    """XmR points, rules and icons for every monthly series (marts.indicator_spc)."""
    return build_spc(con)


@task(name="build-peers", timeout_seconds=600, cache_policy=NO_CACHE)
def build_peer_comparison(con) -> dict:
    """Rates per 1,000 against the force's other CSPs (marts.indicator_peers)."""
    return build_peers(con)


def _retry_on_io(task, task_run, state) -> bool:
    """Retry reports on I/O trouble only: a disclosure-check failure would fail the same way again."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - anything else is not transient
        return False
    return False


@task(name="publish-reports", retries=2, retry_delay_seconds=[5, 30], retry_condition_fn=_retry_on_io,
      timeout_seconds=1800, cache_policy=NO_CACHE)
def publish_lead_reports(con, settings, period: str, plan_year: str, run_id: str) -> dict:
    """Report cards per priority, committee summary, data-quality page (from the warehouse this run publishes)."""
    return publish_reports(settings.warehouse_path, settings.reports, period, plan_year, settings.area,
                           notes_dir=settings.data_dir / "notes", con=con, run_id=run_id)


@task(name="publish-artifacts", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish_prefect_artifacts(summary: dict) -> None:
    """Markdown and table artifacts on the flow run for Prefect UI users."""
    publish_artifacts(summary)


def resolve_period(con, period: str | None, plan_year: str) -> str | None:
    """'latest' (or None) → the latest month every monthly source the plan's indicators need has delivered."""
    if period and period != "latest":
        return period
    indicators, _, plans = project_definitions()
    sources = sorted({source for _, _, entry in plans[plan_year].entries() for source in indicators[entry.id].sources
                      if source not in {"reference_population", "survey_responses"}})
    return latest_common_period(con, sources)


def default_plan_year() -> str:
    _, _, plans = project_definitions()
    return max(plans)


def _optional_stage(name: str, con, failed: list[str], counts: dict, logger, run) -> None:
    """Run a stage that must not stop the rest; on failure drop its tables so nothing stale is published."""
    try:
        counts[name] = run()
    except Exception as error:  # noqa: BLE001 - recorded, reported, and the flow ends failed
        logger.error("stage %s failed: %s: %s", name, type(error).__name__, error)
        failed.append(name)
        counts[name] = {"error": f"{type(error).__name__}: {error}"}
        for table in STAGE_TABLES.get(name, []):
            con.execute(f"drop table if exists {table}")


@flow(name="csp-monthly", on_failure=[on_failure_report], on_crashed=[on_failure_report])
def monthly_flow(period: str | None = "latest", plan_year: str | None = None, area: str | None = None,
                 paths: list[str] | None = None, reports: bool = True, full_refresh: bool = False) -> dict:
    """The whole monthly run; the published warehouse changes only when publication is reached.

    Marts and indicator windows are recomputed only from the first month new, revised or late files change
    (transforms/incremental.py); full_refresh=True (`csp run --full-refresh`) rebuilds them from all months."""
    logger = get_run_logger()
    started = datetime.now()
    settings = load_settings(area=area)
    plan_year = plan_year or default_plan_year()
    run_id = str(flow_run.get_id() or uuid.uuid4())
    logger.info("config %s, plan year %s, period %s", settings.describe(), plan_year, period)
    files = discover_files(paths or [str(settings.inbox)])
    counts: dict[str, object] = {}
    failed: list[str] = []
    with writer_slot(logger), warehouse_for_writing(settings) as con:
        killed = clean_stale_builds(con, settings.reports, settings.area, found_by=run_id)  # under the writer's lock
        for build in killed:
            logger.warning("run %s was killed while writing the reports of %s; recorded as failed", build.run_id, build.period)
        run = load_files(con, settings, files, None, run_id)
        counts["ingest"] = run.report.summary()
        failed += [f"ingest:{source}" for source in run.failed_sources]
        built = build_sql_models(con, settings.area, full_refresh)
        counts["models"], counts["refresh"] = len(built["models"]), built["refresh"]
        _optional_stage("survey", con, failed, counts, logger, lambda: build_survey(con, settings.area))
        counts["indicators"] = compute_indicators(con, settings.area, full_refresh)
        _optional_stage("spc", con, failed, counts, logger, lambda: build_spc_charts_data(con))
        _optional_stage("peers", con, failed, counts, logger, lambda: build_peer_comparison(con))
        apply_comments(con)
        resolved = resolve_period(con, period, plan_year)
        record_run(con, run_id=run_id, flow_run_id=str(flow_run.get_id() or ""), flow_name="csp-monthly", period=resolved,
                   plan_year=plan_year, area_code=settings.area, config=settings.describe(), started_at=started,
                   state="completed_with_failures" if failed else "completed", failed_stages=failed,
                   stage_row_counts=counts, prefect_server=configured_server())
        summary = {"period": resolved, "plan_year": plan_year, "counts": counts, "failed_stages": failed,
                   "outcomes": [o.line() for o in run.report.outcomes], "warehouse": str(settings.warehouse_path)}
        if reports and resolved:
            try:
                summary["reports"] = publish_lead_reports(con, settings, resolved, plan_year, run_id)
                publish_prefect_artifacts(summary)
            except Exception as error:  # noqa: BLE001 - the data is good: publish it, and say the reports failed
                logger.error("reports failed: %s: %s", type(error).__name__, error)
                failed.append("reports")
        finish_run(con, run_id, failed)  # completed only now that the reports and artifacts are published
    logger.info("published %s for period %s", settings.warehouse_path, resolved)
    for build in killed:
        write_killed_run_report(str(build.run_id), build.period, build.started_at, run_id, settings.reports)
    quarantine_refused(settings, run)
    for outcome in run.report.outcomes:
        if outcome.status in {"quarantined", "failed"}:
            logger.warning(outcome.line())
    if failed:
        raise StagesFailed(f"stages failed: {', '.join(failed)} (warehouse published for period {resolved}; "
                           f"see audit.pipeline_runs and reports/{resolved}/)")
    return summary

