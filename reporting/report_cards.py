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

Definitions used on the cards
-----------------------------
* **Latest / previous 12 months**: the ``12m`` rows of ``marts.indicator_values`` ending on the
  report month (survey indicators: the latest ``wave`` on or before it, and the wave before).
* **Current trend**: direction of the latest 12-month value against the 12-month value one month
  earlier, and for how many consecutive months it has moved that way (survey: waves). Coloured by
  the aim: blue when moving the way the plan wants, orange when not, grey when flat.
* **Baseline % change since the plan year's start**: latest 12-month value against the 12 months
  ending the month before the plan year starts (plan 2018-19 starts 1 April 2018, so the baseline
  is the 12 months to 31 March 2018). Before the plan year starts the card says so and shows the
  % change since the same point a year earlier instead.
* **Stale source**: a monthly source whose latest loaded month is older than the report month.
  **Refused this month**: a file quarantined by a run for this period (or claiming this period).
* **SPC**: ``marts.indicator_spc`` / ``marts.indicator_spc_summary`` when they end on the report
  month; otherwise (absent, or built on later data) they are rebuilt in memory from the monthly
  values up to the report month with :func:`transforms.spc_mart.build_spc`, so a report for an
  earlier month never shows later data. Charts come from
  :func:`reporting.spc_charts.render_spc_charts` (history, limits, the 12-month "if we stay on our
  current course" baseline forecast and any target).

The per-period notes file ("story behind the curve")
---------------------------------------------------
Optional. ``<notes_dir>/<YYYY-MM>.yml`` (the flow passes ``$CSP_DATA/notes``), a YAML mapping of
indicator id to the analyst's text, for example::

    # notes/2018-02.yml
    da_incidents: |
      Reporting rose after the November White Ribbon campaign; the IDVA service logged
      [[38]] more referrals than a year earlier.

      A blank line starts a new paragraph.
    drug_trafficking_offences:          # text per priority when the story differs
      organised_crime: Operation X disrupted two county lines.
      default: Shown for every other priority that has this indicator.

Text is shown as written (HTML is escaped). A count quoted in the text must be written as
``[[n]]``: it is shown through the same small-count rule as the tables (``[[3]]`` becomes
``<5``). A bare 1-4 in the text produces a warning in the result. Unknown ids are warnings too.

Disclosure control (METHODS.md section 3, ``reporting.disclosure``)
--------------------------------------------------------------------
For each indicator, every count published anywhere (each month of the Data sheet, the latest and
previous 12-month totals, the baseline 12 months, each ward and the "not placed in a ward"
remainder) is one linked system: a window total equals the sum of its
months, the district total equals the sum of its wards plus the remainder. The system is
suppressed once with the disclosure module's primary + secondary + LP-audit algorithm, and the
same pattern is used in the card, the workbook, the CSV, the committee summary and the Prefect
artifacts. Proportions do this for numerators and denominators separately; a percentage or rate is
withheld when its base is under ``rules.min_base_for_rate`` or when a count it was made from is
withheld; a change or CI is withheld whenever a value it depends on is. A chart is withheld when
any month it would plot is withheld (a point on a chart discloses its value). Means of monthly
counts below ``max_small + 1`` are shown as the small-count marker. Counts of indicators (the
"3 improving" tallies) and of files are not statistics about people and are not suppressed.
Financial-year-to-date totals are deliberately not published: next to the 12-month totals they
would reveal the months in one window and not the other by subtraction, and protecting those would
cost the 12-month totals themselves on small-number series.
"""

from __future__ import annotations

import base64
import csv
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from reporting import disclosure as dc
from reporting import workbooks
from reporting.charts import ASSURANCE_LABELS, VARIATION_LABELS
from reporting.disclosure import (
    DEFAULT_RULES,
    MANIFEST_NAME,
    DisclosureRules,
    is_missing,
    scan_manifest,
    suppress_change,
    suppress_rate,
)

__all__ = ["DisclosureCheckError", "publish_reports", "suppress_linked"]

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
WARD_TOP_N = 10
CARD_FILES = ("report_card.html", "indicators.xlsx", "indicators.csv")

FLAG_PRIMARY = "suppressed_small_count"
FLAG_SECONDARY = "suppressed_secondary"
FLAG_BASE = "suppressed_small_base"
FLAG_MISSING = "not_available"
# No digits in these: title attributes of count cells are read by the disclosure scanner.
FLAG_TITLES = {
    FLAG_PRIMARY: "Withheld to protect privacy: a small count",
    FLAG_SECONDARY: "Withheld to protect privacy: it could be used to work out a small count",
    FLAG_BASE: "Withheld: the number it is calculated from is too small",
    FLAG_MISSING: "Not available",
}

STATUS = {
    "improving": ("Improving", "status-improving"),
    "worsening": ("Worsening", "status-worsening"),
    "no_significant_change": ("No significant change", "status-nochange"),
    "not_assessed": ("Not assessed", "status-notassessed"),
}
TAGS = {"how_much": "How much did we do?", "how_well": "How well did we do it?",
        "better_off": "Is anyone better off?", None: "Other performance measures"}
AIMS = {"increase": "Increase (higher is better)", "decrease": "Decrease (lower is better)"}
FORECAST_METHODS = {"ets_damped_trend_seasonal": "exponential smoothing with damped trend and seasonality",
                    "ets_damped_trend": "exponential smoothing with damped trend",
                    "linear_trend": "straight-line trend"}
# Text colour on each MDC badge colour that keeps WCAG AA contrast.
_BADGE_TEXT = {"#fab428": "#212b32"}

COUNT_METHODS = {"count"}
PERCENT_METHODS = {"proportion", "survey_share"}


class DisclosureCheckError(RuntimeError):
    """A report failed the disclosure scan; nothing was published."""


# =============================================================================== small helpers


def _f(x: Any) -> float | None:
    """A finite float or None."""
    if is_missing(x):
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def _whole(x: Any) -> int | None:
    """A non-negative whole number, None when missing; ValueError when it is not a count."""
    value = _f(x)
    if value is None:
        return None
    if value < 0 or abs(value - round(value)) > 1e-6:
        raise ValueError(f"{x!r} is not a count")
    return round(value)


def _first_of_month(d: date) -> date:
    return date(d.year, d.month, 1)


def _add_months(d: date, k: int) -> date:
    """First of the month k months after d's month."""
    m = d.year * 12 + d.month - 1 + k
    return date(m // 12, m % 12 + 1, 1)


def _month_end(d: date) -> date:
    return _add_months(d, 1) - timedelta(days=1)


def _as_date(x: Any) -> date | None:
    if is_missing(x):
        return None
    if isinstance(x, datetime):
        return x.date()
    if isinstance(x, date):
        return x
    return pd.Timestamp(x).date()


def _mon(d: date) -> str:
    return d.strftime("%b %Y")


def _long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _range(start: date, end: date) -> str:
    return _mon(start) if (start.year, start.month) == (end.year, end.month) else f"{_mon(start)} – {_mon(end)}"


def parse_period(period: str) -> tuple[date, date]:
    """'2018-02' → (2018-02-01, 2018-02-28); a sentence if it is not a month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(period or ""))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"report period {period!r} is not a month (expected YYYY-MM, e.g. 2018-02)")
    start = date(int(match.group(1)), int(match.group(2)), 1)
    return start, _month_end(start)


def _split_sources(text: Any) -> list[str]:
    if is_missing(text):
        return []
    return [s for s in re.split(r"[,;\s]+", str(text)) if s]


def _split_list(text: Any) -> list[str]:
    """A list stored as VARCHAR (JSON list, or lines/semicolons) or a real list."""
    if isinstance(text, (list, tuple, np.ndarray)):
        return [str(t) for t in text if not is_missing(t) and str(t).strip()]
    if is_missing(text):
        return []
    text = str(text).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return [str(t) for t in json.loads(text) if str(t).strip()]
        except json.JSONDecodeError:
            pass
    return [p.strip() for p in text.split("\n") if p.strip()]


def _unit_after_value(method: str, unit: str) -> str:
    """'% of incidents' reads '10.1% of incidents' after a percentage, not '10.1% % of incidents'."""
    if method in PERCENT_METHODS and unit.startswith("%"):
        return unit[1:].strip()
    return unit


def _pct_number(x: float | None) -> float | None:
    """A percentage (14.4) as the fraction a spreadsheet % format expects (0.144)."""
    return None if x is None else x / 100


def _sign(x: float, tol: float = 1e-9) -> int:
    return 0 if abs(x) <= tol else (1 if x > 0 else -1)


def _p_text(p: float | None) -> str:
    if p is None:
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


# =============================================================================== shown values


@dataclass(frozen=True)
class Shown:
    """One published figure: what readers see, the number a spreadsheet holds, and its flag."""

    text: str
    number: float | None = None
    flag: str | None = None
    css: str = "count"
    fmt: str = "#,##0"
    csv: str = ""

    @property
    def title(self) -> str:
        return FLAG_TITLES.get(self.flag or "", "")

    @property
    def suppressed(self) -> bool:
        return self.flag in (FLAG_PRIMARY, FLAG_SECONDARY, FLAG_BASE)


NOT_APPLICABLE = Shown("–", None, None, "na", "", "")


def _withheld(marker: str, flag: str, css: str = "count") -> Shown:
    return Shown(marker, None, flag, css, "", marker)


def _missing_value(rules: DisclosureRules, css: str = "count") -> Shown:
    return Shown(rules.missing_marker, None, FLAG_MISSING, css, "", rules.missing_marker)


def _shown_count(n: int) -> Shown:
    return Shown(f"{n:,}", n, None, "count", "#,##0", str(n))


def _decimals_for(method: str) -> int:
    return 2 if method == "rate" else 1


def _value_shown(method: str, value: float, css: str = "rate") -> Shown:
    """A shown non-count value (percentage, rate, mean) in its unit."""
    if method in PERCENT_METHODS:
        return Shown(f"{value:.1f}%", round(value, 6), None, css, "0.0", f"{value:.1f}")
    d = _decimals_for(method)
    return Shown(f"{value:,.{d}f}", round(value, 6), None, css, "#,##0." + "0" * d, f"{value:.{d}f}")


# =============================================================================== linked suppression


def suppress_linked(values: Mapping[Hashable, int], lines: Sequence[tuple[Sequence[Hashable], Hashable]],
                    rules: DisclosureRules) -> dict[Hashable, int]:
    """Suppression status (0 shown, 1 primary, 2 secondary) for counts tied by sum equations.

    ``lines`` are (components, total) with sum(components) == total, like the margins of
    :func:`reporting.disclosure.suppress_table` but free-form (overlapping windows, wards that
    add up to a window). Runs the disclosure module's own primary / secondary / LP-audit loop.
    """
    keys = list(values)
    if not keys:
        return {}
    pos = {k: i for i, k in enumerate(keys)}
    grid = np.array([[int(values[k]) for k in keys]], dtype=np.int64)
    grid_lines = [([(0, pos[c]) for c in comps], (0, pos[total])) for comps, total in lines]
    try:
        status = dc._suppress_grid(grid, grid_lines, rules)
    except RuntimeError as error:
        # Cannot protect the pattern (should not happen): withhold every non-zero figure.
        log.warning("secondary suppression failed (%s); withholding every non-zero count", error)
        small = (grid >= rules.min_count) & (grid <= rules.max_small)
        status = np.where(small, dc.PRIMARY, np.where(grid > 0, dc.SECONDARY, dc.SHOWN))
    return {k: int(status[0, pos[k]]) for k in keys}


@dataclass
class CountSystem:
    """Every published count of one indicator series (numerators or denominators), suppressed once."""

    values: dict[Hashable, int]
    status: dict[Hashable, int]
    rules: DisclosureRules

    def has(self, key: Hashable) -> bool:
        return key in self.values

    def flagged(self, key: Hashable) -> bool:
        return self.status.get(key, dc.SHOWN) != dc.SHOWN

    def value(self, key: Hashable) -> int | None:
        return self.values.get(key)

    def shown(self, key: Hashable) -> Shown:
        if key not in self.values:
            return _missing_value(self.rules)
        s = self.status[key]
        if s == dc.PRIMARY:
            return _withheld(self.rules.marker, FLAG_PRIMARY)
        if s == dc.SECONDARY:
            return _withheld(self.rules.secondary_marker, FLAG_SECONDARY)
        return _shown_count(self.values[key])


def _window_months(start: date, end: date, months: Sequence[date]) -> list[date]:
    return [m for m in months if start <= m <= end]


def build_count_system(column: str, monthly: pd.DataFrame, windows: Mapping[str, pd.Series | None],
                       baseline: pd.Series | None, wards: pd.DataFrame | None,
                       rules: DisclosureRules) -> CountSystem | None:
    """The linked system of one count column ('numerator' or 'denominator'); None if not counts."""
    try:
        values: dict[Hashable, int] = {}
        for row in monthly.itertuples(index=False):
            v = _whole(getattr(row, column))
            if v is not None:
                values[("month", _as_date(row.period_start))] = v
        months = sorted(k[1] for k in values)
        lines: list[tuple[list[Hashable], Hashable]] = []

        def add_window(key: Hashable, total: int | None, start: date, end: date) -> None:
            if total is None:
                return
            values[key] = total
            comps = [("month", m) for m in _window_months(start, end, months)]
            # A total that is not the sum of published months hides an unpublished remainder a
            # reader cannot know, so it gives no equation to exploit.
            if comps and sum(values[c] for c in comps) == total:
                lines.append((comps, key))

        for name, row in windows.items():
            if row is None:
                continue
            start, end = _as_date(row["period_start"]), _as_date(row["period_end"])
            add_window((name, "cur"), _whole(row[column]), start, end)
            add_window((name, "prev"), _whole(row[f"previous_{column}"]), _add_months(start, -12),
                       _month_end(_add_months(_first_of_month(end), -12)))
        if baseline is not None:
            add_window(("base",), _whole(baseline[column]), _as_date(baseline["period_start"]),
                       _as_date(baseline["period_end"]))
        if wards is not None and not wards.empty and ("12m", "cur") in values:
            for side, col in (("cur", column), ("prev", f"previous_{column}")):
                total_key = ("12m", side)
                if total_key not in values:
                    continue
                keys = []
                for row in wards.itertuples(index=False):
                    v = _whole(getattr(row, col))
                    if v is not None:
                        values[("ward", row.area_code, side)] = v
                        keys.append(("ward", row.area_code, side))
                remainder = values[total_key] - sum(values[k] for k in keys)
                if remainder >= 0:
                    values[("ward_rem", side)] = remainder
                    lines.append((keys + [("ward_rem", side)], total_key))
    except ValueError:
        return None
    return CountSystem(values, suppress_linked(values, lines, rules), rules)


# =============================================================================== card model


@dataclass
class Badge:
    key: str
    letter: str
    colour: str
    text_colour: str
    caption: str


@dataclass
class Trend:
    direction: int | None
    periods: int
    text: str
    css: str
    arrow: str


@dataclass
class WardRow:
    code: str
    name: str
    value: Shown
    count: Shown
    base: Shown
    prev_count: Shown
    prev_base: Shown
    change: Shown
    sort_key: float
    is_remainder: bool = False


@dataclass
class MonthRow:
    month: date
    value: Shown
    numerator: Shown
    denominator: Shown


@dataclass
class IndicatorCard:
    priority_id: str
    outcome_id: str
    indicator_id: str
    label: str
    title: str
    definition: str
    kind: str
    tag: str | None
    group: str
    data_source: str
    source_ids: list[str]
    source_text: str
    method: str
    unit: str
    aim: str
    aim_text: str
    target: float | None
    draft: bool
    caveats: list[str]
    window_type: str
    window_label: str
    window_range: str
    prev_range: str
    value: Shown
    previous: Shown
    numerator: Shown
    denominator: Shown
    prev_numerator: Shown
    prev_denominator: Shown
    change: Shown
    change_pct: Shown
    ci_lower: Shown
    ci_upper: Shown
    ci_text: Shown
    status: str
    status_label: str
    status_css: str
    status_note: str
    variation: Badge | None
    assurance: Badge | None
    spc_note: str
    trend: Trend
    baseline: Shown
    baseline_note: str
    target_text: str
    target_variance: Shown
    recording_warning: str
    dq_note: str
    dq_css: str
    story: Markup | None = None
    chart_b64: str | None = None
    chart_alt: str = ""
    chart_files: list[str] = field(default_factory=list)
    chart_png: Path | None = None
    chart_note: str = ""
    forecast: list[dict[str, Any]] = field(default_factory=list)
    forecast_note: str = ""
    wards: list[WardRow] = field(default_factory=list)
    ward_note: str = ""
    months: list[MonthRow] = field(default_factory=list)
    period_start: date | None = None
    period_end: date | None = None
    count_change: Shown = NOT_APPLICABLE
    peers: list[dict[str, Any]] = field(default_factory=list)
    peer_note: str = ""

    @property
    def is_count(self) -> bool:
        return self.method in COUNT_METHODS

    @property
    def top_wards(self) -> list[WardRow]:
        named = [w for w in self.wards if not w.is_remainder]
        return named[:WARD_TOP_N]


@dataclass
class OutcomeCard:
    outcome_id: str
    number: int
    statement: str
    draft: bool
    note: str
    indicators: list[IndicatorCard]

    @property
    def groups(self) -> list[tuple[str, list[IndicatorCard]]]:
        """Population indicators first, then performance measures by OBA question."""
        out = []
        pop = [c for c in self.indicators if c.kind != "performance_measure"]
        if pop:
            out.append(("Population indicators", pop))
        for tag in ("how_much", "how_well", "better_off", None):
            members = [c for c in self.indicators if c.kind == "performance_measure" and c.tag == tag]
            if members:
                out.append((f"Performance measures: {TAGS[tag]}", members))
        return out

    @property
    def sheet_name(self) -> str:
        return f"Outcome {self.number}"


@dataclass
class PriorityCard:
    priority_id: str
    title: str
    kind: str
    leads: str
    outcomes: list[OutcomeCard]
    tally: dict[str, int]

    @property
    def indicators(self) -> list[IndicatorCard]:
        return [c for o in self.outcomes for c in o.indicators]


# =============================================================================== warehouse snapshot


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    tables = con.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()
    views = con.execute("select schema_name || '.' || view_name from duckdb_views() where not internal").fetchall()
    return {r[0] for r in tables + views}


@dataclass
class Snapshot:
    """What the reports read from the warehouse, taken through one read-only connection."""

    relations: set[str]
    catalogue: pd.DataFrame
    values: pd.DataFrame
    ward_names: dict[str, str]
    area_name: str
    files: pd.DataFrame
    validation: pd.DataFrame
    runs: pd.DataFrame
    loaded_months: dict[str, date]
    notes: list[str]
    peers: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_weighting: pd.DataFrame = field(default_factory=pd.DataFrame)


def _read_snapshot(con: duckdb.DuckDBPyConnection, plan_year: str, area_code: str, period_end: date) -> Snapshot:
    rel = _relations(con)
    notes: list[str] = []
    for needed in ("marts.indicator_catalogue", "marts.indicator_values"):
        if needed not in rel:
            raise ValueError(f"the warehouse has no {needed}: run the monthly flow before publishing reports")
    catalogue = con.execute("select * from marts.indicator_catalogue where plan_year = ? order by rowid",
                            [plan_year]).df()
    if catalogue.empty:
        raise ValueError(f"marts.indicator_catalogue has no indicators for plan year {plan_year}")
    ward_names: dict[str, str] = {}
    if "staging.stg_reference__wards" in rel:
        ward_names = dict(con.execute("select ward_code, any_value(ward_name) from staging.stg_reference__wards "
                                      "where lad_code = ? group by all", [area_code]).fetchall())
    else:
        notes.append("Ward names are not in this warehouse (staging.stg_reference__wards): codes shown.")
    area_name = area_code
    if "staging.stg_reference__districts" in rel:
        found = con.execute("select any_value(lad_name) from staging.stg_reference__districts where lad_code = ?",
                            [area_code]).fetchall()[0]
        if found and found[0]:
            area_name = str(found[0])
    values = _read_values(con, plan_year, area_code, period_end, ward_names)
    files = con.execute("select * from audit.files order by file_id").df() if "audit.files" in rel else pd.DataFrame()
    validation = (con.execute("select * from audit.validation_results").df()
                  if "audit.validation_results" in rel else pd.DataFrame())
    runs = (con.execute("select * from audit.pipeline_runs order by started_at").df()
            if "audit.pipeline_runs" in rel else pd.DataFrame())
    loaded: dict[str, date] = {}
    if "audit.file_periods" in rel:
        for source, period in con.execute("""
                select source, max(period) from audit.file_periods
                where length(period) = 7 group by all""").fetchall():
            loaded[source] = parse_period(period)[0]
    elif not files.empty:
        for row in files[files["status"] == "loaded"].itertuples():
            if isinstance(row.period_max, str) and re.fullmatch(r"\d{4}-\d{2}", row.period_max):
                m = parse_period(row.period_max)[0]
                loaded[row.source] = max(loaded.get(row.source, m), m)
    peers = pd.DataFrame()
    if "marts.indicator_peers" in rel:
        peers = con.execute("""
            select * from marts.indicator_peers
            where plan_year = ? and period_type = '12m' and period_end = ?
              and peer_group in (select peer_group from marts.indicator_peers where area_code = ?)
        """, [plan_year, period_end, area_code]).df()
    survey: dict[str, pd.DataFrame] = {}
    survey_tables = {"survey_estimates": ("marts.survey_estimates", "and breakdown = 'all'"),
                     "survey_differences": ("marts.survey_differences", "and comparison = 'rest'"),
                     "survey_weighting": ("audit.survey_weighting", "")}
    for name, (table, extra) in survey_tables.items():
        survey[name] = (con.execute(f"select * from {table} where area_code = ? {extra}", [area_code]).df()
                        if table in rel else pd.DataFrame())
    if survey["survey_differences"].shape[0] and "marts.survey_estimates" in rel:
        # the group's own base, so a group percentage on a small base is not shown
        bases = con.execute("select wave, question_id, answer_group, breakdown, group_value, n "
                            "from marts.survey_estimates where area_code = ?", [area_code]).df()
        survey["survey_differences"] = survey["survey_differences"].merge(
            bases, how="left", on=["wave", "question_id", "answer_group", "breakdown", "group_value"])
    return Snapshot(rel, catalogue, values, ward_names, area_name, files, validation, runs, loaded, notes, peers,
                    **survey)


def _read_values(con: duckdb.DuckDBPyConnection, plan_year: str, area_code: str, period_end: date,
                 ward_names: Mapping[str, str]) -> pd.DataFrame:
    """District rows of the area and ward rows of its wards, up to the report month."""
    if ward_names:
        frame = con.execute("""
            select * from marts.indicator_values
            where plan_year = ? and period_end <= ?
              and (area_code = ? or (area_type = 'ward' and area_code in (select unnest(?::varchar[]))))
        """, [plan_year, period_end, area_code, sorted(ward_names)]).df()
    else:
        frame = con.execute("""
            select * from marts.indicator_values
            where plan_year = ? and period_end <= ? and (area_code = ? or area_type = 'ward')
        """, [plan_year, period_end, area_code]).df()
    for col in ("period_start", "period_end"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


# =============================================================================== plan metadata


@dataclass
class PlanInfo:
    plan_year: str
    partnership: str
    title: str
    starts: date
    priorities: list[dict[str, Any]]  # id, title, kind, leads, outcomes: [{id, statement, draft, note}]
    recording_changes: dict[str, tuple[str, date]]
    source_titles: dict[str, tuple[str, str, str | None]]  # id -> (title, publisher, period grain)
    caveats: dict[str, list[str]]  # indicator id -> caveats as the definition lists them


def _plan_info(plan_year: str, catalogue: pd.DataFrame) -> PlanInfo:
    """Plan structure from plans/<year>.yml where available, else from the catalogue."""
    plan = None
    changes: dict[str, tuple[str, date]] = {}
    caveats: dict[str, list[str]] = {}
    try:
        from transforms.definitions import load_indicators, load_plans, load_recording_changes

        plan = load_plans().get(plan_year)
        changes = {k: (v.title, v.date) for k, v in load_recording_changes().items()}
        caveats = {k: list(v.caveats) for k, v in load_indicators().items()}
    except Exception as error:  # noqa: BLE001 - a broken plan file must not stop the reports
        log.warning("plan %s could not be read (%s); using the warehouse catalogue only", plan_year, error)
    sources: dict[str, tuple[str, str, str | None]] = {}
    try:
        from expectations.sources import catalogue as source_catalogue

        for name, spec in source_catalogue().sources.items():
            sources[name] = (spec.title, spec.publisher, spec.period.grain if spec.period else None)
    except Exception as error:  # noqa: BLE001
        log.warning("source declarations could not be read (%s)", error)

    in_catalogue = list(dict.fromkeys(catalogue["priority_id"]))
    priorities: list[dict[str, Any]] = []
    if plan is not None:
        for p in plan.priorities:
            computed = p.id in in_catalogue
            has_entries = any(o.indicators for o in p.outcomes)
            if not computed and has_entries:
                continue  # the warehouse was built from another version of the plan
            priorities.append({
                "id": p.id, "title": p.title, "kind": p.kind,
                "leads": "; ".join(f"{lead.name} ({lead.agency})" for lead in p.leads),
                "outcomes": [{"id": o.id, "statement": o.statement, "draft": o.draft, "note": o.note or ""}
                             for o in p.outcomes],
            })
    known = {p["id"] for p in priorities}
    for pid in in_catalogue:
        if pid in known:
            continue
        rows = catalogue[catalogue["priority_id"] == pid]
        outcomes = list(dict.fromkeys(zip(rows["outcome_id"], rows["outcome_statement"], strict=True)))
        priorities.append({
            "id": pid, "title": str(rows["priority_title"].iloc[0]), "kind": "priority",
            "leads": str(rows["lead"].iloc[0] or ""),
            "outcomes": [{"id": o, "statement": s, "draft": False, "note": ""} for o, s in outcomes],
        })
    if plan is not None:
        starts, partnership, title = plan.starts, plan.partnership, plan.title
    else:
        starts = date(int(plan_year[:4]), 4, 1)  # UK plans run with the financial year
        partnership, title = "Community Safety Partnership", f"Community Safety Plan {plan_year}"
    return PlanInfo(plan_year, partnership, title, starts, priorities, changes, sources, caveats)


# =============================================================================== data quality


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

    @property
    def state(self) -> str:
        parts = []
        if self.stale:
            parts.append(f"Stale: latest month loaded is {_mon(self.latest_month)}" if self.latest_month
                         else "Stale: no month loaded")
        if self.refused_this_period:
            n = len(self.refused_this_period)
            parts.append(f"{n} file{'s' if n != 1 else ''} refused this period")
        if not parts:
            return "Up to date" if self.grain == "month" else "Loaded (not monthly)"
        return "; ".join(parts)

    @property
    def css(self) -> str:
        return "dq-bad" if self.stale else ("dq-warn" if self.refused_this_period else "dq-ok")


def _data_quality(snap: Snapshot, info: PlanInfo, period: str, month_start: date,
                  rules: DisclosureRules) -> dict[str, Any]:
    files = snap.files
    run_ids: set[str] = set()
    if not snap.runs.empty and "period" in snap.runs:
        run_ids = {str(r) for r in snap.runs.loc[snap.runs["period"] == period, "run_id"]}
    states: list[SourceState] = []
    refused_rows: list[dict[str, Any]] = []
    validation = snap.validation
    names = sorted(set(files["source"].dropna()) if not files.empty else set(),
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
                    "rows_in_file": _count_shown(row.rows_in_file, rules), "problems": problems,
                    "quarantine_path": qpath, "reason": str(row.reason or "")}
            refused_list.append(item)
            refused_rows.append(item)
        loaded = part[part["status"] == "loaded"]
        rows_loaded = int(loaded["rows_loaded"].fillna(0).sum()) if not loaded.empty else 0
        latest = snap.loaded_months.get(source)
        stale = grain == "month" and (latest is None or latest < month_start)
        rc = part["rules_checked"].dropna()
        states.append(SourceState(
            source=source, title=title, publisher=publisher, grain=grain, files_received=len(part),
            files_received_period=int(in_period.sum()), files_loaded=len(loaded),
            files_refused=int((part["status"] == "quarantined").sum()),
            rows_loaded=_count_shown(rows_loaded, rules), rules_checked=int(rc.max()) if not rc.empty else 0,
            latest_month=latest, stale=stale, refused_this_period=refused_list))
    last_run = None
    if not snap.runs.empty:
        match = snap.runs[snap.runs["period"] == period] if "period" in snap.runs else snap.runs
        row = (match if not match.empty else snap.runs).iloc[-1]
        last_run = {"run_id": str(row.get("run_id", "")), "git_commit": str(row.get("git_commit", "") or ""),
                    "started_at": str(row.get("started_at", ""))[:19], "state": str(row.get("state", "")),
                    "period": str(row.get("period", ""))}
    return {"sources": states, "by_source": {s.source: s for s in states}, "refused": refused_rows,
            "stale": [s for s in states if s.stale], "last_run": last_run,
            "runs": [] if snap.runs.empty else [
                {"started_at": str(r.started_at)[:16], "flow": str(r.flow_name), "period": str(r.period or ""),
                 "state": str(r.state)} for r in snap.runs.tail(5).itertuples()]}


def _count_shown(x: Any, rules: DisclosureRules) -> Shown:
    """Primary suppression only (no published total ties these counts together)."""
    try:
        n = _whole(x)
    except ValueError:
        return _missing_value(rules)
    if n is None:
        return _missing_value(rules)
    if rules.is_small(n):
        return _withheld(rules.marker, FLAG_PRIMARY)
    return _shown_count(n)


# =============================================================================== SPC and charts


def _spc_source(con: duckdb.DuckDBPyConnection, snap: Snapshot, plan_year: str, area_code: str,
                month_start: date) -> tuple[duckdb.DuckDBPyConnection | None, str]:
    """A connection holding SPC marts that end on the report month (warehouse or rebuilt in memory)."""
    if {"marts.indicator_spc", "marts.indicator_spc_summary"} <= snap.relations:
        last = con.execute("select max(month) from marts.indicator_spc where plan_year = ? and area_code = ?",
                           [plan_year, area_code]).fetchall()[0][0]
        if last is not None and _as_date(last) == month_start:
            return con, "from marts.indicator_spc"
    try:
        from transforms.spc_mart import build_spc
    except ImportError as error:
        return None, f"SPC is not available in this installation ({error})."
    monthly = snap.values[(snap.values["period_type"] == "month") & (snap.values["area_type"] == "district")]
    if monthly.empty:
        return None, "No monthly values to compute SPC from."
    mem = duckdb.connect()
    mem.execute("create schema marts")
    frame = monthly[["plan_year", "priority_id", "indicator_id", "area_type", "area_code", "period_type",
                     "period_start", "value"]].copy()
    mem.register("monthly_frame", frame)
    mem.execute("create table marts.indicator_values as select * from monthly_frame")
    mem.unregister("monthly_frame")
    build_spc(mem, area_types=("district",))
    why = ("rebuilt from monthly values up to the report month" if "marts.indicator_spc" in snap.relations
           else "computed at report time (marts.indicator_spc is not in this warehouse)")
    return mem, why


def _spc_summary(spc_con: duckdb.DuckDBPyConnection | None, plan_year: str, area_code: str) -> dict:
    if spc_con is None:
        return {}
    frame = spc_con.execute("""select * from marts.indicator_spc_summary where plan_year = ? and area_code = ?""",
                            [plan_year, area_code]).df()
    return {(r["priority_id"], r["indicator_id"]): r for _, r in frame.iterrows()}


def _badge(key: Any, labels: Mapping[str, tuple[str, str, str]]) -> Badge | None:
    if is_missing(key) or str(key) not in labels:
        return None
    letter, colour, caption = labels[str(key)]
    return Badge(str(key), letter, colour, _BADGE_TEXT.get(colour, "#ffffff"), caption)


def _render_charts(spc_con: duckdb.DuckDBPyConnection | None, work: Path, plan_year: str,
                   area_code: str, warnings: list[str]) -> dict[tuple[str, str], dict[str, Path]]:
    if spc_con is None:
        return {}
    try:
        from reporting.spc_charts import render_spc_charts
    except ImportError as error:
        warnings.append(f"Charts not drawn: reporting.spc_charts is not available ({error}).")
        return {}
    try:
        return render_spc_charts(spc_con, work, plan_year, area_code, forecast=True)
    except Exception as error:
        log.exception("chart rendering failed")
        warnings.append(f"Charts not drawn: {type(error).__name__}: {error}")
        return {}


def _forecast_from(paths: Mapping[str, Path] | None, monthly: pd.DataFrame, method: str) -> pd.DataFrame:
    """The chart's own baseline forecast CSV, else a fresh one from the monthly values."""
    if paths and paths.get("forecast_csv") and Path(paths["forecast_csv"]).exists():
        try:
            return pd.read_csv(paths["forecast_csv"])
        except (pd.errors.EmptyDataError, OSError):
            return pd.DataFrame()
    from reporting.forecast import baseline_forecast

    if monthly.empty:
        return pd.DataFrame()
    months = [_as_date(m) for m in monthly["period_start"]]
    values = [_f(v) for v in monthly["value"]]
    return baseline_forecast(months, values, horizon=12, ceiling=100.0 if method in PERCENT_METHODS else None)


# =============================================================================== building cards


class _Builder:
    """Turns the snapshot into disclosure-controlled cards (systems cached per indicator)."""

    def __init__(self, snap: Snapshot, info: PlanInfo, period: str, month_start: date, month_end: date,
                 area_code: str, rules: DisclosureRules, dq: dict[str, Any], spc: dict, spc_note: str,
                 charts: dict, notes: dict[str, Any], warnings: list[str]) -> None:
        self.snap, self.info, self.period, self.rules = snap, info, period, rules
        self.month_start, self.month_end, self.area_code = month_start, month_end, area_code
        self.dq, self.spc, self.spc_note, self.charts = dq, spc, spc_note, charts
        self.notes, self.warnings = notes, warnings
        self.plan_started = month_end >= info.starts
        self.baseline_end = info.starts - timedelta(days=1)
        self._systems: dict[tuple[str, str], CountSystem | None] = {}
        values = snap.values
        self._by_key = {k: g for k, g in values.groupby(["priority_id", "outcome_id", "indicator_id"], sort=False)}

    # ---------------------------------------------------------------- series access
    def _series(self, frame: pd.DataFrame, area_type: str, period_type: str) -> pd.DataFrame:
        part = frame[(frame["area_type"] == area_type) & (frame["period_type"] == period_type)]
        if area_type == "district":
            part = part[part["area_code"] == self.area_code]
        return part.sort_values("period_end")

    def _row_at(self, frame: pd.DataFrame, end: date) -> pd.Series | None:
        hit = frame[frame["period_end"] == end]
        return None if hit.empty else hit.iloc[0]

    def _system(self, indicator_id: str, column: str, monthly: pd.DataFrame, windows: dict,
                baseline: pd.Series | None, wards: pd.DataFrame | None) -> CountSystem | None:
        key = (indicator_id, column)
        if key not in self._systems:
            self._systems[key] = build_count_system(column, monthly, windows, baseline, wards, self.rules)
        return self._systems[key]

    # ---------------------------------------------------------------- one indicator
    def indicator(self, cat: pd.Series) -> IndicatorCard:
        pid, oid, iid = cat["priority_id"], cat["outcome_id"], cat["indicator_id"]
        method = str(cat["method"])
        aim = str(cat["aim"])
        frame = self._by_key.get((pid, oid, iid), self.snap.values.iloc[0:0])
        monthly = self._series(frame, "district", "month")
        monthly = monthly[monthly["period_start"] <= self.month_start]
        window_type = "12m"
        rolling = self._series(frame, "district", "12m")
        latest = self._row_at(rolling, self.month_end)
        if latest is None:
            waves = self._series(frame, "district", "wave")
            if not waves.empty:
                window_type, rolling, latest = "wave", waves, waves.iloc[-1]
        base_row = None
        if self.plan_started and window_type == "12m":
            base_row = self._row_at(rolling, self.baseline_end)
        ward_rows = self._series(frame, "ward", "12m")
        ward_rows = (ward_rows[ward_rows["period_end"] == self.month_end] if window_type == "12m"
                     else ward_rows.iloc[0:0])

        counts_ok = method != "survey_share"
        # Financial-year-to-date totals are not published: with the 12-month totals they would
        # give each month that is in one window but not the other by subtraction.
        windows = {"12m": latest if window_type == "12m" else None}
        num = (self._system(iid, "numerator", monthly, windows, base_row, ward_rows if not ward_rows.empty else None)
               if counts_ok else None)
        den = None
        if method == "proportion":
            den = self._system(iid, "denominator", monthly, windows, base_row,
                               ward_rows if not ward_rows.empty else None)
        if counts_ok and num is None:
            self.warnings.append(f"{iid}: counts are not whole numbers, so none are shown")

        v = self._values_for(method, latest, num, den, "cur", ("12m", "cur"))
        pv = self._values_for(method, latest, num, den, "prev", ("12m", "prev"))

        # windows and labels
        if latest is not None and window_type == "12m":
            ps, pe = _as_date(latest["period_start"]), _as_date(latest["period_end"])
            window_range, prev_range = _range(ps, pe), _range(_add_months(ps, -12), _month_end(_add_months(pe, -12)))
            window_label = f"12 months to {_mon(pe)}"
        elif latest is not None:
            ps, pe = _as_date(latest["period_start"]), _as_date(latest["period_end"])
            window_range = _range(ps, pe)
            before = rolling[rolling["period_end"] < pe]
            prev_range = (f"{_as_date(before.iloc[-1]['period_end']).year} survey wave" if not before.empty
                          else "no earlier wave")
            window_label = f"{pe.year} survey wave"
        else:
            window_range = prev_range = "no data"
            window_label = f"12 months to {_mon(self.month_end)}"

        change, change_pct = self._change(method, latest, v, pv)
        ci_lower, ci_upper, ci_text = self._ci(method, latest, v["value"])
        status = str(latest["status"]) if latest is not None and not is_missing(latest["status"]) else "not_assessed"
        status_label, status_css = STATUS.get(status, (status.replace("_", " ").capitalize(), "status-notassessed"))
        status_note = self._status_note(latest, status)
        baseline, baseline_note = self._baseline(method, latest, base_row, window_type, v, pv, num)
        trend = (self._trend(rolling, aim, window_type) if latest is not None
                 else Trend(None, 0, "No value for this period", "trend-neutral", ""))
        spc_row = self.spc.get((pid, iid))
        if spc_row is not None and _as_date(spc_row.get("last_month")) != self.month_start:
            spc_row = None  # the series does not reach the report month: its icons describe another month
        variation = _badge(spc_row["variation_icon"], VARIATION_LABELS) if spc_row is not None else None
        target = _f(cat.get("target"))
        assurance = (_badge(spc_row["assurance_icon"], ASSURANCE_LABELS)
                     if spc_row is not None and target is not None else None)
        spc_note = (self._spc_note(spc_row) if window_type == "12m" else
                    "SPC needs a monthly series; the survey runs in waves.")
        target_text, target_variance = self._target(target, v["value"], latest, method)
        sources = _split_sources(cat.get("source"))
        source_text = "; ".join(
            f"{self.info.source_titles[s][0]}, {self.info.source_titles[s][1]}" if s in self.info.source_titles else s
            for s in sources)
        dq_note, dq_css = self._dq_for(sources)
        kind = str(cat.get("kind") or "indicator")
        tag = None if is_missing(cat.get("tag")) else str(cat.get("tag"))
        group = "Population indicator" if kind != "performance_measure" else f"Performance measure: {TAGS[tag]}"
        card = IndicatorCard(
            priority_id=pid, outcome_id=oid, indicator_id=iid, label=str(cat["label"]),
            title=str(cat.get("title") or cat["label"]), definition=str(cat.get("definition") or ""),
            kind=kind, tag=tag, group=group, data_source=str(cat.get("data_source") or ""),
            source_ids=sources, source_text=source_text, method=method,
            unit=_unit_after_value(method, str(cat.get("unit") or "")),
            aim=aim, aim_text=AIMS.get(aim, aim), target=target, draft=bool(cat.get("draft") or False),
            caveats=self.info.caveats.get(iid) or _split_list(cat.get("caveats")), window_type=window_type,
            window_label=window_label,
            window_range=window_range, prev_range=prev_range, value=v["value"], previous=pv["value"],
            numerator=v["numerator"], denominator=v["denominator"], prev_numerator=pv["numerator"],
            prev_denominator=pv["denominator"], change=change, change_pct=change_pct, ci_lower=ci_lower,
            ci_upper=ci_upper, ci_text=ci_text, status=status, status_label=status_label,
            status_css=status_css, status_note=status_note, variation=variation, assurance=assurance,
            spc_note=spc_note, trend=trend, baseline=baseline, baseline_note=baseline_note,
            target_text=target_text, target_variance=target_variance,
            recording_warning=self._recording(latest), dq_note=dq_note, dq_css=dq_css)
        if latest is not None:
            card.period_start, card.period_end = _as_date(latest["period_start"]), _as_date(latest["period_end"])
        card.count_change = self._count_change(num)
        card.months = self._months(method, monthly, num, den)
        card.wards = self._wards(method, ward_rows, num, den, v, pv)
        if window_type == "12m" and not ward_rows.empty and not any(w.is_remainder for w in card.wards):
            card.ward_note = "Ward figures do not add up to the district total, so no remainder row is shown."
        card.story = self._story(pid, iid)
        card.peers, card.peer_note = self._peers(iid, num)
        self._chart(card, monthly, num, den)
        return card

    def _peers(self, indicator_id: str, num: CountSystem | None) -> tuple[list[dict[str, Any]], str]:
        """Peer tables (marts.indicator_peers), counts suppressed against the pooled total."""
        peers = self.snap.peers
        if peers.empty or indicator_id not in set(peers["indicator_id"]):
            return [], ""
        if num is not None and num.flagged(("12m", "cur")):
            return [], "Peer comparison withheld: this area's count is withheld for disclosure control."
        rules, out = self.rules, []
        for group, rows in peers[peers["indicator_id"] == indicator_id].groupby("peer_group", sort=True):
            rows = rows.sort_values(["rank", "area_name"])
            if len(rows) < 2:
                continue
            try:
                counts = {str(r.area_code): _whole(r.count) for r in rows.itertuples()}
                total = _whole(rows["peer_count"].iloc[0])
            except ValueError:
                continue
            if any(v is None for v in counts.values()) or total is None or total != sum(counts.values()):
                continue
            shown = dc.suppress_series_with_total(counts, total, rules, total_key="__peer_total__")
            areas = []
            for r in rows.itertuples():
                text, flagged = shown[str(r.area_code)]
                count = (_withheld(text, FLAG_PRIMARY if text == rules.marker else FLAG_SECONDARY) if flagged
                         else _shown_count(counts[str(r.area_code)]))
                rate = self._rate(_f(r.rate_per_1000), _f(r.population), flagged, "rate")
                ci = (f"{_f(r.ci_lower):,.2f} to {_f(r.ci_upper):,.2f}" if rate.number is not None
                      and _f(r.ci_lower) is not None and _f(r.ci_upper) is not None else "–")
                shown_ci = rate.number is not None and ci != "–"
                areas.append({"rank": int(r.rank), "name": str(r.area_name), "home": r.area_code == self.area_code,
                              "count": count, "rate": rate, "ci": ci,
                              "ci_lower": _f(r.ci_lower) if shown_ci else None,
                              "ci_upper": _f(r.ci_upper) if shown_ci else None,
                              "judgement": str(r.judgement or "").replace("_", " ")})
            peer_flagged = shown["__peer_total__"][1]
            first = rows.iloc[0]
            peer_value = self._rate(_f(first["peer_value"]), _f(first["peer_population"]), peer_flagged, "rate")
            entry = {"group": str(group).replace("_", " "), "n_areas": len(rows), "areas": areas,
                     "peer_value": peer_value}
            _peer_chart(entry, self.snap.area_name)
            out.append(entry)
        note = "" if out else ("Peer comparison: only this CSP's data is loaded for its peer groups (add the "
                               "other districts' extracts to compare).")
        return out, note

    def _values_for(self, method: str, row: pd.Series | None, num: CountSystem | None, den: CountSystem | None,
                    side: str, key: tuple) -> dict[str, Shown]:
        rules = self.rules
        prefix = "" if side == "cur" else "previous_"
        if row is None:
            miss = _missing_value(rules)
            return {"value": miss, "numerator": miss, "denominator": NOT_APPLICABLE}
        value = _f(row[f"{prefix}value"])
        numerator = num.shown(key) if num is not None and num.has(key) else (
            _missing_value(rules) if num is not None else NOT_APPLICABLE)
        n_flag = num.flagged(key) if num is not None else False
        if method == "proportion":
            denominator = den.shown(key) if den is not None and den.has(key) else _missing_value(rules)
            d_flag = den.flagged(key) if den is not None else False
            shown = self._rate(value, _f(row[f"{prefix}denominator"]), n_flag or d_flag, method)
        elif method == "survey_share":
            denominator = NOT_APPLICABLE
            numerator = NOT_APPLICABLE
            shown = self._rate(value, _f(row[f"{prefix}denominator"]), False, method)
        elif method == "rate":
            pop = _f(row[f"{prefix}denominator"])
            denominator = Shown(f"{pop:,.0f}", pop, None, "pop", "#,##0", f"{pop:.0f}") if pop else NOT_APPLICABLE
            shown = self._rate(value, pop, n_flag, method)
        elif method == "mean":
            denominator = NOT_APPLICABLE
            shown = self._mean(value, n_flag, numerator)
        else:  # count
            denominator = NOT_APPLICABLE
            shown = numerator
        return {"value": shown, "numerator": numerator, "denominator": denominator}

    def _count_change(self, num: CountSystem | None) -> Shown:
        """Change in the 12-month count (the ward table's total row)."""
        cur, prev = ("12m", "cur"), ("12m", "prev")
        if num is None or not (num.has(cur) and num.has(prev)):
            return NOT_APPLICABLE
        text, sup = suppress_change(num.value(cur), num.value(prev), self.rules,
                                    current_suppressed=num.flagged(cur), previous_suppressed=num.flagged(prev))
        return self._change_shown(text, sup, float(num.value(cur) - num.value(prev)), "+#,##0;-#,##0;0")

    def _rate(self, value: float | None, base: float | None, withheld: bool, method: str) -> Shown:
        rules = self.rules
        if value is None or base is None:
            return _missing_value(rules, "rate")
        text, suppressed = suppress_rate(value, base, rules, fmt=lambda x: "ok", numerator_suppressed=withheld)
        if not suppressed:
            return _value_shown(method, value)
        flag = FLAG_BASE if text == rules.rate_marker else FLAG_SECONDARY
        return _withheld(text, flag, "rate")

    def _mean(self, value: float | None, withheld: bool, numerator: Shown) -> Shown:
        rules = self.rules
        if value is None:
            return _missing_value(rules)
        if withheld:
            return _withheld(numerator.text, numerator.flag or FLAG_SECONDARY)
        if 0 < value < rules.max_small + 1:
            return _withheld(rules.marker, FLAG_PRIMARY)
        return _value_shown("mean", value, css="count")

    def _change(self, method: str, row: pd.Series | None, v: dict, pv: dict) -> tuple[Shown, Shown]:
        rules = self.rules
        if row is None:
            return _missing_value(rules, "change"), _missing_value(rules, "change")
        if method in COUNT_METHODS:
            cur, prev = v["numerator"], pv["numerator"]
            if cur.number is None and not cur.suppressed or prev.number is None and not prev.suppressed:
                return _missing_value(rules, "change"), _missing_value(rules, "change")
            ctext, cs = suppress_change(_f(row["numerator"]), _f(row["previous_numerator"]), rules,
                                        current_suppressed=cur.suppressed, previous_suppressed=prev.suppressed)
            ptext, ps = suppress_change(_f(row["numerator"]), _f(row["previous_numerator"]), rules,
                                        current_suppressed=cur.suppressed, previous_suppressed=prev.suppressed,
                                        as_percent=True)
            return self._change_shown(ctext, cs, _f(row["change"]), "#,##0"), \
                self._change_shown(ptext, ps, _pct_number(_f(row["change_pct"])), "+0.0%;-0.0%;0.0%")
        cur, prev = v["value"], pv["value"]
        if cur.number is None or prev.number is None:
            marker = cur if cur.suppressed else prev if prev.suppressed else None
            if marker is not None:
                return (_withheld(rules.secondary_marker, FLAG_SECONDARY, "change"),
                        _withheld(rules.secondary_marker, FLAG_SECONDARY, "change"))
            return _missing_value(rules, "change"), _missing_value(rules, "change")
        diff = cur.number - prev.number
        d = 1 if method in PERCENT_METHODS else _decimals_for(method)
        unit = " pts" if method in PERCENT_METHODS else ""
        ctext = f"{diff:+,.{d}f}{unit}"
        change = Shown(ctext, round(diff, 6), None, "change", "+#,##0.0;-#,##0.0;0.0", f"{diff:.{d}f}")
        if prev.number == 0:
            return change, _missing_value(rules, "change")
        rel = diff / prev.number
        return change, Shown(f"{rel:+.1%}", rel, None, "change", "+0.0%;-0.0%;0.0%", f"{rel * 100:.1f}")

    @staticmethod
    def _change_shown(text: str, suppressed: bool, number: float | None, fmt: str) -> Shown:
        if suppressed:
            return _withheld(text, FLAG_BASE if text == "*" else FLAG_SECONDARY, "change")
        if number is None or text.startswith("["):
            return Shown(text, None, FLAG_MISSING if text.startswith("[") else None, "change", "", text)
        csv_text = text.replace(",", "").replace("%", "")
        return Shown(text, number, None, "change", fmt, csv_text)

    def _ci(self, method: str, row: pd.Series | None, value: Shown) -> tuple[Shown, Shown, Shown]:
        rules = self.rules
        if row is None or value.number is None:
            if value.suppressed:
                w = _withheld(rules.secondary_marker, FLAG_SECONDARY, "ci")
                return w, w, w
            m = _missing_value(rules, "ci")
            return m, m, m
        lo, hi = _f(row["ci_lower"]), _f(row["ci_upper"])
        if lo is None or hi is None:
            na = Shown("–", None, None, "ci", "", "")
            return na, na, na
        d = 1 if method in PERCENT_METHODS or method in COUNT_METHODS or method == "mean" else 2
        unit = "%" if method in PERCENT_METHODS else ""
        fmt = "#,##0." + "0" * d
        lo_s = Shown(f"{lo:,.{d}f}{unit}", round(lo, 6), None, "ci", fmt, f"{lo:.{d}f}")
        hi_s = Shown(f"{hi:,.{d}f}{unit}", round(hi, 6), None, "ci", fmt, f"{hi:.{d}f}")
        return lo_s, hi_s, Shown(f"{lo_s.text} to {hi_s.text}", None, None, "ci", "", "")

    def _status_note(self, row: pd.Series | None, status: str) -> str:
        if row is None:
            return "No value for this period."
        p = _f(row.get("change_p_value"))
        if status == "not_assessed":
            if bool(row.get("crosses_recording_change") or False):
                return "Not assessed: the two periods were recorded differently (see recording changes)."
            return "Not assessed: there is no comparable earlier period."
        sig = row.get("change_significant")
        if status == "no_significant_change":
            return f"The change is within what chance alone could produce ({_p_text(p)})." if p is not None else ""
        word = "rise" if (_f(row.get("change")) or 0) > 0 else "fall"
        if not sig:
            return ""
        way = "right" if status == "improving" else "wrong"
        return f"A statistically significant {word} ({_p_text(p)}), in the {way} direction for the aim."

    def _baseline(self, method: str, row: pd.Series | None, base_row: pd.Series | None, window_type: str,
                  v: dict, pv: dict, num: CountSystem | None) -> tuple[Shown, str]:
        rules = self.rules
        if row is None:
            return _missing_value(rules, "change"), "No value for this period."
        if window_type != "12m":
            return NOT_APPLICABLE, "No plan-year baseline for this indicator (survey waves are compared wave on wave)."
        start = _long_date(self.info.starts)
        if not self.plan_started:
            prev_end = _month_end(_add_months(_first_of_month(self.month_end), -12))
            note = (f"Plan year {self.info.plan_year} has not started (it starts {start}), so this is the "
                    f"% change since the same point a year earlier (12 months to {_mon(prev_end)}).")
            base_key, base_value, base_shown = ("12m", "prev"), _f(row["previous_numerator"]), pv
            base_v = _f(row["previous_value"])
        else:
            note = (f"% change since the 12 months to {_mon(self.baseline_end)}, the last 12 months before the plan "
                    f"year began ({start}).")
            if base_row is None:
                return _missing_value(rules, "change"), note + " The baseline 12 months are not in the warehouse."
            base_key, base_value = ("base",), _f(base_row["numerator"])
            base_v = _f(base_row["value"])
            base_shown = self._values_for(method, base_row, num, None if method != "proportion" else
                                          self._systems.get((row["indicator_id"], "denominator")), "cur", ("base",))
        if method in COUNT_METHODS:
            cur_flag = v["numerator"].suppressed
            base_flag = num.flagged(base_key) if num is not None and num.has(base_key) else False
            text, suppressed = suppress_change(_f(row["numerator"]), base_value, rules, current_suppressed=cur_flag,
                                               previous_suppressed=base_flag, as_percent=True)
            cur, base = _f(row["numerator"]), base_value
            rel = (cur - base) / base if cur is not None and base else None
            return self._change_shown(text, suppressed, rel, "+0.0%;-0.0%;0.0%"), note
        cur_s, base_s = v["value"], base_shown["value"]
        if cur_s.number is None or base_s.number is None or base_v in (None, 0):
            if cur_s.suppressed or base_s.suppressed:
                return _withheld(rules.secondary_marker, FLAG_SECONDARY, "change"), note
            return _missing_value(rules, "change"), note
        rel = (cur_s.number - base_v) / base_v
        return Shown(f"{rel:+.1%}", rel, None, "change", "+0.0%;-0.0%;0.0%", f"{rel * 100:.1f}"), note

    def _trend(self, rolling: pd.DataFrame, aim: str, window_type: str) -> Trend:
        unit = "wave" if window_type == "wave" else "month"
        points = [(_as_date(r.period_end), _f(r.value)) for r in rolling.itertuples() if _f(r.value) is not None]
        if len(points) < 2:
            return Trend(None, 0, "Not enough history for a trend", "trend-neutral", "")

        def consecutive(a: date, b: date) -> bool:
            return unit == "wave" or _add_months(_first_of_month(a), 1) == _first_of_month(b)

        last_dir = None
        run = 0
        for i in range(len(points) - 1, 0, -1):
            (d0, v0), (d1, v1) = points[i - 1], points[i]
            if not consecutive(d0, d1):
                break
            direction = _sign(v1 - v0, tol=1e-9 * max(1.0, abs(v0)))
            if last_dir is None:
                last_dir = direction
            if direction != last_dir:
                break
            run += 1
        if last_dir is None:
            return Trend(None, 0, "Not enough history for a trend", "trend-neutral", "")
        plural = "" if run == 1 else "s"
        if last_dir == 0:
            return Trend(0, run, f"Unchanged for {run} {unit}{plural}", "trend-neutral", "►")
        word = "Rising" if last_dir > 0 else "Falling"
        good = (last_dir > 0) == (aim == "increase")
        css = "trend-good" if good else "trend-bad"
        how = "the way the aim wants" if good else "against the aim"
        return Trend(last_dir, run, f"{word} for {run} {unit}{plural} ({how})", css, "▲" if last_dir > 0 else "▼")

    def _spc_note(self, spc_row: Any) -> str:
        if spc_row is None and self.spc:
            return f"No SPC point for {_mon(self.month_start)}: the monthly series does not reach this month."
        if spc_row is None:
            return self.spc_note or "SPC not available for this indicator."
        if bool(spc_row.get("trial") or False):
            return "Fewer than 13 months since the last rebase: limits are not shown yet (trial)."
        rebases = _split_list(spc_row.get("rebase_dates"))
        if rebases:
            return "Limits rebased at " + ", ".join(_mon(_as_date(d)) for d in rebases) + "."
        return ""

    def _target(self, target: float | None, value: Shown, row: pd.Series | None, method: str) -> tuple[str, Shown]:
        if target is None:
            return "No target set", NOT_APPLICABLE
        text = f"Target {target:,g}"
        actual = value.number
        if actual is None:
            return text, (_withheld(self.rules.secondary_marker, FLAG_SECONDARY, "change") if value.suppressed
                          else _missing_value(self.rules, "change"))
        if target == 0:
            return text, NOT_APPLICABLE
        var = (actual - target) / target
        return text, Shown(f"{var:+.1%}", var, None, "change", "+0.0%;-0.0%;0.0%", f"{var * 100:.1f}")

    def _recording(self, row: pd.Series | None) -> str:
        if row is None or not bool(row.get("crosses_recording_change") or False):
            return ""
        raw = row.get("recording_changes")
        ids = _split_list(raw) if isinstance(raw, (list, tuple, np.ndarray)) else _split_sources(raw)
        names = []
        for rid in ids:
            title, when = self.info.recording_changes.get(rid, (rid.replace("_", " "), None))
            names.append(f"{title} ({_long_date(when)})" if when else title)
        return ("The latest and previous periods straddle a change in recording practice"
                + (": " + "; ".join(names) if names else "")
                + ". The comparison is not like for like, so the status is not assessed.")

    def _dq_for(self, sources: list[str]) -> tuple[str, str]:
        notes, css = [], "dq-ok"
        for s in sources:
            state = self.dq["by_source"].get(s)
            if state is None:
                continue
            if state.stale:
                notes.append(f"{s}: {state.state}")
                css = "dq-bad"
            elif state.refused_this_period:
                notes.append(f"{s}: {state.state} (the figures use the files that passed)")
                css = "dq-warn" if css == "dq-ok" else css
        return ("; ".join(notes) if notes else "Source up to date for this period"), css

    def _months(self, method: str, monthly: pd.DataFrame, num: CountSystem | None,
                den: CountSystem | None) -> list[MonthRow]:
        out = []
        for r in monthly.itertuples(index=False):
            m = _as_date(r.period_start)
            key = ("month", m)
            n = num.shown(key) if num is not None and num.has(key) else NOT_APPLICABLE
            n_flag = num.flagged(key) if num is not None else False
            if method == "proportion":
                d = den.shown(key) if den is not None and den.has(key) else _missing_value(self.rules)
                d_flag = den.flagged(key) if den is not None else False
                value = self._rate(_f(r.value), _f(r.denominator), n_flag or d_flag, method)
            elif method == "rate":
                pop = _f(r.denominator)
                d = Shown(f"{pop:,.0f}", pop, None, "pop", "#,##0", f"{pop:.0f}") if pop else NOT_APPLICABLE
                value = self._rate(_f(r.value), pop, n_flag, method)
            else:  # count, mean (a month's value is the count itself)
                d = NOT_APPLICABLE
                value = n
            out.append(MonthRow(m, value, n, d))
        return out

    def _wards(self, method: str, ward_rows: pd.DataFrame, num: CountSystem | None, den: CountSystem | None,
               v: dict, pv: dict) -> list[WardRow]:
        if ward_rows.empty or num is None:
            return []
        rules = self.rules
        rows: list[WardRow] = []

        def shown(system: CountSystem | None, key: tuple) -> Shown:
            return system.shown(key) if system is not None and system.has(key) else NOT_APPLICABLE

        def flagged(system: CountSystem | None, key: tuple) -> bool:
            return system.flagged(key) if system is not None else False

        entries = [(r.area_code, self.snap.ward_names.get(r.area_code, r.area_code), r) for r in ward_rows.itertuples()]
        entries.append(("", "Not placed in a ward", None))
        for code, name, r in entries:
            ck, pk = (("ward", code, "cur"), ("ward", code, "prev")) if r is not None else (
                ("ward_rem", "cur"), ("ward_rem", "prev"))
            if not num.has(ck):
                continue
            count, prev = shown(num, ck), shown(num, pk)
            base, prev_base = shown(den, ck), shown(den, pk)
            if method == "proportion" and r is not None:
                value = self._rate(_f(r.value), _f(r.denominator), flagged(num, ck) or flagged(den, ck), method)
            elif method == "proportion":
                nv, dv = num.value(ck), den.value(ck) if den is not None else None
                value = self._rate(100 * nv / dv if dv else None, dv, flagged(num, ck) or flagged(den, ck), method)
            elif method == "rate" and r is not None:
                value = self._rate(_f(r.value), _f(r.denominator), flagged(num, ck), method)
            else:
                value = count
            if num.has(pk):
                text, sup = suppress_change(num.value(ck), num.value(pk), rules,
                                            current_suppressed=flagged(num, ck), previous_suppressed=flagged(num, pk))
                change = self._change_shown(text, sup, float(num.value(ck) - num.value(pk)), "+#,##0;-#,##0;0")
            else:
                change = _missing_value(rules, "change")
            rows.append(WardRow(code, name, value, count, base, prev, prev_base, change,
                                float(num.value(ck)), is_remainder=r is None))
        named = sorted((w for w in rows if not w.is_remainder), key=lambda w: (-w.sort_key, w.name))
        return named + [w for w in rows if w.is_remainder]

    def _story(self, pid: str, iid: str) -> Markup | None:
        text = self.notes.get(iid)
        if isinstance(text, dict):
            text = text.get(pid, text.get("default"))
        if text is None or not str(text).strip():
            return None
        return render_note(str(text), self.rules, self.warnings, iid)

    def _chart(self, card: IndicatorCard, monthly: pd.DataFrame, num: CountSystem | None,
               den: CountSystem | None) -> None:
        paths = self.charts.get((card.priority_id, card.indicator_id))
        forecast = _forecast_from(paths, monthly, card.method) if card.window_type == "12m" else pd.DataFrame()
        if not forecast.empty:
            card.forecast = [{"month": _as_date(r.month), "forecast": float(r.forecast), "lower": float(r.lower),
                              "upper": float(r.upper), "method": str(r.method)} for r in forecast.itertuples()]
            first, last = card.forecast[0]["month"], card.forecast[-1]["month"]
            card.forecast_note = (f"Baseline ‘if we stay on our current course’: {_range(first, last)}, "
                                  f"{FORECAST_METHODS.get(card.forecast[0]['method'], card.forecast[0]['method'])} "
                                  f"(dashed line and shaded 95% prediction interval on the chart; values in "
                                  f"indicators.xlsx, Forecast sheet).")
        elif card.window_type == "12m":
            card.forecast_note = "Too little history for a baseline forecast."
        if card.window_type != "12m":
            card.chart_note = "Survey indicators are measured in waves, so there is no monthly SPC chart."
            return
        if not paths or not Path(paths.get("png", "")).exists():
            card.chart_note = "No SPC chart for this indicator this period." + (
                f" {self.spc_note}" if self.spc_note and not self.spc else "")
            return
        withheld = any(m.value.suppressed or m.numerator.suppressed or m.denominator.suppressed for m in card.months)
        if withheld:
            card.chart_note = ("Chart withheld: some months of this series are small numbers, and a point on a "
                               "chart shows its value. The SPC icon above is still computed from the full series; "
                               "the monthly figures, with small numbers suppressed, are in indicators.xlsx (Data).")
            return
        card.chart_png = Path(paths["png"])
        card.chart_b64 = base64.b64encode(card.chart_png.read_bytes()).decode("ascii")
        card.chart_alt = (f"Statistical process control chart of {card.label}, monthly, with the mean, process "
                          f"limits and the baseline forecast. The figures are in the table above and in the "
                          f"workbook.")
        card.chart_files = [str(paths[k]) for k in ("png", "svg", "forecast_csv") if paths.get(k)]


# =============================================================================== survey section


SURVEY_QUESTIONS = {
    "q_safe_home": "Safe in own home",
    "q_safe_day": "Safe walking alone in the day",
    "q_safe_night": "Safe walking alone after dark",
    "q_worry_burglary": "Worried about having home broken into",
    "q_worry_assault": "Worried about being physically attacked",
    "q_worry_car_theft": "Worried about having car stolen",
    "q_worry_fraud": "Worried about fraud or identity theft",
    "q_worry_pestered": "Worried about being pestered or insulted",
}
SURVEY_ANSWERS = {
    "very_or_fairly_safe": "Very or fairly safe",
    "very_safe": "Very safe",
    "unsafe_or_very_unsafe": "Fairly or very unsafe",
    "very_or_somewhat_worried": "Very or fairly worried",
}
SURVEY_GROUPS = {
    ("sex", "female"): "Women", ("sex", "male"): "Men",
    ("ethnic_group", "bme"): "BME residents", ("ethnic_group", "white"): "White residents",
    ("disability", "disabled"): "Disabled residents", ("disability", "not_disabled"): "Residents without a disability",
    ("economic_activity", "economically_active"): "Economically active",
    ("economic_activity", "economically_inactive"): "Economically inactive",
}
SURVEY_PRIORITIES = {"domestic_abuse"}  # shown on these cards even without a survey indicator


def _survey_group_label(breakdown: str, value: str, ward_names: Mapping[str, str]) -> str:
    if (breakdown, value) in SURVEY_GROUPS:
        return SURVEY_GROUPS[(breakdown, value)]
    if breakdown == "age_band":
        return f"Aged {value}"
    if breakdown == "ward":
        return ward_names.get(value, value)
    return f"{breakdown.replace('_', ' ').capitalize()}: {str(value).replace('_', ' ')}"


def _survey_section(snap: Snapshot, month_end: date, rules: DisclosureRules) -> dict[str, Any]:
    """Appendix-4 style table of the latest survey wave on or before the report month.

    One row per question x answer group (breakdown 'all'); differences against the rest of the
    respondents listed only when over 8 points AND significant. Percentages on an unweighted base
    under ``rules.min_base_for_rate`` are '*'; respondent counts go through the count rule.
    """
    est = snap.survey_estimates
    if est.empty:
        return {"available": False, "note": "Resident survey: no survey estimates in this warehouse "
                "(marts.survey_estimates), so this section is not shown."}
    est = est[est["wave"].astype(int) <= month_end.year]
    if est.empty:
        return {"available": False, "note": f"Resident survey: no survey wave on or before {month_end.year}."}
    wave = int(est["wave"].max())
    est = est[est["wave"].astype(int) == wave]
    diffs = snap.survey_differences
    if not diffs.empty:
        diffs = diffs[(diffs["wave"].astype(int) == wave) & diffs["over_8_points"].fillna(False).astype(bool)
                      & diffs["significant"].fillna(False).astype(bool)]

    def pct(value: Any, base: Any) -> Shown:
        v, n = _f(value), _f(base)
        if v is None or n is None:
            return _missing_value(rules, "rate")
        text, suppressed = suppress_rate(v, n, rules, fmt=lambda x: f"{x:.1f}%")
        return _withheld(text, FLAG_BASE, "rate") if suppressed else Shown(text, round(v, 6), None, "rate", "0.0",
                                                                            f"{v:.1f}")

    order_q = list(SURVEY_QUESTIONS)
    order_a = list(SURVEY_ANSWERS)
    est = est.assign(_q=est["question_id"].map(lambda q: order_q.index(q) if q in order_q else len(order_q)),
                     _a=est["answer_group"].map(lambda a: order_a.index(a) if a in order_a else len(order_a)))
    rows = []
    for r in est.sort_values(["_q", "question_id", "_a", "answer_group"]).itertuples():
        value = pct(r.estimate_pct, r.n)
        shown = value.number is not None
        lo, hi, moe = _f(r.ci_lower), _f(r.ci_upper), _f(r.margin_of_error)
        ci = f"{lo:.1f}% to {hi:.1f}%" if shown and lo is not None and hi is not None else "–"
        moe_text = f"±{moe:.1f} pts" if shown and moe is not None else "–"
        groups = []
        if shown and not diffs.empty:
            part = diffs[(diffs["question_id"] == r.question_id) & (diffs["answer_group"] == r.answer_group)]
            for d in part.sort_values(["breakdown", "group_value"]).itertuples():
                base = getattr(d, "n", None)
                if _f(base) is not None and _f(base) < rules.min_base_for_rate:
                    continue  # a group percentage on a small base is not published
                gp, rp, dp = _f(d.estimate_pct), _f(d.comparison_pct), _f(d.difference_points)
                if gp is None or rp is None or dp is None:
                    continue
                sign = "−" if dp < 0 else "+"
                groups.append(f"{_survey_group_label(str(d.breakdown), str(d.group_value), snap.ward_names)} "
                              f"{gp:.1f}% vs rest {rp:.1f}% ({sign}{abs(dp):.1f} pts)")
        rows.append({"question_id": str(r.question_id),
                     "question": SURVEY_QUESTIONS.get(str(r.question_id), str(r.question_id)),
                     "answer": SURVEY_ANSWERS.get(str(r.answer_group), str(r.answer_group).replace("_", " ")),
                     "answer_group": str(r.answer_group), "value": value, "ci": ci, "moe": moe_text,
                     "n": _count_shown(r.n, rules), "differences": groups})
    weighting: dict[str, Any] | None = None
    w = snap.survey_weighting
    if not w.empty and (w["wave"].astype(int) == wave).any():
        row = w[w["wave"].astype(int) == wave].iloc[0]
        n_weighted = _whole(row["n_weighted"]) if _f(row["n_weighted"]) is not None else None
        deff, moe_design = _f(row.get("design_effect")), _f(row.get("margin_of_error_p50"))
        srs = 100 * 1.96 * math.sqrt(0.25 / n_weighted) if n_weighted else None
        weighting = {"vintage": str(row["target_vintage"]), "scheme": str(row.get("scheme") or "age_sex"),
                     "n_responses": _count_shown(row.get("n_responses"), rules),
                     "n_weighted": _count_shown(row["n_weighted"], rules),
                     "n_dropped": _count_shown(row["n_dropped"], rules),
                     "design_effect": f"{deff:.2f}" if deff is not None else "–",
                     "moe_srs": f"±{srs:.1f}" if srs is not None else "–",
                     "moe_design": f"±{moe_design:.1f}" if moe_design is not None else "–"}
    return {"available": True, "wave": wave, "rows": rows, "weighting": weighting, "note": ""}


# =============================================================================== peer chart


PEER_HOME_COLOUR = "#005eb8"  # NHS blue
PEER_OTHER_COLOUR = "#aeb7bd"
PEER_MIN_AREAS = 3


def _peer_chart(group: dict[str, Any], area_name: str) -> None:
    """Sorted horizontal bar chart ("ski slope") of the peer rates, into group['chart_b64'].

    An area whose rate is withheld (its count is suppressed) is not drawn: a bar shows a rate and,
    with the population, the count. Drawn only when at least three areas have a rate.
    """
    import io

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from reporting.charts import _RC

    drawn = [a for a in group["areas"] if a["rate"].number is not None and not a["rate"].suppressed]
    omitted = [a["name"] for a in group["areas"] if a not in drawn]
    group["chart_b64"], group["chart_alt"] = None, ""
    group["chart_note"] = ("Not drawn on the chart (rate withheld for disclosure control): "
                           + ", ".join(omitted) + "." if omitted else "")
    if len(drawn) < PEER_MIN_AREAS:
        group["chart_note"] = (f"No peer chart: fewer than {PEER_MIN_AREAS} areas have a rate that can be shown."
                               + (" " + group["chart_note"] if omitted else ""))
        return
    drawn = sorted(drawn, key=lambda a: (a["rate"].number, a["name"]))
    title = f"{area_name} vs {group['group']} districts"
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(8, 0.45 * len(drawn) + 1.4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(len(drawn)))
        values = [a["rate"].number for a in drawn]
        colours = [PEER_HOME_COLOUR if a["home"] else PEER_OTHER_COLOUR for a in drawn]
        ax.barh(ys, values, color=colours, height=0.65, zorder=2)
        for y, a in zip(ys, drawn, strict=True):
            lo, hi = a.get("ci_lower"), a.get("ci_upper")
            if lo is not None and hi is not None:
                ax.errorbar([a["rate"].number], [y], xerr=[[a["rate"].number - lo], [hi - a["rate"].number]],
                            fmt="none", ecolor="#231f20", elinewidth=1, capsize=3, zorder=3)
        peer = group["peer_value"]
        if peer.number is not None and not peer.suppressed:
            ax.axvline(peer.number, color="#231f20", linestyle="--", linewidth=1.2, zorder=4,
                       label=f"Peer value ({peer.text})")
            ax.legend(loc="lower right", frameon=False)
        ax.set_yticks(ys)
        ax.set_yticklabels([a["name"] + (" (this CSP)" if a["home"] else "") for a in drawn])
        for label, a in zip(ax.get_yticklabels(), drawn, strict=True):
            if a["home"]:
                label.set_fontweight("bold")
                label.set_color(PEER_HOME_COLOUR)
        ax.set_xlabel("Rate per 1,000 residents (bars: 95% confidence interval)")
        ax.set_xlim(left=0)
        ax.grid(axis="x", color="#e8edee", zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_title(title, loc="left", fontsize=11)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    group["chart_b64"] = base64.b64encode(buf.getvalue()).decode("ascii")
    group["chart_title"] = title
    group["chart_alt"] = (f"Bar chart: {title}, rate per 1,000 residents by area, lowest at the bottom, with "
                          f"confidence intervals and the peer value as a dashed line; this CSP's bar is blue. "
                          f"The figures are in the table above.")


# =============================================================================== notes


_COUNT_MARKUP = re.compile(r"\[\[\s*(\d[\d,]*)\s*\]\]")


def load_notes(notes_dir: Path | None, period: str, known_ids: set[str], warnings: list[str]) -> dict[str, Any]:
    """The analyst's per-period notes (see the module docstring); {} when there is no file."""
    if notes_dir is None:
        return {}
    path = Path(notes_dir) / f"{period}.yml"
    if not path.exists():
        alt = path.with_suffix(".yaml")
        if not alt.exists():
            return {}
        path = alt
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"notes file {path.name}: not valid YAML ({error})") from error
    if not isinstance(data, dict):
        # ValueError, not TypeError: a problem in the analyst's file, told as a sentence.
        raise ValueError(f"notes file {path.name}: expected a mapping of indicator id to text, "  # noqa: TRY004
                         f"got {type(data).__name__}")
    out: dict[str, Any] = {}
    for key, text in data.items():
        key = str(key)
        if key not in known_ids:
            warnings.append(f"notes file {path.name}: '{key}' is not an indicator of this plan; its text is not shown")
            continue
        if isinstance(text, dict):
            out[key] = {str(k): str(v) for k, v in text.items() if v is not None}
        elif text is not None:
            out[key] = str(text)
    return out


def render_note(text: str, rules: DisclosureRules, warnings: list[str], indicator_id: str) -> Markup:
    """Escaped paragraphs; [[n]] counts go through the small-count rule."""
    bare = [t for t in re.findall(r"(?<![\d.\[])\b(\d+)\b(?![\d.\]%])", _COUNT_MARKUP.sub(" ", text))
            if rules.is_small(int(t))]
    if bare:
        warnings.append(f"notes for {indicator_id}: the text has bare numbers {sorted(set(bare))}; "
                        f"write counts as [[n]] so small ones are suppressed")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    html = []
    for p in paragraphs:
        escaped = str(escape(p)).replace("\n", " ")

        def count(match: re.Match) -> str:
            try:
                n = int(match.group(1).replace(",", ""))
            except ValueError:
                return match.group(0)
            s = _count_shown(n, rules)
            flag = f' data-suppressed="{s.flag}" title="{FLAG_TITLES[s.flag]}"' if s.suppressed else ""
            return f'<span class="count{" suppressed" if s.suppressed else ""}"{flag}>{escape(s.text)}</span>'

        html.append(f"<p>{_COUNT_MARKUP.sub(count, escaped)}</p>")
    return Markup("".join(html))


# =============================================================================== writing


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["mon"] = lambda d: _mon(d) if d else ""
    return env


CSV_COLUMNS = [
    "plan_year", "period", "priority_id", "outcome_id", "indicator_id", "indicator", "kind", "tag", "method",
    "unit", "aim", "area_type", "area_code", "area_name", "window", "period_start", "period_end",
    "value", "value_flag", "numerator", "numerator_flag", "denominator", "denominator_flag",
    "previous_value", "previous_value_flag", "previous_numerator", "previous_numerator_flag",
    "previous_denominator", "previous_denominator_flag", "change", "change_flag", "change_pct",
    "change_pct_flag", "ci_lower", "ci_upper", "ci_flag", "status", "spc_variation", "spc_assurance",
    "trend_direction", "trend_periods", "baseline_pct_change", "baseline_flag", "recording_change",
    "data_quality",
]
CSV_COUNT_COLUMNS = ["numerator", "denominator", "previous_numerator", "previous_denominator"]


def _csv_rows(card: IndicatorCard, info: PlanInfo, period: str, area_code: str, area_name: str) -> list[dict]:
    def put(row: dict, name: str, s: Shown) -> None:
        row[name] = s.csv
        row[f"{name}_flag"] = s.flag or ""

    base = {"plan_year": info.plan_year, "period": period, "priority_id": card.priority_id,
            "outcome_id": card.outcome_id, "indicator_id": card.indicator_id, "indicator": card.label,
            "kind": card.kind, "tag": card.tag or "", "method": card.method, "unit": card.unit, "aim": card.aim}
    rows = []
    if card.value.flag == FLAG_MISSING and card.window_range == "no data":
        return rows
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
    row["spc_variation"] = card.variation.key if card.variation else ""
    row["spc_assurance"] = card.assurance.key if card.assurance else ""
    row["trend_direction"] = {1: "up", -1: "down", 0: "flat"}.get(card.trend.direction, "")
    row["trend_periods"] = str(card.trend.periods) if card.trend.direction is not None else ""
    row["baseline_pct_change"] = card.baseline.csv
    row["baseline_flag"] = card.baseline.flag or ""
    row["recording_change"] = "yes" if card.recording_warning else "no"
    row["data_quality"] = card.dq_note
    rows.append(row)
    for w in card.wards:
        wrow = dict(base, area_type="ward" if not w.is_remainder else "not_placed", area_code=w.code,
                    area_name=w.name, window="12m", period_start=row["period_start"], period_end=row["period_end"])
        put(wrow, "value", w.value)
        put(wrow, "numerator", w.count)
        put(wrow, "denominator", w.base)
        put(wrow, "previous_numerator", w.prev_count)
        put(wrow, "previous_denominator", w.prev_base)
        put(wrow, "change", w.change)
        rows.append(wrow)
    return rows


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in CSV_COLUMNS})


