"""Prefect state hooks: a failed monthly run leaves a plain report in reports/<period>/ and, if configured, a notification.

Wire it into the flow decorator::

    @flow(name="csp-monthly", on_failure=[on_failure_report], on_crashed=[on_failure_report])

The hook runs in the flow-run process after the run has entered Failed (or Crashed), outside the run
context (no ``get_run_logger``). It never raises: a broken notification must not hide the failure.

Report: ``$CSP_DATA/reports/<period>/failure_<flow_run_id>.md`` and ``.json``, where ``<period>`` is
the ``period`` parameter when it is a month (``YYYY-MM``); for ``latest``, the month the run recorded in
the published ``audit.pipeline_runs`` if it got that far (a stage after publication failed); else
``unknown``.

Notification: set ``CSP_NOTIFY_BLOCK`` to a saved Prefect notification block as
``<block-type-slug>/<block-name>``, e.g. ``slack-webhook/csp-failures`` or
``custom-webhook/csp-failures``, created in the UI (Blocks) or in Python with
``SlackWebhook(url=...).save("csp-failures")``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.config import load_settings

logger = logging.getLogger("csp.hooks")

NOTIFY_ENV = "CSP_NOTIFY_BLOCK"
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _reports_dir() -> Path:
    """$CSP_DATA/reports, resolved as warehouse.config does (without failing on a bad setting)."""
    try:
        return load_settings().reports
    except Exception:  # noqa: BLE001 - the bad setting may be why the run failed
        return Path(os.environ.get("CSP_DATA", "data")).resolve() / "reports"


def _recorded_period(flow_run_id: Any) -> str | None:
    """The period this run recorded in audit.pipeline_runs, if it got as far as publishing."""
    if not flow_run_id:
        return None
    try:
        path = load_settings().warehouse_path
        if not path.exists():
            return None
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("select period from audit.pipeline_runs where flow_run_id = ? limit 1",
                              [str(flow_run_id)]).fetchone()
            if row is None:  # a run with no Prefect server keeps its id in run_id only (warehouse.runs)
                row = con.execute("select period from audit.pipeline_runs where run_id = ? limit 1",
                                  [str(flow_run_id)]).fetchone()
        finally:
            con.close()
        return row[0] if row and isinstance(row[0], str) else None
    except Exception:  # noqa: BLE001 - locked, missing or older warehouse: fall back to the parameter
        return None


def _period_folder(parameters: dict[str, Any], flow_run_id: Any = None) -> str:
    """The month parameter; else ('latest') the month the run recorded before failing; else 'unknown'."""
    period = parameters.get("period")
    if isinstance(period, str) and _MONTH.fullmatch(period):
        return period
    recorded = _recorded_period(flow_run_id)
    return recorded if recorded and _MONTH.fullmatch(recorded) else "unknown"


def _exception_text(state: Any) -> tuple[str | None, str | None]:
    """(one-line exception, formatted traceback) from a Failed state, when it carries one."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception as error:  # noqa: BLE001 - results may not be retrievable (not persisted)
        exc = error
    if not isinstance(exc, BaseException):
        return None, None
    one_line = f"{type(exc).__name__}: {exc}"
    formatted = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return one_line, formatted


def _api_available() -> bool:
    """True if a Prefect API answers without starting a new temporary server for this hook."""
    try:
        from prefect.settings import get_current_settings

        if get_current_settings().api.url:
            return True
        server_module = sys.modules.get("prefect.server.api.server")  # imported only if this process started one
        server_class = getattr(server_module, "SubprocessASGIServer", None)
        return bool(getattr(server_class, "_instances", None))  # a temporary server this process runs
    except Exception:  # noqa: BLE001
        return False


def failed_task_names(flow_run_id: Any) -> list[str]:
    """Names of the task runs of this flow run that ended Failed or Crashed ([] when not retrievable)."""
    if flow_run_id is None or not _api_available():
        return []
    try:
        from prefect import get_client
        from prefect.client.schemas.filters import (
            FlowRunFilter,
            FlowRunFilterId,
            TaskRunFilter,
            TaskRunFilterState,
            TaskRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType

        with get_client(sync_client=True) as client:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
                task_run_filter=TaskRunFilter(state=TaskRunFilterState(
                    type=TaskRunFilterStateType(any_=[StateType.FAILED, StateType.CRASHED]))),
            )
        return sorted({run.name for run in runs})
    except Exception as error:  # noqa: BLE001
        logger.warning("could not read the failed task runs of %s: %s", flow_run_id, error)
        return []


