"""Prefect artifacts for the monthly reports: a markdown card per priority and one indicator table.

``publish_artifacts(summary)`` takes the dict :func:`reporting.publish.publish_reports`
returns (or a flow summary holding it under ``"reports"``). Its figures are display strings that
already passed disclosure control; they are checked again here (every count field through the
HTML count scanner) before anything leaves for the Prefect API, so an artifact can never show what
a report may not. Outside a flow or task run the call does nothing and returns ``[]`` (it never
starts a Prefect server just to write artifacts).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from markupsafe import escape

from reporting.disclosure import (
    DEFAULT_RULES,
    DisclosureCheckError,
    DisclosureRules,
    find_unsuppressed_small_counts,
)

__all__ = ["artifact_key", "check_rows", "priority_markdown", "publish_artifacts", "table_rows"]

log = logging.getLogger(__name__)

TABLE_FIELDS = ["priority", "indicator_id", "indicator", "kind", "aim", "window", "value", "change",
                "change_pct", "status_label", "spc_variation", "spc_assurance", "trend", "baseline_pct_change",
                "data_quality"]


def _in_run() -> bool:
    """True inside a Prefect flow or task run."""
    try:
        from prefect.context import FlowRunContext, TaskRunContext
    except ImportError:  # pragma: no cover - prefect is a dependency
        return False
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def artifact_key(*parts: str) -> str:
    """A Prefect artifact key (lower-case letters, digits and dashes)."""
    key = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return key or "csp-report"


def _count_fields(row: dict[str, Any]) -> list[str]:
    """Fields of an indicator row that hold counts (the value too, for count indicators)."""
    fields = ["count"]
    if row.get("method") == "count":
        fields += ["value", "previous"]
    return fields


def check_rows(rows: Sequence[dict[str, Any]], rules: DisclosureRules) -> list[str]:
    """One message per count field that shows a small count; [] means safe to publish."""
    problems = []
    for row in rows:
        for name in _count_fields(row):
            text = str(row.get(name) or "")
            if text and find_unsuppressed_small_counts(f'<td class="count">{escape(text)}</td>', rules):
                problems.append(f"{row.get('priority_id')}/{row.get('indicator_id')}: {name} {text!r}")
    return problems


def _cell(text: Any) -> str:
    """Markdown table cell text."""
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def priority_markdown(card: dict[str, Any], rows: Sequence[dict[str, Any]], summary: dict[str, Any]) -> str:
    """The markdown body of one priority's artifact."""
    tally = card["tally"]
    lines = [
        f"# {card['title']}: report card, {summary['period']}",
        "",
        (f"Lead: {card['leads'] or 'not named in the plan'} · plan year {summary['plan_year']} · "
        f"area {summary['area_code']}"),
        "",
        f"Report card: `{card['report_card']}`",
        "",
        (f"**{tally['total']}** indicators and measures: {tally['improving']} improving, "
        f"{tally['worsening']} worsening, {tally['no_significant_change']} no significant change, "
        f"{tally.get('within_expected_range', 0)} within the expected range, "
        f"{tally['not_assessed']} not assessed."),
        "",
    ]
    if rows:
        lines += ["| Indicator | Latest | Change (% or pts) | Status | SPC | Current trend |",
                  "|---|---:|---:|---|---|---|"]
        for r in rows:
            lines.append(f"| {_cell(r['indicator'])} ({_cell(r['window'])}) | {_cell(r['value'])} | "
                         f"{_cell(r['change_pct'])} | {_cell(r['status_label'])} | {_cell(r['spc_variation'])} | "
                         f"{_cell(r['trend'])} |")
    else:
        lines.append("No computed indicator for this priority yet.")
    dq = summary.get("data_quality", {})
    issues = sorted({r["data_quality"] for r in rows if r.get("data_quality") and
                     not r["data_quality"].startswith(("Every month received", "Not a monthly delivery"))})
    if issues or dq.get("stale") or dq.get("gaps"):
        lines += ["", "**Data quality:**"] + [f"- {_cell(i)}" for i in issues]
        lines += [f"- {_cell(g)}" for g in dq.get("gaps", [])]
    lines += ["", f"_{summary['disclosure_note']}_"]
    return "\n".join(lines)


def table_rows(summary: dict[str, Any]) -> list[dict[str, str]]:
    """The indicator table artifact: one row per priority x indicator, display strings only."""
    return [{k: str(r.get(k, "") or "") for k in TABLE_FIELDS} for r in summary["indicators"]]


def publish_artifacts(summary: dict[str, Any], rules: DisclosureRules = DEFAULT_RULES) -> list[str]:
    """Create the markdown and table artifacts for a publish_reports result; return their keys."""
    if "indicators" not in summary and isinstance(summary.get("reports"), dict):
        summary = summary["reports"]  # the monthly flow's summary, with the reports inside
    if not _in_run():
        log.info("not in a Prefect flow or task run: no artifacts created")
        return []
    missing = [k for k in ("indicators", "priority_cards", "period", "area_code") if k not in summary]
    if missing:
        raise ValueError(f"publish_artifacts needs the result of publish_reports; this dict lacks {missing}")
    problems = check_rows(summary["indicators"], rules)
    if problems:
        raise DisclosureCheckError("artifacts not published, small counts found: " + "; ".join(problems[:10]))
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    keys = []
    for card in summary["priority_cards"]:
        rows = [r for r in summary["indicators"] if r["priority_id"] == card["id"]]
        key = artifact_key("report-card", card["id"], summary["period"])
        create_markdown_artifact(markdown=priority_markdown(card, rows, summary), key=key,
                                 description=f"{card['title']}: report card for {summary['period']}")
        keys.append(key)
    key = artifact_key("indicators", summary["area_code"], summary["period"])
    create_table_artifact(table=table_rows(summary), key=key,
                          description=f"Every plan indicator for {summary['period']} (disclosure control applied)")
    keys.append(key)
    return keys
