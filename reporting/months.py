"""Month arithmetic and the month labels the reports print ('Feb 2018', '1 April 2018')."""

from __future__ import annotations

import re
from datetime import date, timedelta

__all__ = ["add_months", "end_of_month", "first_of_month", "long_date", "month_range", "parse_period",
           "short_month"]


def first_of_month(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, k: int) -> date:
    """First of the month k months after d's month."""
    m = d.year * 12 + d.month - 1 + k
    return date(m // 12, m % 12 + 1, 1)


def end_of_month(d: date) -> date:
    return add_months(d, 1) - timedelta(days=1)



def short_month(d: date) -> str:
    return d.strftime("%b %Y")


def long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def month_range(start: date, end: date) -> str:
    return short_month(start) if (start.year, start.month) == (end.year, end.month) else f"{short_month(start)} – {short_month(end)}"


def parse_period(period: str) -> tuple[date, date]:
    """'2018-02' → (2018-02-01, 2018-02-28); a sentence if it is not a month."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", str(period or ""))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"report period {period!r} is not a month (expected YYYY-MM, e.g. 2018-02)")
    start = date(int(match.group(1)), int(match.group(2)), 1)
    return start, end_of_month(start)


