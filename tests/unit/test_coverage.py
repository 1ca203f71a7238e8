"""marts.source_coverage and `csp status` on partial inboxes: what is missing, refused and revised.

The audit rows are written by hand (as ingest writes them), so each scenario is exact: police files
only with a month missing mid-window, a partner source that stops three months before the period, a
revised file, a refused file, and sources that never arrived. Expected months are worked out by hand.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest

from expectations.sources import catalogue
from transforms.coverage import coverage_frame, describe_ranges, indicators_by_source, month_ranges
from warehouse.schema import ensure_schema

AREA = "E07000110"
MONTHS_2024 = [f"2024-{m:02d}" for m in range(1, 13)]


def _file(con, file_id: int, source: str, name: str, periods: list[str], status: str = "loaded",
          claimed: str | None = None, scope: str = "") -> None:
    con.execute(
        "insert into audit.files (file_id, source, file_name, original_path, sha256, size_bytes, received_at, status,"
        " period_min, period_max, periods, claimed_period) values (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?)",
        [file_id, source, name, "/in/" + name, f"{file_id:064x}", datetime(2025, 1, 1), status,
         min(periods) if periods else None, max(periods) if periods else None, periods, claimed])
    if status == "loaded":
        for period in periods:
            con.execute("insert into audit.file_periods values (?, ?, ?, ?, ?)",
                        [file_id, source, period, datetime(2025, 1, 1), scope])


def police_files_with_gap(con) -> None:
    """police.uk 2024-01..2024-12 without 2024-06; 2024-03 sent twice (the second revises the first)."""
    file_id = 0
    for month in MONTHS_2024:
        if month == "2024-06":
            continue
        file_id += 1
        _file(con, file_id, "police_street", f"{month}-kent-street.csv", [month], claimed=month, scope="Kent Police")
    _file(con, 100, "police_street", "2024-03-kent-street-v2.csv", ["2024-03"], claimed="2024-03", scope="Kent Police")


@pytest.fixture()
def con():
    connection = duckdb.connect()
    ensure_schema(connection, catalogue())
    yield connection
    connection.close()


def _rows(frame, source):
    part = frame[frame["source"] == source]
    return {row.month.strftime("%Y-%m"): row for row in part.itertuples()}


def test_month_ranges_and_their_wording():
    months = [date(2022, m, 1) for m in range(1, 12)] + [date(2024, m, 1) for m in range(1, 5)] + [date(2025, 7, 1)]
    assert month_ranges(months)[1] == (date(2024, 1, 1), date(2024, 4, 1))
    assert describe_ranges(months) == "2022-01..2022-11, 2024-01..2024-04, 2025-07"
    assert describe_ranges([date(2023, 12, 1), date(2024, 1, 1)]) == "2023-12..2024-01"  # across a year end
    assert describe_ranges([]) == ""


def test_police_only_inbox_every_partner_source_is_missing_every_month(con):
    police_files_with_gap(con)
    frame = coverage_frame(con, AREA)
    police = _rows(frame, "police_street")
    assert sorted(police) == MONTHS_2024
    assert [m for m, r in police.items() if r.missing] == ["2024-06"]
    assert police["2024-06"].status == "missing" and police["2024-06"].files_delivered == 0
    # The revised month: two files delivered, the second is the one in use.
    assert police["2024-03"].revised and police["2024-03"].status == "revised"
    assert police["2024-03"].files_delivered == 2
    assert police["2024-03"].file_in_use == "2024-03-kent-street-v2.csv"
    assert police["2024-04"].status == "received" and not police["2024-04"].revised
    # Every monthly source a plan indicator uses, never received: missing for all 12 months.
    needed = indicators_by_source(AREA)
    partner = [s for s in needed if s != "police_street" and catalogue()[s].period is not None
               and catalogue()[s].period.grain == "month"]
    assert "police_da_incidents" in partner and "marac_cases" in partner
    for source in partner:
        rows = _rows(frame, source)
        assert sorted(rows) == MONTHS_2024, source
        assert all(r.missing and r.status == "missing" and not r.delivered for r in rows.values()), source
        assert rows["2024-01"].indicators == needed[source]


def test_source_stopping_three_months_early_and_a_refused_month(con):
    police_files_with_gap(con)
    _file(con, 200, "police_da_incidents", "da_incidents_2024-01_2024-09.csv", MONTHS_2024[:9], claimed="2024-01")
    _file(con, 300, "marac_cases", "marac_2024-05.csv", [], status="quarantined", claimed="2024-05")
    frame = coverage_frame(con, AREA)
    da = _rows(frame, "police_da_incidents")
    assert [m for m, r in da.items() if r.missing] == ["2024-10", "2024-11", "2024-12"]
    assert da["2024-09"].files == ["da_incidents_2024-01_2024-09.csv"]
    marac = _rows(frame, "marac_cases")
    assert marac["2024-05"].status == "refused" and marac["2024-05"].refused_files == ["marac_2024-05.csv"]
    assert marac["2024-05"].missing  # refused and nothing loaded: still missing
    assert sum(r.missing for r in marac.values()) == 12


def test_csp_status_prints_ranges_and_gaps(settings, con):
    from cli.status import render_status

    police_files_with_gap(con)
    _file(con, 200, "police_da_incidents", "da_incidents_2024-01_2024-09.csv", MONTHS_2024[:9], claimed="2024-01")
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"attach '{settings.warehouse_path}' as target")
    con.execute("copy from database memory to target")
    con.execute("detach target")
    text = render_status(settings)
    assert "police_street: received 2024-01..2024-05, 2024-07..2024-12; missing 2024-06 (1 month); revised 2024-03" in text
    assert "police_da_incidents: received 2024-01..2024-09; missing 2024-10..2024-12 (3 months)" in text
    assert "Sources never received (missing 2024-01..2024-12):" in text
    assert "  marac_cases: " in text
    assert "up to date" not in text.lower()


def _delivered(con):
    from transforms.coverage import delivered_months

    return delivered_months(coverage_frame(con, AREA))


TITLES = {"police_street": "Street crime", "police_da_incidents": "DA extract", "marac_cases": "MARAC"}


def test_window_with_a_month_missing_in_the_middle_is_incomplete(con):
    from transforms.coverage import window_coverage

    police_files_with_gap(con)
    cover = window_coverage(_delivered(con), TITLES, ["police_street"], "12m", date(2024, 12, 1))
    assert cover["months_expected"] == 12 and cover["months_present"] == 11
    assert cover["data_status"] == "incomplete"
    assert cover["data_status_reason"] == "Street crime: missing 2024-06"
    # The 12 months to 2024-05 are complete, but nothing was delivered in 2023: the comparison is not judged.
    before = window_coverage(_delivered(con), TITLES, ["police_street"], "month", date(2024, 5, 1))
    assert (before["data_status"], before["months_present"], before["previous_months_present"]) == ("complete", 1, 0)
    assert "so the change is not judged" in before["data_status_reason"]


def test_source_stopping_early_is_stale_and_one_never_received_says_so(con):
    from transforms.coverage import window_coverage

    police_files_with_gap(con)
    _file(con, 200, "police_da_incidents", "da_incidents_2024-01_2024-09.csv", MONTHS_2024[:9], claimed="2024-01")
    delivered = _delivered(con)
    stale = window_coverage(delivered, TITLES, ["police_da_incidents"], "fytd", date(2024, 12, 1))
    assert (stale["months_expected"], stale["months_present"]) == (9, 6)  # April..December, April..September
    assert stale["data_status"] == "stale"
    assert stale["data_status_reason"] == "DA extract: latest month received is 2024-09, before 2024-12"
    never = window_coverage(delivered, TITLES, ["police_da_incidents", "marac_cases"], "12m", date(2024, 9, 1))
    assert never["data_status"] == "source not received" and never["months_present"] == 0
    # 12 months to 2024-09 = 2023-10..2024-09: the DA extract starts in 2024-01.
    assert never["data_status_reason"] == "MARAC has never been received; DA extract: missing 2023-10..2023-12"


def test_card_line_and_source_gaps_in_words(con):
    from reporting.coverage_text import indicator_data_line, source_gaps

    police_files_with_gap(con)
    _file(con, 200, "police_da_incidents", "da_incidents_2024-01_2024-09.csv", MONTHS_2024[:9], claimed="2024-01")
    frame = coverage_frame(con, AREA)
    text, css = indicator_data_line(frame, TITLES, ["police_da_incidents", "marac_cases"], date(2024, 12, 1), [])
    assert css == "dq-bad"
    assert text.startswith("Source not received: MARAC has never been received; DA extract: latest month received is "
                           "2024-09, before 2024-12. 0 of 12 months")
    assert "up to date" not in text.lower()
    text, css = indicator_data_line(frame, TITLES, ["police_street"], date(2024, 12, 1), [])
    assert css == "dq-warn" and text.startswith("Incomplete: Street crime: missing 2024-06. 11 of 12 months")
    # As at May 2024: 12 months 2023-06..2024-05, of which 2023 was never sent.
    text, css = indicator_data_line(frame, TITLES, ["police_street"], date(2024, 5, 1), [])
    assert css == "dq-warn" and text.startswith("Incomplete: Street crime: missing 2023-06..2023-12. 5 of 12 months")
    for month in range(1, 13):  # 2023 arrives: 12 months to May 2024 complete; comparison 2022-06..2023-05 has 5
        _file(con, 400 + month, "police_street", f"2023-{month:02d}-kent-street.csv", [f"2023-{month:02d}"])
    frame = coverage_frame(con, AREA)
    text, css = indicator_data_line(frame, TITLES, ["police_street"], date(2024, 5, 1), [])
    assert css == "dq-ok"
    assert text == ("Every month received for the 12 months to May 2024; the comparison window (2022-06..2023-05) has "
                    "5 of 12 months, so the change is not judged")
    frame = coverage_frame(con, AREA)
    gaps = {g.source: g for g in source_gaps(frame, date(2024, 12, 1), {"da_incidents": "Number of DA incidents"})}
    assert gaps["police_da_incidents"].kind == "late"
    # The span is now 2023-01..2024-12 (the 2023 street files): the DA extract lacks 2023 and its last quarter.
    assert gaps["police_da_incidents"].text == "latest month received is Sep 2024; missing 2023-01..2023-12, 2024-10..2024-12"
    assert "Number of DA incidents" in gaps["police_da_incidents"].indicators
    assert gaps["marac_cases"].kind == "not received"
    assert gaps["police_street"].kind == "missing months" and gaps["police_street"].text == "missing 2024-06"


def test_survey_indicator_card_says_the_survey_never_arrived(con):
    from reporting.coverage_text import indicator_data_line

    police_files_with_gap(con)
    frame = coverage_frame(con, AREA)
    titles = {"survey_responses": "Resident survey"}
    text, css = indicator_data_line(frame, titles, ["survey_responses"], date(2024, 12, 1), [], {"police_street"})
    assert css == "dq-bad"
    assert text == "Source not received: Resident survey has never been received, so no figure is computed from it"
    text, css = indicator_data_line(frame, titles, ["survey_responses"], date(2024, 12, 1), [], {"survey_responses"})
    assert (text, css) == ("Not a monthly delivery (survey waves or reference data)", "dq-ok")


def test_population_flagged_synthetic_by_the_file_in_use(con):
    from transforms.coverage import population_is_synthetic

    assert not population_is_synthetic(con)
    _file(con, 500, "reference_population", "population_2024_synthetic.csv", ["2024"])
    assert population_is_synthetic(con)
    _file(con, 501, "reference_population", "population_2024.csv", ["2024"])  # the real estimates replace it
    assert not population_is_synthetic(con)


def test_calendar_of_the_24_months_to_the_report_month(con):
    from reporting.coverage_text import coverage_calendar

    police_files_with_gap(con)
    _file(con, 300, "marac_cases", "marac_2024-05.csv", [], status="quarantined", claimed="2024-05")
    calendar = coverage_calendar(coverage_frame(con, AREA), date(2024, 12, 1))
    assert calendar["months"][0] == date(2023, 1, 1) and calendar["months"][-1] == date(2024, 12, 1)
    rows = {r["source"]: [c["text"] for c in r["cells"]] for r in calendar["rows"]}
    # 2023 is before the span (2024-01..2024-12): not expected, blank.
    assert rows["police_street"][:12] == [""] * 12
    assert rows["police_street"][12:] == ["Received", "Received", "Revised", "Received", "Received", "Missing",
                                          "Received", "Received", "Received", "Received", "Received", "Received"]
    assert rows["marac_cases"][12:] == ["Missing"] * 4 + ["Refused"] + ["Missing"] * 7
