"""On the demo's February 2018 reports: the DA card shows the published mapping action with its status,
and a ward map with hotspots whose text table gives every one of Maidstone's 26 wards."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from reporting.maps import WITHHELD_CLASS
from tests.integration.test_reports_demo import AREA, publish_demo_reports

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]

PUBLISHED_DA_ACTION = ("Complete a mapping exercise to establish incidence of DA across the Borough, establishing hot "
                       "spots within local communities and identifying cultural/minority subsets that could require "
                       "a bespoke approach")


@pytest.fixture(scope="module")
def reports(demo_warehouse, tmp_path_factory) -> dict:
    return publish_demo_reports(demo_warehouse, tmp_path_factory)


@pytest.fixture(scope="module")
def da_card(reports) -> str:
    return (reports["dir"] / "domestic_abuse" / "report_card.html").read_text(encoding="utf-8")


def _map_rows(html: str, indicator: str) -> list[list[str]]:
    table = re.search(rf'<table class="wards map-table" id="map-table-{indicator}">(.*?)</table>', html, re.DOTALL)
    assert table, f"no ward map table for {indicator}"
    body = table.group(1).split("<tbody>", 1)[1]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL)]


def test_the_da_card_shows_the_published_mapping_action_with_its_status(da_card):
    row = re.search(r'<tr id="action-DA1.1">(.*?)</tr>', da_card, re.DOTALL)
    assert row, "the DA card has no row for action DA1.1"
    text = row.group(1)
    assert PUBLISHED_DA_ACTION in text
    assert "Kent Police" in text and "Summer 2018" in text
    assert "Read as 31 August 2018 (an interpretation" in text
    assert "In progress" in text and "Overdue" not in text  # due 31 Aug 2018, the card is for February 2018
    assert "update of 26 February 2018" in text


def test_the_mart_holds_the_action_with_the_demo_update(demo_warehouse):
    with duckdb.connect(str(demo_warehouse["settings"].warehouse_path), read_only=True) as con:
        rows = con.execute("select action_id, lead_agency, by_when_label, due_date, status, is_overdue "
                           "from marts.plan_actions").fetchall()
    assert [(r[0], r[1], r[2], str(r[3]), r[4], r[5]) for r in rows] == [
        ("DA1.1", "Kent Police", "Summer 2018", "2018-08-31", "In progress", False)]


def test_the_da_card_has_a_ward_map_of_all_26_wards_with_a_value_where_data_exists(da_card, demo_warehouse):
    assert 'id="map-da_incidents"' in da_card and "Hotspot" in da_card
    rows = _map_rows(da_card, "da_incidents")
    assert len(rows) == 26  # Maidstone's 26 wards (December 2019 = December 2022 codes)
    with duckdb.connect(str(demo_warehouse["settings"].warehouse_path), read_only=True) as con:
        (year,) = con.execute("select max(year) from marts.population_by_area_year where area_type = 'ward' "
                              "and year <= 2018").fetchone()
        pops = dict(con.execute("select w.ward_name, p.population from marts.population_by_area_year p join "
                                "(select distinct ward_code, ward_name from reference.lsoa_placements where lad_code = ?) w "
                                "on w.ward_code = p.area_code where p.year = ?", [AREA, year]).fetchall())
    assert len(pops) == 26
    for name, count, rate, ci, hotspot in rows:
        assert name.split(" (")[0] in pops
        if count == "<5" or count.startswith("["):
            assert (rate, ci, hotspot) == ("–", "–", WITHHELD_CLASS) or rate.startswith(("*", "<", "["))
            continue
        n = int(count.replace(",", ""))
        assert float(rate.replace(",", "")) == pytest.approx(n / pops[name.split(" (")[0]] * 1000, abs=0.051)
        low, high = (float(x.replace(",", "")) for x in ci.split(" to "))
        assert low < float(rate.replace(",", "")) < high
        assert hotspot in {"Hotspot (high values cluster)", "Coldspot (low values cluster)", "Not a significant cluster"}
    assert "synthetic" in da_card.split('id="ward-map-da_incidents"', 1)[1].split("</table>", 1)[0]


def test_the_asb_card_has_a_ward_map_too(reports):
    html = (reports["dir"] / "asb_reoffending" / "report_card.html").read_text(encoding="utf-8")
    assert len(_map_rows(html, "asb_incidents")) == 26


def test_the_ward_maps_sheet_holds_the_map_table_as_shown(reports, da_card):
    from html import unescape

    from openpyxl import load_workbook

    from reporting.disclosure import MANIFEST_NAME, scan_manifest

    wb = load_workbook(reports["dir"] / "domestic_abuse" / "indicators.xlsx")
    ws = wb["Ward maps"]
    header = [c.value for c in ws[3]]
    withheld = 0
    for indicator in ("da_incidents", "da_ae_attendances"):  # the second has withheld wards in the demo
        html_rows = [[unescape(cell) for cell in row] for row in _map_rows(da_card, indicator)]
        sheet = [(dict(zip(header, r, strict=True)), i) for i, r in
                 enumerate(ws.iter_rows(min_row=4, values_only=True), start=4) if r[0] == indicator]
        assert len(sheet) == len(html_rows) == 26  # Maidstone's 26 wards, in the table's ward-name order
        for (row, excel_row), (name, count, rate, ci, hotspot) in zip(sheet, html_rows, strict=True):
            assert row["Ward"] == name.split(" (")[0] and row["Hotspot (Gi*, FDR-corrected)"] == hotspot
            assert "synthetic" in row["Ward population used"]
            assert "ONS 2022 ward polygons" in row["Boundaries and ward vintage"]
            if hotspot == WITHHELD_CLASS:
                withheld += 1
                assert row["Count"] == count and not isinstance(row["Count"], (int, float))  # the marker, no number
                assert (row["Rate per 1,000"], row["95% CI"]) == (None, None) and (rate, ci) == ("–", "–")
                assert ws.cell(excel_row, header.index("Count") + 1).comment is not None
                continue
            assert row["Count"] == int(count.replace(",", ""))
            decimals = len(rate.split(".")[1]) if "." in rate else 0  # as many decimals as the HTML shows
            assert f"{row['Rate per 1,000']:,.{decimals}f}" == rate and row["95% CI"] == ci
    assert withheld >= 1, "the demo's A&E attendances map has withheld wards"
    wb.close()
    manifest = reports["dir"] / "domestic_abuse" / MANIFEST_NAME
    entry = next(e for e in json.loads(manifest.read_text(encoding="utf-8"))["files"] if e["path"] == "indicators.xlsx")
    assert entry["count_columns"]["Ward maps"] == ["Count"] and entry["count_columns"]["Peers"] == ["Count"]
    assert scan_manifest(manifest) == []
