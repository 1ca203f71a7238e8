"""A plan written for one partnership, applied to another area: say so on every page.

The plans in plans/ belong to one CSP (`area_code` in the plan file). When the force run publishes
reports for the other districts of the force with that plan's priorities, the header must not call
them that partnership's plan: it names the area and whose plan the priorities come from.
"""

from __future__ import annotations

import dataclasses

from reporting.snapshot import PlanInfo
from transforms.definitions import load_plans


def for_area(info: PlanInfo, area_code: str, area_name: str) -> PlanInfo:
    """info unchanged for the plan's own area; else headed with the area and the borrowed plan."""
    try:
        plan = load_plans().get(info.plan_year)
    except Exception:  # noqa: BLE001 - plan_info already fell back to the catalogue
        plan = None
    if plan is None or plan.area_code == area_code:
        return info
    leads = f"Not named for {area_name} (the plan's leads are the {plan.partnership}'s)"
    return dataclasses.replace(
        info, priorities=[dict(priority, leads=leads) for priority in info.priorities], partnership=f"{area_name} ({area_code})",
        title=(f"indicators of the {plan.title} priorities (the {plan.partnership}'s plan, applied to "
               f"{area_name}: not {area_name}'s own plan)"))
