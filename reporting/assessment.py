"""The annual Strategic Assessment pack for one district: HTML (prints as sections and tables), XLSX,
the stakeholders' scoring template, SPC charts, and the disclosure manifest every file is checked against.

Written to `<reports>/assessment/<plan_year>/<area_code>/` from a side folder that is swapped into place
only after the disclosure scan passes (publication fails rather than leak).
"""

from __future__ import annotations

import base64
import re
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from reporting.assessment_data import AssessmentData, latest_complete_month, read_assessment
from reporting.assessment_matrix import MatrixResult, build_matrix
from reporting.assessment_tables import (
    DASH,
    Cell,
    ShownRow,
    guard_split,
    shown_rates,
    shown_rows,
    shown_wards,
)
from reporting.assessment_workbook import write_assessment_workbook, write_scores_template
from reporting.charts import spc_chart
from reporting.disclosure import (
    DEFAULT_RULES,
    DisclosureCheckError,
    DisclosureRules,
    scan_manifest,
    suppress_count,
)
from reporting.outputs import swap_into_place, template_env, write_manifest
from reporting.pdf import find_chromium, pdf_entry
from reporting.publish import classification
from transforms.assessment import Window, window_ending
from transforms.assessment_config import MatrixSpec, load_matrix
from transforms.definitions import project_definitions
from transforms.spc import points_to_frame, rebase_groups_for, xmr

HTML_NAME = "strategic_assessment.html"
XLSX_NAME = "strategic_assessment.xlsx"
TEMPLATE_NAME = "priority_scores_template.xlsx"
ROW_HEADER = ["", "Group", "Window", "Year earlier", "Change", "% change", "Change per day", "Significant change",
              "Note"]


def _rebase_months() -> list:
    _, changes, _ = project_definitions()
    return sorted({change.date.replace(day=1) for change in changes.values() if change.source == "police_street"})


def _chart(series: pd.DataFrame, title: str, stem: Path, rules: DisclosureRules) -> dict[str, Any]:
    """An XmR chart of monthly total recorded crime (withheld when a month holds a small count)."""
    if series.empty or len(series) < 2:
        return {"title": title, "src": None, "note": "Too few months for a chart."}
    received = {pd.Timestamp(m).date(): int(v) for m, v in zip(series["month"], series["value"], strict=True)}
    if any(rules.is_small(v) for v in received.values()):
        return {"title": title, "src": None, "note": "Chart withheld: a month holds a small count."}
    # months not received are gaps (None), never joined up or read as zero
    months = Window(min(received), max(received)).months
    values = [received.get(month) for month in months]
    points = xmr(values, "decrease", rebase_groups_for(months, _rebase_months()))
    frame = points_to_frame(points, months)
    paths = spc_chart(frame, title, "decrease", stem,
                      subtitle="Police.uk crimes per month, ASB excluded; gaps: months not received")
    encoded = base64.b64encode(paths["png"].read_bytes()).decode("ascii")
    return {"title": title, "src": f"data:image/png;base64,{encoded}", "note": ""}


def _row_cells(row: ShownRow) -> list[Any]:
    return [row.label, row.group, row.current, row.previous, row.change, row.change_pct, row.per_day,
            row.significance, row.note]


def _context(data: AssessmentData, result: MatrixResult, matrix: MatrixSpec, rules: DisclosureRules,
             charts: list[dict[str, Any]]) -> dict[str, Any]:
    not_judged = "recording change" if data.notes else None
    by_type = shown_rows(data.by_type, rules, not_judged=not_judged)
    asb = shown_rows([data.asb], rules, total_first=False, not_judged=not_judged)
    split = guard_split(shown_rows(data.split, rules, not_judged=not_judged), by_type, rules)
    quarter_split = shown_rows(data.quarter_rows[:-1], rules, not_judged=not_judged)
    quarter_asb = shown_rows(data.quarter_rows[-1:], rules, total_first=False, not_judged=not_judged)
    generated = datetime.now(UTC).strftime("%d %B %Y %H:%M UTC")
    truth = [
        (f"Police.uk street-level crime (published monthly, locations approximate). Window: {data.window.label}; "
         f"compared with {data.window.year_earlier().label}."),
        *data.notes,
        data.population_note,
        *result.notes,
    ]
    return {
        "info": {"title": f"Strategic Assessment {data.plan_year}", "partnership": data.area_name},
        "print_title": f"Strategic Assessment {data.plan_year}", "classification": classification(),
        "area_name": data.area_name, "area_code": data.area_code, "period_label": data.window.label,
        "generated": generated, "dq": {"last_run": None}, "explanation": rules.explanation, "rules": rules,
        "data": data, "truth": truth, "by_type": by_type, "asb": asb, "split": split,
        "quarter_rows": quarter_split + quarter_asb, "rates": shown_rates(data.district_rates, rules),
        "wards": shown_wards(data.wards, data.survey_wards, rules), "charts": charts, "result": result,
        "criteria": matrix.criteria_list(), "matrix": matrix, "dash": DASH,
        "sections": [result.sections[theme.id] for theme in matrix.themes],
        "ranked_by_id": {theme.id: theme for theme in result.ranked},
        "volumes": _theme_volumes(result, by_type + asb, rules),
    }


