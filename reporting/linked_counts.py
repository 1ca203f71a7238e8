"""Disclosure control of the counts one indicator publishes, as one linked system.

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

from __future__ import annotations

"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import cast

import numpy as np
import pandas as pd

from reporting import disclosure as dc
from reporting.cells import as_date, required_date, whole
from reporting.disclosure import DisclosureRules
from reporting.figures import (
    FLAG_PRIMARY,
    FLAG_SECONDARY,
    Shown,
    missing_shown,
    shown_count,
    withheld_shown,
)
from reporting.months import add_months, end_of_month, first_of_month

__all__ = ["CountSystem", "EarlierCounts", "build_count_system", "suppress_linked"]

log = logging.getLogger(__name__)


def suppress_linked(values: Mapping[Hashable, int], lines: Sequence[tuple[Sequence[Hashable], Hashable]],
                    rules: DisclosureRules, fixed: Mapping[Hashable, int] | None = None) -> dict[Hashable, int]:
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
    pinned = None
    if fixed:
        pinned = np.array([[fixed.get(k, -1) for k in keys]], dtype=np.int64)
    try:
        status = dc._suppress_grid(grid, grid_lines, rules, pinned)
    except RuntimeError as error:
        # Cannot protect the pattern (should not happen): withhold every non-zero figure.
        log.warning("secondary suppression failed (%s); withholding every non-zero count", error)
        small = (grid >= rules.min_count) & (grid <= rules.max_small)
        status = np.where(small, dc.PRIMARY, np.where(grid > 0, dc.SECONDARY, dc.SHOWN))
        if pinned is not None:
            status = np.where(pinned >= 0, pinned, status)
    return {k: int(status[0, pos[k]]) for k in keys}


@dataclass
class CountSystem:
    """Every published count of one indicator series (numerators or denominators), suppressed once."""

    values: dict[Hashable, int]
    status: dict[Hashable, int]
    rules: DisclosureRules
    public: bool = False  # from public sources only: every count shown (marked so for the scanners)

    def has(self, key: Hashable) -> bool:
        return key in self.values

    def flagged(self, key: Hashable) -> bool:
        return self.status.get(key, dc.SHOWN) != dc.SHOWN

    def value(self, key: Hashable) -> int | None:
        return self.values.get(key)

    def count(self, key: Hashable) -> int:
        """The count of a key the system holds (check :meth:`has` first)."""
        return self.values[key]

    def shown(self, key: Hashable) -> Shown:
        if key not in self.values:
            return missing_shown(self.rules)
        s = self.status[key]
        if s == dc.PRIMARY:
            return withheld_shown(self.rules.marker, FLAG_PRIMARY)
        if s == dc.SECONDARY:
            return withheld_shown(self.rules.secondary_marker, FLAG_SECONDARY)
        if self.public:
            return replace(shown_count(self.values[key]), css="count public")
        return shown_count(self.values[key])


def _window_months(start: date, end: date, months: Sequence[date]) -> list[date]:
    return [m for m in months if start <= m <= end]


def build_count_system(column: str, monthly: pd.DataFrame, windows: Mapping[str, pd.Series | None],
                       baseline: pd.Series | None, wards: pd.DataFrame | None,
                       rules: DisclosureRules, earlier: EarlierCounts | None = None,
                       public: bool = False) -> CountSystem | None:
    """The linked system of one count column ('numerator' or 'denominator'); None if not counts.

    ``earlier``: what the previous period's publication showed of this series (its months and its
    windows, each a value or None for withheld, with its status). Its windows join the system as
    lines, and every figure it decided keeps that status here, so the two publications read
    together reveal no more than each alone (see reporting.disclosure_attack).
    ``public``: the series comes only from public sources; nothing is withheld.
    """
    try:
        values: dict[Hashable, int] = {}
        for row in monthly.itertuples(index=False):
            v = whole(getattr(row, column))
            if v is not None:
                values[("month", as_date(row.period_start))] = v
        months = sorted(cast(tuple[str, date], key)[1] for key in values)  # only month keys so far
        lines: list[tuple[list[Hashable], Hashable]] = []

        def add_window(key: Hashable, total: int | None, start: date, end: date) -> None:
            if total is None:
                return
            values[key] = total
            comps: list[Hashable] = [("month", m) for m in _window_months(start, end, months)]
            # A total that is not the sum of published months hides an unpublished remainder a
            # reader cannot know, so it gives no equation to exploit.
            if comps and sum(values[c] for c in comps) == total:
                lines.append((comps, key))

        for name, row in windows.items():
            if row is None:
                continue
            start, end = required_date(row["period_start"]), required_date(row["period_end"])
            add_window((name, "cur"), whole(row[column]), start, end)
            add_window((name, "prev"), whole(row[f"previous_{column}"]), add_months(start, -12),
                       end_of_month(add_months(first_of_month(end), -12)))
        if baseline is not None:
            add_window(("base",), whole(baseline[column]), required_date(baseline["period_start"]),
                       required_date(baseline["period_end"]))
        if wards is not None and not wards.empty and ("12m", "cur") in values:
            for side, col in (("cur", column), ("prev", f"previous_{column}")):
                total_key = ("12m", side)
                if total_key not in values:
                    continue
                keys = []
                for row in wards.itertuples(index=False):
                    v = whole(getattr(row, col))
                    if v is not None:
                        values[("ward", row.area_code, side)] = v
                        keys.append(("ward", row.area_code, side))
                remainder = values[total_key] - sum(values[k] for k in keys)
                if remainder >= 0:
                    values[("ward_rem", side)] = remainder
                    lines.append((keys + [("ward_rem", side)], total_key))
        fixed = _earlier_lines(earlier, values, lines, months) if earlier else None
    except ValueError:
        return None
    status = ({k: dc.SHOWN for k in values} if public else suppress_linked(values, lines, rules, fixed))
    return CountSystem({k: v for k, v in values.items() if k[0] != "earlier"},
                       {k: v for k, v in status.items() if k[0] != "earlier"}, rules, public)


@dataclass(frozen=True)
class EarlierCounts:
    """One series as an earlier publication showed it: {month: status}, {(start, end): (value, status)}.

    Statuses are the disclosure module's (SHOWN, PRIMARY, SECONDARY); a window's value is the shown
    count, or None when it was withheld.
    """

    months: Mapping[date, tuple[int | None, int]]
    windows: Mapping[tuple[date, date], tuple[int | None, int]]


def _earlier_lines(earlier: EarlierCounts, values: dict[Hashable, int], lines: list[tuple[list[Hashable], Hashable]],
                   months: Sequence[date]) -> dict[Hashable, int] | None:
    """Add the earlier publication's windows to the system; the statuses it fixed. None if revised."""
    fixed: dict[Hashable, int] = {}
    for m, (shown, status) in earlier.months.items():
        key = ("month", m)
        if key not in values:
            continue
        if shown is not None and shown != values[key]:
            return None  # revised since: a different figure, nothing to keep consistent with
        fixed[key] = status
    for (start, end), (shown, status) in earlier.windows.items():
        comps: list[Hashable] = [("month", m) for m in _window_months(start, end, months)]
        if not comps or len(comps) != (end.year - start.year) * 12 + end.month - start.month + 1:
            continue  # a month of the window is not in this series: no equation a reader can use
        total = sum(values[c] for c in comps)
        if shown is not None and shown != total:
            return None
        key = ("earlier", start, end)
        values[key] = total
        lines.append((comps, key))
        fixed[key] = status
    return fixed

