"""The "Ward maps" and "Peers" sheets on a small hand-made card: a withheld ward is its marker and the
withheld class with no rate, interval or hotspot label; a withheld peer is unranked and "Withheld"."""

from __future__ import annotations

from types import SimpleNamespace

from openpyxl import load_workbook

from reporting.figures import (
    FLAG_PRIMARY,
    FLAG_SECONDARY,
    NOT_APPLICABLE,
    Shown,
    shown_count,
    withheld_shown,
)
from reporting.maps import WITHHELD_CLASS, MapRow, WardMap
from reporting.workbook_extras import MAP_SHEET, PEER_SHEET, write_map_sheet, write_peer_sheet
from reporting.workbooks import _Book

SYNTHETIC = "Rates per 1,000 residents use 2018 ward population estimates that are synthetic (not ONS figures)."


def _card() -> SimpleNamespace:
    rows = [MapRow("E05000001", "Allington", shown_count(12), Shown("3.0", 3.0, None, "rate", "#,##0.0"),
                   "1.5 to 5.2", "Not a significant cluster", True),
            MapRow("E05000002", "Bearsted", withheld_shown("<5", FLAG_PRIMARY), NOT_APPLICABLE, "–",
                   WITHHELD_CLASS, True)]
    wm = WardMap("", "alt", "Ward map, 12 months to Feb 2018. Boundaries: ONS 2022 ward polygons.", rows,
                 ["Hotspots by Getis-Ord Gi*.", SYNTHETIC], "rate per 1,000 residents")
    peers = [{"group": "most similar", "peer_value": Shown("4.0", 4.0, None, "rate", "#,##0.0"), "chart_b64": "x",
              "areas": [{"rank": 1, "name": "Ashford", "home": False, "count": shown_count(40),
                         "rate": Shown("3.5", 3.5, None, "rate", "#,##0.0"), "ci": "2.5 to 4.8", "judgement": "lower"},
                        {"rank": "–", "name": "Dover", "home": False, "count": withheld_shown("[c]", FLAG_SECONDARY),
                         "rate": withheld_shown("*", "suppressed_small_base", "rate"), "ci": "–",
                         "judgement": "withheld"}]}]
    ind = SimpleNamespace(indicator_id="da_incidents", label="DA incidents", window_range="Mar 2017 to Feb 2018",
                          ward_map=wm, peers=peers, peer_note="")
    return SimpleNamespace(title="Domestic abuse", indicators=[ind])


def test_withheld_ward_and_peer_show_their_class_never_a_value(tmp_path):
    book = _Book(tmp_path / "x.xlsx")
    write_map_sheet(book, _card(), "Legend.")
    write_peer_sheet(book, _card(), "Legend.")
    book.wb.close()
    wb = load_workbook(tmp_path / "x.xlsx")
    ws = wb[MAP_SHEET]
    header = [c.value for c in ws[3]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert [r["Ward"] for r in rows] == ["Allington", "Bearsted"]
    shown, withheld = rows
    assert (shown["Count"], shown["Rate per 1,000"], shown["95% CI"]) == (12, 3.0, "1.5 to 5.2")
    assert (withheld["Count"], withheld["Rate per 1,000"], withheld["95% CI"]) == ("<5", None, None)
    assert withheld["Hotspot (Gi*, FDR-corrected)"] == WITHHELD_CLASS
    assert ws["H5"].comment is not None  # the withheld count says why
    assert {r["Ward population used"] for r in rows} == {SYNTHETIC}
    assert all("ONS 2022 ward polygons" in r["Boundaries and ward vintage"] for r in rows)
    ws = wb[PEER_SHEET]
    header = [c.value for c in ws[3]]
    peers = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert [(p["Area"], p["Rank"], p["Count"], p["Rate per 1,000"], p["Against the peer average"], p["On the chart"])
            for p in peers] == [("Ashford", 1, 40, 3.5, "Lower", "Yes"), ("Dover", "–", "[c]", "*", "Withheld", "No")]
    assert peers[0]["Peer average"] == 4.0
    wb.close()
