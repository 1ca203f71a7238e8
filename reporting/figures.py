"""One published figure (:class:`Shown`): the text readers see, the number a spreadsheet holds,
and its disclosure flag; and the functions that make one from a value and the disclosure rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reporting.cells import whole
from reporting.disclosure import DisclosureRules, suppress_rate

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

COUNT_METHODS = {"count"}
PERCENT_METHODS = {"proportion", "survey_share"}


POINTS_FMT = '+0.0" pts";-0.0" pts";0.0" pts"'
RELATIVE_FMT = "+0.0%;-0.0%;0.0%"


def points_shown(diff: float) -> Shown:
    """A change between two percentages, in percentage points (29.2% vs 27.0% is +2.2 pts)."""
    return Shown(f"{diff:+.1f} pts", round(diff, 6), None, "change", POINTS_FMT, f"{diff:.1f}")


def relative_shown(rel: float) -> Shown:
    """A relative change of a count, rate or mean, as a % of the earlier value."""
    return Shown(f"{rel:+.1%}", rel, None, "change", RELATIVE_FMT, f"{rel * 100:.1f}")


def not_comparable_shown(css: str = "change") -> Shown:
    """A change across a recording change: the two figures were recorded differently."""
    return Shown("Not comparable", None, None, css, "", "not comparable")


def change_units(method: str, unit: str) -> tuple[str, str]:
    """Units of (the change, the relative change) of an indicator: percentages change in points."""
    if method in PERCENT_METHODS:
        return "percentage points", "percentage points"
    return unit_after_value(method, unit), "%"


def unit_after_value(method: str, unit: str) -> str:
    """'% of incidents' reads '10.1% of incidents' after a percentage, not '10.1% % of incidents'."""
    if method in PERCENT_METHODS and unit.startswith("%"):
        return unit[1:].strip()
    return unit




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


def withheld_shown(marker: str, flag: str, css: str = "count") -> Shown:
    return Shown(marker, None, flag, css, "", marker)


def missing_shown(rules: DisclosureRules, css: str = "count") -> Shown:
    return Shown(rules.missing_marker, None, FLAG_MISSING, css, "", rules.missing_marker)


def shown_count(n: int) -> Shown:
    return Shown(f"{n:,}", n, None, "count", "#,##0", str(n))


def decimals_for(method: str) -> int:
    return 2 if method == "rate" else 1


def value_shown(method: str, value: float, css: str = "rate") -> Shown:
    """A shown non-count value (percentage, rate, mean) in its unit."""
    if method in PERCENT_METHODS:
        return Shown(f"{value:.1f}%", round(value, 6), None, css, "0.0", f"{value:.1f}")
    d = decimals_for(method)
    return Shown(f"{value:,.{d}f}", round(value, 6), None, css, "#,##0." + "0" * d, f"{value:.{d}f}")



def primary_count(x: Any, rules: DisclosureRules) -> Shown:
    """Primary suppression only (no published total ties these counts together)."""
    try:
        n = whole(x)
    except ValueError:
        return missing_shown(rules)
    if n is None:
        return missing_shown(rules)
    if rules.is_small(n):
        return withheld_shown(rules.marker, FLAG_PRIMARY)
    return shown_count(n)




def rate_shown(rules: DisclosureRules, value: float | None, base: float | None, withheld: bool, method: str) -> Shown:
    if value is None or base is None:
        return missing_shown(rules, "rate")
    text, suppressed = suppress_rate(value, base, rules, fmt=lambda x: "ok", numerator_suppressed=withheld)
    if not suppressed:
        return value_shown(method, value)
    flag = FLAG_BASE if text == rules.rate_marker else FLAG_SECONDARY
    return withheld_shown(text, flag, "rate")



def mean_shown(rules: DisclosureRules, value: float | None, withheld: bool, numerator: Shown) -> Shown:
    if value is None:
        return missing_shown(rules)
    if withheld:
        return withheld_shown(numerator.text, numerator.flag or FLAG_SECONDARY)
    if 0 < value < rules.max_small + 1:
        return withheld_shown(rules.marker, FLAG_PRIMARY)
    return value_shown("mean", value, css="count")



def change_shown(text: str, suppressed: bool, number: float | None, fmt: str) -> Shown:
    if suppressed:
        return withheld_shown(text, FLAG_BASE if text == "*" else FLAG_SECONDARY, "change")
    if number is None or text.startswith("["):
        return Shown(text, None, FLAG_MISSING if text.startswith("[") else None, "change", "", text)
    csv_text = text.replace(",", "").replace("%", "")
    return Shown(text, number, None, "change", fmt, csv_text)

