"""The assessment's tables as shown: every count through disclosure control, every gap in words.

Counts of 1-4 show as "<5" with secondary suppression where a total would reveal them
(reporting.disclosure); a change, % change, change per day or significance next to a withheld count is
withheld too; a comparison that could not be made says why ("Not assessed ...").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from reporting.assessment_data import CountRow
from reporting.disclosure import (
    DEFAULT_RULES,
    DisclosureRules,
    suppress_change,
    suppress_count,
    suppress_rate,
    suppress_series_with_total,
)
from reporting.ranking import publication_order

NOT_ASSESSED = "Not assessed"
DASH = "–"


@dataclass(frozen=True)
class Cell:
    """A shown value: its text, and whether it was withheld by disclosure control."""

    text: str
    withheld: bool = False

    @property
    def number(self) -> int | float | str:
        """The value for a workbook: a number where one is shown, else the marker text."""
        plain = self.text.replace(",", "")
        try:
            return int(plain)
        except ValueError:
            return self.text


@dataclass(frozen=True)
class ShownRow:
    """One line of a window table, ready for HTML and XLSX."""

    label: str
    group: str
    current: Cell
    previous: Cell
    change: Cell
    change_pct: Cell
    per_day: Cell
    significance: Cell
    note: str
    is_total: bool


def _counts(rows: Sequence[CountRow], attr: str, rules: DisclosureRules, total_first: bool) -> list[Cell]:
    values = [getattr(row.comparison, attr) for row in rows]
    if any(value is None for value in values):
        return [Cell(NOT_ASSESSED if value is None else suppress_count(value, rules)[0],
                     value is not None and suppress_count(value, rules)[1]) for value in values]
    if not total_first or len(rows) < 2:
        return [Cell(*suppress_count(value, rules)) for value in values]
    labels = [row.label for row in rows[1:]]
    masked = suppress_series_with_total(dict(zip(labels, values[1:], strict=True)), values[0], rules, total_key="\0total")
    return [Cell(*masked["\0total"]), *[Cell(*masked[label]) for label in labels]]


def shown_rows(rows: Sequence[CountRow], rules: DisclosureRules = DEFAULT_RULES, total_first: bool = True,
               not_judged: str | None = None) -> list[ShownRow]:
    """Mask a window table whose first row is the total of the others (total_first) or of independent rows."""
    current = _counts(rows, "current", rules, total_first)
    previous = _counts(rows, "previous", rules, total_first)
    out = []
    for k, row in enumerate(rows):
        c = row.comparison
        if not c.assessed:
            change = pct = per_day = significance = Cell(DASH)
        else:
            hidden = current[k].withheld or previous[k].withheld
            change = Cell(*suppress_change(c.current, c.previous, rules, current_suppressed=current[k].withheld,
                                           previous_suppressed=previous[k].withheld))
            pct = Cell(*suppress_change(c.current, c.previous, rules, current_suppressed=current[k].withheld,
                                        previous_suppressed=previous[k].withheld, as_percent=True))
            per_day = Cell(rules.secondary_marker, True) if hidden else Cell(f"{c.change_per_day:+.2f}")
            if hidden:
                significance = Cell(rules.secondary_marker, True)
            elif not_judged:
                significance = Cell(f"Not judged ({not_judged})")
            else:
                significance = Cell(f"{'Yes' if c.significant else 'No'} (p = {c.p_value:.3g})")
        out.append(ShownRow(row.label, row.group, current[k], previous[k], change, pct, per_day, significance,
                            "" if c.assessed else c.note, total_first and k == 0))
    return out


def guard_split(split: list[ShownRow], by_type: list[ShownRow], rules: DisclosureRules = DEFAULT_RULES) -> list[ShownRow]:
    """Withhold the victim-based groups wherever the crime-by-type table withholds a type: a group total minus
    the shown types of that group would otherwise give the withheld count back."""
    hide_current = any(row.current.withheld for row in by_type)
    hide_previous = any(row.previous.withheld for row in by_type)
    if not (hide_current or hide_previous):
        return split
    secondary = Cell(rules.secondary_marker, True)
    out = [split[0]]
    for row in split[1:]:
        current = secondary if hide_current and row.current.text != NOT_ASSESSED else row.current
        previous = secondary if hide_previous and row.previous.text != NOT_ASSESSED else row.previous
        hidden = current.withheld or previous.withheld
        out.append(ShownRow(row.label, row.group, current, previous,
                            secondary if hidden and row.change.text != DASH else row.change,
                            secondary if hidden and row.change_pct.text != DASH else row.change_pct,
                            secondary if hidden and row.per_day.text != DASH else row.per_day,
                            secondary if hidden and row.significance.text != DASH else row.significance,
                            row.note, row.is_total))
    return out


def shown_rates(frame: pd.DataFrame, rules: DisclosureRules = DEFAULT_RULES) -> list[dict]:
    """District rates per 1,000, ranked among the districts shown (a withheld rate has no rank)."""
    rows = []
    for item in frame.itertuples():
        crimes = Cell(*suppress_count(None if pd.isna(item.crimes) else item.crimes, rules))
        population = Cell(*suppress_count(None if pd.isna(item.population) else item.population, rules))
        rate = (Cell(NOT_ASSESSED) if pd.isna(item.rate_per_1000) else
                Cell(*suppress_rate(item.rate_per_1000, item.crimes, rules, "{:.1f}", numerator=item.crimes)))
        rows.append({"code": item.area_code, "name": item.area_name, "crimes": crimes, "population": population,
                     "rate": rate, "value": None if pd.isna(item.rate_per_1000) else float(item.rate_per_1000)})
    ordered = publication_order(rows, lambda r: r["rate"].withheld or r["value"] is None,
                                lambda r: r["value"] or 0.0, lambda r: r["name"])
    rank, last = 0, None
    for position, row in enumerate(ordered, start=1):
        if row["rate"].withheld or row["value"] is None:
            row["rank"] = DASH
            continue
        if row["value"] != last:
            rank, last = position, row["value"]
        row["rank"] = str(rank)
    return ordered


def shown_wards(wards: pd.DataFrame, survey: pd.DataFrame, rules: DisclosureRules = DEFAULT_RULES) -> list[dict]:
    """Wards by violence (then ASB), primary suppression per cell, withheld rows last by name; survey beside."""
    survey_by_ward = survey.set_index("ward_code") if not survey.empty else pd.DataFrame()
    # Masked as if the wards' sum were published (records placed in the district but in no ward make the
    # real total differ, but a reader with the district total must still not recover a withheld ward).
    masked = {column: suppress_series_with_total(
        {str(code): int(value) for code, value in zip(wards["ward_code"], wards[column], strict=True)},
        int(wards[column].sum()), rules, total_key="\0total") for column in ("violence", "asb")} if len(wards) else {}
    rows = []
    for item in wards.itertuples():
        violence = Cell(*masked["violence"][str(item.ward_code)])
        asb = Cell(*masked["asb"][str(item.ward_code)])
        row = {"code": item.ward_code, "name": item.ward_name, "violence": violence, "asb": asb,
               "value": float(item.violence), "unsafe_night": Cell(DASH), "worry_assault": Cell(DASH)}
        if not survey_by_ward.empty and item.ward_code in survey_by_ward.index:
            found = survey_by_ward.loc[item.ward_code]
            for key in ("unsafe_night", "worry_assault"):
                if f"{key}_pct" in found and not pd.isna(found[f"{key}_pct"]):
                    row[key] = Cell(*suppress_rate(found[f"{key}_pct"], found[f"{key}_n"], rules, "{:.0f}%"))
        rows.append(row)
    return publication_order(rows, lambda r: r["violence"].withheld, lambda r: r["value"], lambda r: r["name"])
