"""What marts.source_coverage says, in words a councillor reads: per indicator (the card's data line) and
per source (the committee summary, the data-quality page).

A figure is computed only for a window whose every month was delivered; these sentences say which
source and which months are missing when it was not, so an absent figure is never unexplained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from reporting.months import short_month
from transforms.coverage import delivered_months, describe_ranges, window_coverage

__all__ = ["SourceGap", "coverage_calendar", "coverage_until", "indicator_data_line", "source_gaps"]

STATUS_WORDS = {"source not received": "Source not received", "stale": "Late", "incomplete": "Incomplete"}


@dataclass
class SourceGap:
    """A monthly source a plan indicator needs that is not complete up to the report month."""

    source: str
    title: str
    kind: str  # 'not received' | 'late' | 'missing months'
    text: str
    indicators: list[str] = field(default_factory=list)  # the plan's labels of the indicators it affects


def coverage_until(coverage: pd.DataFrame, month_start: date) -> pd.DataFrame:
    """The coverage rows up to the report month (a later delivery does not fill an earlier report)."""
    if coverage.empty:
        return coverage
    return coverage[pd.to_datetime(coverage["month"]).dt.date <= month_start]


def indicator_data_line(coverage: pd.DataFrame, titles: dict[str, str], sources: list[str], month_start: date,
                        refused_notes: list[str], received: set[str] | None = None) -> tuple[str, str]:
    """The card's data-quality line for an indicator's 12 months to the report month, and its css class.

    `received`: the sources at least one file of which was loaded (for sources not delivered monthly)."""
    known = coverage_until(coverage, month_start)
    monthly = set(known["source"]) if not known.empty else set()
    never = [s for s in sources if s not in monthly and received is not None and s not in received]
    if never:
        return ("Source not received: " + "; ".join(f"{titles.get(s, s)} has never been received" for s in never)
                + ", so no figure is computed from it"), "dq-bad"
    if not any(s in monthly for s in sources):
        notes = list(refused_notes)
        return ("; ".join(notes) if notes else "Not a monthly delivery (survey waves or reference data)"), (
            "dq-warn" if notes else "dq-ok")
    delivered = delivered_months(known)
    cover = window_coverage(delivered, titles, sources, "12m", month_start)
    status, reason = str(cover["data_status"]), cover["data_status_reason"]
    to = short_month(month_start)
    if status == "complete":
        text = f"Every month received for the 12 months to {to}"
        text += f"; {reason}" if reason else " and the 12 months before"
        css = "dq-ok"
    else:
        text = (f"{STATUS_WORDS[status]}: {reason}. {cover['months_present']} of {cover['months_expected']} months of "
                f"the 12 months to {to} received, so no 12-month figure is computed for {to} and none is judged")
        css = "dq-bad" if status in ("source not received", "stale") else "dq-warn"
    if refused_notes:
        text += "; " + "; ".join(refused_notes)
        css = "dq-warn" if css == "dq-ok" else css
    return text, css


def source_gaps(coverage: pd.DataFrame, month_start: date, labels: dict[str, str]) -> list[SourceGap]:
    """Every expected monthly source that was never received, stopped before the report month, or has
    months missing in the 24 months to it (the latest window and its comparison), with the indicators
    (by the plan's labels) each affects."""
    known = coverage_until(coverage, month_start)
    gaps: list[SourceGap] = []
    if known.empty:
        return gaps
    first_needed = (pd.Timestamp(month_start) - pd.DateOffset(months=23)).date()
    for source, part in known.groupby("source", sort=True):
        if not part["expected"].any():
            continue
        title = str(part["source_title"].iloc[0])
        affected = [labels.get(i, i.replace("_", " ")) for i in part["indicators"].iloc[0]]
        got = [pd.Timestamp(m).date() for m in part.loc[part["delivered"], "month"]]
        missing = [pd.Timestamp(m).date() for m in part.loc[part["missing"], "month"]]
        recent = [m for m in missing if m >= first_needed]
        if not got:
            gaps.append(SourceGap(source, title, "not received", "no file has been received", affected))
        elif max(got) < month_start:
            gaps.append(SourceGap(source, title, "late", f"latest month received is {short_month(max(got))}; "
                                  f"missing {describe_ranges(missing)}", affected))
        elif recent:
            gaps.append(SourceGap(source, title, "missing months", f"missing {describe_ranges(missing)}", affected))
    return gaps


CALENDAR_MONTHS = 24
CALENDAR_WORDS = {"received": "Received", "revised": "Revised", "refused": "Refused", "missing": "Missing",
                  "not expected": ""}


def coverage_calendar(coverage: pd.DataFrame, month_start: date) -> dict[str, Any]:
    """Source × month for the 24 months to the report month: received / revised / refused / missing."""
    known = coverage_until(coverage, month_start)
    first = (pd.Timestamp(month_start) - pd.DateOffset(months=CALENDAR_MONTHS - 1)).date()
    months = [d.date() for d in pd.date_range(first, month_start, freq="MS")]
    rows = []
    if not known.empty:
        for source, part in known.groupby("source", sort=True):
            by_month = {pd.Timestamp(r.month).date(): r for r in part.itertuples()}
            if not part["expected"].any() and not part["delivered"].any():
                continue
            cells = []
            for month in months:
                r = by_month.get(month)
                status = str(r.status) if r is not None else "not expected"
                files = ", ".join(list(r.files) + list(r.refused_files)) if r is not None else ""
                cells.append({"status": status, "text": CALENDAR_WORDS.get(status, status), "files": files})
            rows.append({"source": source, "title": str(part["source_title"].iloc[0]), "cells": cells})
    return {"months": months, "rows": rows}


def gap_summary(gaps: list[SourceGap]) -> dict[str, Any]:
    """Counts for artifacts and the run summary."""
    return {"not_received": [g.source for g in gaps if g.kind == "not received"],
            "late": [g.source for g in gaps if g.kind == "late"],
            "missing_months": [g.source for g in gaps if g.kind == "missing months"]}
