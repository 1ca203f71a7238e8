"""csp assess on the real Kent police.uk files: Maidstone's crime by type for the 12 months to December 2025
equals an independent count of the csv files; the year-on-year comparison is "not assessed" (2024 holds only
January-April); the stakeholder scoring workbook is a validated source that feeds the ranking."""

from __future__ import annotations

import csv
from collections import Counter

import openpyxl
import pytest

from cli.main import main
from reporting.disclosure import scan_manifest
from tests.conftest import POLICE_DIR, run_police_only_inbox, scoped_env

pytestmark = pytest.mark.integration

MONTHS = [f"2024-{m:02d}" for m in range(1, 5)] + [f"2025-{m:02d}" for m in range(1, 13)]
MAIDSTONE = "E07000110"


def independent_counts() -> Counter:
    """Records per crime type in Maidstone's LSOAs (names 'Maidstone 0..'), January to December 2025."""
    counts: Counter = Counter()
    for month in range(1, 13):
        with open(POLICE_DIR / f"2025-{month:02d}-kent-street.csv", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["LSOA name"].startswith("Maidstone "):
                    counts[row["Crime type"]] += 1
    return counts


def sheet_rows(path, name: str) -> dict[str, dict]:
    """The sheet's rows as dicts keyed by their first cell."""
    return {row[next(iter(row))]: row for row in sheet_dicts(path, name)}


def sheet_dicts(path, name: str) -> list[dict]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(book[name].iter_rows(values_only=True))
    finally:
        book.close()
    header = rows[0]
    return [dict(zip(header, row, strict=False)) for row in rows[1:]]


@pytest.fixture(scope="module")
def real_assessment(prefect_harness, tmp_path_factory):
    data = tmp_path_factory.mktemp("assess_real") / "data"
    run_police_only_inbox(data, MONTHS)
    with scoped_env(CSP_DATA=str(data)):
        code = main(["assess", "--year", "2026-27", "--area", MAIDSTONE])
    folder = data / "reports" / "assessment" / "2026-27" / MAIDSTONE
    return data, code, folder


def test_crime_by_type_equals_an_independent_count_of_the_csv_files(real_assessment):
    _, code, folder = real_assessment
    assert code == 0
    expected = independent_counts()
    rows = sheet_rows(folder / "strategic_assessment.xlsx", "Crime by type")
    window = "Window"
    for crime_type, count in expected.items():
        assert rows[crime_type][window] == count, crime_type
    assert rows["Total recorded crime"][window] == sum(n for t, n in expected.items() if t != "Anti-social behaviour")
    assert set(rows) == set(expected) | {"Total recorded crime"}  # every type, nothing invented


def test_year_on_year_is_not_assessed_because_2024_is_incomplete(real_assessment):
    _, _, folder = real_assessment
    rows = sheet_rows(folder / "strategic_assessment.xlsx", "Crime by type")
    total = rows["Total recorded crime"]
    assert total["Year earlier"] == "Not assessed" and total["Change"] == "–"
    assert "8 of 12 months were not received (2024-05..2024-12)" in total["Note"]
    html = (folder / "strategic_assessment.html").read_text(encoding="utf-8")
    assert "Not assessed against a year earlier" in html
    assert "synthetic population estimates" in html  # the population's provenance, where the rates are
    assert "PLACEHOLDERS" in html and "placeholder harm weights" in html
    assert "Not received" in html  # partner themes: no partner extract in this inbox
    assert scan_manifest(folder / "disclosure_manifest.json") == []


def test_district_rates_rank_the_thirteen_kent_districts(real_assessment):
    _, _, folder = real_assessment
    rows = sheet_rows(folder / "strategic_assessment.xlsx", "District rates")
    assert len(rows) == 13 and sorted(int(r) for r in rows) == list(range(1, 14))


def test_stakeholder_workbook_is_validated_and_feeds_the_ranking(real_assessment, tmp_path, capsys):
    data, _, folder = real_assessment
    book = openpyxl.load_workbook(folder / "priority_scores_template.xlsx")
    sheet = book["Scores"]
    for i in range(2, sheet.max_row + 1):
        sheet.cell(i, 4, "Maidstone Borough Council")
        sheet.cell(i, 5, 3)
    sheet.cell(2, 5, 9)  # out of the 1-5 scale
    bad = tmp_path / "bad" / "priority_scores_2026-27.xlsx"
    bad.parent.mkdir()
    book.save(bad)
    sheet.cell(2, 5, 5)
    good = tmp_path / "priority_scores_2026-27.xlsx"
    book.save(good)
    with scoped_env(CSP_DATA=str(data)):
        assert main(["validate", str(bad)]) == 1
        assert ("priority_scores_2026-27.xlsx row 2: Capacity To Influence 9 is out of range"
                in capsys.readouterr().out)
        assert main(["ingest", str(good)]) == 0
        assert main(["assess", "--year", "2026-27", "--area", MAIDSTONE]) == 0
    matrix = sheet_dicts(folder / "strategic_assessment.xlsx", "Priority matrix")
    violence = next(row for row in matrix if row["Theme"] == "Violence and sexual offences")
    assert "capacity" not in (violence["Missing"] or "")
    assert violence["Evidence: capacity"] == "Mean of 1 agency (Maidstone Borough Council)"
    # the first theme was scored 5 (capacity score 100), every other 3 (50)
    assert violence["Partnership capacity to influence (stakeholder score 1-5)"] == 100
