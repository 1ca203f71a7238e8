"""A newcomer's inbox: only the real police.uk files (three months, one missing in the middle) and the
reference files `csp reference` writes (synthetic population). Every output must say which sources and
months are missing, and none may say "up to date" for a source that never arrived.

Expected values are worked out by hand from the files chosen: police.uk 2025-01, 2025-02 and 2025-04
(2025-03 left out), so the report month is 2025-04, the 12 months to it are 2024-05..2025-04, of which
3 arrived; every partner extract is missing for every month of 2025-01..2025-04.
"""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook

from tests.conftest import POLICE_DIR, run_police_only_inbox

pytestmark = pytest.mark.integration

MONTHS = ["2025-01", "2025-02", "2025-04"]


@pytest.fixture(scope="module")
def police_only(prefect_harness, tmp_path_factory):
    data = tmp_path_factory.mktemp("partial") / "data"
    run = run_police_only_inbox(data, MONTHS)
    return {**run, "dir": data / "reports" / "2025-04"}


def _html(path):
    return path.read_text(encoding="utf-8")


def test_report_month_and_status(police_only):
    from cli.status import render_status

    assert police_only["result"]["period"] == "2025-04"
    text = render_status(police_only["settings"])
    assert "police_street: received 2025-01..2025-02, 2025-04; missing 2025-03 (1 month)" in text
    assert "Sources never received (missing 2025-01..2025-04):" in text
    assert "  police_da_incidents: Domestic-abuse flagged incidents and crimes — needed by " in text
    assert "up to date" not in text.lower()


def test_cards_say_what_is_missing(police_only):
    root = police_only["dir"]
    da = _html(root / "domestic_abuse" / "report_card.html")
    assert "Source not received: Domestic-abuse flagged incidents and crimes has never been received" in da
    asb = _html(root / "asb_reoffending" / "report_card.html")
    assert ("Incomplete: Street-level crime and ASB (data.police.uk): missing 2024-05..2024-12, 2025-03. "
            "3 of 12 months of the 12 months to Apr 2025 received") in asb
    cards = [_html(path) for path in root.glob("*/report_card.html")]
    assert len(cards) == 8
    for html in cards:
        assert "up to date" not in html.lower()
    assert any("Interpretation of the plan" in html and "Violence and sexual offences" in html for html in cards)
    assert any("synthetic population estimates" in html for html in cards)


def test_committee_summary_names_missing_sources_and_what_they_affect(police_only):
    html = _html(police_only["dir"] / "committee_summary.html")
    assert ("<strong>Domestic-abuse flagged incidents and crimes</strong> (Kent Police (partner extract)): Not received: "
            "no file has arrived. Affects: ") in html
    assert "Number of reported DA incidents" in html
    assert "<strong>Street-level crime and ASB (data.police.uk)</strong>" in html and "Missing 2025-03" in html
    assert "police_da_incidents" not in html and "up to date" not in html.lower()
    assert "To be confirmed (the plan names no lead)" in html
    assert "(draft aim)" in html


def test_data_quality_page_lists_every_missing_source(police_only):
    html = _html(police_only["dir"] / "data_quality.html")
    assert "Missing or late:" in html and "Not received: no file has arrived" in html
    assert "up to date" not in html.lower()


def test_csv_and_xlsx_carry_the_data_line_and_draft_marks(police_only):
    root = police_only["dir"] / "domestic_abuse"
    with open(root / "indicators.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    da = [r for r in rows if r["indicator_id"] == "da_incidents" and r["area_type"] == "district"]
    assert da and all(r["data_quality"].startswith("Source not received: Domestic-abuse flagged") for r in da)
    assert {r["draft"] for r in rows} <= {"", "draft"} and any(r["draft"] == "draft" for r in rows)
    book = load_workbook(root / "indicators.xlsx", read_only=True)
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    book.close()
    assert any(c.startswith("Source not received: Domestic-abuse flagged") for c in cells)
    assert not any("up to date" in c.lower() for c in cells)


def test_marts_say_it_too(police_only):
    import duckdb

    with duckdb.connect(str(police_only["settings"].warehouse_path), read_only=True) as con:
        missing = con.execute("""select strftime(month, '%Y-%m') from marts.source_coverage
                                 where source = 'police_street' and missing""").fetchall()
        # No 12-month window is complete, so there are no peer rows; the catalogue flags the rates all the same.
        notes = con.execute("select distinct reference_note from marts.indicator_catalogue "
                            "where reference_note is not null").fetchall()
        rates = con.execute("select count(*) from marts.indicator_catalogue where method = 'rate' "
                            "and reference_note is null").fetchall()[0][0]
        drafts = con.execute("select count(*) filter (where draft), count(*) filter (where not draft) "
                             "from marts.indicator_values").fetchall()[0]
        entries = con.execute("select distinct priority_id, outcome_id, indicator_id from marts.indicator_values "
                              "where not draft").fetchall()
    assert missing == [("2025-03",)]
    assert len(notes) == 1 and notes[0][0].startswith("Rates per 1,000 and peer ranks use synthetic population")
    assert rates == 0
    # Straight from the plan file: the entries neither the outcome nor the indicator marks draft.
    import yaml

    from tests.conftest import PROJECT_ROOT

    plan = yaml.safe_load((PROJECT_ROOT / "plans" / "2018-19.yml").read_text(encoding="utf-8"))
    firm = {(p["id"], o["id"], i["id"]) for p in plan["priorities"] for o in p["outcomes"] for i in o.get("indicators", [])
            if not o.get("draft") and not i.get("draft")}
    assert drafts[0] > 0 and set(entries) <= firm


def test_prefect_artifact_markdown_says_it_too(police_only):
    from reporting.artifacts import priority_markdown

    summary = police_only["result"]["reports"]
    card = next(c for c in summary["priority_cards"] if c["id"] == "domestic_abuse")
    rows = [r for r in summary["indicators"] if r["priority_id"] == "domestic_abuse"]
    text = priority_markdown(card, rows, summary)
    assert "**Data quality:**" in text
    assert "- Source not received: Domestic-abuse flagged incidents and crimes has never been received" in text
    assert "- Domestic-abuse flagged incidents and crimes: Not received: no file has arrived. Affects: " in text
    assert "up to date" not in text.lower()


def test_data_quality_page_lists_police_rows_without_a_location(police_only):
    import re

    html = _html(police_only["dir"] / "data_quality.html")
    table = html.split('<table id="unplaced">', 1)[1].split("</table>", 1)[0]
    months = re.findall(r'<th scope="row">([A-Z][a-z]{2} \d{4})</th>', table)
    assert months == ["Jan 2025", "Feb 2025", "Apr 2025"]
    for month, label in zip(MONTHS, months, strict=True):  # an independent count from the csv file
        with open(POLICE_DIR / f"{month}-kent-street.csv", encoding="utf-8", newline="") as handle:
            no_location = sum(row["LSOA code"] == "" for row in csv.DictReader(handle))
        row = table.split(f'<th scope="row">{label}</th>', 1)[1].split("</tr>", 1)[0]
        assert re.findall(r">([\d,<]+)</td>", row)[0] == f"{no_location:,}"
