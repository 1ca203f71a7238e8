"""Case tables for the Step 11 SPC method fixes (expected values worked by hand).

Base series (as in test_spc.py): BASE = 12, 10, 12, 10, … → mean 11, every moving range 2,
MR-bar 2, so UPL/LPL = 11 ± 2.66·2 = 16.32 / 5.68 and the 2σ limits are
11 ± (2·2.66/3)·2 = 11 ± 3.546667 = 14.546667 / 7.453333 (exact; a rounded 1.7733 would give
14.5466 / 7.4534).
"""

from __future__ import annotations

import pytest

from transforms.spc import NEAR_FACTOR, NO_LIMITS_REASONS, SpcSettings, variation_icon, xmr

BASE: list[float | None] = [12, 10] * 10  # 20 points: the default baseline exactly


def _labels(points) -> dict[int, tuple[str, str | None]]:
    short = {"special_cause_improvement": "I", "special_cause_concern": "C"}
    return {i: (short[p.point_type], p.rule) for i, p in enumerate(points)
            if p.point_type not in (None, "common_cause")}


def test_near_factor_is_the_exact_two_thirds() -> None:
    assert NEAR_FACTOR == 2 * 2.66 / 3
    assert SpcSettings().near == 2 * 2.66 / 3


# One row per method case: (name, values, settings, expected labels of special-cause points).
# 14.54665 lies between the rounded 2σ limit 14.5466 and the exact 14.546667.
CASES = [
    ("near limit: exact factor, no two-of-three", BASE + [14.54665, 14.54665, 11.5],
     SpcSettings(), {}),
    ("near limit: rounded 1.7733 would flag two-of-three", BASE + [14.54665, 14.54665, 11.5],
     SpcSettings(near_factor=1.7733), {20: ("I", "two_of_three"), 21: ("I", "two_of_three")}),
    # Baseline 20 fixes mean 11 / UPL 16.32; five later 30s are all outside and never move it.
    ("baseline fixed on first 20, later points judged", BASE + [30] * 5, SpcSettings(),
     {i: ("I", "outside_limits") for i in range(20, 25)}),
    # Conflict: BASE + 5,6,7,8,9,9.5,10 (indices 20–26). 5 < 5.68 (outside, low); 6 and 7 between
    # 5.68 and 7.453333 (two-of-three, low); 5 → 10 rises for 7 points (trend, up); 10 (index 19)
    # and 20–26 below 11 (shift, low).  Aim increase.
    ("conflict first_rule (NHSRplotthedots 0.2.2)", BASE + [5, 6, 7, 8, 9, 9.5, 10], SpcSettings(),
     {19: ("C", "shift"), 20: ("C", "outside_limits"), **{i: ("I", "trend") for i in range(21, 27)}}),
    ("conflict improvement_wins (MDC material)", BASE + [5, 6, 7, 8, 9, 9.5, 10],
     SpcSettings(conflict_rule="improvement_wins"),
     {19: ("C", "shift"), **{i: ("I", "trend") for i in range(20, 27)}}),
]


@pytest.mark.parametrize(("name", "values", "settings", "expected"), CASES, ids=[c[0] for c in CASES])
def test_method_cases(name: str, values: list[float | None], settings: SpcSettings,
                      expected: dict[int, tuple[str, str | None]]) -> None:
    assert _labels(xmr(values, "increase", settings=settings)) == expected


def test_baseline_limits_are_fixed_and_extended() -> None:
    pts = xmr(BASE + [30] * 5, "increase")
    assert {round(p.centre, 9) for p in pts} == {11}
    assert all(p.upper_limit == pytest.approx(16.32) for p in pts)
    assert [p.baseline for p in pts] == [True] * 20 + [False] * 5
    # Without a baseline (every point), mean = (220 + 150)/25 = 14.8.
    free = xmr(BASE + [30] * 5, "increase", settings=SpcSettings(fix_after_n_points=None))
    assert free[0].centre == pytest.approx(14.8)


def test_shorter_group_uses_all_its_points() -> None:
    pts = xmr(BASE[:14] + [11], "increase")  # 15 points < 20: baseline is the whole group
    assert all(p.baseline for p in pts)
    assert pts[0].centre == pytest.approx((7 * 12 + 7 * 10 + 11) / 15)


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        # Flat baseline: MR-bar 0 → limits of zero width; a later 6 must not become special cause.
        ([5.0] * 20 + [6.0], "no_variation"),
        ([5.0] * 12, "trial"),  # under the 13-point minimum
        ([5.0, None] * 14, "no_moving_range"),  # 14 values but no two consecutive
    ],
)
def test_no_limits_says_why(values: list[float | None], reason: str) -> None:
    pts = xmr(values, "increase")
    assert all(p.upper_limit is None and p.point_type is None for p in pts)
    assert {p.no_limits_reason for p in pts} == {reason}
    assert reason in NO_LIMITS_REASONS
    assert variation_icon(pts) is None
    assert all(p.trial == (reason == "trial") for p in pts)


def test_conflict_rule_is_validated() -> None:
    with pytest.raises(ValueError, match="conflict_rule"):
        SpcSettings(conflict_rule="concern_wins")