def _theme_volumes(result: MatrixResult, rows: list[ShownRow], rules: DisclosureRules) -> dict[str, Cell]:
    """Each theme's volume as shown: withheld ([c]) when a crime type it sums is withheld in the table."""
    withheld = {row.label for row in rows if row.current.withheld}
    shown = {}
    for key, section in result.sections.items():
        if section.volume is None:
            shown[key] = Cell(DASH)
        elif withheld & set(section.spec.crime_types):
            shown[key] = Cell(rules.secondary_marker, True)
        else:
            shown[key] = Cell(*suppress_count(section.volume, rules))
    return shown


def _sheets(ctx: dict[str, Any]) -> list[dict[str, Any]]:
    data: AssessmentData = ctx["data"]
    result: MatrixResult = ctx["result"]
    criteria = ctx["criteria"]
    counts = ["Window", "Year earlier"]
    return [
        {"name": "Crime by type", "title": f"Recorded crime by type, {data.area_name}, {data.window.label}",
         "notes": ctx["truth"], "header": ROW_HEADER, "count_columns": counts,
         "rows": [_row_cells(r) for r in ctx["by_type"] + ctx["asb"]]},
        {"name": "Victim-based", "title": "Victim-based and non-victim-based crime (Home Office split)",
         "notes": ["Mapping of police.uk types: transforms/crime_types.yml"], "header": ROW_HEADER,
         "count_columns": counts, "rows": [_row_cells(r) for r in ctx["split"]]},
        {"name": "Quarter", "title": f"{data.quarter.label} against the same quarter a year earlier",
         "notes": [], "header": ROW_HEADER, "count_columns": counts, "rows": [_row_cells(r) for r in ctx["quarter_rows"]]},
        {"name": "District rates", "title": "Total recorded crime per 1,000 residents, districts of the force",
         "notes": [data.population_note], "header": ["Rank", "District", "Code", "Crimes", "Population", "Per 1,000"],
         "count_columns": ["Crimes"],
         "rows": [[r["rank"], r["name"], r["code"], r["crimes"], r["population"], r["rate"]] for r in ctx["rates"]]},
        {"name": "Wards", "title": f"Wards by violence and ASB, {data.window.label}", "notes": [data.survey_note],
         "header": ["Ward", "Code", "Violence and sexual offences", "ASB incidents", "% unsafe after dark (survey)",
                    "% worried about assault (survey)"], "count_columns": ["Violence and sexual offences", "ASB incidents"],
         "rows": [[r["name"], r["code"], r["violence"], r["asb"], r["unsafe_night"], r["worry_assault"]] for r in ctx["wards"]]},
        {"name": "Priority matrix", "title": "Priority-ranking matrix (MoRiLE-style): scores 0-100 per criterion",
         "notes": result.notes + ["Weights: " + "; ".join(f"{c.label} {c.weight:g}" for c in criteria)],
         "header": ["Rank", "Theme", "Total", *[c.label for c in criteria], "Missing", *[f"Evidence: {c.id}" for c in criteria]],
         "rows": [[t.rank_text, t.label, DASH if t.total is None else round(t.total, 1),
                   *[DASH if t.scores[c.id] is None else round(t.scores[c.id], 1) for c in criteria],
                   ", ".join(t.missing), *[result.sections[t.id].evidence.get(c.id, "") for c in criteria]]
                  for t in result.ranked]},
        {"name": "Sensitivity", "title": "Does the top five change if one weight moves by 20%?",
         "notes": ["Robust: no single weight change of 20% alters the top five." if result.robust
                   else "Sensitive: at least one weight change of 20% alters the top five (see rows marked Yes)."],
         "header": ["Criterion", "Factor", "Weight", "Top five changes", "Enters", "Leaves", "Top five"],
         "rows": [[s.criterion, s.factor, round(s.weight, 3), "Yes" if s.changed else "No", ", ".join(s.entered),
                   ", ".join(s.left), ", ".join(s.top)] for s in result.sensitivity]},
        {"name": "Recommended", "title": "Recommended priorities", "notes": result.notes,
         "header": ["Rank", "Theme", "Total score"],
         "rows": [[t.rank_text, t.label, round(t.total or 0.0, 1)] for t in result.recommended]},
    ]


