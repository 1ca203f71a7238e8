"""Monthly OBA report cards, committee summary and data-quality page under ``reports/<YYYY-MM>/``.

Entry point: :func:`publish_reports`. It opens the published warehouse read-only (one connection,
so every number comes from one snapshot even if a run publishes a new file meanwhile), and writes::

    reports/<YYYY-MM>/
        committee_summary.html + committee_summary.xlsx   one row per indicator, all priorities
        data_quality.html                                  per source: received, loaded, refused
        disclosure_manifest.json                           every output below and its count columns
        <priority_id>/                                     one folder per priority of the plan
            report_card.html     self-contained (CSS inline, charts as base64 PNG, no scripts)
            indicators.xlsx      one sheet per outcome, Wards, Data, Forecast, Notes
            indicators.csv       tidy: one row per indicator x area x window
            charts/              <indicator_id>.png/.svg and <indicator_id>_forecast.csv
            disclosure_manifest.json

Everything is built in a side folder and swapped into place only after every manifest scans
clean (:func:`reporting.disclosure.scan_manifest`), so a lead never sees a half-written or leaky
report. A folder holds only its own priority's indicators.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from reporting import workbooks
from reporting.area_plan import for_area
from reporting.builder import CardBuilder
from reporting.cards import STATUS, TAGS, WARD_TOP_N, IndicatorCard, PriorityCard
from reporting.data_quality import data_quality_summary
from reporting.disclosure import (
    DEFAULT_RULES,
    MANIFEST_NAME,
    DisclosureCheckError,
    DisclosureRules,
    scan_manifest,
)
from reporting.disclosure_attack import check_publication, earlier_counts
from reporting.figures import FLAG_TITLES
from reporting.front_page import build_front_page, read_plan_actions
from reporting.months import parse_period
from reporting.notes import load_notes
from reporting.outputs import (
    CSV_COUNT_COLUMNS,
    csv_rows,
    swap_into_place,
    template_env,
    write_csv,
    write_manifest,
)
from reporting.pdf import find_chromium, pdf_entry
from reporting.snapshot import plan_info, read_snapshot, spc_source, spc_suggestions, spc_summary
from reporting.spc_charts import render_spc_charts
from reporting.stale_builds import building_prefix
from reporting.survey_section import survey_priority_ids, survey_section

__all__ = ["DisclosureCheckError", "publish_reports"]

log = logging.getLogger(__name__)

DEFAULT_CLASSIFICATION = "OFFICIAL"


def classification() -> str:
    """The protective marking printed on every page: $CSP_CLASSIFICATION, else OFFICIAL."""
    return os.environ.get("CSP_CLASSIFICATION", "").strip() or DEFAULT_CLASSIFICATION


def _render_charts(spc_con: duckdb.DuckDBPyConnection | None, work: Path, plan_year: str,
                   area_code: str, warnings: list[str]) -> dict[tuple[str, str], dict[str, Path]]:
    """SPC charts of every series (and their baseline forecasts) in a scratch folder; {} if none."""
    if spc_con is None:
        return {}
    try:
        return render_spc_charts(spc_con, work, plan_year, area_code, forecast=True)
    except Exception as error:
        log.exception("chart rendering failed")
        warnings.append(f"Charts not drawn: {type(error).__name__}: {error}")
        return {}


def publish_reports(warehouse_path: Path, reports_dir: Path, period: str, plan_year: str, area_code: str,
                    notes_dir: Path | None = None, rules: DisclosureRules = DEFAULT_RULES,
                    con: duckdb.DuckDBPyConnection | None = None, run_id: str | None = None) -> dict:
    """Write every report for one month under reports_dir/<period>/; return files and priorities.

    con: the warehouse a run is building (read through a cursor; the run publishes it after the
    reports), instead of opening the published one. run_id names the side folder, so the next run
    can tell which run a folder left by a kill belonged to (reporting.stale_builds).
    """
    started = time.perf_counter()
    month_start, month_end = parse_period(period)
    warehouse_path, reports_dir = Path(warehouse_path), Path(reports_dir)
    if con is None and not warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse_path}: run the monthly flow (or make demo) first")
    log.info("publishing reports: period %s, plan year %s, area %s, warehouse %s, rules %s",
             period, plan_year, area_code, warehouse_path, rules)
    warnings: list[str] = []
    timings: dict[str, float] = {}
    reports_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=building_prefix(period, run_id), dir=reports_dir))
    building.chmod(0o755)  # mkdtemp makes it private; reports are for sharing
    work = Path(tempfile.mkdtemp(prefix="csp-charts-"))
    con = con.cursor() if con is not None else duckdb.connect(str(warehouse_path), read_only=True)
    spc_con = None
    try:
        snap = read_snapshot(con, plan_year, area_code, month_end)
        warnings += snap.notes
        info = for_area(plan_info(plan_year, snap.catalogue), area_code, snap.area_name)
        dq = data_quality_summary(snap, info, period, month_start, rules)
        actions = read_plan_actions(con, plan_year, area_code)
        timings["read"] = time.perf_counter() - started

        t = time.perf_counter()
        spc_con, spc_note = spc_source(con, snap, plan_year, area_code, month_start)
        if spc_con is None:
            warnings.append(spc_note)
        spc = spc_summary(spc_con, plan_year, area_code)
        dq["spc_suggestions"] = spc_suggestions(spc_con, plan_year, area_code)
        charts = _render_charts(spc_con, work, plan_year, area_code, warnings)
        timings["spc_and_charts"] = time.perf_counter() - t

        notes = load_notes(notes_dir, period, set(snap.catalogue["indicator_id"]), warnings)
        log.info("SPC: %s", spc_note)
        card_spc_note = (f"SPC not available: {spc_note}" if spc_con is None
                         else "" if spc else "SPC not available: no SPC series for this plan year.")
        builder = CardBuilder(snap, info, period, month_start, month_end, area_code, rules, dq, spc,
                              card_spc_note, charts, notes, warnings, earlier_counts(reports_dir, period, rules))
        t = time.perf_counter()
        priorities = builder.priorities()
        timings["cards"] = time.perf_counter() - t

        t = time.perf_counter()
        chromium = find_chromium()
        pdf_timings: list[float] = []
        if chromium is None:
            warnings.append("PDFs not written: Chromium is not installed (Debian package 'chromium', or set "
                            "CSP_CHROMIUM to its path); the HTML reports print on A4 from any browser.")
        env = template_env()
        generated = datetime.now().strftime("%d %B %Y %H:%M")
        survey = survey_section(snap, month_end, rules)
        survey_priorities = survey_priority_ids(info, snap.catalogue)
        common = {"survey": survey, "info": info, "period": period, "period_label": month_start.strftime("%B %Y"),
                  "month_end": month_end, "area_code": area_code, "area_name": snap.area_name, "rules": rules,
                  "explanation": rules.explanation, "generated": generated, "dq": dq, "flag_titles": FLAG_TITLES,
                  "tags": TAGS, "statuses": STATUS, "top_n": WARD_TOP_N, "spc_note": spc_note,
                  "plan_started": builder.plan_started, "baseline_end": builder.baseline_end,
                  "classification": classification()}
        root_entries: list[dict] = []
        for card in priorities:
            folder = building / card.priority_id
            (folder / "charts").mkdir(parents=True)
            entries: list[dict] = []
            for ind in card.indicators:
                for f in ind.chart_files:
                    src = Path(f)
                    shutil.copyfile(src, folder / "charts" / src.name)
                    if src.suffix == ".csv":
                        entries.append({"path": f"charts/{src.name}", "count_columns": []})
                if ind.chart_png is not None:
                    ind.chart_png = folder / "charts" / ind.chart_png.name
            html = env.get_template("report_card.html.j2").render(
                card=card, show_survey=card.priority_id in survey_priorities,
                print_title=f"{card.title}: report card", **common)
            (folder / "report_card.html").write_text(html, encoding="utf-8")
            entries.append({"path": "report_card.html"})
            public_ids = sorted(ind.indicator_id for ind in card.indicators if ind.public_label)
            entries += pdf_entry(folder / "report_card.html", chromium, warnings, pdf_timings)
            book = workbooks.write_priority_workbook(folder / "indicators.xlsx", card, common)
            entries.append(dict(book, public_rows={"column": "Indicator id", "values": public_ids}) if public_ids
                           else book)
            tidy = [r for ind in card.indicators for r in csv_rows(ind, plan_year, period, area_code, snap.area_name)]
            write_csv(folder / "indicators.csv", tidy)
            entries.append({"path": "indicators.csv", "count_columns": CSV_COUNT_COLUMNS}
                           | ({"public_rows": {"column": "indicator_id", "values": public_ids}} if public_ids else {}))
            write_manifest(folder, entries)
            root_entries += [dict(e, path=f"{card.priority_id}/{e['path']}",
                                  **({"rendered_from": f"{card.priority_id}/{e['rendered_from']}"}
                                     if "rendered_from" in e else {})) for e in entries]

        all_cards = [c for p in priorities for c in p.indicators]
        front = build_front_page(priorities, dq, actions, month_start)
        html = env.get_template("committee_summary.html.j2").render(
            priorities=priorities, cards=all_cards, front=front, print_title="Committee summary", **common)
        (building / "committee_summary.html").write_text(html, encoding="utf-8")
        root_entries.append({"path": "committee_summary.html"})
        root_entries += pdf_entry(building / "committee_summary.html", chromium, warnings, pdf_timings)
        book = workbooks.write_committee_workbook(building / "committee_summary.xlsx", priorities, common)
        public_ids = sorted({c.indicator_id for c in all_cards if c.public_label})
        root_entries.append(dict(book, public_rows={"column": "Indicator id", "values": public_ids}) if public_ids
                            else book)
        html = env.get_template("data_quality.html.j2").render(print_title="Data quality", **common)
        (building / "data_quality.html").write_text(html, encoding="utf-8")
        root_entries.append({"path": "data_quality.html"})
        timings["pdf"] = sum(pdf_timings)
        timings["write"] = time.perf_counter() - t - timings["pdf"]

        write_manifest(building, root_entries)

        t = time.perf_counter()
        problems = [m for manifest in sorted(building.rglob(MANIFEST_NAME)) for m in scan_manifest(manifest, rules)]
        timings["disclosure_scan"] = time.perf_counter() - t
        if problems:
            raise DisclosureCheckError("reports not published: the disclosure scan found "
                                       f"{len(problems)} problem(s): " + "; ".join(problems[:10]))
        t = time.perf_counter()
        attack = check_publication(building, period, reports_dir, rules)  # raises if anything is recovered
        warnings += [f"disclosure attacker: {n}" for n in attack.notes]
        timings["disclosure_attack"] = time.perf_counter() - t
        target = reports_dir / period
        swap_into_place(building, target)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    finally:
        if spc_con is not None and spc_con is not con:
            spc_con.close()
        con.close()
        shutil.rmtree(work, ignore_errors=True)

    files = sorted(str(p) for p in target.rglob("*") if p.is_file())
    timings["total"] = time.perf_counter() - started
    for w in warnings:
        log.warning(w)
    log.info("reports for %s written to %s in %.1f s", period, target, timings["total"])
    return {
        "period": period, "plan_year": plan_year, "area_code": area_code, "reports_dir": str(target),
        "files": files,
        "priorities": [p.priority_id for p in priorities],
        "priority_cards": [_priority_summary(p, target) for p in priorities],
        "indicators": [_indicator_summary(p, c) for p in priorities for c in p.indicators],
        "data_quality": {"stale": [s.source for s in dq["stale"]],
                         "gaps": [f"{s.title}: {s.state}. Affects: {'; '.join(s.gap.indicators)}" for s in dq["gaps"]
                                  if s.gap is not None],
                         "refused": [{"source": r["source"], "file": r["file_name"], "reason": r["reason"]}
                                     for r in dq["refused"]]},
        "pdfs": [f for f in files if f.endswith(".pdf")],
        "disclosure_note": rules.explanation,
        "warnings": warnings,
        "timings": {k: round(v, 2) for k, v in timings.items()},
    }


def _priority_summary(p: PriorityCard, target: Path) -> dict[str, Any]:
    return {"id": p.priority_id, "title": p.title, "kind": p.kind, "leads": p.leads,
            "folder": str(target / p.priority_id), "report_card": str(target / p.priority_id / "report_card.html"),
            "tally": dict(p.tally),
            "outcomes": [{"id": o.outcome_id, "statement": o.statement,
                          "indicators": [c.indicator_id for c in o.indicators]} for o in p.outcomes]}


def _indicator_summary(p: PriorityCard, c: IndicatorCard) -> dict[str, Any]:
    """One plain row per indicator (display strings only: disclosure already applied)."""
    return {"priority_id": p.priority_id, "priority": p.title, "outcome_id": c.outcome_id,
            "indicator_id": c.indicator_id, "indicator": c.label, "kind": c.kind, "tag": c.tag or "",
            "aim": c.aim, "window": c.window_label, "method": c.method, "value": c.value.text,
            "value_flag": c.value.flag or "", "count": c.numerator.text if c.is_count else "",
            "previous": c.previous.text, "change": c.change.text, "change_pct": c.change_pct.text,
            "ci": c.ci_text.text, "status": c.status, "status_label": c.status_label,
            "spc_variation": c.variation.caption if c.variation else "",
            "spc_assurance": c.assurance.caption if c.assurance else "",
            "trend": c.trend.text, "baseline_pct_change": c.baseline.text, "data_quality": c.dq_note}
