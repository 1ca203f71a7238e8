"""XmR statistical process control, NHS England "Making Data Count" rules.

Defaults match NHSRplotthedots 0.2.2 (METHODS.md §1, read from its R/ptd_spc_standard.R and
R/ptd_calculate_point_type.R at the 0.2.2 release commit 050b07d), except the baseline: Making Data
Count practice fixes the limits on a baseline (here the first 20 points of each rebase group, or
all of a shorter group) and extends them; NHSRplotthedots uses every point unless told otherwise.
The engine is pure: a sequence
of monthly values in, one `SpcPoint` per input value out (same order, same length),
computed separately inside each rebase group so no rule ever spans a rebase.

Missing values (None/NaN) are gaps, never zeros: they are left out of the mean, no
moving range is taken across them, and they break every run (trend, shift and
two-of-three windows), so a gap can neither create nor extend a signal.  Gap points
still carry their group's centre and limits (so charts draw continuous limit lines)
but have point_type and rule None.

`points_to_frame` turns the output into a pandas DataFrame with the columns that
`reporting.charts.spc_chart` expects.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CONFLICT_RULES",
    "DEFAULT_BASELINE_N",
    "NEAR_FACTOR",
    "NO_LIMITS_REASONS",
    "POINT_TYPES",
    "RULES",
    "SpcPoint",
    "SpcSettings",
    "assurance_icon",
    "points_to_frame",
    "range_assurance_icon",
    "rebase_groups_for",
    "variation_icon",
    "xmr",
]

POINT_TYPES = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
)
# Order matters: it is the precedence used to label a point with a single rule.
RULES = ("outside_limits", "trend", "two_of_three", "shift")
_IMPROVEMENT_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}
_TWO_OF_THREE_VARIANTS = ("nhsr", "mdc_2023")
# How a point that meets rules in both directions is labelled (METHODS.md §1):
#   "first_rule"        — NHSRplotthedots 0.2.2: the first rule in RULES order decides, with that
#                         rule's direction (a point shared by an up and a down trend takes the
#                         later, right-hand trend's direction);
#   "improvement_wins"  — as some MDC material shows: any improvement rule beats concern.
CONFLICT_RULES = ("first_rule", "improvement_wins")
LIMIT_FACTOR = 2.66
# The 2σ ("near") limit is two thirds of the 3σ one; the exact product, never a rounded 1.7733.
NEAR_FACTOR = 2 * LIMIT_FACTOR / 3
DEFAULT_BASELINE_N = 20
# Why a group has no limits (SpcPoint.no_limits_reason).
NO_LIMITS_REASONS = {
    "trial": "fewer points than the minimum since the last rebase (trial limits are not shown)",
    "no_variation": "every baseline month has the same value, so the limits would have no width",
    "no_moving_range": "no two consecutive baseline months are present, so no moving range exists",
}


@dataclass(frozen=True)
class SpcSettings:
    """Tunable SPC parameters; defaults are NHSRplotthedots 0.2.2's, with an MDC baseline.

    fix_after_n_points is the baseline: the limits are computed on the first n present points
    of each rebase group (all of a shorter group) and extended; None uses every point.
    near_factor None means the exact two thirds of limit_factor.
    """

    trend_n: int = 7
    shift_n: int = 7
    screen_outliers: bool = True
    mr_screen_factor: float = 3.267
    limit_factor: float = LIMIT_FACTOR
    near_factor: float | None = None
    two_of_three_variant: str = "nhsr"
    min_points: int = 13
    fix_after_n_points: int | None = DEFAULT_BASELINE_N
    conflict_rule: str = "first_rule"

    def __post_init__(self) -> None:
        """Reject settings that would silently give meaningless limits."""
        if self.conflict_rule not in CONFLICT_RULES:
            raise ValueError(
                f"conflict_rule must be one of {CONFLICT_RULES}, got {self.conflict_rule!r}"
            )
        if self.two_of_three_variant not in _TWO_OF_THREE_VARIANTS:
            raise ValueError(
                f"two_of_three_variant must be one of {_TWO_OF_THREE_VARIANTS}, "
                f"got {self.two_of_three_variant!r}"
            )
        if self.fix_after_n_points is not None and self.fix_after_n_points < 12:
            # MDC guidance: limits from fewer than 12 points are not stable enough to fix.
            raise ValueError("fix_after_n_points must be >= 12 when given")
        if self.trend_n < 2 or self.shift_n < 2:
            raise ValueError("trend_n and shift_n must be >= 2")
        if self.min_points < 2:
            raise ValueError("min_points must be >= 2")
        if not 0 < self.near < self.limit_factor:
            raise ValueError("need 0 < near_factor < limit_factor")

    @property
    def near(self) -> float:
        """The 2σ factor in use: near_factor, or exactly 2/3 of limit_factor."""
        return self.near_factor if self.near_factor is not None else 2 * self.limit_factor / 3


@dataclass(frozen=True)
class SpcPoint:
    """One XmR output point; limits are None when the group has none (see no_limits_reason)."""

    value: float | None
    rebase_group: int
    centre: float | None
    upper_limit: float | None
    lower_limit: float | None
    upper_2sigma: float | None
    lower_2sigma: float | None
    moving_range: float | None
    point_type: str | None
    rule: str | None
    # +1 high/increasing, −1 low/decreasing for special cause; 0 common cause; None gap/trial.
    direction: int | None
    trial: bool
    target: float | None = None
    # True for the points the group's limits were computed on.
    baseline: bool = False
    # Key of NO_LIMITS_REASONS when the group has no limits, else None.
    no_limits_reason: str | None = None


def _clean(value: Any) -> float | None:
    """Normalise one input value: None/NaN become None (a gap), anything else a float."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    out = float(value)
    return None if math.isnan(out) else out