def next_plan_year(window_end: date) -> str:
    """The plan year that starts in the first April after the window ends (Oct 2017 -> 2018-19)."""
    start = window_end.year if window_end.month < 4 else window_end.year + 1
    return f"{start}-{(start + 1) % 100:02d}"


def resolve_window(warehouse_path: Path, window_end: str | None, months: int = 12) -> Window:
    """The assessment window: `months` to `window_end` (YYYY-MM), default the latest month police.uk data was received for."""
    if window_end is None:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            return window_ending(latest_complete_month(con), months)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", window_end):
        raise ValueError(f"window end '{window_end}' is not a month: give it as YYYY-MM, e.g. 2017-10")
    year, month = map(int, window_end.split("-"))
    return window_ending(date(year, month, 1), months)


def check_plan_year(plan_year: str) -> str:
    """A plan year is written like 2018-19 (two consecutive years)."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", plan_year)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"plan year '{plan_year}' is not like 2018-19 (a year and the next, e.g. --year 2026-27)")
    return plan_year


def write_assessment(warehouse_path: Path, reports_dir: Path, plan_year: str, area_code: str, window: Window,
                     matrix: MatrixSpec | None = None, rules: DisclosureRules = DEFAULT_RULES) -> dict[str, Any]:
    """Build the pack from the published warehouse (read-only) and publish it; returns paths and headline figures."""
    matrix = matrix or load_matrix()
    check_plan_year(plan_year)
    target = Path(reports_dir) / "assessment" / plan_year / area_code
    target.parent.mkdir(parents=True, exist_ok=True)
    work = target.parent / f".{area_code}.building-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        with duckdb.connect(str(warehouse_path), read_only=True) as con:
            data = read_assessment(con, area_code, plan_year, window)
            result = build_matrix(con, data, matrix)
        charts = [_chart(data.series["force"], "Force-wide total recorded crime", work / "charts" / "force_total_crime", rules),
                  _chart(data.series["district"], f"{data.area_name} total recorded crime",
                         work / "charts" / "district_total_crime", rules)]
        ctx = _context(data, result, matrix, rules, charts)
        html = template_env().get_template("assessment.html.j2").render(**ctx)
        (work / HTML_NAME).write_text(html, encoding="utf-8")
        warnings: list[str] = []
        printed = pdf_entry(work / HTML_NAME, find_chromium(), warnings, [])
        if not printed and not warnings:
            warnings.append("PDF not written: no Chromium found (run `make renderer`, or set CSP_CHROMIUM to its "
                            "path); the HTML pack prints on A4 from any browser.")
        counted = write_assessment_workbook(work / XLSX_NAME, _sheets(ctx))
        write_scores_template(work / TEMPLATE_NAME, matrix, plan_year)
        manifest = write_manifest(work, [{"path": HTML_NAME},
                                         {"path": XLSX_NAME, "count_columns": counted},
                                         {"path": TEMPLATE_NAME, "count_columns": {}}, *printed])
        problems = scan_manifest(manifest, rules)
        if problems:
            raise DisclosureCheckError("the assessment failed the disclosure check, nothing published: " + "; ".join(problems[:5]))
        swap_into_place(work, target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    total = data.by_type[0].comparison
    total_note = total.note
    if data.notes and total.assessed:
        total_note = f"{data.window.label} against {data.window.year_earlier().label}: not judged. " + " ".join(data.notes)
    return {"folder": target, "html": target / HTML_NAME, "xlsx": target / XLSX_NAME, "template": target / TEMPLATE_NAME,
            "pdf": target / printed[0]["path"] if printed else None, "warnings": warnings,
            "window": window, "total": total.current, "total_note": total_note,
            "recommended": [t.label for t in result.recommended], "robust": result.robust, "notes": result.notes}
