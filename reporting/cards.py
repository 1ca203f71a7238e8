"""The card model: what one indicator, outcome and priority card shows (every figure already
disclosure-controlled), read by the HTML templates, the workbooks and the CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reporting.actions import OutcomePlan
from reporting.figures import COUNT_METHODS, NOT_APPLICABLE, Shown
from reporting.ranking import WITHHELD_ORDER_NOTE, top_n

__all__ = ["AIMS", "STATUS", "TAGS", "WARD_TOP_N", "Badge", "IndicatorCard", "MonthRow", "OutcomeCard",
           "PriorityCard", "Trend", "WardRow", "tally", "ward_withheld"]

WARD_TOP_N = 10
STATUS = {
    "improving": ("Improving", "status-improving"),
    "worsening": ("Worsening", "status-worsening"),
    "no_significant_change": ("No significant change", "status-nochange"),
    "within_expected_range": ("Within the expected range", "status-nochange"),
    "not_assessed": ("Not assessed", "status-notassessed"),
}
TAGS = {"how_much": "How much did we do?", "how_well": "How well did we do it?",
        "better_off": "Is anyone better off?", None: "Other performance measures"}
AIMS = {"increase": "Increase (higher is better)", "decrease": "Decrease (lower is better)"}


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
    # False when the latest window mixes two recording practices: no trend is stated.
    comparable: bool = True


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


def ward_withheld(w: WardRow) -> bool:
    """A ward row ranks by its count: withheld when the count or the value shown for it is."""
    return w.count.suppressed or w.value.suppressed


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
    ward_map: Any = None  # reporting.maps.WardMap: the ward choropleth, hotspots and its text table
    chart_note: str = ""
    chart_data: list[dict[str, Any]] = field(default_factory=list)  # the points behind the SPC chart
    forecast: list[dict[str, Any]] = field(default_factory=list)
    forecast_note: str = ""
    wards: list[WardRow] = field(default_factory=list)
    ward_note: str = ""
    ward_vintage: str = ""  # words naming the ward boundaries (reporting.snapshot.ward_vintage_label)
    public_label: str = ""  # 'public data from data.police.uk': made only from public sources, not suppressed
    months: list[MonthRow] = field(default_factory=list)
    period_start: date | None = None
    period_end: date | None = None
    count_change: Shown = NOT_APPLICABLE
    peers: list[dict[str, Any]] = field(default_factory=list)
    peer_note: str = ""
    # The one plain-English reading of status, SPC and trend together (reporting.signals).
    message: str = ""
    reconciliation: str = ""
    change_unit: str = ""
    relative_unit: str = ""
    expected_range: str = ""
    reference_note: str = ""  # synthetic population estimates behind its rates and peer ranks
    interpretation: str = ""  # how the plan's wording is read (the indicator definition's `interpretation`)

    @property
    def is_count(self) -> bool:
        return self.method in COUNT_METHODS

    @property
    def top_wards(self) -> list[WardRow]:
        return top_n([w for w in self.wards if not w.is_remainder], ward_withheld, WARD_TOP_N)

    @property
    def ward_order_note(self) -> str:
        """Said under the ward table when it holds a withheld ward (reporting.ranking)."""
        return WITHHELD_ORDER_NOTE if any(ward_withheld(w) for w in self.top_wards) else ""



@dataclass
class OutcomeCard:
    outcome_id: str
    number: int
    statement: str
    draft: bool
    note: str
    indicators: list[IndicatorCard]
    plan: OutcomePlan = field(default_factory=OutcomePlan)  # actions, partners, what works (reporting.actions)

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



def tally(cards: Sequence[IndicatorCard]) -> dict[str, int]:
    out = {k: 0 for k in STATUS}
    for c in cards:
        out[c.status if c.status in out else "not_assessed"] += 1
    out["total"] = len(cards)
    return out

