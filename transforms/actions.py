"""marts.plan_actions: every action of the OBA action plans (plans/*.yml) with its latest progress.

One row per action of a plan for the area. The action's text, nominated lead / agency and by-when
come from the plan file, word for word; `due_date` is the date the by-when is read as (an
interpretation when the plan gives a season or a month, e.g. "Summer 2018" read as 31 August 2018).
Status and note come from the leads' progress workbooks (source `action_progress`,
staging.stg_partnership__action_progress): the latest update per action (by update date, then the
latest file). An action no lead has reported on reads "No update received".

Overdue is judged against the reporting period: the action is due before the period's last day and
is not complete. The mart uses the warehouse's reporting month (the latest month any expected source
delivered, marts.source_coverage); a report for another month judges with the same function
against its own month (`is_overdue`).
"""

from __future__ import annotations

import calendar
from datetime import date

import duckdb
import pandas as pd

from transforms.definitions import Plan, project_definitions
from warehouse.schema import table_exists, write_table

NO_UPDATE = "No update received"
DONE_STATUSES = frozenset({"Complete"})

PLAN_ACTION_TYPES = {
    "area_code": "varchar", "plan_year": "varchar", "priority_id": "varchar", "outcome_id": "varchar",
    "action_id": "varchar", "action_text": "varchar", "lead_agency": "varchar", "by_when_label": "varchar",
    "due_date": "date", "status": "varchar", "latest_note": "varchar", "latest_update_on": "date",
    "is_overdue": "boolean",
}

_LATEST_SQL = """
    select plan_year, action_id, status, progress_note, update_date
    from staging.stg_partnership__action_progress
    qualify row_number() over (partition by plan_year, action_id order by update_date desc, _file_id desc,
                                                                       _row_number desc) = 1
"""


def is_overdue(due: date, status: str, as_of: date | None) -> bool:
    """Due before `as_of` (the last day of the reporting period) and not complete."""
    return as_of is not None and due < as_of and status not in DONE_STATUSES


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def reporting_month_end(con: duckdb.DuckDBPyConnection, area_code: str) -> date | None:
    """Last day of the latest month any expected source delivered (the span marts.source_coverage uses)."""
    if not table_exists(con, "marts", "source_coverage"):
        return None
    (latest,) = con.execute("select max(month) from marts.source_coverage where expected and delivered "
                            "and area_code = ?", [area_code]).fetchone() or (None,)
    return month_end(latest) if latest is not None else None


def plan_action_rows(plans: dict[str, Plan], area_code: str, progress: pd.DataFrame,
                     as_of: date | None) -> pd.DataFrame:
    """The mart's rows: each action of the area's plans with its latest update applied."""
    latest = {(r.plan_year, r.action_id): r for r in progress.itertuples()}
    rows = []
    for plan in plans.values():
        if plan.area_code != area_code:
            continue
        for priority, outcome, action in plan.actions():
            update = latest.get((plan.plan_year, action.id))
            status = str(update.status) if update is not None else NO_UPDATE
            rows.append({
                "area_code": plan.area_code, "plan_year": plan.plan_year, "priority_id": priority.id,
                "outcome_id": outcome.id, "action_id": action.id, "action_text": action.text,
                "lead_agency": action.lead_agency, "by_when_label": action.by_when.as_written,
                "due_date": action.by_when.due, "status": status,
                "latest_note": str(update.progress_note) if update is not None else None,
                "latest_update_on": update.update_date if update is not None else None,
                "is_overdue": is_overdue(action.by_when.due, status, as_of),
            })
    return pd.DataFrame(rows, columns=list(PLAN_ACTION_TYPES)).astype(object)


def build_plan_actions(con: duckdb.DuckDBPyConnection, area_code: str, as_of: date | None = None) -> int:
    """(Re)build marts.plan_actions; returns its row count."""
    _, _, plans = project_definitions()
    as_of = as_of or reporting_month_end(con, area_code)
    progress = con.execute(_LATEST_SQL).df()
    frame = plan_action_rows(plans, area_code, progress, as_of)
    write_table(con, "marts.plan_actions", frame, PLAN_ACTION_TYPES, order_by="plan_year, priority_id, action_id")
    return len(frame)
