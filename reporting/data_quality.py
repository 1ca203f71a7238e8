"""The data-quality page: per source, files received, loaded and refused, and whether it is stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from reporting.coverage_text import SourceGap, coverage_calendar, coverage_until, source_gaps
from reporting.disclosure import DisclosureRules, is_missing
from reporting.figures import Shown, primary_count
from reporting.months import short_month
from reporting.snapshot import PlanInfo, Snapshot
from warehouse.retention import configured_retention_days, delete_after, holds_personal_data

__all__ = ["SourceState", "data_quality_summary"]


@dataclass
class SourceState:
    source: str
    title: str
    publisher: str
    grain: str | None
    files_received: int
    files_received_period: int
    files_loaded: int
    files_refused: int
    rows_loaded: Shown
    rules_checked: int
    latest_month: date | None
    stale: bool
    refused_this_period: list[dict[str, Any]]
    gap: SourceGap | None = None  # from marts.source_coverage: not received, late or months missing

    @property
    def state(self) -> str:
        parts = []
        if self.gap is not None and self.gap.kind == "not received":
            parts.append("Not received: no file has arrived")
        elif self.gap is not None:
            parts.append(("Late: " + self.gap.text) if self.gap.kind == "late" else self.gap.text.capitalize())
        elif self.stale:
            parts.append(f"Stale: latest month loaded is {short_month(self.latest_month)}" if self.latest_month
                         else "Stale: no month loaded")
        if self.refused_this_period:
            n = len(self.refused_this_period)
            parts.append(f"{n} file{'s' if n != 1 else ''} refused this period")
        if not parts:
            return "Every month received" if self.grain == "month" else "Loaded (not monthly)"
        return "; ".join(parts)

    @property
    def css(self) -> str:
        if self.stale or (self.gap is not None and self.gap.kind != "missing months"):
            return "dq-bad"
        return "dq-warn" if self.refused_this_period or self.gap is not None else "dq-ok"


def deletion_text(received_at: object, rules: list[str], days: int) -> str:
    """When a file refused for personal data will be deleted from quarantine (warehouse.retention); else ''."""
    if not holds_personal_data(rules) or is_missing(received_at):
        return ""
    when = delete_after(pd.Timestamp(str(received_at)).to_pydatetime(), days)
    return (f"Holds personal data: kept {days} days, to be deleted on {when:%d %B %Y at %H:%M} "
            f"(csp quarantine purge).")


def data_quality_summary(snap: Snapshot, info: PlanInfo, period: str, month_start: date,
                  rules: DisclosureRules, retention_days: int | None = None) -> dict[str, Any]:
    retention_days = configured_retention_days() if retention_days is None else retention_days
    files = snap.files
    run_ids: set[str] = set()
    if not snap.runs.empty and "period" in snap.runs:
        run_ids = {str(r) for r in snap.runs.loc[snap.runs["period"] == period, "run_id"]}
    states: list[SourceState] = []
    refused_rows: list[dict[str, Any]] = []
    validation = snap.validation
    labels = dict(zip(snap.catalogue["indicator_id"], snap.catalogue["label"], strict=True))
    affects: dict[str, list[str]] = {}
    for indicator_id, sources in zip(snap.catalogue["indicator_id"], snap.catalogue["source"], strict=True):
        for used in str(sources or "").split(","):
            if used.strip() and labels[indicator_id] not in affects.setdefault(used.strip(), []):
                affects[used.strip()].append(labels[indicator_id])
    gaps = {gap.source: gap for gap in source_gaps(snap.coverage, month_start, labels)}
    covered = coverage_until(snap.coverage, month_start)
    this_month = covered[pd.to_datetime(covered["month"]).dt.date == month_start] if not covered.empty else covered
    names = sorted((set(files["source"].dropna()) if not files.empty else set()) | set(gaps),
                   key=lambda s: (s.startswith("reference"), s))
    for source in names:
        part = files[files["source"] == source]
        title, publisher, grain = info.source_titles.get(source, (source, "", None))
        in_period = part["run_id"].astype(str).isin(run_ids) if "run_id" in part else pd.Series(False, index=part.index)
        claims = part.get("claimed_period", pd.Series(None, index=part.index)).astype(str) == period
        refused = part[(part["status"] == "quarantined") & (in_period | claims)]
        refused_list = []
        for row in refused.itertuples():
            checks = validation[validation["file_id"] == row.file_id] if not validation.empty else pd.DataFrame()
            problems = [{"rule": str(c.rule), "column": "" if is_missing(c.column_name) else str(c.column_name),
                         "message": str(c.message)} for c in checks.itertuples()]
            if not problems:
                problems = [{"rule": "", "column": "", "message": str(row.reason or "")}]
            qpath = "" if is_missing(row.quarantine_path) else str(row.quarantine_path)
            if "quarantine" in Path(qpath).parts:
                parts = Path(qpath).parts
                qpath = str(Path(*parts[parts.index("quarantine"):]))
            item = {"source": source, "file_name": str(row.file_name), "received_at": str(row.received_at)[:16],
                    "rows_in_file": primary_count(row.rows_in_file, rules), "problems": problems,
                    "quarantine_path": qpath, "reason": str(row.reason or ""), "title": title,
                    "indicators": affects.get(source, []),
                    "deletion": deletion_text(row.received_at, [p["rule"] for p in problems], retention_days)}
            refused_list.append(item)
            refused_rows.append(item)
        loaded = part[part["status"] == "loaded"]
        rows_loaded = int(loaded["rows_loaded"].fillna(0).sum()) if not loaded.empty else 0
        latest = snap.loaded_months.get(source)
        stale = grain == "month" and (latest is None or latest < month_start)
        rc = part["rules_checked"].dropna()
        # Files for this period: those covering the report month (and refused ones claiming it), not every
        # file of the run (a first run loads years of files at once).
        mine = this_month[this_month["source"] == source] if not this_month.empty else this_month
        for_period = (int(mine["files_delivered"].sum() + mine["files_refused"].sum()) if grain == "month" and not mine.empty
                      else int(in_period.sum()) if grain != "month" else len(refused_list))
        states.append(SourceState(
            source=source, title=title, publisher=publisher, grain=grain, files_received=len(part),
            files_received_period=for_period, files_loaded=len(loaded),
            files_refused=int((part["status"] == "quarantined").sum()),
            rows_loaded=primary_count(rows_loaded, rules), rules_checked=int(rc.max()) if not rc.empty else 0,
            latest_month=latest, stale=stale, refused_this_period=refused_list, gap=gaps.get(source)))
    last_run = None
    if not snap.runs.empty:
        match = snap.runs[snap.runs["period"] == period] if "period" in snap.runs else snap.runs
        row = (match if not match.empty else snap.runs).iloc[-1]
        last_run = {"run_id": str(row.get("run_id", "")), "git_commit": str(row.get("git_commit", "") or ""),
                    "started_at": str(row.get("started_at", ""))[:19], "state": str(row.get("state", "")),
                    "period": str(row.get("period", ""))}
    return {"sources": states, "by_source": {s.source: s for s in states}, "refused": refused_rows,
            "spc_suggestions": [],  # filled by publish_reports from marts.indicator_spc_suggestions
            "stale": [s for s in states if s.stale], "last_run": last_run,
            "gaps": [s for s in states if s.gap is not None],
            "calendar": coverage_calendar(snap.coverage, month_start),
            "unplaced": [{"month": pd.Timestamp(r.month).date(), "no_location": primary_count(r.no_location, rules),
                          "unknown_lsoa": primary_count(r.unknown_lsoa, rules),
                          "in_area_no_ward": primary_count(r.in_area_no_ward, rules)}
                         for r in snap.unplaced.itertuples()],
            "runs": [] if snap.runs.empty else [
                {"started_at": str(r.started_at)[:16], "flow": str(r.flow_name), "period": str(r.period or ""),
                 "state": str(r.state)} for r in snap.runs.tail(5).itertuples()]}


