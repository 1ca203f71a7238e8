"""The attacker (issue 15, item 2) on hand-made publications: clean ones recover nothing, leaky ones are caught.

Hand-worked cases, on the small warehouse of test_report_cards (da_incidents: 305 in the 12 months to
Feb 2018, 240 in the 12 months before):

* Adversarial wards: twenty small wards of 1 each (both windows), one ward of exactly 5 (Fant), one
  large ward (High Street: 305 - 20 - 5 - 1 = 279 now, 240 - 20 - 5 - 1 = 214 before) and 1 not placed.
  The twenty-one small cells add up to 305 - 279 - 5 = 21, so each would be exactly 1: Fant, the
  smallest shown part, is withheld ("[c]"), but then 21 cells of at least 1 and one of at least 5 add
  up to 305 - 279 = 26, which again pins every one; so High Street goes too ("[c]"). With the large ward
  published beside them (the leaky version), the attacker recovers every small ward as exactly 1.
* Order: four small wards hold Detling 4, Coxheath 3, Bearsted 2, Allington 1 (value order is reverse
  alphabetical). Published alphabetically, nothing follows. Published in value order, each step is a
  restart of the alphabet, so Detling > Coxheath > Bearsted > Allington, four values in 1..4: exactly
  4, 3, 2 and 1.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

import reporting.builder
from reporting.disclosure import DisclosureCheckError
from reporting.disclosure_attack import CHART, DIFFERENCING, ORDER, attack_publication
from reporting.publish import publish_reports
from tests.unit.test_report_cards import (
    AREA,
    FANT,
    HIGH_STREET,
    PERIOD,
    PLAN,
    _make_warehouse,
    _ward_rows,
)

SMALL20 = {f"E0591{i:04d}": f"Small Ward {i:02d}" for i in range(1, 21)}
ORDER4 = {"E05900001": ("Allington", 1), "E05900002": ("Bearsted", 2), "E05900003": ("Coxheath", 3),
          "E05900004": ("Detling", 4)}


def _warehouse(root: Path, wards: list[tuple[str, str, int, int]]) -> Path:
    """The test_report_cards warehouse with its da_incidents wards replaced by (code, name, cur, prev)."""
    root.mkdir(parents=True)
    warehouse = _make_warehouse(root / "csp.duckdb")
    con = duckdb.connect(str(warehouse))
    con.execute("delete from marts.indicator_values where area_type = 'ward'")
    con.execute("delete from staging.stg_reference__wards")
    rows = []
    for code, name, cur, prev in wards:
        rows += _ward_rows("domestic_abuse", "da_outcome_1", "da_incidents", "increase", code, cur, prev)
        con.execute("insert into staging.stg_reference__wards values (?, ?, ?)", [code, name, AREA])
    con.executemany(f"insert into marts.indicator_values values ({', '.join('?' * 26)})", rows)
    con.close()
    return warehouse


def _ward_cells(folder: Path) -> dict[str, tuple[str, str]]:
    with open(folder / "domestic_abuse" / "indicators.csv", encoding="utf-8-sig") as fh:
        return {r["area_name"]: (r["numerator"], r["previous_numerator"]) for r in csv.DictReader(fh)
                if r["indicator_id"] == "da_incidents" and r["area_type"] != "district"}


def _rewrite_csv(folder: Path, change) -> None:
    path = folder / "domestic_abuse" / "indicators.csv"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    rows = change(rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("attack")
    wards = ([(HIGH_STREET, "High Street", 279, 214), (FANT, "Fant", 5, 5)]
             + [(code, name, 1, 1) for code, name in SMALL20.items()])
    publish_reports(_warehouse(root / "w", wards), root / "reports", PERIOD, PLAN, AREA)
    return root / "reports" / PERIOD


@pytest.fixture(scope="module")
def ordered(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("attack_order")
    wards = [(HIGH_STREET, "High Street", 200, 150), (FANT, "Fant", 92, 83)]
    wards += [(code, name, value, 1) for code, (name, value) in ORDER4.items()]
    publish_reports(_warehouse(root / "w", wards), root / "reports", PERIOD, PLAN, AREA)
    return root / "reports" / PERIOD


def test_adversarial_wards_are_protected_and_nothing_is_recovered(adversarial):
    cells = _ward_cells(adversarial)
    assert all(cells[name] == ("<5", "<5") for name in SMALL20.values())
    assert cells["Fant"] == ("[c]", "[c]")
    assert cells["High Street"] == ("[c]", "[c]")
    assert cells["Not placed in a ward"] == ("<5", "<5")
    result = attack_publication(adversarial, PERIOD)
    assert result.findings == []
    # 22 small ward cells in each window, in the card (top 10 + not placed), the xlsx and the csv
    assert result.withheld_small >= 2 * 22 * 2


def test_a_large_ward_published_beside_the_small_ones_is_caught(adversarial, tmp_path):
    leaky = tmp_path / PERIOD
    shutil.copytree(adversarial, leaky)

    def show_high_street(rows):
        for r in rows:
            if r["indicator_id"] == "da_incidents" and r["area_name"] == "High Street":
                r["numerator"] = "279"
        return rows

    _rewrite_csv(leaky, show_high_street)
    findings = attack_publication(leaky, PERIOD).findings
    csv_hits = {f.where.split("(")[1].split(")")[0]: f for f in findings
                if "indicators.csv" in f.where and "column numerator" in f.where}
    assert {f"da_incidents, {name}" for name in SMALL20.values()} <= set(csv_hits)
    assert all(f.low == f.high == 1 for f in csv_hits.values())
    assert {f.attack for f in findings} == {DIFFERENCING}


def test_withheld_wards_in_alphabetical_order_reveal_nothing(ordered):
    cells = _ward_cells(ordered)
    assert [n for n in cells if cells[n][0] == "<5"] == ["Allington", "Bearsted", "Coxheath", "Detling",
                                                          "Not placed in a ward"]
    assert attack_publication(ordered, PERIOD).findings == []


def test_withheld_wards_in_value_order_are_recovered_by_order(ordered, tmp_path):
    leaky = tmp_path / PERIOD
    shutil.copytree(ordered, leaky)
    by_value = ["Detling", "Coxheath", "Bearsted", "Allington"]

    def value_order(rows):
        small = sorted((r for r in rows if r["indicator_id"] == "da_incidents" and r["area_name"] in by_value),
                       key=lambda r: by_value.index(r["area_name"]))
        it = iter(small)
        return [next(it) if r["indicator_id"] == "da_incidents" and r["area_name"] in by_value else r
                for r in rows]

    _rewrite_csv(leaky, value_order)
    found = {f.where.split("da_incidents, ")[1].split(")")[0]: f for f in attack_publication(leaky, PERIOD).findings
             if "indicators.csv" in f.where and "column numerator" in f.where and f.attack == ORDER}
    assert {name: (found[name].low, found[name].high) for name in by_value} == {
        "Detling": (4, 4), "Coxheath": (3, 3), "Bearsted": (2, 2), "Allington": (1, 1)}


def test_publication_fails_when_wards_are_ranked_by_their_hidden_value(tmp_path, monkeypatch):
    """The bug the ordering fix removed, put back: publish_reports must refuse to publish."""
    def by_value(rows, withheld, value, name, descending=True):
        sign = -1.0 if descending else 1.0
        return sorted(rows, key=lambda r: (sign * value(r), name(r)))

    monkeypatch.setattr(reporting.builder, "publication_order", by_value)
    wards = [(HIGH_STREET, "High Street", 200, 150), (FANT, "Fant", 92, 83)]
    wards += [(code, name, value, 1) for code, (name, value) in ORDER4.items()]
    with pytest.raises(DisclosureCheckError, match="recovered by order"):
        publish_reports(_warehouse(tmp_path / "w", wards), tmp_path / "reports", PERIOD, PLAN, AREA)
    assert not (tmp_path / "reports" / PERIOD).exists()


def test_a_chart_of_a_series_with_a_withheld_month_is_caught(ordered, tmp_path):
    """s136 has two months under 5 (Mar and Jul 2017): a chart of it would plot them."""
    leaky = tmp_path / PERIOD
    shutil.copytree(ordered, leaky)
    (leaky / "mental_health" / "charts").mkdir(exist_ok=True)
    (leaky / "mental_health" / "charts" / "s136_detentions.svg").write_text("<svg/>", encoding="utf-8")
    charted = {f.where for f in attack_publication(leaky, PERIOD).findings if f.attack == CHART}
    assert any("s136_detentions, 2017-03" in w for w in charted)
    assert any("s136_detentions, 2017-07" in w for w in charted)


# --------------------------------------------------------------------------- public sources (item 3)


def test_scanners_skip_only_the_rows_and_cells_marked_public(tmp_path):
    from reporting.disclosure import scan_csv_counts, scan_html_counts

    path = tmp_path / "x.csv"
    path.write_text("indicator_id,numerator\nweapons_offences,3\nda_incidents,3\n", encoding="utf-8")
    public = {"column": "indicator_id", "values": ["weapons_offences"]}
    assert scan_csv_counts(path, ["numerator"], public=public) == [f"{path}: line 3, column 'numerator': '3'"]
    assert len(scan_csv_counts(path, ["numerator"])) == 2
    html = '<table><tr><td class="count public">3</td><td class="count">2</td></tr></table>'
    problems = scan_html_counts(html)
    assert len(problems) == 1 and "'2'" in problems[0]


def test_an_indicator_is_public_only_when_every_source_is():
    from types import SimpleNamespace

    from reporting.snapshot import public_indicators

    specs = {"police_street": SimpleNamespace(public=True, publisher="Kent Police, published by data.police.uk"),
             "reference_population": SimpleNamespace(public=False, publisher="ONS"),
             "police_da_incidents": SimpleNamespace(public=False, publisher="Kent Police")}
    got = public_indicators({"weapons_offences": ["police_street"],
                             "asb_rate": ["police_street", "reference_population"],
                             "da_incidents": ["police_da_incidents"], "orphan": []}, specs)
    assert got == {"weapons_offences": "public data from data.police.uk"}


def test_the_police_street_source_is_declared_public_and_no_partner_source_is():
    from expectations.sources import catalogue

    public = sorted(name for name, spec in catalogue().sources.items() if spec.public)
    assert public == ["police_street"]
