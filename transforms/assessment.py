"""The Strategic Assessment's arithmetic: assessment windows, and a count against the same months a year earlier.

A window is whole months (default the 12 to the latest complete month). A comparison is made only when
every month of both windows was received; otherwise it is "not assessed" and says which months are
missing. Change per day = the window's daily rate minus the earlier window's (days counted, so a leap
year is fair); significance is the exact conditional Poisson test of `transforms.stats`
(rate_change_p_value with each window's days as its exposure), p < 0.05.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from transforms.stats import rate_change_p_value

SIGNIFICANCE = 0.05


def _add_months(day: date, k: int) -> date:
    index = day.year * 12 + day.month - 1 + k
    return date(index // 12, index % 12 + 1, 1)


def _month_text(day: date) -> str:
    return f"{calendar.month_name[day.month]} {day.year}"


@dataclass(frozen=True)
class Window:
    """Whole months from `start` to `end` (both the first day of their month), inclusive."""

    start: date
    end: date

    @property
    def months(self) -> list[date]:
        count = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return [_add_months(self.start, k) for k in range(count)]

    @property
    def days(self) -> int:
        after = _add_months(self.end, 1)
        return (after - self.start).days

    def year_earlier(self) -> Window:
        return Window(_add_months(self.start, -12), _add_months(self.end, -12))

    def last_months(self, k: int) -> Window:
        return Window(_add_months(self.end, -(k - 1)), self.end)

    @property
    def label(self) -> str:
        if self.start == self.end:
            return _month_text(self.start)
        return f"{_month_text(self.start)} to {_month_text(self.end)}"

    @property
    def short(self) -> str:
        return f"{self.start:%Y-%m}..{self.end:%Y-%m}"


def window_ending(end_month: date, months: int = 12) -> Window:
    """The `months` whole months to `end_month` (any day of it)."""
    if months < 1:
        raise ValueError(f"a window needs at least one month (got {months})")
    end = date(end_month.year, end_month.month, 1)
    return Window(_add_months(end, -(months - 1)), end)


def month_ranges(months: Iterable[date]) -> str:
    """Months as compact ranges: '2024-05..2024-12, 2025-02'."""
    ordered = sorted(set(months))
    parts: list[str] = []
    run: list[date] = []
    for month in ordered:
        if run and _add_months(run[-1], 1) != month:
            parts.append(_range_text(run))
            run = []
        run.append(month)
    if run:
        parts.append(_range_text(run))
    return ", ".join(parts)


def _range_text(run: list[date]) -> str:
    return f"{run[0]:%Y-%m}" if len(run) == 1 else f"{run[0]:%Y-%m}..{run[-1]:%Y-%m}"


def missing_months(window: Window, received: set[date]) -> list[date]:
    return [month for month in window.months if month not in received]


@dataclass(frozen=True)
class Comparison:
    """A count in a window against the same months a year earlier (None where not assessed)."""

    current: int | None
    previous: int | None
    change: int | None
    change_pct: float | None
    change_per_day: float | None
    p_value: float | None
    assessed: bool
    note: str

    @property
    def significant(self) -> bool | None:
        return None if self.p_value is None else self.p_value < SIGNIFICANCE


def window_status(window: Window, received: set[date], source: str = "police.uk") -> str | None:
    """None when every month of the window was received, else a sentence naming the missing months."""
    gaps = missing_months(window, received)
    if not gaps:
        return None
    return (f"{source} data for {window.label} is incomplete: {len(gaps)} of {len(window.months)} months were not "
            f"received ({month_ranges(gaps)})")


def compare_windows(current: int | None, previous: int | None, window: Window, received: set[date],
                    source: str = "police.uk") -> Comparison:
    """Compare a window's count with the same window a year earlier, only when both are complete."""
    earlier = window.year_earlier()
    now_gap = window_status(window, received, source)
    before_gap = window_status(earlier, received, source)
    if now_gap:
        return Comparison(None, None, None, None, None, None, False, f"Not assessed: {now_gap}.")
    if before_gap or previous is None:
        return Comparison(current, None, None, None, None, None, False,
                          f"Not assessed against a year earlier: {before_gap or 'no count for ' + earlier.label}.")
    if current is None:
        raise ValueError(f"a complete window ({window.label}) must have a count")
    change = current - previous
    pct = 100.0 * change / previous if previous > 0 else None
    per_day = current / window.days - previous / earlier.days
    p_value = float(rate_change_p_value(current, window.days, previous, earlier.days))
    verdict = "a significant change" if p_value < SIGNIFICANCE else "not a significant change"
    return Comparison(current, previous, change, pct, per_day, p_value, True,
                      f"{window.label} against {earlier.label}: {verdict} (p = {p_value:.3g}).")
