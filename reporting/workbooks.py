"""XLSX outputs of the monthly reports (xlsxwriter): a priority's indicators and the committee summary.

Layout shared by every data sheet, so the disclosure scanner reads them all with one
``header_row``: row 1 title, row 2 a one-line note, row 3 the column headers (frozen, with a
filter), data from row 4. Counts are real numbers with a thousands format; a withheld figure is
its marker text (``<5``, ``[c]``, ``*``) on a grey fill with a comment saying why. The cards are
built (and disclosure-controlled) by :mod:`reporting.builder`; this module only lays them out.

Priority workbook sheets: one per outcome ("Outcome 1", ... : one row per indicator, then its SPC
chart), "Wards" (every ward and the not-placed remainder), "Data" (the monthly series), "Chart data"
(every SPC chart point), "Ward maps" and "Peers" (the ward maps' and peer charts' text tables, written
by :mod:`reporting.workbook_extras`), "Forecast" (the 12-month "if we stay on our current course"
baseline) and "Notes" (definitions, sources, caveats, the story behind the curve, the disclosure
rule). Committee workbook: "Summary", "Priorities", "Data quality", "Notes".
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import xlsxwriter

from reporting.cards import IndicatorCard, PriorityCard
from reporting.chart_text import CHART_DATA_SHEET
from reporting.figures import Shown
from reporting.workbook_extras import (
    MAP_COUNT_COLUMNS,
    MAP_SHEET,
    PEER_COUNT_COLUMNS,
    PEER_SHEET,
    write_map_sheet,
    write_peer_sheet,
)

__all__ = ["HEADER_ROW", "print_setup", "priority_sheet_names", "write_committee_workbook", "write_priority_workbook"]

HEADER_ROW = 3  # 1-based, as the disclosure manifest wants it
_FIRST = HEADER_ROW  # 0-based index of the first data row
_SUPPRESSED_FLAGS = {"suppressed_small_count", "suppressed_secondary", "suppressed_small_base"}
_FLAG_COMMENTS = {
    "suppressed_small_count": "Withheld to protect privacy: a small count. The rule is on the Notes sheet.",
    "suppressed_secondary": "Withheld to protect privacy: with the other figures shown it would reveal a small "
                            "count. The rule is on the Notes sheet.",
    "suppressed_small_base": "Withheld: the number this is calculated from is too small. The rule is on the "
                             "Notes sheet.",
}

OUTCOME_COLUMNS = ["Indicator", "Indicator id", "Type", "Data source", "Aim", "Target", "Period", "Value",
                   "Unit", "Count", "Base", "Previous value", "Previous count", "Previous base",
                   "Change (unit of Value; percentages in points)", "Relative change (%; percentages in points)",
                   "CI lower (95%)", "CI upper (95%)", "Status", "SPC variation", "SPC assurance",
                   "Current trend", "Baseline change (%; percentages in points)", "Recording change",
                   "Data quality", "What the signals say"]
OUTCOME_COUNT_COLUMNS = ["Count", "Base", "Previous count", "Previous base"]
WARD_COLUMNS = ["Indicator id", "Indicator", "Ward code", "Ward", "Period", "Value", "Count", "Base",
                "Previous count", "Previous base", "Change"]
WARD_SHEET_ORDER = ("Wards are ranked by count; wards whose figure is withheld follow in alphabetical order, "
                    "so their position says nothing about their size.")
WARD_COUNT_COLUMNS = ["Count", "Base", "Previous count", "Previous base"]
DATA_COLUMNS = ["Indicator id", "Indicator", "Month", "Value", "Numerator", "Denominator"]
DATA_COUNT_COLUMNS = ["Numerator", "Denominator"]
FORECAST_COLUMNS = ["Indicator id", "Indicator", "Month", "Forecast", "Lower (95%)", "Upper (95%)", "Method"]
CHART_COLUMNS = ["Indicator id", "Indicator", "Month", "Monthly count", "Monthly value", "Mean", "Lower process limit",
                 "Upper process limit", "Lower 2σ", "Upper 2σ", "SPC point", "Limits group"]
CHART_COUNT_COLUMNS = ["Monthly count"]
SUMMARY_COLUMNS = ["Priority", "Priority id", "Outcome", "Indicator", "Indicator id", "Type", "Aim", "Period",
                   "Value", "Previous value", "Unit", "Count", "Change (% for counts and rates; points for percentages)", "Status",
                   "SPC variation", "SPC assurance", "Current trend",
                   "Baseline change (% for counts and rates; points for percentages)", "Data quality",
                   "What the signals say"]
SUMMARY_COUNT_COLUMNS = ["Count"]
TALLY_COLUMNS = ["Priority", "Priority id", "Kind", "Lead(s)", "Indicators", "Improving", "Worsening",
                 "No significant change", "Within the expected range", "Not assessed"]
DQ_COLUMNS = ["Source", "Title", "State", "Latest month loaded", "Files received (this period's runs)",
              "Files refused this period", "Refused files and reasons"]


def priority_sheet_names(card: PriorityCard) -> list[str]:
    """Sheet names of a priority workbook, in order."""
    return [o.sheet_name for o in card.outcomes] + ["Wards", "Data", CHART_DATA_SHEET, MAP_SHEET, PEER_SHEET,
                                                    "Forecast", "Notes"]


class _Book:
    """A workbook with cached formats and helpers that write Shown values."""

    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                                  "strings_to_urls": False})
        self._formats: dict[tuple, Any] = {}
        self._tables: set[str] = set()  # sheets with the shared layout: header row repeats on every page
        self.title = self.fmt(bold=True, font_size=14, font_color="#005eb8")
        self.note = self.fmt(italic=True, font_color="#4c6272")
        self.header = self.fmt(bold=True, font_color="#ffffff", bg_color="#005eb8", text_wrap=True,
                               valign="top", border=1, border_color="#d8dde0")
        self.text = self.fmt(text_wrap=True, valign="top")
        self.plain = self.fmt(valign="top")
        self.bold = self.fmt(bold=True, valign="top")
        self.month = self.fmt(num_format="mmm yyyy", valign="top", align="left")
        self.suppressed = self.fmt(italic=True, bg_color="#e8edee", align="right", valign="top")

    def fmt(self, **props: Any) -> Any:
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]

    def sheet(self, name: str, title: str, note: str, columns: Sequence[str], widths: Sequence[int]) -> Any:
        ws = self.wb.add_worksheet(name)
        self._tables.add(name)
        ws.write_string(0, 0, title, self.title)
        ws.write_string(1, 0, note, self.note)
        for c, (col, width) in enumerate(zip(columns, widths, strict=True)):
            ws.write_string(_FIRST - 1, c, col, self.header)
            ws.set_column(c, c, width)
        ws.set_row(_FIRST - 1, 32)
        ws.freeze_panes(_FIRST, 1)
        return ws

    def shown(self, ws: Any, r: int, c: int, s: Shown) -> None:
        """A published figure: a number, or its marker with a grey fill and a comment."""
        if s.number is not None:
            ws.write_number(r, c, float(s.number), self.fmt(num_format=s.fmt or "General", valign="top"))
        elif s.flag in _SUPPRESSED_FLAGS:
            ws.write_string(r, c, s.text, self.suppressed)
            ws.write_comment(r, c, _FLAG_COMMENTS[s.flag], {"x_scale": 1.6, "y_scale": 1.2})
        elif s.text and s.text != "–":
            ws.write_string(r, c, s.text, self.plain)
        else:
            ws.write_blank(r, c, None, self.plain)

    def row(self, ws: Any, r: int, values: Sequence[Any]) -> None:
        for c, v in enumerate(values):
            if isinstance(v, Shown):
                self.shown(ws, r, c, v)
            elif v is None or v == "":
                ws.write_blank(r, c, None, self.plain)
            elif hasattr(v, "year") and hasattr(v, "month"):
                ws.write_datetime(r, c, datetime(v.year, v.month, getattr(v, "day", 1)), self.month)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v, self.plain)
            else:
                ws.write_string(r, c, str(v), self.text)

    def close(self, ctx: dict[str, Any]) -> None:
        """Print setup of every sheet, then write the file."""
        for ws in self.wb.worksheets():
            print_setup(ws, ctx, repeat_header=ws.get_name() in self._tables)
        self.wb.close()


def _header_text(text: str) -> str:
    return text.replace("&", "&&")


def print_setup(ws: Any, ctx: dict[str, Any], repeat_header: bool) -> None:
    """A4 landscape, all columns on one page width, the used range as print area, the column headers
    repeated on every page, and the running header (partnership, period, classification) and page
    numbers the PDFs carry."""
    ws.set_paper(9)  # A4
    ws.set_landscape()
    ws.fit_to_pages(1, 0)  # one page wide, as many pages tall as needed
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.6)
    last_row, last_col = ws.dim_rowmax, ws.dim_colmax
    if last_row is not None and last_col is not None:
        ws.print_area(0, 0, last_row, last_col)
    if repeat_header:
        ws.repeat_rows(HEADER_ROW - 1)
    left = _header_text(f"{ctx['info'].partnership} · {ws.get_name()} · {ctx['period_label']}")
    ws.set_header(f"&L&8{left}&R&8&B{_header_text(ctx.get('classification', ''))}")
    ws.set_footer(f"&L&8{_header_text(ctx['area_name'])}&R&8Page &P of &N")


def _plain(markup: Any) -> str:
    """Markup (story text) as plain text for a cell."""
    if markup is None:
        return ""
    text = re.sub(r"</p>\s*<p>", "\n\n", str(markup))
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("&#39;", "'").replace(
        "&#34;", '"').replace("&quot;", '"')


def _type(card: IndicatorCard) -> str:
    return card.group


def _outcome_row(card: IndicatorCard) -> list[Any]:
    return [card.label, card.indicator_id, _type(card), card.data_source, card.aim_text,
            card.target if card.target is not None else "", card.window_range, card.value, card.unit,
            card.numerator, card.denominator, card.previous, card.prev_numerator, card.prev_denominator,
            card.change, card.change_pct, card.ci_lower, card.ci_upper, card.status_label,
            card.variation.caption if card.variation else "", card.assurance.caption if card.assurance else "",
            card.trend.text, card.baseline, "Yes: " + card.recording_warning if card.recording_warning else "No",
            card.dq_note, " ".join(part for part in (card.message, card.reconciliation) if part)]


def write_priority_workbook(path: Path, card: PriorityCard, ctx: dict[str, Any]) -> dict[str, Any]:
    """indicators.xlsx for one priority; returns its disclosure-manifest entry."""
    book = _Book(path)
    period_label = ctx["period_label"]
    legend = (f"Figures for {ctx['area_name']}, {period_label}. Withheld figures show {ctx['rules'].marker}, "
              f"{ctx['rules'].secondary_marker} or {ctx['rules'].rate_marker} (see Notes).")
    widths = [40, 24, 26, 22, 22, 8, 20, 11, 18, 11, 11, 11, 11, 11, 14, 14, 11, 11, 20, 22, 20, 34, 14, 26, 34, 60]
    for outcome in card.outcomes:
        ws = book.sheet(outcome.sheet_name, f"{card.title}: outcome {outcome.number}",
                        outcome.statement, OUTCOME_COLUMNS, widths)
        r = _FIRST
        for ind in outcome.indicators:
            book.row(ws, r, _outcome_row(ind))
            r += 1
        if not outcome.indicators:
            ws.write_string(r, 0, outcome.note or "No computed indicator for this outcome yet.", book.text)
            r += 1
        ws.autofilter(_FIRST - 1, 0, max(r - 1, _FIRST), len(OUTCOME_COLUMNS) - 1)
        r += 2
        ws.write_string(r, 0, legend, book.note)
        r += 2
        for ind in outcome.indicators:
            ws.write_string(r, 0, f"SPC chart: {ind.label}", book.bold)
            if ind.chart_png is not None and Path(ind.chart_png).exists():
                ws.insert_image(r + 1, 0, str(ind.chart_png), {"x_scale": 0.5, "y_scale": 0.5, "object_position": 3,
                                                               "description": f"SPC chart of {ind.label}"})
                r += 24
            else:
                ws.write_string(r + 1, 0, ind.chart_note or "No chart.", book.text)
                r += 3

    ward_words = next((ind.ward_vintage for ind in card.indicators if ind.ward_vintage), "")
    ws = book.sheet("Wards", f"{card.title}: ward breakdown",
                    " ".join(part for part in (legend, "Latest and previous 12 months.", WARD_SHEET_ORDER,
                                               ward_words) if part),
                    WARD_COLUMNS, [24, 40, 12, 30, 20, 11, 11, 11, 12, 12, 10])
    r = _FIRST
    for ind in card.indicators:
        for w in ind.wards:
            book.row(ws, r, [ind.indicator_id, ind.label, w.code, w.name, ind.window_range, w.value, w.count,
                             w.base, w.prev_count, w.prev_base, w.change])
            r += 1
    ws.autofilter(_FIRST - 1, 0, max(r - 1, _FIRST), len(WARD_COLUMNS) - 1)

    ws = book.sheet("Data", f"{card.title}: monthly series", legend + " One row per indicator and month.",
                    DATA_COLUMNS, [24, 40, 11, 11, 12, 13])
    r = _FIRST
    for ind in card.indicators:
        for m in ind.months:
            book.row(ws, r, [ind.indicator_id, ind.label, m.month, m.value, m.numerator, m.denominator])
            r += 1
    ws.autofilter(_FIRST - 1, 0, max(r - 1, _FIRST), len(DATA_COLUMNS) - 1)

    _chart_data_sheet(book, card, legend)
    write_map_sheet(book, card, legend)
    write_peer_sheet(book, card, legend)

    ws = book.sheet("Forecast", f"{card.title}: baseline forecast",
                    "If we stay on our current course: 12 months ahead, with the 95% prediction interval as the "
                    "model gives it (a lower bound below zero means the baseline is that uncertain; the figure "
                    "itself cannot go below zero). Doing better than this baseline is turning the curve.",
                    FORECAST_COLUMNS, [24, 40, 11, 11, 11, 11, 30])
    r = _FIRST
    number = book.fmt(num_format="#,##0.0", valign="top")
    for ind in card.indicators:
        for f in ind.forecast:
            book.row(ws, r, [ind.indicator_id, ind.label, f["month"], "", "", "", f["method"]])
            for c, key in ((3, "forecast"), (4, "lower"), (5, "upper")):
                ws.write_number(r, c, round(float(f[key]), 1), number)
            r += 1
    ws.autofilter(_FIRST - 1, 0, max(r - 1, _FIRST), len(FORECAST_COLUMNS) - 1)

    _notes_sheet(book, card.title, card.indicators, ctx)
    book.close(ctx)
    count_columns = {o.sheet_name: OUTCOME_COUNT_COLUMNS for o in card.outcomes}
    count_columns.update({"Wards": WARD_COUNT_COLUMNS, "Data": DATA_COUNT_COLUMNS,
                          CHART_DATA_SHEET: CHART_COUNT_COLUMNS, MAP_SHEET: MAP_COUNT_COLUMNS,
                          PEER_SHEET: PEER_COUNT_COLUMNS})
    return {"path": path.name, "count_columns": count_columns, "header_row": HEADER_ROW}


def _chart_data_sheet(book: _Book, card: PriorityCard, legend: str) -> None:
    """Every point of every SPC chart on the card: value, mean, limits and signal, month by month."""
    ws = book.sheet(CHART_DATA_SHEET, f"{card.title}: the data behind the SPC charts",
                    legend + " One row per indicator and month, as plotted; charts withheld for small numbers "
                    "have no rows here.", CHART_COLUMNS, [24, 40, 11, 11, 11, 11, 12, 12, 11, 11, 30, 10])
    r = _FIRST
    number = book.fmt(num_format="#,##0.00", valign="top")
    for ind in card.indicators:
        for point in ind.chart_data:
            count = ind.is_count
            book.row(ws, r, [ind.indicator_id, ind.label, point["month"], "", "", "", "", "", "", "",
                             str(point.get("point_type") or "").replace("_", " "), point.get("rebase_group")])
            for c, key in ((3 if count else 4, "value"), (5, "centre"), (6, "lower_limit"), (7, "upper_limit"),
                           (8, "lower_2sigma"), (9, "upper_2sigma")):
                value = point.get(key)
                if value is not None and not math.isnan(float(value)):  # NaN: no limits (trial, gap)
                    ws.write_number(r, c, float(value), book.fmt(num_format="#,##0", valign="top")
                                    if c == 3 else number)
            r += 1
    ws.autofilter(_FIRST - 1, 0, max(r - 1, _FIRST), len(CHART_COLUMNS) - 1)


def _method_notes(ctx: dict[str, Any]) -> list[tuple[str, str]]:
    info = ctx["info"]
    return [
        ("Disclosure control", ctx["explanation"]),
        ("Markers", (f"{ctx['rules'].marker} small count; {ctx['rules'].secondary_marker} withheld so a small "
                    f"count cannot be worked out from totals or differences; {ctx['rules'].rate_marker} rate or "
                    f"percentage on a small base; {ctx['rules'].missing_marker} not available. Withheld cells are "
                    f"grey and carry a comment. The warehouse keeps the true values.")),
        ("Status against the aim", ("Latest 12 months compared with the previous 12 months: improving or worsening "
                                   "only when the change is statistically significant (p < 0.05) and in the "
                                   "direction the plan's aim wants (or not); not assessed when the two periods "
                                   "straddle a recording change.")),
        ("Current trend", ("Direction of the latest 12-month value compared with the 12-month value a month "
                          "earlier, and for how many consecutive months it has moved that way.")),
        ("Baseline change", (f"Latest 12 months compared with the 12 months before plan year {info.plan_year} "
                            f"began; before the plan year starts, compared with the same point a year earlier. "
                            f"'Not comparable' when a recording change falls between them.")),
        ("Changes and units", ("Counts, rates and averages: change as a % of the earlier value. Percentages: "
                              "change in percentage points (27.0% to 29.2% is +2.2 pts), never a % of a %.")),
        ("SPC", ("NHS England Making Data Count XmR charts: variation icon for the latest month; assurance icon "
                "only where a target is set. Limits fixed on a baseline (the first 20 months of each recording "
                "period) and extended; recalculated only at a recording change or an agreed recalculation.")),
        ("What the signals say", ("The status, the SPC icon and the trend read together; when they point "
                                 "different ways, the message says why, and names a known reporting lag.")),
        ("Baseline forecast", ("12 months ahead 'if we stay on our current course' (exponential smoothing or a "
                              "straight line on short series), with a 95% prediction interval.")),
    ]


def _notes_sheet(book: _Book, title: str, cards: Sequence[IndicatorCard], ctx: dict[str, Any]) -> None:
    ws = book.wb.add_worksheet("Notes")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 110)
    ws.write_string(0, 0, f"{title}: notes", book.title)
    ws.write_string(1, 0, f"{ctx['info'].title}. Report for {ctx['period_label']}, generated {ctx['generated']}.",
                    book.note)
    r = 3
    for key, text in _method_notes(ctx):
        ws.write_string(r, 0, key, book.bold)
        ws.write_string(r, 1, text, book.text)
        r += 1
    r += 1
    columns = ["Indicator id", "Indicator", "Title", "Definition", "Source", "Data source (plan)", "Method",
               "Unit", "Aim", "Target", "Type", "Caveats", "Recording changes", "Story behind the curve"]
    for c, name in enumerate(columns):
        ws.write_string(r, c, name, book.header)
    for c, width in enumerate([24, 40, 40, 60, 40, 24, 12, 18, 24, 8, 30, 60, 40, 60]):
        if c > 1:
            ws.set_column(c, c, width)
    r += 1
    for ind in cards:
        book.row(ws, r, [ind.indicator_id, ind.label, ind.title, ind.definition, ind.source_text,
                         ind.data_source, ind.method, ind.unit, ind.aim_text,
                         ind.target if ind.target is not None else "", ind.group, "\n".join(ind.caveats),
                         ind.recording_warning or "None in these periods", _plain(ind.story)])
        r += 1


def write_committee_workbook(path: Path, priorities: Sequence[PriorityCard], ctx: dict[str, Any]) -> dict[str, Any]:
    """committee_summary.xlsx; returns its disclosure-manifest entry."""
    book = _Book(path)
    legend = (f"All priorities, {ctx['area_name']}, {ctx['period_label']}. Withheld figures show "
              f"{ctx['rules'].marker}, {ctx['rules'].secondary_marker} or {ctx['rules'].rate_marker} (see Notes).")
    ws = book.sheet("Summary", f"{ctx['info'].title}: committee summary", legend, SUMMARY_COLUMNS,
                    [30, 18, 40, 40, 24, 26, 24, 20, 11, 11, 18, 11, 14, 20, 22, 20, 34, 14, 34, 60])
    r = _FIRST
    for p in priorities:
        for o in p.outcomes:
            for c in o.indicators:
                book.row(ws, r, [p.title, p.priority_id, o.statement, c.label, c.indicator_id, c.group, c.aim_text,
                                 c.window_range, c.value, c.previous, c.unit, c.numerator if c.is_count else "", c.change_pct,
                                 c.status_label, c.variation.caption if c.variation else "",
                                 c.assurance.caption if c.assurance else "", c.trend.text, c.baseline, c.dq_note,
                                 " ".join(part for part in (c.message, c.reconciliation) if part)])
                r += 1
    ws.autofilter(_FIRST - 1, 0, max(r - 1, _FIRST), len(SUMMARY_COLUMNS) - 1)

    ws = book.sheet("Priorities", "Status of indicators by priority",
                    "Numbers of indicators (not people): how many are improving, worsening or unchanged.",
                    TALLY_COLUMNS, [40, 18, 14, 50, 11, 11, 11, 14, 14, 12])
    r = _FIRST
    for p in priorities:
        t = p.tally
        book.row(ws, r, [p.title, p.priority_id, "Cross-cutting" if p.kind == "cross_cutting" else "Priority",
                         p.leads, t["total"], t["improving"], t["worsening"], t["no_significant_change"],
                         t["within_expected_range"], t["not_assessed"]])
        r += 1

    ws = book.sheet("Data quality", "Data quality this period",
                    "Stale: the latest month loaded is before the report month. Refused: a file failed its checks "
                    "and was quarantined (nothing from it was loaded).", DQ_COLUMNS, [26, 40, 40, 14, 14, 14, 90])
    r = _FIRST
    for s in ctx["dq"]["sources"]:
        reasons = "\n".join(f"{x['file_name']}: {x['reason']}" for x in s.refused_this_period)
        book.row(ws, r, [s.source, s.title, s.state, s.latest_month.strftime("%b %Y") if s.latest_month else "",
                         s.files_received_period, len(s.refused_this_period), reasons])
        r += 1

    ws = book.wb.add_worksheet("Notes")
    ws.set_column(0, 0, 26)
    ws.set_column(1, 1, 110)
    ws.write_string(0, 0, "Notes", book.title)
    r = 2
    for key, text in _method_notes(ctx):
        ws.write_string(r, 0, key, book.bold)
        ws.write_string(r, 1, text, book.text)
        r += 1
    book.close(ctx)
    return {"path": path.name, "count_columns": {"Summary": SUMMARY_COUNT_COLUMNS}, "header_row": HEADER_ROW}