def _sign(x: float) -> int:
    """Sign of x as -1/0/+1 (exact zero stays 0: a point on the mean is on neither side)."""
    return (x > 0) - (x < 0)


def _contiguous_segments(groups: Sequence[int]) -> list[tuple[int, int, int]]:
    """Split group labels into (group, start, stop) slices, checking they never go back."""
    segments: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(groups) + 1):
        if i == len(groups) or groups[i] != groups[start]:
            segments.append((groups[start], start, i))
            if i < len(groups) and groups[i] < groups[start]:
                raise ValueError("rebase_groups must be non-decreasing (one block per group)")
            start = i
    return segments


def _runs_of_present(ys: Sequence[float | None]) -> list[list[int]]:
    """Indices of maximal runs of consecutive non-missing values (gaps split runs)."""
    runs: list[list[int]] = []
    current: list[int] = []
    for i, y in enumerate(ys):
        if y is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(i)
    if current:
        runs.append(current)
    return runs


def _same_sign_runs(signs: Sequence[int]) -> list[tuple[int, int, int]]:
    """Maximal runs (start, stop, sign) of equal non-zero signs; zeros end a run."""
    runs: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            if signs[start] != 0:
                runs.append((start, i, signs[start]))
            start = i
    return runs


def _group_without_limits(ys: list[float | None], group: int, mrs: list[float | None],
                          target: float | None, reason: str) -> list[SpcPoint]:
    """Points for a group that cannot have limits (too short, too gappy, or no variation).

    No limits and no judgement; `reason` (a NO_LIMITS_REASONS key) says why.  Only a short
    group is a trial group: a flat baseline is long enough, it just has no spread.
    """
    return [
        SpcPoint(value=y, rebase_group=group, centre=None, upper_limit=None, lower_limit=None,
                 upper_2sigma=None, lower_2sigma=None, moving_range=mr, point_type=None,
                 rule=None, direction=None, trial=reason == "trial", target=target,
                 no_limits_reason=reason)
        for y, mr in zip(ys, mrs, strict=True)
    ]


