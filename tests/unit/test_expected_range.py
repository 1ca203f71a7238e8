"""Target bands as plan data (e.g. MARAC repeat rate 28–40%, SafeLives), worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from transforms.definitions import ExpectedRange, PlanIndicator
from transforms.judgement import within_range
from transforms.spc import range_assurance_icon, xmr


@pytest.mark.parametrize(
    ("value", "status", "crossing", "expected"),
    [
        (35.7, "worsening", False, "within_expected_range"),  # the demo's MARAC repeats: inside 28–40
        (28.0, "improving", False, "within_expected_range"),  # the ends belong to the range
        (40.0, "no_significant_change", False, "within_expected_range"),
        (41.2, "worsening", False, "worsening"),  # outside: the status against the aim stands
        (25.0, "improving", False, "improving"),
        (35.7, "not_assessed", True, "not_assessed"),  # never across a recording change
        (np.nan, "not_assessed", False, "not_assessed"),
    ],
)
def test_status_within_the_expected_range(value: float, status: str, crossing: bool, expected: str) -> None:
    got = within_range(np.array([status]), pd.Series([value]), pd.Series([28.0]), pd.Series([40.0]),
                       pd.Series([crossing]))
    assert got.tolist() == [expected]


def test_no_range_keeps_the_status() -> None:
    got = within_range(np.array(["worsening"]), pd.Series([35.7]), pd.Series([np.nan]), pd.Series([np.nan]),
                       pd.Series([False]))
    assert got.tolist() == ["worsening"]


# Series 34, 36, 34, 36, … (20 points): mean 35, MR-bar 2 → limits 35 ± 5.32 = 29.68 / 40.32.
BAND_SERIES: list[float | None] = [34.0, 36.0] * 10


@pytest.mark.parametrize(
    ("low", "high", "icon"),
    [
        (28, 41, "consistent_pass"),  # 28 ≤ 29.68 and 40.32 ≤ 41: every month will sit in the range
        (28, 40, "hit_or_miss"),  # the UPL 40.32 is above 40: some months may fall outside
        (41, 50, "consistent_fail"),  # the range starts above the UPL
        (10, 29, "consistent_fail"),  # the range ends below the LPL
    ],
)
def test_range_assurance(low: float, high: float, icon: str) -> None:
    assert range_assurance_icon(xmr(BAND_SERIES, "decrease"), low, high) == icon


def test_range_assurance_needs_limits() -> None:
    assert range_assurance_icon(xmr(BAND_SERIES[:12], "decrease"), 28, 40) is None


def test_plan_range_is_checked() -> None:
    entry = PlanIndicator.model_validate({"id": "x", "label": "x", "data_source": "x", "aim": "decrease",
                                          "expected_range": {"low": 28, "high": 40, "source": "SafeLives"}})
    assert entry.expected_range == ExpectedRange(low=28, high=40, source="SafeLives")
    with pytest.raises(ValueError, match="low < high"):
        ExpectedRange(low=40, high=28, source="SafeLives")
