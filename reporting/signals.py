"""One coherent message per indicator: the 12-month status, the latest month's SPC signal and the
current trend, read together in plain English.

The three signals answer different questions, so they can point different ways without any of
them being wrong:

* **status** compares the latest 12 months with the 12 months before (a whole year, tested for
  significance);
* **SPC** judges the latest single month against the limits of its baseline (Making Data Count);
* **trend** says which way the rolling 12-month figure has moved over the last few months.

Each is turned into a verdict relative to the aim (+1 the way the aim wants, −1 against it, 0 no
change, None not known).  The message states the three in one sentence, joining a clause that
points the other way with "but"; when two verdicts oppose, a second sentence says why both can be
true and which to act on.  When the latest month falls inside a source's declared reporting lag
(its newest months are known to be incomplete), an SPC signal in that month is named as the likely
artefact of the lag rather than a real change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["Reading", "Signals", "opposing", "read_signals", "verdicts"]


@dataclass(frozen=True)
class Signals:
    """What the card knows about one indicator, as plain values."""

    aim: str  # "increase" or "decrease"
    status: str  # improving / worsening / no_significant_change / not_assessed
    recording_change: bool = False  # the two windows straddle a recording change
    period_word: str = "12 months"  # "12 months" or "survey wave"
    spc_key: str | None = None  # MDC variation icon key of the latest month, None if none
    spc_month: date | None = None
    no_limits_reason: str | None = None
    trend_direction: int | None = None  # +1 rising, -1 falling, 0 flat, None unknown
    trend_periods: int = 0
    trend_unit: str = "month"
    trend_comparable: bool = True
    lag_months: int = 0  # the source's declared reporting lag (0: none declared)
    lag_source: str = ""
    lag_note: str = ""
    report_month: date | None = None
    in_range: bool | None = None  # within the plan's expected range (None: no range given)


@dataclass(frozen=True)
class Reading:
    """The message and its parts (the reconciliation is empty when nothing opposes)."""

    summary: str
    reconciliation: str
    lag_artefact: bool  # a signal was named as a likely artefact of a reporting lag

    @property
    def text(self) -> str:
        return " ".join(part for part in (self.summary, self.reconciliation) if part)


def _aim_sign(aim: str) -> int:
    return 1 if aim == "increase" else -1


def verdicts(s: Signals) -> dict[str, int | None]:
    """Each signal as +1 (the way the aim wants), −1 (against it), 0 (no change) or None."""
    status = {"improving": 1, "worsening": -1, "no_significant_change": 0, "within_expected_range": 0}.get(s.status)
    spc: int | None = None
    if s.spc_key:
        if s.spc_key.startswith("special_cause_improvement"):
            spc = 1
        elif s.spc_key.startswith("special_cause_concern"):
            spc = -1
        elif s.spc_key == "common_cause":
            spc = 0
    trend: int | None = None
    if s.trend_comparable and s.trend_direction is not None:
        trend = 0 if s.trend_direction == 0 else (1 if s.trend_direction * _aim_sign(s.aim) > 0 else -1)
    return {"status": status, "spc": spc, "trend": trend}


def _spc_high(key: str) -> bool:
    return key.endswith("_high")


def _month(s: Signals) -> str:
    return s.spc_month.strftime("%B %Y") if s.spc_month else "the latest month"


def _status_clause(s: Signals) -> str:
    previous = "the 12 months before" if s.period_word == "12 months" else "the previous wave"
    latest = "the latest 12 months" if s.period_word == "12 months" else "the latest survey wave"
    are = "are" if s.period_word == "12 months" else "is"
    higher = "higher" if _aim_sign(s.aim) > 0 else "lower"
    lower = "lower" if _aim_sign(s.aim) > 0 else "higher"
    if s.status == "within_expected_range":
        return f"{latest.capitalize()} {are} within the expected range set in the plan"
    if s.status == "improving":
        return f"{latest.capitalize()} {are} significantly {higher} than {previous}, the way the aim wants"
    if s.status == "worsening":
        return f"{latest.capitalize()} {are} significantly {lower} than {previous}, against the aim"
    if s.status == "no_significant_change":
        return f"{latest.capitalize()} {are} not significantly different from {previous}"
    if s.recording_change:
        return f"{latest.capitalize()} cannot be compared with {previous}: recording practice changed between them"
    return f"There is no comparable earlier period for {latest}"


def _spc_clause(s: Signals) -> str:
    key = s.spc_key
    if not key:
        return ""
    month = _month(s)
    if key == "common_cause":
        return f"{month} was within its usual range (SPC common cause)"
    side = "high" if _spc_high(key) else "low"
    if key.startswith("special_cause_improvement"):
        return f"{month} was unusually {side} (an SPC improvement signal)"
    if key.startswith("special_cause_concern"):
        return f"{month} was unusually {side} (an SPC concern signal)"
    return f"{month} was unusually {side} (SPC special cause)"


def _trend_clause(s: Signals) -> str:
    if not s.trend_comparable:
        return "there is no trend across the recording change"
    if s.trend_direction is None:
        return ""
    plural = "" if s.trend_periods == 1 else "s"
    what = "the rolling 12-month figure" if s.trend_unit == "month" else "the figure"
    if s.trend_direction == 0:
        return f"{what} is unchanged"
    word = "rising" if s.trend_direction > 0 else "falling"
    how = "the way the aim wants" if s.trend_direction * _aim_sign(s.aim) > 0 else "against the aim"
    return f"{what} has been {word} for {s.trend_periods} {s.trend_unit}{plural}, {how}"


def _lagged(s: Signals, v: dict[str, int | None]) -> list[str]:
    """Signals that may be artefacts of the source's reporting lag.

    An incomplete month is understated, so only a low SPC point in the lag window, or a fall of the
    rolling figure that began inside it, can be the lag's doing; a rise cannot.
    """
    if s.lag_months <= 0 or s.report_month is None:
        return []
    out = []
    if s.spc_month is not None and v["spc"] and s.spc_key and s.spc_key.endswith("_low"):
        back = (s.report_month.year - s.spc_month.year) * 12 + s.report_month.month - s.spc_month.month
        if 0 <= back < s.lag_months:
            out.append("spc")
    if v["trend"] and s.trend_direction == -1 and 0 < s.trend_periods <= s.lag_months:
        out.append("trend")
    return out


def _last_months(n: int, lead: str) -> str:
    """'in the last month' / 'the fall over the last 3 months'."""
    return f"{lead} the last month" if n == 1 else f"{lead} the last {n} months"


def _join(clauses: list[tuple[str, int | None]]) -> str:
    """Clauses joined with "and", or "but" when a clause points against the ones before it."""
    text, seen = "", 0
    for clause, verdict in clauses:
        if not clause:
            continue
        if not text:
            text = clause
        else:
            opposes = verdict is not None and verdict != 0 and seen != 0 and verdict != seen
            text += ("; but " if opposes else "; ") + clause
        if verdict:
            seen = verdict
    return text + "." if text else ""


def _reconcile(s: Signals, v: dict[str, int | None], lagged: list[str]) -> str:
    """Why opposing signals can all be true, and which to act on ('' when none oppose)."""
    status, spc, trend = v["status"], v["spc"], v["trend"]
    month = _month(s)
    sentences = []
    if lagged:
        what = " and ".join(
            [f"the low {month} figure"] * ("spc" in lagged)
            + [_last_months(s.trend_periods, "the fall over")] * ("trend" in lagged))
        sentences.append(
            f"{what[0].upper() + what[1:]} {'are' if len(lagged) > 1 else 'is'} within the "
            f"{s.lag_months} months that the source ({s.lag_source}) declares as still incomplete "
            f"({s.lag_note}), so most likely {'they are' if len(lagged) > 1 else 'it is'} that reporting "
            "lag, not a real change: read again when the figures are complete.")
        spc = None if "spc" in lagged else spc
        trend = None if "trend" in lagged else trend
    year = "better" if (status or 0) > 0 else "worse"
    if status and spc and trend and spc == trend and status != spc:
        easing = "the improvement may be fading" if status > 0 else "the worsening may be easing"
        sentences.append(
            f"All can be true: the year as a whole is {year} than the year before, while {month} and "
            f"the recent trend have turned the other way, so {easing}; watch whether the next months "
            "confirm it.")
    elif status and spc and status != spc:
        way = "the way the aim wants" if spc > 0 else "against the aim"
        sentences.append(
            f"Both can be true: the year as a whole is {year} than the year before, while {month} "
            f"alone moved {way}; one month does not change the year's picture, so watch whether the "
            "next months confirm it.")
    elif status and trend and status != trend:
        easing = "the improvement may be fading" if status > 0 else "the worsening may be easing"
        sentences.append(
            f"Both can be true: the year is still {year} than the year before, but the rolling figure "
            f"has turned the other way {_last_months(s.trend_periods, 'in')}, so {easing}.")
    elif spc and trend and spc != trend:
        way = "the way the aim wants" if spc > 0 else "against the aim"
        sentences.append(
            f"Both can be true: {month} alone moved {way}, while the rolling 12-month figure, which "
            "still includes the earlier months, has not turned yet.")
    return " ".join(sentences)


def read_signals(s: Signals) -> Reading:
    """The indicator's one message (see the module docstring)."""
    v = verdicts(s)
    lagged = _lagged(s, v)
    spc_clause, trend_clause = _spc_clause(s), _trend_clause(s)
    if "spc" in lagged:
        spc_clause += " (within the source's declared reporting lag)"
    if "trend" in lagged:
        trend_clause += " (within the source's declared reporting lag)"
    summary = _join([(_status_clause(s), v["status"]),
                     (spc_clause, None if "spc" in lagged else v["spc"]),
                     (trend_clause, None if "trend" in lagged else v["trend"])])
    summary = summary[0].upper() + summary[1:] if summary else summary
    if s.no_limits_reason and not s.spc_key:
        summary += f" No SPC signal: {s.no_limits_reason}."
    return Reading(summary, _reconcile(s, v, lagged), bool(lagged))


def opposing(s: Signals) -> bool:
    """Two of the three signals point in opposite directions relative to the aim."""
    found = {x for x in verdicts(s).values() if x}
    return found == {1, -1}