def _evaluate_group(
    ys: list[float | None],
    group: int,
    improvement_sign: int,
    settings: SpcSettings,
    target: float | None,
) -> list[SpcPoint]:
    """Limits and rule hits for one rebase group."""
    n = len(ys)
    # A moving range needs the immediately previous month: none is taken across a gap.
    mrs: list[float | None] = [None]
    for before, now in itertools.pairwise(ys):
        mrs.append(abs(now - before) if now is not None and before is not None else None)
    known = {i: y for i, y in enumerate(ys) if y is not None}
    present = list(known)
    if len(present) < settings.min_points:
        return _group_without_limits(ys, group, mrs, target, "trial")

    baseline = present[: settings.fix_after_n_points] if settings.fix_after_n_points else present
    baseline_set = set(baseline)
    centre = float(np.mean([known[i] for i in baseline]))
    # Only ranges wholly inside the baseline count towards MR-bar.
    base_mrs = [mr for i in baseline if (mr := mrs[i]) is not None and (i - 1) in baseline_set]
    if not base_mrs:
        # Every other month missing: no moving range exists, so limits cannot be formed.
        return _group_without_limits(ys, group, mrs, target, "no_moving_range")
    mr_bar = float(np.mean(base_mrs))
    if mr_bar == 0:
        # A flat baseline would give limits of zero width and flag any later movement.
        return _group_without_limits(ys, group, mrs, target, "no_variation")
    if settings.screen_outliers and mr_bar > 0:
        # Nelson (1982) screening, single pass: ranges >= 3.267·MR-bar are dropped.
        kept = [m for m in base_mrs if m < settings.mr_screen_factor * mr_bar]
        mr_bar = float(np.mean(kept))

    upl = centre + settings.limit_factor * mr_bar
    lpl = centre - settings.limit_factor * mr_bar
    u2 = centre + settings.near * mr_bar
    l2 = centre - settings.near * mr_bar

    side = [0 if y is None else _sign(y - centre) for y in ys]
    outside = [y is not None and (y > upl or y < lpl) for y in ys]
    beyond_2sigma = [y is not None and (y > u2 or y < l2) for y in ys]
    if settings.two_of_three_variant == "mdc_2023":
        close = beyond_2sigma  # MDC Nov-2023: a point beyond 3σ also counts as "close"
    else:
        close = [b and not o for b, o in zip(beyond_2sigma, outside, strict=True)]

    # hits[i] collects (rule rank, direction) for every rule point i takes part in.
    hits: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for i in present:
        if outside[i]:
            hits[i].append((0, side[i]))

    for run in _runs_of_present(ys):
        values = [known[i] for i in run]
        # Trend: diffs of the same strict sign; a tie (diff 0) breaks the run.
        diffs = [_sign(values[k] - values[k - 1]) for k in range(1, len(values))]
        for start, stop, direction in _same_sign_runs(diffs):
            # diffs[start:stop] join points start .. stop (inclusive) of this run.
            if stop - start + 1 >= settings.trend_n:
                for k in range(start, stop + 1):
                    hits[run[k]].append((1, direction))
        # Two of three: every window of 3 consecutive months inside the run.
        for k in range(len(run) - 2):
            window = run[k : k + 3]
            window_sides = {side[i] for i in window}
            one_side = len(window_sides) == 1 and 0 not in window_sides
            if one_side and sum(close[i] for i in window) >= 2:
                for i in window:
                    if close[i]:
                        hits[i].append((2, side[i]))
        # Shift: consecutive points strictly on one side; a point on the mean breaks it.
        for start, stop, direction in _same_sign_runs([side[i] for i in run]):
            if stop - start >= settings.shift_n:
                for k in range(start, stop):
                    hits[run[k]].append((3, direction))

    points: list[SpcPoint] = []
    for i, y in enumerate(ys):
        point_type, rule, point_direction = _classify(y, hits[i], improvement_sign,
                                                      settings.conflict_rule)
        points.append(
            SpcPoint(value=y, rebase_group=group, centre=centre, upper_limit=upl,
                     lower_limit=lpl, upper_2sigma=u2, lower_2sigma=l2, moving_range=mrs[i],
                     point_type=point_type, rule=rule, direction=point_direction, trial=False,
                     target=target, baseline=i in baseline_set)
        )
    return points


def _classify(
    y: float | None, hits: list[tuple[int, int]], improvement_sign: int,
    conflict_rule: str = "first_rule",
) -> tuple[str | None, str | None, int | None]:
    """Resolve a point's rule hits into (point_type, rule, direction)."""
    if y is None:
        return None, None, None
    if not hits:
        return "common_cause", None, 0
    improving = [rank for rank, d in hits if d * improvement_sign > 0]
    if improvement_sign != 0 and conflict_rule == "improvement_wins" and improving:
        # Some MDC material: a point that is both improvement and concern shows improvement;
        # the rule reported is the highest-precedence rule behind that improvement.
        return "special_cause_improvement", RULES[min(improving)], improvement_sign
    # NHSRplotthedots 0.2.2 (case_when in ptd_special_cause_type): the first rule in RULES
    # order labels the point with its own direction; on a tie (a peak shared by an up and a
    # down trend) the later, right-hand run decides.
    best = min(rank for rank, _ in hits)
    direction = [d for rank, d in hits if rank == best][-1]
    if improvement_sign == 0:
        kind = "special_cause_neutral_high" if direction > 0 else "special_cause_neutral_low"
        return kind, RULES[best], direction
    if direction * improvement_sign > 0:
        return "special_cause_improvement", RULES[best], direction
    return "special_cause_concern", RULES[best], direction


