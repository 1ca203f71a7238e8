"""Writing the report files: templates, the tidy CSV, disclosure manifests and the folder swap."""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from reporting.cards import IndicatorCard
from reporting.csv_safety import safe_cell
from reporting.disclosure import MANIFEST_NAME
from reporting.figures import FLAG_MISSING, Shown
from reporting.mdc_icons import icon_svg
from reporting.months import short_month

__all__ = ["CSV_COLUMNS", "CSV_COUNT_COLUMNS", "css_string", "csv_rows", "swap_into_place", "template_env", "write_csv",
           "write_manifest"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def template_env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["mon"] = lambda d: short_month(d) if d else ""
    env.filters["css_string"] = css_string
    env.filters["mdc_icon"] = icon_svg
    return env


def css_string(text: object) -> Markup:
    """A CSS string literal (for @page margin boxes) that no text can break out of."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,;:()-–—·'/&+%" else f"\\{ord(ch):06x}"
                      for ch in str(text))
    return Markup(f'"{escaped}"')


CSV_COLUMNS = [
    "plan_year", "period", "priority_id", "outcome_id", "indicator_id", "indicator", "kind", "tag", "method",
    "unit", "aim", "area_type", "area_code", "area_name", "window", "period_start", "period_end",
    "value", "value_flag", "numerator", "numerator_flag", "denominator", "denominator_flag",
    "previous_value", "previous_value_flag", "previous_numerator", "previous_numerator_flag",
    "previous_denominator", "previous_denominator_flag", "change", "change_flag", "change_pct",
    "change_pct_flag", "ci_lower", "ci_upper", "ci_flag", "status", "spc_variation", "spc_assurance",
    "trend_direction", "trend_periods", "baseline_pct_change", "baseline_flag", "recording_change",
    "data_quality", "draft", "change_unit", "change_pct_unit", "message", "ward_vintage", "public_data",
]
CSV_COUNT_COLUMNS = ["numerator", "denominator", "previous_numerator", "previous_denominator"]


def csv_rows(card: IndicatorCard, plan_year: str, period: str, area_code: str,
             area_name: str) -> list[dict[str, str]]:
    """The tidy CSV rows of one card: the district row, then each ward and the remainder."""
    def put(row: dict, name: str, s: Shown) -> None:
        row[name] = s.csv
        row[f"{name}_flag"] = s.flag or ""

    base = {"plan_year": plan_year, "period": period, "priority_id": card.priority_id,
            "outcome_id": card.outcome_id, "indicator_id": card.indicator_id, "indicator": card.label,
            "kind": card.kind, "tag": card.tag or "", "method": card.method, "unit": card.unit, "aim": card.aim,
            "public_data": card.public_label}
    rows: list[dict[str, str]] = []
    if card.value.flag == FLAG_MISSING and card.window_range == "no data":
        # No figure: one row that says why (the data line), so the csv is never silent about a gap.
        return [dict(base, area_type="district", area_code=area_code, area_name=area_name,
                     window="wave" if card.window_type == "wave" else "12m", value_flag=card.value.flag or "",
                     status=card.status, draft="draft" if card.draft else "", data_quality=card.dq_note)]
    row = dict(base, area_type="district", area_code=area_code, area_name=area_name,
               window="wave" if card.window_type == "wave" else "12m",
               period_start=card.period_start.isoformat() if card.period_start else "",
               period_end=card.period_end.isoformat() if card.period_end else "")
    for name, s in (("value", card.value), ("numerator", card.numerator), ("denominator", card.denominator),
                    ("previous_value", card.previous), ("previous_numerator", card.prev_numerator),
                    ("previous_denominator", card.prev_denominator), ("change", card.change),
                    ("change_pct", card.change_pct)):
        put(row, name, s)
    row["ci_lower"], row["ci_upper"] = card.ci_lower.csv, card.ci_upper.csv
    row["ci_flag"] = card.ci_lower.flag or ""
    row["status"] = card.status
    row["draft"] = "draft" if card.draft else ""
    row["spc_variation"] = card.variation.key if card.variation else ""
    row["spc_assurance"] = card.assurance.key if card.assurance else ""
    direction = card.trend.direction
    row["trend_direction"] = "" if direction is None else {1: "up", -1: "down", 0: "flat"}.get(direction, "")
    row["trend_periods"] = str(card.trend.periods) if card.trend.direction is not None else ""
    row["baseline_pct_change"] = card.baseline.csv
    row["baseline_flag"] = card.baseline.flag or ""
    row["recording_change"] = "yes" if card.recording_warning else "no"
    row["data_quality"] = card.dq_note
    # change_pct and baseline_pct_change hold percentage points for percentages (change_pct_unit).
    row["change_unit"], row["change_pct_unit"] = card.change_unit, card.relative_unit
    row["message"] = " ".join(part for part in (card.message, card.reconciliation) if part)
    rows.append(row)
    for w in card.wards:
        wrow = dict(base, area_type="ward" if not w.is_remainder else "not_placed", area_code=w.code,
                    area_name=w.name, window="12m", period_start=row["period_start"], period_end=row["period_end"],
                    ward_vintage=card.ward_vintage)
        put(wrow, "value", w.value)
        put(wrow, "numerator", w.count)
        put(wrow, "denominator", w.base)
        put(wrow, "previous_numerator", w.prev_count)
        put(wrow, "previous_denominator", w.prev_base)
        put(wrow, "change", w.change)
        rows.append(wrow)
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    """The tidy CSV; every text cell neutralised against formula injection (reporting.csv_safety)."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: safe_cell(row.get(c, "")) for c in CSV_COLUMNS})


def write_manifest(folder: Path, entries: list[dict]) -> Path:
    path = folder / MANIFEST_NAME
    path.write_text(json.dumps({"files": entries, "note": "count_columns lists every column that holds "
                                "counts; every HTML count is in an element with class 'count'; public_rows (and class 'count public' in "
                                "HTML) mark figures made only from public sources, shown in full."}, indent=2),
                    encoding="utf-8")
    return path


def swap_into_place(building: Path, target: Path) -> None:
    """Replace target with building: rename aside, rename in, delete the old one."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
    os.replace(building, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


