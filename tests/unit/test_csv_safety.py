"""CSV formula injection: the OWASP rule on single cells and on a written CSV."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from reporting.csv_safety import safe_cell, safe_frame
from reporting.outputs import CSV_COLUMNS, write_csv


@pytest.mark.parametrize(("value", "expected"), [
    ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"),
    ("-1+1", "'-1+1"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("-", "'-"),
    # numbers stay numbers (a negative change must still sum in Excel)
    ("-3", "-3"), ("-12.5", "-12.5"), ("+1.5", "+1.5"), ("-0.25e-3", "-0.25e-3"), ("-1,234", "-1,234"), ("-4.5%", "-4.5%"),
    # ordinary text and values
    ("Bearsted", "Bearsted"), ("High Street", "High Street"), ("<5", "<5"), ("[c]", "[c]"), ("", ""),
    ("a=b", "a=b"),
])
def test_safe_cell_follows_the_owasp_rule(value, expected):
    assert safe_cell(value) == expected


def test_non_text_values_are_untouched():
    assert safe_cell(-3) == -3 and safe_cell(None) is None and safe_cell(2.5) == 2.5


def test_safe_frame_neutralises_text_columns_only():
    frame = pd.DataFrame({"month": ["2018-01", "=1+1"], "forecast": [-1.0, 2.0], "method": ["@SUM(1)", "ets"]})
    out = safe_frame(frame)
    assert out["month"].tolist() == ["2018-01", "'=1+1"]
    assert out["forecast"].tolist() == [-1.0, 2.0]
    assert out["method"].tolist() == ["'@SUM(1)", "ets"]


def test_write_csv_neutralises_every_text_cell(tmp_path):
    rows = [{"area_name": "=HYPERLINK(\"http://x\")", "indicator": "+cmd|' /C calc'!A0", "change": "-3",
             "data_quality": "@SUM(1)", "area_code": "-1+1"}]
    path = tmp_path / "indicators.csv"
    write_csv(path, rows)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == CSV_COLUMNS
    assert written[0]["area_name"] == "'=HYPERLINK(\"http://x\")"
    assert written[0]["indicator"] == "'+cmd|' /C calc'!A0"
    assert written[0]["data_quality"] == "'@SUM(1)"
    assert written[0]["area_code"] == "'-1+1"
    assert written[0]["change"] == "-3"
