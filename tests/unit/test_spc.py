"""Golden, hand-worked tests for the XmR engine (transforms.spc).

Most cases use a fixed 12-point baseline so the limits are easy to work by hand:

    BASE_LOW  = 12, 10, 12, 10, … (6 pairs, ends on 10)
    BASE_HIGH = 10, 12, 10, 12, … (6 pairs, ends on 12)

Either way: mean = (6·12 + 6·10)/12 = 11 exactly; the 11 moving ranges are all 2, so
MR-bar = 2 (screening keeps them: 2 < 3.267·2 = 6.534).
    UPL = 11 + 2.66·2   = 16.32        LPL = 11 − 5.32   = 5.68
    2σ  = 11 ± (2·2.66/3)·2 = 11 ± 3.546667 = 14.546667 / 7.453333
With `fix_after_n_points=12` those limits stay put whatever tail we append, and the
alternating baseline itself never signals (no runs, nothing beyond 2σ).
Indices below are 0-based; the tail starts at index 12.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from transforms.spc import (
    SpcPoint,
    SpcSettings,
    assurance_icon,
    points_to_frame,
    rebase_groups_for,
    variation_icon,
    xmr,
)

BASE_LOW: list[float | None] = [12, 10] * 6
BASE_HIGH: list[float | None] = [10, 12] * 6
FIXED = SpcSettings(fix_after_n_points=12)
SHORT = {
    "special_cause_improvement": "I",
    "special_cause_concern": "C",
    "special_cause_neutral_high": "NH",
    "special_cause_neutral_low": "NL",
}


def signals(points: list[SpcPoint]) -> dict[int, tuple[str, str | None]]:
    """Special-cause points as {index: (I/C/NH/NL, rule)}; common cause and gaps omitted."""
    return {
        i: (SHORT[p.point_type], p.rule)
        for i, p in enumerate(points)
        if p.point_type not in (None, "common_cause")
    }


def span(start: int, stop: int, label: tuple[str, str | None]) -> dict[int, tuple[str, str | None]]:
    """{i: label} for i in start..stop inclusive."""
    return {i: label for i in range(start, stop + 1)}


# --- limits ------------------------------------------------------------------------------
def test_fixed_baseline_limits_and_quiet_baseline() -> None:
    pts = xmr(BASE_LOW + [11], "increase", settings=FIXED)
    assert len(pts) == 13
    p = pts[-1]
    assert p.centre == pytest.approx(11)
    assert p.upper_limit == pytest.approx(16.32)
    assert p.lower_limit == pytest.approx(5.68)
    assert p.upper_2sigma == pytest.approx(11 + 2 * 2.66 / 3 * 2, rel=1e-12)
    assert p.upper_2sigma == pytest.approx(14.546667, abs=5e-7)
    assert p.lower_2sigma == pytest.approx(7.453333, abs=5e-7)
    assert pts[0].moving_range is None and p.moving_range == pytest.approx(1)
    assert signals(pts) == {}
    assert all(q.point_type == "common_cause" and q.rule is None for q in pts)


# NHSRplotthedots "Deviations" vignette: 1,2,1,2,10,1,2,1,2,1,2,1,2,1,2,1,2,1.
VIGNETTE = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


@pytest.mark.parametrize(
    ("screen", "upl", "lpl"),
    [
        # Sum = 1+2+1+2+10 + (7·1 + 6·2) = 35 → mean 35/18 = 1.944444.
        # MRs: 1,1,1,8,9 and twelve 1s → 32/17 = 1.882353.
        # Screened: 3.267·1.882353 = 6.1496, so 8 and 9 go; fifteen 1s → MR-bar 1.
        #   UPL = 1.944444 + 2.66 = 4.604444, LPL = 1.944444 − 2.66 = −0.715556 (4.6 / −0.72).
        (True, 4.604444, -0.715556),
        # Unscreened: 2.66·1.882353 = 5.007059 → 6.951503 / −3.062614 (6.95 / −3.06).
        (False, 6.951503, -3.062614),
    ],
)
def test_vignette_screening(screen: bool, upl: float, lpl: float) -> None:
    pts = xmr(VIGNETTE, "increase", settings=SpcSettings(screen_outliers=screen))
    assert pts[0].centre == pytest.approx(35 / 18)
    assert pts[0].upper_limit == pytest.approx(upl, abs=1e-6)
    assert pts[0].lower_limit == pytest.approx(lpl, abs=1e-6)
    # Only the 10 signals (above the UPL either way); the 1/2 zig-zag is common cause.
    assert signals(pts) == {4: ("I", "outside_limits")}


def test_screen_factor_is_configurable() -> None:
    # MR-bar 32/17 = 1.882353: 8/1.882353 = 4.25 and 9/1.882353 = 4.78, so a factor of 4.5
    # drops only the 9 → MR-bar = 23/16 = 1.4375, UPL = 1.944444 + 2.66·1.4375 = 5.768194.
    pts = xmr(VIGNETTE, "increase", settings=SpcSettings(mr_screen_factor=4.5))
    assert pts[0].upper_limit == pytest.approx(5.768194, abs=1e-6)


def test_fix_after_n_points_excludes_later_points() -> None:
    fixed = xmr(BASE_LOW + [30], "increase", settings=FIXED)
    assert fixed[0].centre == pytest.approx(11) and fixed[0].upper_limit == pytest.approx(16.32)
    assert signals(fixed) == {12: ("I", "outside_limits")}
    # Unfixed: mean = 162/13 = 12.461538; MRs eleven 2s and 20 → 42/12 = 3.5; 20 ≥ 3.267·3.5
    # = 11.43 is screened out → MR-bar 2; UPL = 12.461538 + 5.32 = 17.781538.
    free = xmr(BASE_LOW + [30], "increase")
    assert free[0].centre == pytest.approx(162 / 13)
    assert free[0].upper_limit == pytest.approx(17.781538, abs=1e-6)


def test_fix_after_n_counts_non_missing_points() -> None:
    # A gap inside the baseline: the first 12 *values* are still BASE_LOW (mean 11); the gap
    # removes two ranges (into and out of it), leaving ten 2s → MR-bar 2 → UPL 16.32.
    values = BASE_LOW[:6] + [None] + BASE_LOW[6:] + [100]
    pts = xmr(values, "increase", settings=FIXED)
    assert pts[0].centre == pytest.approx(11)
    assert pts[0].upper_limit == pytest.approx(16.32)
    assert signals(pts) == {13: ("I", "outside_limits")}


def test_fix_after_n_points_must_be_at_least_12() -> None:
    with pytest.raises(ValueError):
        SpcSettings(fix_after_n_points=11)
    with pytest.raises(ValueError):
        SpcSettings(two_of_three_variant="other")


# --- rule 1: outside limits ------------------------------------------------------------
@pytest.mark.parametrize(
    ("tail", "improvement", "expected"),
    [
        ([17], "increase", {12: ("I", "outside_limits")}),
        ([17], "decrease", {12: ("C", "outside_limits")}),
        ([17], "neutral", {12: ("NH", "outside_limits")}),
        ([5], "increase", {12: ("C", "outside_limits")}),
        ([5], "decrease", {12: ("I", "outside_limits")}),
        ([5], "neutral", {12: ("NL", "outside_limits")}),
        ([16], "increase", {}),  # inside the limits (and a lone point beyond 2σ)
    ],
)
def test_outside_limits(tail: list[float], improvement: str,
                        expected: dict[int, tuple[str, str]]) -> None:
    assert signals(xmr(BASE_LOW + tail, improvement, settings=FIXED)) == expected


# --- rule 2: trend ----------------------------------------------------------------------
TREND_UP = [10.5, 11, 11.5, 12, 12.5, 13]  # with BASE_LOW's final 10: 7 rising points, 11..17


@pytest.mark.parametrize(
    ("base", "tail", "improvement", "expected"),
    [
        # 10, 10.5 … 13: seven strictly rising points (indices 11–17), all flagged. Only four
        # are above the mean and 13 < 14.5466, so no other rule fires.
        (BASE_LOW, TREND_UP, "increase", span(11, 17, ("I", "trend"))),
        (BASE_LOW, TREND_UP, "decrease", span(11, 17, ("C", "trend"))),
        # Six rising points are not enough.
        (BASE_LOW, TREND_UP[:-1], "increase", {}),
        # A tie breaks the run: 10, 10.5, 11 | 11, 11.5, 12, 12.5, 13 → 3 and 5 points.
        (BASE_LOW, [10.5, 11, 11, 11.5, 12, 12.5, 13], "increase", {}),
        # Falling: BASE_HIGH ends on 12; 12, 11.5 … 9 are seven falling points (11–17);
        # only four are below the mean and 9 > 7.4534.
        (BASE_HIGH, [11.5, 11, 10.5, 10, 9.5, 9], "increase", span(11, 17, ("C", "trend"))),
        (BASE_HIGH, [11.5, 11, 10.5, 10, 9.5, 9], "decrease", span(11, 17, ("I", "trend"))),
        (BASE_HIGH, [11.5, 11, 10.5, 10, 9.5, 9], "neutral", span(11, 17, ("NL", "trend"))),
    ],
)
def test_trend(base: list[float], tail: list[float], improvement: str,
               expected: dict[int, tuple[str, str]]) -> None:
    assert signals(xmr(base + tail, improvement, settings=FIXED)) == expected


def test_trend_n_is_configurable() -> None:
    settings = SpcSettings(fix_after_n_points=12, trend_n=6)
    pts = xmr(BASE_LOW + TREND_UP[:-1], "increase", settings=settings)
    assert signals(pts) == span(11, 16, ("I", "trend"))


# --- rule 3: two of three ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("base", "tail", "expected"),
    [
        # 15 is between 14.5466 and 16.32; window (15, 11.5, 15) is all above the mean with two
        # close points → only the two 15s are flagged, the 11.5 is not.
        (BASE_LOW, [15, 11.5, 15], {12: ("I", "two_of_three"), 14: ("I", "two_of_three")}),
        (BASE_LOW, [15, 15, 11.5], {12: ("I", "two_of_three"), 13: ("I", "two_of_three")}),
        # Only one close point in any window.
        (BASE_LOW, [15, 11.5, 12], {}),
        # Two close points, but the middle one (7) is below the mean: not all on one side
        # (NHSRplotthedots issue #143).
        (BASE_LOW, [15, 7, 15], {}),
        # Low side: 7 is between 5.68 and 7.4534; window (7, 10, 7) all below the mean.
        (BASE_HIGH, [7, 10, 7], {12: ("C", "two_of_three"), 14: ("C", "two_of_three")}),
    ],
)
def test_two_of_three(base: list[float], tail: list[float],
                      expected: dict[int, tuple[str, str]]) -> None:
    assert signals(xmr(base + tail, "increase", settings=FIXED)) == expected


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        # 15 is close, 17 is beyond 3σ (> 16.32). NHSR counts only 15 as close → no 2-of-3;
        # 17 is flagged by rule 1.
        ("nhsr", {13: ("I", "outside_limits")}),
        # MDC Nov-2023 counts 17 as close too → two close points in (15, 17, 11.5): the 15
        # gets two_of_three, the 17 keeps the higher-precedence outside_limits label.
        ("mdc_2023", {12: ("I", "two_of_three"), 13: ("I", "outside_limits")}),
    ],
)
def test_two_of_three_with_point_beyond_limits(variant: str,
                                               expected: dict[int, tuple[str, str]]) -> None:
    settings = SpcSettings(fix_after_n_points=12, two_of_three_variant=variant)
    assert signals(xmr(BASE_LOW + [15, 17, 11.5], "increase", settings=settings)) == expected


# --- rule 4: shift ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("base", "tail", "expected"),
    [
        # Seven points above 11 (12/11.5 zig-zag: no trend, none beyond 2σ), indices 12–18.
        (BASE_LOW, [12, 11.5, 12, 11.5, 12, 11.5, 12], span(12, 18, ("I", "shift"))),
        # Six are not enough.
        (BASE_LOW, [12, 11.5, 12, 11.5, 12, 11.5], {}),
        # A point exactly on the mean (11.0) breaks the run into 3 + 4.
        (BASE_LOW, [12, 11.5, 12, 11, 11.5, 12, 11.5, 12], {}),
        # Seven below the mean (BASE_HIGH ends on 12, above) → concern when increase is good.
        (BASE_HIGH, [10, 10.5, 10, 10.5, 10, 10.5, 10], span(12, 18, ("C", "shift"))),
    ],
)
def test_shift(base: list[float], tail: list[float],
               expected: dict[int, tuple[str, str]]) -> None:
    assert signals(xmr(base + tail, "increase", settings=FIXED)) == expected


def test_shift_n_is_configurable() -> None:
    settings = SpcSettings(fix_after_n_points=12, shift_n=6)
    pts = xmr(BASE_LOW + [12, 11.5, 12, 11.5, 12, 11.5], "increase", settings=settings)
    assert signals(pts) == span(12, 17, ("I", "shift"))


# --- precedence and improvement-vs-concern ------------------------------------------------
# Rise 10 → 11.5 (indices 11–17) then fall 11.5 → 10.4 (17–23): two 7-point trends sharing
# the peak at 17.  Below-mean runs are 6 long either side of the peak, so no shift.
PEAK = [10.1, 10.2, 10.3, 10.4, 10.5, 11.5, 10.9, 10.8, 10.7, 10.6, 10.5, 10.4]


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        # The peak (17) is in both trends: NHSRplotthedots 0.2.2 labels it with the later,
        # right-hand trend (down), whatever the aim.
        ("increase", {**span(11, 16, ("I", "trend")), **span(17, 23, ("C", "trend"))}),
        ("decrease", {**span(11, 16, ("C", "trend")), **span(17, 23, ("I", "trend"))}),
        # Neutral: a tie between two trends goes to the later (right-hand) run.
        ("neutral", {**span(11, 16, ("NH", "trend")), **span(17, 23, ("NL", "trend"))}),
    ],
)
def test_overlapping_trends(improvement: str, expected: dict[int, tuple[str, str]]) -> None:
    assert signals(xmr(BASE_LOW + PEAK, improvement, settings=FIXED)) == expected


# BASE_LOW + 5, 6, 7, 8, 9, 9.5, 10 (indices 12–18):
#   outside: 5 < 5.68 (index 12, low);
#   two-of-three: 6 and 7 are between 5.68 and 7.4534 (13, 14, low);
#   trend: 5 → 10 rises for 7 points (12–18, up);
#   shift: 10 (index 11) and 12–18 are all below 11 → 8 points (11–18, low).
RISING_FROM_LOW = [5, 6, 7, 8, 9, 9.5, 10]


@pytest.mark.parametrize(
    ("improvement", "expected"),
    [
        # Up is good: the first rule in order labels each point (NHSRplotthedots 0.2.2):
        # 12 is below the LPL (outside limits, first rule) → concern although it starts a rising
        # trend; 13–18 are labelled by the trend (second rule) → improvement; 11 shift → concern.
        ("increase", {11: ("C", "shift"), 12: ("C", "outside_limits"),
                      **span(13, 18, ("I", "trend"))}),
        # Down is good: 11 (shift, low) and 12 (outside, low) are improvement; 13–18 are
        # labelled by the rising trend (second rule, before two-of-three and shift) → concern.
        ("decrease", {11: ("I", "shift"), 12: ("I", "outside_limits"),
                      **span(13, 18, ("C", "trend"))}),
        # Neutral: plain precedence outside > trend > two-of-three > shift.
        ("neutral", {11: ("NL", "shift"), 12: ("NL", "outside_limits"),
                     **span(13, 18, ("NH", "trend"))}),
    ],
)
def test_first_rule_labels_the_point(improvement: str,
                                   expected: dict[int, tuple[str, str]]) -> None:
    assert signals(xmr(BASE_LOW + RISING_FROM_LOW, improvement, settings=FIXED)) == expected


# --- gaps ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("with_gap", "without_gap", "signal_without"),
    [
        # Trend: 10, 10.5, 11, 11.5 | 12, 12.5, 13 → 4 + 3.
        ([10.5, 11, 11.5, None, 12, 12.5, 13], [10.5, 11, 11.5, 12, 12.5, 13],
         span(11, 17, ("I", "trend"))),
        # Shift: 3 above | 4 above.
        ([12, 11.5, 12, None, 11.5, 12, 11.5, 12], [12, 11.5, 12, 11.5, 12, 11.5, 12, 11.5],
         span(12, 19, ("I", "shift"))),
        # Two of three: (15 | 15, 11.5) leaves no 3-point window.
        ([15, None, 15, 11.5], [15, 15, 11.5],
         {12: ("I", "two_of_three"), 13: ("I", "two_of_three")}),
    ],
)
def test_gap_breaks_runs(with_gap: list[float | None], without_gap: list[float],
                         signal_without: dict[int, tuple[str, str]]) -> None:
    assert signals(xmr(BASE_LOW + without_gap, "increase", settings=FIXED)) == signal_without
    pts = xmr(BASE_LOW + with_gap, "increase", settings=FIXED)
    assert signals(pts) == {}
    gap = with_gap.index(None) + 12
    assert pts[gap].value is None and pts[gap].point_type is None and pts[gap].rule is None
    assert pts[gap].moving_range is None and pts[gap + 1].moving_range is None
    # Gap months keep the group's limits so charts can draw unbroken limit lines.
    assert pts[gap].centre == pytest.approx(11) and pts[gap].upper_limit == pytest.approx(16.32)


GAPPY = [1, 2, 1, 2, 1, 2, None, 9, 10, 9, 10, 9, 10, 9]


@pytest.mark.parametrize("missing", [None, math.nan, np.nan])
def test_gap_is_not_zero_and_no_range_spans_it(missing: float | None) -> None:
    # 13 values: sum = 3·(1+2) + 4·9 + 3·10 = 75 → mean 75/13 = 5.769231 (a zero would give
    # 75/14 = 5.357). Ranges: five 1s, none into or out of the gap, six 1s → MR-bar 1 even
    # unscreened (bridging the gap would add |9 − 2| = 7 → 18/12 = 1.5).
    # UPL = 5.769231 + 2.66 = 8.429231, LPL = 3.109231.
    values = [missing if v is None else v for v in GAPPY]
    pts = xmr(values, "neutral", settings=SpcSettings(screen_outliers=False))
    assert pts[0].centre == pytest.approx(75 / 13)
    assert pts[0].upper_limit == pytest.approx(8.429231, abs=1e-6)
    assert pts[0].lower_limit == pytest.approx(3.109231, abs=1e-6)
    assert [p.moving_range is None for p in pts] == [True] + [False] * 5 + [True, True] + [
        False] * 6
    assert pts[6].value is None and pts[6].point_type is None


def test_numpy_input() -> None:
    arr = np.array(BASE_LOW + [17, np.nan], dtype=float)
    pts = xmr(arr, "increase", settings=FIXED)
    assert signals(pts) == {12: ("I", "outside_limits")}
    assert pts[13].value is None


# --- rebasing ---------------------------------------------------------------------------
def _rebased(a: list[float], b: list[float], improvement: str = "increase",
             settings: SpcSettings = FIXED) -> list[SpcPoint]:
    """Run a+b as two rebase groups and check it equals running each part alone."""
    together = xmr(a + b, improvement, [0] * len(a) + [1] * len(b), settings)
    alone = xmr(a, improvement, settings=settings) + [
        dataclasses.replace(p, rebase_group=1) for p in xmr(b, improvement, settings=settings)
    ]
    assert together == alone
    return together


REBASE_CASES = {
    # Rising 10, 10.5, 11, 11.5 | 12, 12.5, 13: a 7-point trend only if the groups merge.
    "trend": (BASE_LOW + [10.5, 11, 11.5], [12, 12.5, 13] + [10, 12] * 5, span(11, 17, ("I", "trend"))),
    # Four above 11 | four above group 1's mean (135.5/12 = 11.29): 8 only if merged.
    "shift": (BASE_LOW + [12, 11.5, 12, 11.5], [12, 11.5, 12] + [12, 10] * 5,
              span(12, 19, ("I", "shift"))),
    # (12, 15 | 15, 11.5): merged, (12, 15, 15) has two close points.  Group 1 alone: mean
    # 136.5/12 = 11.375, MR-bar 22/11 = 2, 2σ 14.92 — its first window (15, 11.5, 12) has one.
    "two_of_three": (BASE_LOW + [12, 15], [15, 11.5] + [12, 10] * 5 + [12],
                     {13: ("I", "two_of_three"), 14: ("I", "two_of_three")}),
}


@pytest.mark.parametrize("rule", list(REBASE_CASES))
def test_rebase_resets_rules(rule: str) -> None:
    a, b, merged_signals = REBASE_CASES[rule]
    merged = signals(xmr(a + b, "increase", settings=FIXED))
    assert {i: s for i, s in merged.items() if s[1] == rule} == merged_signals
    rebased = _rebased(a, b)
    assert all(p.rule != rule for p in rebased)
    assert [p.rebase_group for p in rebased] == [0] * len(a) + [1] * len(b)


def test_rebase_gives_each_group_its_own_limits() -> None:
    rebased = _rebased(BASE_LOW + [12, 15], [15, 11.5] + [12, 10] * 5 + [12])
    assert rebased[0].centre == pytest.approx(11) and rebased[0].upper_limit == pytest.approx(16.32)
    # Group 1: mean 11.375, MR-bar 2 → UPL 16.695, 2σ 11.375 + (2·2.66/3)·2 = 14.921667.
    assert rebased[-1].centre == pytest.approx(11.375)
    assert rebased[-1].upper_limit == pytest.approx(16.695)
    assert rebased[-1].upper_2sigma == pytest.approx(14.921667, abs=5e-7)


def test_rebase_groups_must_not_go_back() -> None:
    with pytest.raises(ValueError):
        xmr([1.0] * 4, "increase", [0, 1, 0, 1])
    with pytest.raises(ValueError):
        xmr([1.0] * 4, "increase", [0, 0, 1])


@pytest.mark.parametrize(
    ("rebase_dates", "expected"),
    [
        ([], [0, 0, 0, 0, 0, 0]),
        ([dt.date(2024, 3, 1)], [0, 0, 1, 1, 1, 1]),
        # Unsorted input; a month equal to a rebase date starts the new group.
        ([dt.date(2024, 5, 1), dt.date(2024, 3, 1)], [0, 0, 1, 1, 2, 2]),
        # Mid-month rebase: the following month is the first of the new group.
        ([pd.Timestamp("2024-03-15")], [0, 0, 0, 1, 1, 1]),
    ],
)
def test_rebase_groups_for(rebase_dates: list[dt.date], expected: list[int]) -> None:
    months = [dt.date(2024, m, 1) for m in range(1, 7)]
    assert rebase_groups_for(months, rebase_dates) == expected
    assert rebase_groups_for(pd.date_range("2024-01-01", periods=6, freq="MS"),
                             rebase_dates) == expected


# --- short groups -----------------------------------------------------------------------
def test_fewer_than_13_points_is_trial() -> None:
    pts = xmr(BASE_LOW, "increase")
    assert all(p.trial and p.point_type is None and p.rule is None for p in pts)
    assert all(p.centre is None and p.upper_limit is None and p.lower_2sigma is None for p in pts)
    assert variation_icon(pts) is None
    assert assurance_icon(pts, 11, "increase") is None
    # 12 values plus a gap is still only 12 points.
    assert all(p.trial for p in xmr(BASE_LOW[:6] + [None] + BASE_LOW[6:], "increase"))


def test_thirteen_points_get_limits() -> None:
    # Mean 143/13 = 11; MRs eleven 2s and |11 − 10| = 1 → 23/12 = 1.916667;
    # UPL = 11 + 2.66·1.916667 = 16.098333.
    pts = xmr(BASE_LOW + [11], "increase")
    assert not pts[0].trial
    assert pts[0].centre == pytest.approx(11)
    assert pts[0].upper_limit == pytest.approx(16.098333, abs=1e-6)


def test_min_points_is_configurable() -> None:
    pts = xmr(BASE_LOW, "increase", settings=SpcSettings(min_points=12))
    assert pts[0].upper_limit == pytest.approx(16.32)


def test_trial_group_then_full_group() -> None:
    pts = xmr([5.0] * 4 + BASE_LOW + [17], "increase", [0] * 4 + [1] * 13, FIXED)
    assert all(p.trial for p in pts[:4])
    assert signals(pts) == {16: ("I", "outside_limits")}
    assert variation_icon(pts) == "special_cause_improvement_high"


# --- icons -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "improvement", "icon"),
    [
        (BASE_LOW + [17], "increase", "special_cause_improvement_high"),
        (BASE_LOW + [17], "decrease", "special_cause_concern_high"),
        (BASE_LOW + [17], "neutral", "special_cause_neutral_high"),
        (BASE_LOW + [5], "increase", "special_cause_concern_low"),
        (BASE_LOW + [5], "decrease", "special_cause_improvement_low"),
        (BASE_LOW + [5], "neutral", "special_cause_neutral_low"),
        (BASE_LOW + [11], "increase", "common_cause"),
        # A trailing gap: the icon describes the last month that has a value.
        (BASE_LOW + [17, None], "increase", "special_cause_improvement_high"),
        # Falling trend ending below the mean, decrease is good.
        (BASE_HIGH + [11.5, 11, 10.5, 10, 9.5, 9], "decrease", "special_cause_improvement_low"),
    ],
)
def test_variation_icon(values: list[float | None], improvement: str, icon: str) -> None:
    assert variation_icon(xmr(values, improvement, settings=FIXED)) == icon


@pytest.mark.parametrize(
    ("target", "improvement", "icon"),
    [
        # Limits 5.68 – 16.32.
        (17, "increase", "consistent_fail"),
        (5, "increase", "consistent_pass"),
        (11, "increase", "hit_or_miss"),
        (17, "decrease", "consistent_pass"),
        (5, "decrease", "consistent_fail"),
        (11, "decrease", "hit_or_miss"),
        (16, "decrease", "hit_or_miss"),
        (17, "neutral", None),
        (None, "increase", None),
    ],
)
def test_assurance_icon(target: float | None, improvement: str, icon: str | None) -> None:
    pts = xmr(BASE_LOW + [11], improvement, settings=FIXED)
    assert assurance_icon(pts, target, improvement) == icon


def test_assurance_uses_last_group() -> None:
    # Group 1 = 120, 100, … + 110: mean 110, MR-bar 20 → limits 56.8 – 163.2.
    b = [x * 10 for x in BASE_LOW] + [110]
    pts = xmr(BASE_LOW + [11] + b, "increase", [0] * 13 + [1] * 13, FIXED)
    assert pts[-1].lower_limit == pytest.approx(56.8)
    assert assurance_icon(pts, 17, "increase") == "consistent_pass"
    assert assurance_icon(pts[:13], 17, "increase") == "consistent_fail"


# --- API ---------------------------------------------------------------------------------
def test_invalid_improvement() -> None:
    with pytest.raises(ValueError):
        xmr(BASE_LOW, "up")


def test_points_to_frame() -> None:
    months = pd.date_range("2023-01-01", periods=13, freq="MS")
    frame = points_to_frame(xmr(BASE_LOW + [17], "increase", settings=FIXED), months)
    assert list(frame.columns[:9]) == ["month", "value", "rebase_group", "centre",
                                       "upper_limit", "lower_limit", "upper_2sigma",
                                       "lower_2sigma", "moving_range"]
    assert {"point_type", "rule", "direction", "trial"} <= set(frame.columns)
    assert frame.loc[12, "point_type"] == "special_cause_improvement"
    assert frame.loc[12, "month"] == pd.Timestamp("2024-01-01")
