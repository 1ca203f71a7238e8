"""How a card's latest value compares: with the previous period, its confidence interval, the
significance status, the current trend and the target. Plain functions of the disclosure rules."""

from __future__ import annotations

from datetime import date

import pandas as pd

from reporting.cards import Trend
from reporting.cells import finite, required_date
from reporting.disclosure import DisclosureRules, suppress_change
from reporting.figures import (
    COUNT_METHODS,
    FLAG_SECONDARY,
    NOT_APPLICABLE,
    PERCENT_METHODS,
    Shown,
    change_shown,
    decimals_for,
    mean_shown,
    missing_shown,
    points_shown,
    rate_shown,
    relative_shown,
    withheld_shown,
)
from reporting.linked_counts import CountSystem
from reporting.months import add_months, first_of_month

__all__ = ["against_target", "change_from_previous", "confidence_interval", "count_change", "current_trend",
           "describe_status", "values_for"]


def _pct_number(x: float | None) -> float | None:
    """A percentage (14.4) as the fraction a spreadsheet % format expects (0.144)."""
    return None if x is None else x / 100


def _sign(x: float, tol: float = 1e-9) -> int:
    return 0 if abs(x) <= tol else (1 if x > 0 else -1)


def _p_text(p: float | None) -> str:
    if p is None:
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def values_for(rules: DisclosureRules, method: str, row: pd.Series | None, num: CountSystem | None, den: CountSystem | None,
                side: str, key: tuple) -> dict[str, Shown]:
    prefix = "" if side == "cur" else "previous_"
    if row is None:
        miss = missing_shown(rules)
        return {"value": miss, "numerator": miss, "denominator": NOT_APPLICABLE}
    value = finite(row[f"{prefix}value"])
    numerator = num.shown(key) if num is not None and num.has(key) else (
        missing_shown(rules) if num is not None else NOT_APPLICABLE)
    n_flag = num.flagged(key) if num is not None else False
    if method == "proportion":
        denominator = den.shown(key) if den is not None and den.has(key) else missing_shown(rules)
        d_flag = den.flagged(key) if den is not None else False
        shown = rate_shown(rules, value, finite(row[f"{prefix}denominator"]), n_flag or d_flag, method)
    elif method == "survey_share":
        denominator = NOT_APPLICABLE
        numerator = NOT_APPLICABLE
        shown = rate_shown(rules, value, finite(row[f"{prefix}denominator"]), False, method)
    elif method == "rate":
        pop = finite(row[f"{prefix}denominator"])
        denominator = Shown(f"{pop:,.0f}", pop, None, "pop", "#,##0", f"{pop:.0f}") if pop else NOT_APPLICABLE
        shown = rate_shown(rules, value, pop, n_flag, method)
    elif method == "mean":
        denominator = NOT_APPLICABLE
        shown = mean_shown(rules, value, n_flag, numerator)
    else:  # count
        denominator = NOT_APPLICABLE
        shown = numerator
    return {"value": shown, "numerator": numerator, "denominator": denominator}



def count_change(rules: DisclosureRules, num: CountSystem | None) -> Shown:
    """Change in the 12-month count (the ward table's total row)."""
    cur, prev = ("12m", "cur"), ("12m", "prev")
    if num is None or not (num.has(cur) and num.has(prev)):
        return NOT_APPLICABLE
    text, sup = suppress_change(num.count(cur), num.count(prev), rules,
                                current_suppressed=num.flagged(cur), previous_suppressed=num.flagged(prev))
    return change_shown(text, sup, float(num.count(cur) - num.count(prev)), "+#,##0;-#,##0;0")



def change_from_previous(rules: DisclosureRules, method: str, row: pd.Series | None, v: dict, pv: dict) -> tuple[Shown, Shown]:
    if row is None:
        return missing_shown(rules, "change"), missing_shown(rules, "change")
    if method in COUNT_METHODS:
        cur, prev = v["numerator"], pv["numerator"]
        if cur.number is None and not cur.suppressed or prev.number is None and not prev.suppressed:
            return missing_shown(rules, "change"), missing_shown(rules, "change")
        ctext, cs = suppress_change(finite(row["numerator"]), finite(row["previous_numerator"]), rules,
                                    current_suppressed=cur.suppressed, previous_suppressed=prev.suppressed)
        ptext, ps = suppress_change(finite(row["numerator"]), finite(row["previous_numerator"]), rules,
                                    current_suppressed=cur.suppressed, previous_suppressed=prev.suppressed,
                                    as_percent=True)
        return change_shown(ctext, cs, finite(row["change"]), "#,##0"), \
            change_shown(ptext, ps, _pct_number(finite(row["change_pct"])), "+0.0%;-0.0%;0.0%")
    cur, prev = v["value"], pv["value"]
    if cur.number is None or prev.number is None:
        marker = cur if cur.suppressed else prev if prev.suppressed else None
        if marker is not None:
            return (withheld_shown(rules.secondary_marker, FLAG_SECONDARY, "change"),
                    withheld_shown(rules.secondary_marker, FLAG_SECONDARY, "change"))
        return missing_shown(rules, "change"), missing_shown(rules, "change")
    diff = cur.number - prev.number
    d = 1 if method in PERCENT_METHODS else decimals_for(method)
    unit = " pts" if method in PERCENT_METHODS else ""
    ctext = f"{diff:+,.{d}f}{unit}"
    if method in PERCENT_METHODS:
        # Percentages change in percentage points, never as a % of a % (27.0% → 29.2% is +2.2 pts,
        # not +8.2%): both change columns show the points.
        change = points_shown(diff)
        return change, change
    change = Shown(ctext, round(diff, 6), None, "change", "+#,##0.0;-#,##0.0;0.0", f"{diff:.{d}f}")
    if prev.number == 0:
        return change, missing_shown(rules, "change")
    return change, relative_shown(diff / prev.number)