def build_failure_report(flow: Any, flow_run: Any, state: Any) -> dict[str, Any]:
    """The facts an operator needs, as a JSON-ready dict."""
    parameters = dict(getattr(flow_run, "parameters", None) or {})
    exception, formatted = _exception_text(state)
    return {
        "flow_name": getattr(flow, "name", None) or getattr(flow_run, "flow_name", None),
        "flow_run_id": str(getattr(flow_run, "id", "") or ""),
        "flow_run_name": getattr(flow_run, "name", None),
        "deployment_id": str(getattr(flow_run, "deployment_id", "") or "") or None,
        "parameters": parameters,
        "period": _period_folder(parameters, getattr(flow_run, "id", None)),
        "state_type": str(getattr(getattr(state, "type", None), "value", getattr(state, "type", None))),
        "state_name": getattr(state, "name", None),
        "state_message": getattr(state, "message", None),
        "exception": exception,
        "traceback": formatted,
        "failed_tasks": failed_task_names(getattr(flow_run, "id", None)),
        "reported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def render_markdown(report: dict[str, Any]) -> str:
    tasks = ", ".join(report["failed_tasks"]) or "none recorded (the failure was in the flow itself, or not retrievable)"
    lines = [
        f"# Monthly run failed: {report['flow_name']} / {report['flow_run_name']}",
        "",
        f"- **When:** {report['reported_at']} (UTC)",
        f"- **Flow run id:** `{report['flow_run_id']}`",
        f"- **State:** {report['state_name']} ({report['state_type']})",
        f"- **Message:** {report['state_message'] or '-'}",
        f"- **Failed tasks:** {tasks}",
        f"- **Parameters:** `{json.dumps(report['parameters'], default=str)}`",
        "",
        "A run publishes the warehouse once, at its end: if it stopped before that, the published warehouse is",
        "the previous one, unchanged; if only some stages failed, the rest was published and",
        "audit.pipeline_runs.failed_stages names the failed ones (the month's previous reports stay in place).",
        "Fix the cause, then re-run the month:",
        "",
        "    prefect deployment run csp-monthly/csp-rerun --param period=YYYY-MM",
        "",
    ]
    if report["exception"]:
        lines += ["## Error", "", f"    {report['exception']}", ""]
    if report["traceback"]:
        lines += ["## Traceback", "", "```", report["traceback"].rstrip(), "```", ""]
    return "\n".join(lines)


def write_failure_report(report: dict[str, Any], reports_dir: Path | None = None) -> tuple[Path, Path]:
    folder = (reports_dir or _reports_dir()) / report["period"]
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"failure_{report['flow_run_id'] or datetime.now().strftime('%Y%m%dT%H%M%S')}"
    md_path, json_path = folder / f"{stem}.md", folder / f"{stem}.json"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    json_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return md_path, json_path


def write_killed_run_report(run_id: str, period: str, started_at: datetime, found_by: str,
                            reports_dir: Path | None = None) -> Path:
    """The failure report of a run killed while writing its reports, written by the next run that found it."""
    report: dict[str, Any] = {
        "flow_name": "csp-monthly", "flow_run_id": run_id, "flow_run_name": None, "deployment_id": None,
        "parameters": {}, "period": period, "state_type": "CRASHED", "state_name": "Killed",
        "state_message": (f"the run was killed while writing the reports of {period} (its report folder was "
                          f"last written at {started_at:%Y-%m-%d %H:%M:%S}); run {found_by} found the folder, "
                          "recorded the run as failed in audit.pipeline_runs and removed the folder"),
        "exception": None, "traceback": None, "failed_tasks": ["publish-reports"],
        "reported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    md_path, _ = write_failure_report(report, reports_dir)
    return md_path


def notify(report: dict[str, Any], md_path: Path, block_name: str | None = None) -> bool:
    """Send the report through the Prefect notification block named in CSP_NOTIFY_BLOCK. True if sent."""
    block_name = block_name or os.environ.get(NOTIFY_ENV, "").strip()
    if not block_name:
        return False
    try:
        from prefect.blocks.core import Block

        if "/" not in block_name:
            logger.warning("%s=%r: give it as <block-type-slug>/<name>, e.g. slack-webhook/%s",
                           NOTIFY_ENV, block_name, block_name)
            return False
        # The slug names the block type only at run time; from sync code load() and notify() run
        # synchronously (async_dispatch), so the block is used untyped here.
        block: Any = Block.load(block_name)
        subject = f"CSP monthly run failed: {report['flow_run_name']} (period {report['period']})"
        body = (f"{report['state_message'] or report['exception'] or 'failed'}\n"
                f"Failed tasks: {', '.join(report['failed_tasks']) or '-'}\n"
                f"Parameters: {json.dumps(report['parameters'], default=str)}\n"
                f"Report: {md_path}")
        block.notify(subject=subject, body=body)
        return True
    except Exception as error:  # noqa: BLE001 - never let a notification failure raise from the hook
        logger.warning("could not send the failure notification through %r: %s", block_name, error)
        return False


def on_failure_report(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect on_failure / on_crashed hook: write reports/<period>/failure_<id>.md/.json, then notify."""
    try:
        report = build_failure_report(flow, flow_run, state)
        md_path, _ = write_failure_report(report)
        logger.error("flow run %s failed; report written to %s", report["flow_run_id"], md_path)
    except Exception as error:  # noqa: BLE001
        logger.error("could not write the failure report: %s", error)
        return
    notify(report, md_path)


__all__ = ["build_failure_report", "failed_task_names", "notify", "on_failure_report", "write_failure_report",
           "write_killed_run_report"]
