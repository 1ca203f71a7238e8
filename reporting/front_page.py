"""The committee pack's front page: what needs the committee's attention, on one A4 page.

Three lists, each item with one line of why:

* **Indicators worsening or with a special-cause concern**: the card's status is "worsening"
  (significant change against the aim, latest 12 months vs the 12 before) or the latest month's
  Making Data Count variation icon is a special-cause concern (reporting.signals reads the same two).
* **Missing or late data**: the sources ``marts.source_coverage`` finds missing, late or with
  months missing (reporting.data_quality / transforms.coverage, step 9), and files refused this
  period, with the indicators each affects.
* **Actions overdue**: rows of ``marts.plan_actions`` (the OBA action plans) with ``is_overdue``.
  When that table is absent, or holds no action for this area and plan year, the page says "No
  action plan has been loaded for this area" rather than "nothing overdue".

Each list shows at most ``LIMITS[...]`` items so the page always fits one A4 page; the rest are
counted ("and 3 more: ...") and are all in the tables that follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb

from reporting.cards import IndicatorCard, PriorityCard
from reporting.months import short_month

__all__ = ["LIMITS", "NO_ACTION_PLAN", "ActionPlanState", "FrontItem", "FrontPage", "build_front_page",
           "read_plan_actions"]

LIMITS = {"indicators": 6, "data": 4, "actions": 3}
NOTE_CHARS = 140  # a longer progress note is cut here and read in full on the card
NO_ACTION_PLAN = "No action plan has been loaded for this area"
_ACTION_COLUMNS = ("area_code", "plan_year", "priority_id", "outcome_id", "action_id", "action_text",
                   "lead_agency", "by_when_label", "due_date", "status", "latest_note", "latest_update_on",
                   "is_overdue")


@dataclass(frozen=True)
class FrontItem:
    title: str
    why: str
    href: str = ""
    css: str = ""
    tag: str = ""  # a one- or two-word label in a pill before the title


@dataclass
class ActionPlanState:
    """The action plan as read from the warehouse: loaded (any action for the area) and the overdue ones."""

    loaded: bool
    total: int = 0
    overdue: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FrontPage:
    indicators: list[FrontItem]
    indicators_more: int
    indicators_total: int
    data: list[FrontItem]
    data_more: int
    actions: list[FrontItem]
    actions_more: int
    actions_note: str


def read_plan_actions(con: duckdb.DuckDBPyConnection, plan_year: str, area_code: str) -> ActionPlanState:
    """The area's actions from ``marts.plan_actions`` (not loaded when the table does not exist)."""
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'marts' "
                         "and table_name = 'plan_actions'").fetchone()
    if not exists or not exists[0]:
        return ActionPlanState(loaded=False)
    rows = con.execute(f"""
        select {", ".join(_ACTION_COLUMNS)}
        from marts.plan_actions
        where area_code = ? and plan_year = ?
        order by due_date nulls last, priority_id, action_id
    """, [area_code, plan_year]).fetchall()
    actions = [dict(zip(_ACTION_COLUMNS, row, strict=True)) for row in rows]
    return ActionPlanState(loaded=bool(actions), total=len(actions),
                           overdue=[a for a in actions if a["is_overdue"]])


def _is_concern(card: IndicatorCard) -> bool:
    return card.variation is not None and card.variation.key.startswith("special_cause_concern")


def indicator_why(card: IndicatorCard, month: date) -> str:
    """One line: the significant change against the aim and/or the latest month's SPC concern."""
    parts = []
    if card.status == "worsening":
        unit = f" {card.unit}" if card.unit and card.method != "proportion" else ""
        change = f", {card.change_pct.text}" if card.change_pct.text not in ("", "–") else ""
        parts.append(f"Worsening: {card.value.text}{unit} in the {card.window_label} against "
                     f"{card.previous.text} the year before{change} (significant)")
    if _is_concern(card) and card.variation is not None:
        side = "high" if card.variation.key.endswith("_high") else "low"
        parts.append(f"SPC special-cause concern in {short_month(month)}: unusually {side} for this series")
    return "; ".join(parts) + "."


def _indicator_items(priorities: Sequence[PriorityCard], month: date) -> list[FrontItem]:
    items = []
    for p in priorities:
        for card in p.indicators:
            if card.status == "worsening" or _is_concern(card):
                draft = " (draft aim)" if card.draft else ""
                worse = card.status == "worsening"
                items.append(FrontItem(f"{card.label}{draft} · {p.title}", indicator_why(card, month),
                                       f"{p.priority_id}/report_card.html#ind-{card.indicator_id}",
                                       "status-worsening" if worse else "status-notassessed",
                                       "Worsening" if worse else "SPC concern"))
    return items


def _data_items(dq: dict[str, Any]) -> list[FrontItem]:
    items = []
    for s in dq["gaps"]:
        affected = list(s.gap.indicators) if s.gap is not None else []
        why = f"{s.state[:1].upper()}{s.state[1:]}."
        if affected:
            why += f" Affects {len(affected)} indicator{'s' if len(affected) != 1 else ''}: " + "; ".join(affected[:3])
            why += f" and {len(affected) - 3} more." if len(affected) > 3 else "."
        items.append(FrontItem(f"{s.title} ({s.publisher})", why, "data_quality.html", "status-notassessed",
                               s.gap.kind.capitalize() if s.gap is not None else "Late"))
    for r in dq["refused"]:
        why = "Refused by its checks this period, nothing from it was loaded; the figures use the files that passed."
        items.append(FrontItem(f"{r['title']}: file {r['file_name']}", why, "data_quality.html", "status-notassessed",
                               "Refused"))
    return items


def _action_items(actions: ActionPlanState, month: date) -> list[FrontItem]:
    items = []
    for a in actions.overdue:
        due = a["due_date"]
        due_text = f"due {a['by_when_label']}" + (f" ({due:%d %b %Y})" if isinstance(due, date) else "")
        updated = a.get("latest_update_on")
        when = f" ({updated:%d %b %Y})" if isinstance(updated, date) else ""
        text = str(a.get("latest_note") or "").strip().rstrip(".")
        if len(text) > NOTE_CHARS:
            text = text[:NOTE_CHARS].rsplit(" ", 1)[0] + "… (in full on the report card)"
        note = f"; latest note{when}: {text}" if text else "; no progress note received"
        items.append(FrontItem(f"{a['action_text']}", f"{a['lead_agency']}, {due_text}, status "
                               f"{str(a['status']).replace('_', ' ')} at {short_month(month)}{note}.",
                               f"{a['priority_id']}/report_card.html", "status-worsening", "Overdue"))
    return items


def build_front_page(priorities: Sequence[PriorityCard], dq: dict[str, Any], actions: ActionPlanState,
                     month: date) -> FrontPage:
    """The three lists, each capped so the page fits one A4 page (the rest counted, never dropped silently)."""
    ind, data, act = _indicator_items(priorities, month), _data_items(dq), _action_items(actions, month)
    if not actions.loaded:
        note = NO_ACTION_PLAN + "."
    elif not actions.overdue:
        note = f"No action is overdue ({actions.total} action{'s' if actions.total != 1 else ''} in the plan)."
    else:
        note = f"{len(actions.overdue)} of {actions.total} actions in the plan are overdue."
    n_i, n_d, n_a = LIMITS["indicators"], LIMITS["data"], LIMITS["actions"]
    return FrontPage(ind[:n_i], max(0, len(ind) - n_i), len(ind), data[:n_d], max(0, len(data) - n_d),
                     act[:n_a], max(0, len(act) - n_a), note)