def _write_manifest(folder: Path, entries: list[dict]) -> Path:
    path = folder / MANIFEST_NAME
    path.write_text(json.dumps({"files": entries, "note": "count_columns lists every column that holds "
                                "counts; every HTML count is in an element with class 'count'."}, indent=2),
                    encoding="utf-8")
    return path


def _tally(cards: Sequence[IndicatorCard]) -> dict[str, int]:
    out = {k: 0 for k in STATUS}
    for c in cards:
        out[c.status if c.status in out else "not_assessed"] += 1
    out["total"] = len(cards)
    return out


def _swap_into_place(building: Path, target: Path) -> None:
    """Replace target with building: rename aside, rename in, delete the old one."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(target, old)
    os.replace(building, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# =============================================================================== entry point


def publish_reports(warehouse_path: Path, reports_dir: Path, period: str, plan_year: str, area_code: str,
                    notes_dir: Path | None = None, rules: DisclosureRules = DEFAULT_RULES) -> dict:
    """Write every report for one month under reports_dir/<period>/; return files and priorities."""
    started = time.perf_counter()
    month_start, month_end = parse_period(period)
    warehouse_path, reports_dir = Path(warehouse_path), Path(reports_dir)
    if not warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse_path}: run the monthly flow (or make demo) first")
    log.info("publishing reports: period %s, plan year %s, area %s, warehouse %s, rules %s",
             period, plan_year, area_code, warehouse_path, rules)
    warnings: list[str] = []
    timings: dict[str, float] = {}
    reports_dir.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{period}.building-", dir=reports_dir))
    building.chmod(0o755)  # mkdtemp makes it private; reports are for sharing
    work = Path(tempfile.mkdtemp(prefix="csp-charts-"))
    con = duckdb.connect(str(warehouse_path), read_only=True)
    spc_con = None
    try:
        snap = _read_snapshot(con, plan_year, area_code, month_end)
        warnings += snap.notes
        info = _plan_info(plan_year, snap.catalogue)
        dq = _data_quality(snap, info, period, month_start, rules)
        timings["read"] = time.perf_counter() - started

        t = time.perf_counter()
        spc_con, spc_note = _spc_source(con, snap, plan_year, area_code, month_start)
        if spc_con is None:
            warnings.append(spc_note)
        spc = _spc_summary(spc_con, plan_year, area_code)
        charts = _render_charts(spc_con, work, plan_year, area_code, warnings)
        timings["spc_and_charts"] = time.perf_counter() - t

        notes = load_notes(notes_dir, period, set(snap.catalogue["indicator_id"]), warnings)
        log.info("SPC: %s", spc_note)
        card_spc_note = (f"SPC not available: {spc_note}" if spc_con is None
                         else "" if spc else "SPC not available: no SPC series for this plan year.")
        builder = _Builder(snap, info, period, month_start, month_end, area_code, rules, dq, spc,
                           card_spc_note, charts, notes, warnings)
        t = time.perf_counter()
        priorities: list[PriorityCard] = []
        for p in info.priorities:
            rows = snap.catalogue[snap.catalogue["priority_id"] == p["id"]]
            outcomes = []
            for number, o in enumerate(p["outcomes"], start=1):
                cat_rows = rows[rows["outcome_id"] == o["id"]]
                cards = [builder.indicator(r) for _, r in cat_rows.iterrows()]
                outcomes.append(OutcomeCard(o["id"], number, o["statement"], bool(o["draft"]), o["note"], cards))
            card = PriorityCard(p["id"], p["title"], p["kind"], p["leads"], outcomes, {})
            card.tally = _tally(card.indicators)
            priorities.append(card)
        timings["cards"] = time.perf_counter() - t

        t = time.perf_counter()
        env = _env()
        generated = datetime.now().strftime("%d %B %Y %H:%M")
        survey = _survey_section(snap, month_end, rules)
        survey_priorities = SURVEY_PRIORITIES | set(
            snap.catalogue.loc[snap.catalogue["method"] == "survey_share", "priority_id"])
        common = {"survey": survey, "info": info, "period": period, "period_label": month_start.strftime("%B %Y"),
                  "month_end": month_end, "area_code": area_code, "area_name": snap.area_name, "rules": rules,
                  "explanation": rules.explanation, "generated": generated, "dq": dq, "flag_titles": FLAG_TITLES,
                  "tags": TAGS, "statuses": STATUS, "top_n": WARD_TOP_N, "spc_note": spc_note,
                  "plan_started": builder.plan_started, "baseline_end": builder.baseline_end}
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
                card=card, show_survey=card.priority_id in survey_priorities, **common)
            (folder / "report_card.html").write_text(html, encoding="utf-8")
            entries.append({"path": "report_card.html"})
            entries.append(workbooks.write_priority_workbook(folder / "indicators.xlsx", card, common))
            csv_rows = [r for ind in card.indicators for r in _csv_rows(ind, info, period, area_code, snap.area_name)]
            _write_csv(folder / "indicators.csv", csv_rows)
            entries.append({"path": "indicators.csv", "count_columns": CSV_COUNT_COLUMNS})
            _write_manifest(folder, entries)
            root_entries += [dict(e, path=f"{card.priority_id}/{e['path']}") for e in entries]

        all_cards = [c for p in priorities for c in p.indicators]
        html = env.get_template("committee_summary.html.j2").render(priorities=priorities, cards=all_cards, **common)
        (building / "committee_summary.html").write_text(html, encoding="utf-8")
        root_entries.append({"path": "committee_summary.html"})
        root_entries.append(workbooks.write_committee_workbook(building / "committee_summary.xlsx", priorities, common))
        html = env.get_template("data_quality.html.j2").render(**common)
        (building / "data_quality.html").write_text(html, encoding="utf-8")
        root_entries.append({"path": "data_quality.html"})
        _write_manifest(building, root_entries)
        timings["write"] = time.perf_counter() - t

        t = time.perf_counter()
        problems = [m for manifest in sorted(building.rglob(MANIFEST_NAME)) for m in scan_manifest(manifest, rules)]
        timings["disclosure_scan"] = time.perf_counter() - t
        if problems:
            raise DisclosureCheckError("reports not published: the disclosure scan found "
                                       f"{len(problems)} problem(s): " + "; ".join(problems[:10]))
        target = reports_dir / period
        _swap_into_place(building, target)
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
                         "refused": [{"source": r["source"], "file": r["file_name"], "reason": r["reason"]}
                                     for r in dq["refused"]]},
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
