"""Order carries no information about a withheld value (issue 15, item 1).

Regression case for the ordering leak: four wards hold 4, 3, 2 and 1 incidents (all shown "<5"),
with names that interleave alphabetically with their values. Before the fix the wards came out in
value order (4, 3, 2, 1), so the "<5" block gave every value away. The publication must put the
shown wards first, ranked by count, then the withheld wards as one alphabetical block — so that
swapping which small ward holds which value changes nothing a reader can see, in the card, the
workbook or the CSV.

Hand-worked data (12 months to Feb 2018 / Feb 2017), district 305 / 240 as in test_report_cards:
High Street 200 / 150, Fant 92 / 83, four small wards 4 + 3 + 2 + 1 = 10 / 1 each = 4, not placed
3 / 3: 200 + 92 + 10 + 3 = 305 and 150 + 83 + 4 + 3 = 240.
"""

from __future__ import annotations

import csv

import duckdb
import pytest
from openpyxl import load_workbook

from reporting.publish import publish_reports
from reporting.ranking import publication_order, top_n
from tests.unit.test_report_cards import (
    AREA,
    FANT,
    HIGH_STREET,
    PERIOD,
    PLAN,
    _make_warehouse,
    _table,
    _ward_rows,
)

SMALL = {"E05900001": "Allington", "E05900002": "Bearsted", "E05900003": "Coxheath", "E05900004": "Detling"}
# Value order differs from alphabetical order in both: A puts them 4, 3, 2, 1 = Bearsted, Detling,
# Allington, Coxheath; B is the alphabetical order itself.
PERMUTATION_A = {"Bearsted": 4, "Detling": 3, "Allington": 2, "Coxheath": 1}
PERMUTATION_B = {"Allington": 4, "Bearsted": 3, "Coxheath": 2, "Detling": 1}


def _publish(root, values: dict[str, int]):
    root.mkdir()
    warehouse = _make_warehouse(root / "csp.duckdb")
    con = duckdb.connect(str(warehouse))
    con.execute("delete from marts.indicator_values where area_type = 'ward'")
    rows = (_ward_rows("domestic_abuse", "da_outcome_1", "da_incidents", "increase", HIGH_STREET, 200, 150)
            + _ward_rows("domestic_abuse", "da_outcome_1", "da_incidents", "increase", FANT, 92, 83))
    for code, name in SMALL.items():
        rows += _ward_rows("domestic_abuse", "da_outcome_1", "da_incidents", "increase", code, values[name], 1)
        con.execute("insert into staging.stg_reference__wards values (?, ?, ?)", [code, name, AREA])
    con.executemany(f"insert into marts.indicator_values values ({', '.join('?' * 26)})", rows)
    con.close()
    publish_reports(warehouse, root / "reports", PERIOD, PLAN, AREA)
    folder = root / "reports" / PERIOD / "domestic_abuse"
    html = (folder / "report_card.html").read_text(encoding="utf-8")
    card = [r[:4] for r in _table(html, "wards-da_incidents")[1:]]
    wb = load_workbook(folder / "indicators.xlsx", read_only=True)
    sheet = [[str(c) for c in row[3:10]] for row in wb["Wards"].iter_rows(values_only=True)
             if row and row[0] == "da_incidents"]
    wb.close()
    with open(folder / "indicators.csv", encoding="utf-8-sig") as fh:
        table = [(r["area_name"], r["numerator"], r["previous_numerator"], r["change"])
                 for r in csv.DictReader(fh) if r["indicator_id"] == "da_incidents" and r["area_type"] == "ward"]
    return html, card, sheet, table


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("ranking")
    return _publish(root / "a", PERMUTATION_A), _publish(root / "b", PERMUTATION_B)


def test_withheld_wards_follow_the_shown_ones_alphabetically(both):
    _html, card, _sheet, table = both[0]
    names = [r[0] for r in card]
    assert names[:2] == ["High Street", "Fant"]
    assert names[2:6] == ["Allington", "Bearsted", "Coxheath", "Detling"]
    assert all(r[1] == "<5" for r in card[2:6])
    assert [r[0] for r in table] == ["High Street", "Fant", "Allington", "Bearsted", "Coxheath", "Detling"]


def test_which_small_ward_holds_which_value_changes_nothing_published(both):
    (html_a, card_a, sheet_a, csv_a), (html_b, card_b, sheet_b, csv_b) = both
    assert card_a == card_b
    assert sheet_a == sheet_b and len(sheet_a) == 7  # six wards and the not-placed remainder
    assert csv_a == csv_b
    assert all("follow the ranked rows in alphabetical order" in h for h in (html_a, html_b))


def test_top_n_is_decided_among_shown_rows_only():
    rows = [("Zeta", 50, False), ("Alpha", 4, True), ("Beta", 60, True), ("Gamma", 7, False), ("Delta", 1, True)]
    ordered = publication_order(rows, lambda r: r[2], lambda r: r[1], lambda r: r[0])
    # shown by value (Zeta 50, Gamma 7), then withheld by name whatever their values (Beta's 60 too)
    assert [r[0] for r in ordered] == ["Zeta", "Gamma", "Alpha", "Beta", "Delta"]
    assert [r[0] for r in top_n(ordered, lambda r: r[2], 3)] == ["Zeta", "Gamma", "Alpha"]
    assert [r[0] for r in top_n(ordered, lambda r: r[2], 1)] == ["Zeta"]
