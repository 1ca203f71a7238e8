"""Units that tell the truth, checked on the published demo (the golden snapshot's report files).

Every percentage (proportion, survey share) changes in percentage points in every change column;
counts, rates and means change by a relative %; across a recording change there is no baseline
change and no trend, and the "Recording change" label is not in a verdict colour.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parents[1] / "golden" / "demo" / "reports"


def _rows() -> list[dict[str, str]]:
    rows = []
    for path in sorted(REPORTS.glob("*/indicators.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
            rows += [r for r in csv.DictReader(io.StringIO(handle.read())) if r["area_type"] == "district"]
    return rows


def test_percentages_change_in_points() -> None:
    rows = [r for r in _rows() if r["method"] in ("proportion", "survey_share")]
    assert rows
    for r in rows:
        assert r["change_unit"] == r["change_pct_unit"] == "percentage points", r["indicator_id"]
        if r["change"] and r["previous_value"] and r["value"]:
            # points = latest − previous, as published to one decimal (e.g. 35.7% − 26.0% = +9.7).
            assert float(r["change_pct"]) == pytest.approx(float(r["value"]) - float(r["previous_value"]),
                                                           abs=0.051), r["indicator_id"]


def test_counts_and_rates_change_by_a_relative_percent() -> None:
    rows = [r for r in _rows() if r["method"] in ("count", "rate", "mean")]
    assert rows
    for r in rows:
        assert r["change_pct_unit"] == "%", r["indicator_id"]


def test_no_baseline_change_or_trend_across_a_recording_change() -> None:
    crossing = [r for r in _rows() if r["recording_change"] == "yes"]
    assert crossing, "the demo has a row across the April 2017 recording change (VATP)"
    for r in crossing:
        assert r["status"] == "not_assessed"
        assert r["baseline_pct_change"] == "not comparable"
        assert r["trend_direction"] == "" and r["trend_periods"] == ""


def test_recording_change_label_is_not_a_verdict_colour() -> None:
    labels = []
    for path in sorted(REPORTS.glob("*/report_card.html.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            labels += re.findall(r'<span class="([^"]*)"[^>]*>Recording change</span>', handle.read())
    assert labels, "the demo shows at least one Recording change label"
    assert all("status-" not in classes for classes in labels), labels
