"""The OBA action plan of an outcome on its report card: actions, partners, what works.

Actions come from marts.plan_actions (the plan's wording plus the latest progress a lead sent);
partners and "what works" notes from the plan file. Overdue is judged against the card's own period
with the mart's rule (transforms.actions.is_overdue), so a card for an earlier month is not judged
by a later one. The by-when is shown as the plan writes it, with the date it is read as labelled as
an interpretation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from transforms.actions import NO_UPDATE, is_overdue
from transforms.definitions import Outcome, Partner, Plan, WhatWorks, project_definitions

STATUS_CSS = {"Complete": "status-improving", "In progress": "status-nochange", "Not started": "status-notassessed",
              "Delayed": "status-worsening", NO_UPDATE: "status-notassessed"}


@dataclass
class ActionRow:
    action_id: str
    text: str
    lead_agency: str
    by_when: str
    due: date
    due_note: str  # how the by-when is read, said as an interpretation ("" when the plan gives the date)
    status: str
    status_css: str
    note: str
    updated_on: date | None
    overdue: bool
    draft: bool


@dataclass
class OutcomePlan:
    actions: list[ActionRow] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    what_works: list[WhatWorks] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.actions or self.partners or self.what_works)


def read_plan_actions(con: duckdb.DuckDBPyConnection, area_code: str, relations: set[str]) -> pd.DataFrame:
    if "marts.plan_actions" not in relations:
        return pd.DataFrame()
    return con.execute("select * from marts.plan_actions where area_code = ? order by action_id", [area_code]).df()


def _plan_outcome(plan_year: str, outcome_id: str) -> Outcome | None:
    plan: Plan | None = project_definitions()[2].get(plan_year)
    if plan is None:
        return None
    return next((o for p in plan.priorities for o in p.outcomes if o.id == outcome_id), None)


def _date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date()  # type: ignore[arg-type]


def outcome_plan(actions: pd.DataFrame, plan_year: str, outcome_id: str, period_end: date) -> OutcomePlan:
    """The outcome's actions (latest progress, overdue at `period_end`), partners and what-works notes."""
    outcome = _plan_outcome(plan_year, outcome_id)
    if outcome is None:
        return OutcomePlan()
    by_id = {str(r.action_id): r for r in actions.itertuples()} if not actions.empty else {}
    rows = []
    for action in outcome.actions:
        r = by_id.get(action.id)
        status = str(r.status) if r is not None else NO_UPDATE
        note = str(r.latest_note) if r is not None and isinstance(r.latest_note, str) else ""
        due = action.by_when.due
        interpretation = action.by_when.interpretation
        due_note = (f"Read as {due.day} {due.strftime('%B %Y')} (an interpretation: {interpretation})"
                    if interpretation else "")
        rows.append(ActionRow(action.id, action.text, action.lead_agency, action.by_when.as_written, due, due_note,
                              status, STATUS_CSS.get(status, "status-notassessed"), note,
                              _date(r.latest_update_on) if r is not None else None,
                              is_overdue(due, status, period_end), action.draft))
    return OutcomePlan(rows, list(outcome.partners), list(outcome.what_works))
