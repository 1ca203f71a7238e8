"""Tests for reporting.charts.spc_chart: files, formats, MDC colours, determinism."""

from __future__ import annotations

import datetime as dt
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from reporting.charts import COLOURS, FORECAST_LABEL, spc_chart
from transforms.spc import points_to_frame, rebase_groups_for, xmr

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# 48 months from April 2021: a gap in month 10 and a spike (140) in the first two years,
# rebased in April 2023 to a lower level with a dip (60).  Both extremes sit far outside
# any limits the ±3ish zig-zag around them can produce.
FIRST = [100, 104, 98, 103, 99, 102, 97, 101, 100, None, 103, 99,
         140, 101, 98, 102, 100, 99, 103, 97, 101, 100, 102, 98]
SECOND = [90, 93, 88, 92, 89, 91, 60, 90, 92, 88, 91, 89,
          93, 90, 88, 92, 89, 91, 90, 92, 88, 91, 89, 90]
MONTHS = pd.date_range("2021-04-01", periods=48, freq="MS")
REBASE = [dt.date(2023, 4, 1)]


@pytest.fixture
def points_df() -> pd.DataFrame:
    groups = rebase_groups_for(MONTHS, REBASE)
    return points_to_frame(xmr(FIRST + SECOND, "increase", groups), MONTHS)


@pytest.fixture
def forecast_df() -> pd.DataFrame:
    months = pd.date_range("2025-04-01", periods=12, freq="MS")
    return pd.DataFrame({"month": months, "forecast": [90.0] * 12,
                         "lower": [84.0] * 12, "upper": [96.0] * 12})


def _render(points: pd.DataFrame, stem: Path, **kwargs: object) -> dict[str, Path]:
    return spc_chart(points, "Anti-social behaviour incidents", "increase", stem, **kwargs)


def test_writes_png_and_svg(points_df: pd.DataFrame, forecast_df: pd.DataFrame,
                            tmp_path: Path) -> None:
    # The fixture really has both kinds of special cause and two groups.
    assert {"special_cause_improvement", "special_cause_concern"} <= set(points_df["point_type"])
    assert points_df["value"].isna().sum() == 1
    paths = _render(points_df, tmp_path / "charts" / "asb", target=95, forecast_df=forecast_df,
                    subtitle="Monthly count")
    assert paths == {"png": tmp_path / "charts" / "asb.png",
                     "svg": tmp_path / "charts" / "asb.svg"}

    png = paths["png"].read_bytes()
    assert png[:8] == PNG_SIGNATURE
    width, height = struct.unpack(">II", png[16:24])  # IHDR: 7.2 × 5.3 in at 150 dpi
    assert (width, height) == (1080, 795)
    assert 20_000 < len(png) < 2_000_000

    svg = paths["svg"].read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert COLOURS["improvement"] in svg  # #289de0
    assert COLOURS["concern"] in svg  # #fab428
    assert COLOURS["target"] in svg
    for text in ("Rebased", FORECAST_LABEL, "Anti-social behaviour incidents",
                 "Monthly count", "Common cause", "Hit or miss", "Target (95)"):
        assert text in svg, text


def test_no_special_cause_colours_without_special_cause(tmp_path: Path) -> None:
    flat = [100, 102] * 12
    frame = points_to_frame(xmr(flat, "increase"), MONTHS[:24])
    assert set(frame["point_type"]) == {"common_cause"}
    svg = _render(frame, tmp_path / "flat")["svg"].read_text(encoding="utf-8")
    assert COLOURS["improvement"] not in svg and COLOURS["concern"] not in svg
    assert "Rebased" not in svg


def test_badges_reflect_last_point(tmp_path: Path) -> None:
    # Mean 2564/25 = 102.56; the 38 jump is screened out so MR-bar = 2 and the limits are
    # 97.24 – 107.88: 140 is above → "Improvement (high)"; target 90 < LPL →
    # "Consistently passing".
    frame = points_to_frame(xmr([100, 102] * 12 + [140], "increase"), MONTHS[:25])
    svg = _render(frame, tmp_path / "up", target=90)["svg"].read_text(encoding="utf-8")
    assert "Improvement (high)" in svg and "Consistently passing" in svg


def test_neutral_special_cause_is_purple(tmp_path: Path) -> None:
    frame = points_to_frame(xmr([100, 102] * 12 + [140], "neutral"), MONTHS[:25])
    paths = spc_chart(frame, "Calls", "neutral", tmp_path / "neutral")
    svg = paths["svg"].read_text(encoding="utf-8")
    assert COLOURS["neutral"] in svg and "Neutral (high)" in svg


def test_trial_limits_note(tmp_path: Path) -> None:
    frame = points_to_frame(xmr([100, 102, 101, 99, 103, 98, 100, 101, 102, 99], "increase"),
                            [dt.date(2024, m, 1) for m in range(1, 11)])
    assert frame["centre"].isna().all()
    svg = _render(frame, tmp_path / "trial")["svg"].read_text(encoding="utf-8")
    assert "Trial limits (&lt;13 points)" in svg or "Trial limits (<13 points)" in svg
    ET.fromstring(svg)


def test_renders_are_byte_identical(points_df: pd.DataFrame, forecast_df: pd.DataFrame,
                                    tmp_path: Path) -> None:
    first = _render(points_df, tmp_path / "one", target=95, forecast_df=forecast_df)
    second = _render(points_df, tmp_path / "two", target=95, forecast_df=forecast_df)
    assert first["svg"].read_bytes() == second["svg"].read_bytes()
    assert first["png"].read_bytes() == second["png"].read_bytes()


def test_missing_columns_rejected(points_df: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="centre"):
        _render(points_df.drop(columns=["centre"]), tmp_path / "bad")