def confidence_interval(rules: DisclosureRules, method: str, row: pd.Series | None, value: Shown) -> tuple[Shown, Shown, Shown]:
    if row is None or value.number is None:
        if value.suppressed:
            w = withheld_shown(rules.secondary_marker, FLAG_SECONDARY, "ci")
            return w, w, w
        m = missing_shown(rules, "ci")
        return m, m, m
    lo, hi = finite(row["ci_lower"]), finite(row["ci_upper"])
    if lo is None or hi is None:
        na = Shown("–", None, None, "ci", "", "")
        return na, na, na
    d = 1 if method in PERCENT_METHODS or method in COUNT_METHODS or method == "mean" else 2
    unit = "%" if method in PERCENT_METHODS else ""
    fmt = "#,##0." + "0" * d
    lo_s = Shown(f"{lo:,.{d}f}{unit}", round(lo, 6), None, "ci", fmt, f"{lo:.{d}f}")
    hi_s = Shown(f"{hi:,.{d}f}{unit}", round(hi, 6), None, "ci", fmt, f"{hi:.{d}f}")
    return lo_s, hi_s, Shown(f"{lo_s.text} to {hi_s.text}", None, None, "ci", "", "")



def describe_status(row: pd.Series | None, status: str) -> str:
    if row is None:
        return "No value for this period."
    p = finite(row.get("change_p_value"))
    if status == "not_assessed":
        if bool(row.get("crosses_recording_change") or False):
            return "Not assessed: the two periods were recorded differently (see recording changes)."
        return "Not assessed: there is no comparable earlier period."
    sig = row.get("change_significant")
    if status == "no_significant_change":
        return f"The change is within what chance alone could produce ({_p_text(p)})." if p is not None else ""
    word = "rise" if (finite(row.get("change")) or 0) > 0 else "fall"
    if not sig:
        return ""
    way = "right" if status == "improving" else "wrong"
    return f"A statistically significant {word} ({_p_text(p)}), in the {way} direction for the aim."



def _mixes(start: date, end: date, cuts: tuple[tuple[date, str], ...]) -> str:
    """The recording change whose first month falls inside (after the start of) a window, or ''."""
    return next((name for cut, name in cuts if start < cut <= end), "")


def current_trend(rolling: pd.DataFrame, aim: str, window_type: str,
                  cuts: tuple[tuple[date, str], ...] = ()) -> Trend:
    """Direction of the rolling figure and for how many periods; windows that mix two recording
    practices (a cut inside them: (first month under the new practice, its name)) are never
    compared, and when the latest one does there is no trend ("not comparable")."""
    unit = "wave" if window_type == "wave" else "month"
    points: list[tuple[date, float]] = []
    latest_mix = ""
    for r in rolling.itertuples():
        value = finite(r.value)
        if value is None:
            continue
        mixed = (_mixes(first_of_month(required_date(r.period_start)), required_date(r.period_end), cuts)
                 if window_type == "12m" else "")
        latest_mix = mixed
        if mixed:
            points = []  # a window that mixes two practices breaks the run: start again after it
            continue
        points.append((required_date(r.period_end), value))
    if latest_mix:
        return Trend(None, 0, f"Not comparable: the latest 12 months include {latest_mix}",
                     "trend-neutral", "", comparable=False)
    if len(points) < 2:
        return Trend(None, 0, "Not enough history for a trend", "trend-neutral", "")

    def consecutive(a: date, b: date) -> bool:
        return unit == "wave" or add_months(first_of_month(a), 1) == first_of_month(b)

    last_dir = None
    run = 0
    for i in range(len(points) - 1, 0, -1):
        (d0, v0), (d1, v1) = points[i - 1], points[i]
        if not consecutive(d0, d1):
            break
        direction = _sign(v1 - v0, tol=1e-9 * max(1.0, abs(v0)))
        if last_dir is None:
            last_dir = direction
        if direction != last_dir:
            break
        run += 1
    if last_dir is None:
        return Trend(None, 0, "Not enough history for a trend", "trend-neutral", "")
    plural = "" if run == 1 else "s"
    if last_dir == 0:
        return Trend(0, run, f"Unchanged for {run} {unit}{plural}", "trend-neutral", "►")
    word = "Rising" if last_dir > 0 else "Falling"
    good = (last_dir > 0) == (aim == "increase")
    css = "trend-good" if good else "trend-bad"
    how = "the way the aim wants" if good else "against the aim"
    return Trend(last_dir, run, f"{word} for {run} {unit}{plural} ({how})", css, "▲" if last_dir > 0 else "▼")



def against_target(rules: DisclosureRules, target: float | None, value: Shown) -> tuple[str, Shown]:
    """The target and the latest value's % variance from it."""
    if target is None:
        return "No target set", NOT_APPLICABLE
    text = f"Target {target:,g}"
    actual = value.number
    if actual is None:
        return text, (withheld_shown(rules.secondary_marker, FLAG_SECONDARY, "change") if value.suppressed
                      else missing_shown(rules, "change"))
    if target == 0:
        return text, NOT_APPLICABLE
    var = (actual - target) / target
    return text, Shown(f"{var:+.1%}", var, None, "change", "+0.0%;-0.0%;0.0%", f"{var * 100:.1f}")