def xmr(
    values: Sequence[float | None],
    improvement: str,
    rebase_groups: Sequence[int] | None = None,
    settings: SpcSettings = SpcSettings(),
    target: float | None = None,
) -> list[SpcPoint]:
    """XmR chart: one SpcPoint per input value, rules evaluated within each rebase group.

    improvement is 'increase', 'decrease' or 'neutral'; rebase_groups (same length as
    values, non-decreasing ints, see `rebase_groups_for`) defaults to one group.
    """
    if improvement not in _IMPROVEMENT_SIGN:
        raise ValueError(
            f"improvement must be one of {tuple(_IMPROVEMENT_SIGN)}, got {improvement!r}"
        )
    ys = [_clean(v) for v in values]
    groups = [0] * len(ys) if rebase_groups is None else [int(g) for g in rebase_groups]
    if len(groups) != len(ys):
        raise ValueError("rebase_groups must be the same length as values")
    target = _clean(target)
    out: list[SpcPoint] = []
    for group, start, stop in _contiguous_segments(groups):
        out.extend(
            _evaluate_group(ys[start:stop], group, _IMPROVEMENT_SIGN[improvement], settings,
                            target)
        )
    return out


def variation_icon(points: Sequence[SpcPoint]) -> str | None:
    """MDC variation icon for the last non-missing point (None when it is in a trial group)."""
    last = next((p for p in reversed(points) if p.value is not None), None)
    if last is None or last.point_type is None:
        return None
    if last.point_type == "common_cause" or last.point_type.startswith("special_cause_neutral"):
        return last.point_type
    return f"{last.point_type}_{'high' if (last.direction or 0) > 0 else 'low'}"


def assurance_icon(
    points: Sequence[SpcPoint], target: float | None, improvement: str
) -> str | None:
    """MDC assurance icon: where the target sits against the last group's process limits."""
    if improvement not in _IMPROVEMENT_SIGN:
        raise ValueError(f"unknown improvement {improvement!r}")
    target = _clean(target)
    if target is None or improvement == "neutral" or not points:
        return None
    last = points[-1]
    if last.upper_limit is None or last.lower_limit is None:
        return None  # trial limits: no assurance judgement
    # For "increase": a target above the UPL is out of reach of the current process.
    above_upl, below_lpl = target > last.upper_limit, target < last.lower_limit
    if improvement == "decrease":
        above_upl, below_lpl = below_lpl, above_upl
    if above_upl:
        return "consistent_fail"
    if below_lpl:
        return "consistent_pass"
    return "hit_or_miss"


def range_assurance_icon(points: Sequence[SpcPoint], low: float, high: float) -> str | None:
    """Assurance against an expected range [low, high] (e.g. SafeLives' 28–40%), from the last
    group's process limits: both limits inside the range → the process will consistently sit in it
    ("consistent_pass"); the range wholly outside the limits → it consistently will not
    ("consistent_fail"); otherwise some months will and some will not ("hit_or_miss")."""
    if not points:
        return None
    last = points[-1]
    if last.upper_limit is None or last.lower_limit is None:
        return None
    if low <= last.lower_limit and last.upper_limit <= high:
        return "consistent_pass"
    if high < last.lower_limit or low > last.upper_limit:
        return "consistent_fail"
    return "hit_or_miss"


def _as_date(value: Any) -> dt.date:
    """Coerce date / datetime / pandas Timestamp / numpy datetime64 to a datetime.date."""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raise TypeError(f"not a date: {value!r}")


def rebase_groups_for(months: Sequence[Any], rebase_dates: Sequence[Any]) -> list[int]:
    """Group number per month: 0 before the first rebase date, 1 from it, 2 from the next…"""
    cuts = sorted(_as_date(d) for d in rebase_dates)
    # bisect_right: a month equal to a rebase date already belongs to the new group.
    return [bisect.bisect_right(cuts, _as_date(m)) for m in months]


def points_to_frame(
    points: Sequence[SpcPoint], months: Sequence[Any] | None = None
) -> pd.DataFrame:
    """SpcPoints as a DataFrame (one row per point; `month` first when months are given)."""
    frame = pd.DataFrame([asdict(p) for p in points], columns=list(SpcPoint.__dataclass_fields__))
    if months is not None:
        if len(months) != len(points):
            raise ValueError("months must be the same length as points")
        frame.insert(0, "month", pd.to_datetime(pd.Series(list(months))))
    return frame
