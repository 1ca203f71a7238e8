"""csp assess on the demo (Maidstone, as on 5 March 2018) with the SMP's November-October window: the
published 2018 Strategic Assessment figures hold, and the April 2017 recording change stops judgement."""

from __future__ import annotations

import json

import openpyxl
import pytest

from cli.main import main
from reporting.disclosure import scan_manifest
from tests.conftest import scoped_env
from tests.renderer import chromium_binary

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]

# SMP Strategic Assessment 2018-19 (12 months to October 2017 against the 12 months to October 2016),
# the anchors the demo is calibrated to (demo/calibration.py STREET_WINDOWS).
PUBLISHED = {"Violence and sexual offences": (4833, 3390), "Drugs": (342, 345), "Anti-social behaviour": (3243, 3697)}


def rows(path, name: str) -> dict[str, dict]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        table = list(book[name].iter_rows(values_only=True))
    finally:
        book.close()
    return {row[0]: dict(zip(table[0], row, strict=False)) for row in table[1:]}


@pytest.fixture(scope="module")
def demo_assessment(demo_warehouse):
    data = demo_warehouse["settings"].data_dir
    with scoped_env(CSP_DATA=str(data)):
        code = main(["assess", "--year", "2018-19", "--window-end", "2017-10"])
    return code, data / "reports" / "assessment" / "2018-19" / "E07000110"


def test_published_strategic_assessment_figures(demo_assessment):
    code, folder = demo_assessment
    assert code == 0
    table = rows(folder / "strategic_assessment.xlsx", "Crime by type")
    for crime_type, (current, previous) in PUBLISHED.items():
        row = table[crime_type]
        assert (row["Window"], row["Year earlier"]) == (current, previous), crime_type
        assert row["Change"] == current - previous
    violence = table["Violence and sexual offences"]
    assert violence["% change"] == "+42.6%"  # 1,443 / 3,390
    # 4,833 / 365 - 3,390 / 366 (the earlier window holds 29 February 2016) = 13.241 - 9.262 = +3.98 a day
    assert violence["Change per day"] == "+3.98"
    # Nov 2015 - Oct 2017 straddles Kent Police's April 2017 recording change: not judged
    assert violence["Significant change"] == "Not judged (recording change)"


def test_pack_contents_and_truth_labels(demo_assessment):
    _, folder = demo_assessment
    html = (folder / "strategic_assessment.html").read_text(encoding="utf-8")
    for heading in ("Victim-based and non-victim-based crime", "The latest quarter: August 2017 to October 2017",
                    "SPC charts", "Wards: violence, ASB and residents", "Priority-ranking matrix",
                    "Kent Police individual offence recording", "placeholder harm weights", "synthetic population"):
        assert heading in html, heading
    assert html.count("<img src=\"data:image/png;base64,") == 2  # force-wide and district SPC charts
    split = rows(folder / "strategic_assessment.xlsx", "Victim-based")
    total = split["Total recorded crime"]["Window"]
    assert split["Victim-based crime"]["Window"] + split["Other crimes against society (non-victim-based)"]["Window"] == total
    assert scan_manifest(folder / "disclosure_manifest.json") == []


def test_recommended_priorities_come_with_their_evidence(demo_assessment):
    _, folder = demo_assessment
    recommended = rows(folder / "strategic_assessment.xlsx", "Recommended")
    assert len(recommended) == 5
    matrix = openpyxl.load_workbook(folder / "strategic_assessment.xlsx", read_only=True)["Priority matrix"]
    table = list(matrix.iter_rows(values_only=True))
    header = table[0]
    assert {"Evidence: volume", "Evidence: harm", "Evidence: capacity"} <= set(header)
    violence = next(dict(zip(header, r, strict=False)) for r in table[1:] if r[1] == "Violence and sexual offences")
    # its two windows straddle April 2017: no trend score, and the evidence says why
    assert "trend" in violence["Missing"] and violence["Evidence: trend"].startswith("Not comparable: Kent Police")
    sensitivity = rows(folder / "strategic_assessment.xlsx", "Sensitivity")
    assert set(sensitivity) == {"volume", "trend", "harm", "public_concern", "vulnerability", "capacity"}


def test_assessment_pack_prints_on_a4(demo_assessment):
    """The pack is printed by the same renderer as the cards (step 12): A4 pages, numbered, each with text."""
    chromium_binary()  # fails under CI=true when the renderer is missing, skips elsewhere
    from pypdf import PdfReader

    _, folder = demo_assessment
    pdf = folder / "strategic_assessment.pdf"
    reader = PdfReader(str(pdf))
    pages = len(reader.pages)
    assert 2 <= pages <= 40
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1.5 and abs(height - 841.89) < 1.5  # A4 in points
        text = page.extract_text()
        assert f"Page {number} of {pages}" in text
        assert "Strategic Assessment 2018-19" in text and "OFFICIAL" in text
    manifest = json.loads((folder / "disclosure_manifest.json").read_text(encoding="utf-8"))
    entry = next(f for f in manifest["files"] if f["path"] == "strategic_assessment.pdf")
    assert entry["rendered_from"] == "strategic_assessment.html" and entry["pages"] == pages
