"""Report cards on a small hand-made warehouse: scoping, the DA table, suppression flags, notes.

The warehouse holds what the engine would have written for two priorities of the 2018-19 plan.
Monthly series (the fixture sums them into 12-month rows, as the engine does):

* da_incidents (aim increase): Mar 2015 - Feb 2017 alternate 19, 21 (every 12 months = 240);
  Mar 2017 - Jan 2018 alternate 24, 26, then Feb 2018 = 31 (12 months to Feb 2018 = 305).
  Wards, 12 months to Feb 2018 / Feb 2017: High Street 200 / 150, Fant 102 / 87, so 3 / 3 are
  not placed in a ward.
* da_bme_pct: numerator 2 a month until Feb 2017, then 3, 2, 3, ... (Mar 2017 = 3); base = incidents.
* da_repeat_victim_pct (performance measure, better off, aim decrease): numerator 5 a month.
* s136_detentions (mental health, aim decrease): 6 a month, then Mar 2017 - Feb 2018
  3, 6, 5, 7, 2, 8, 6, 5, 9, 6, 7, 6 (= 70). police_s136 is loaded only to Jan 2018 (stale).

Hand-worked expectations (period 2018-02, plan 2018-19 starting 1 April 2018):

* da_incidents: 305 vs 240 → +65, 65/240 = +27.1%. 12-month value rose every month from Mar 2017
  (245, 250, ... 295, 305) and was flat Jan → Feb 2017 (240, 240): rising for 12 months, the way
  the aim wants. Plan year not started → baseline = change since Feb 2017 = +27.1%.
  Wards: not placed 3 is small → "<5"; then High Street + Fant + <5 = 305 would give it away,
  so the smaller ward (Fant, 102) is withheld as "[c]"; same for the previous 12 months (87).
* da_bme_pct: 30 / 305 = 9.836% → 9.8%; 24 / 240 = 10.0%; -0.164 pts → -0.2 pts; -0.164 / 10 =
  -1.6%. 12 months to Jan 2018: (2 + 28) / (21 + 274) = 10.17%, so Feb fell: falling for 1 month,
  against the aim. Every monthly numerator is 1-4, so every monthly % is "[c]" (rate x published
  base = numerator) and the chart is withheld.
* da_repeat_victim_pct: 60 / 305 = 19.7%; 60 / 240 = 25.0%; -5.3 pts; -5.33 / 25 = -21.3%;
  the base grows every month so the % falls every month: falling for 12 months (aim decrease).
* s136_detentions: 70 vs 72 → -2, -2/72 = -2.8%; 12 months to Dec 2017 = 69, Jan 2018 = 70,
  Feb 2018 = 70: unchanged for 1 month. Months Mar 2017 (3) and Jul 2017 (2) are "<5"; the other
  ten add to 65, so the two small ones add to 5 — (1,4), (2,3), (3,2), (4,1) — nothing more to hide.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from reporting.artifacts import check_rows, publish_artifacts
from reporting.disclosure import MANIFEST_NAME, DisclosureRules, scan_manifest
from reporting.linked_counts import build_count_system, suppress_linked
from reporting.publish import publish_reports
from transforms.coverage import build_source_coverage

AREA = "E07000110"
PLAN = "2018-19"
PERIOD = "2018-02"
HIGH_STREET, FANT = "E05004996", "E05004992"
FIRST = dt.date(2015, 3, 1)


def _months(n: int = 36) -> list[dt.date]:
    out, d = [], FIRST
    for _ in range(n):
        out.append(d)
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out


def _end(d: dt.date) -> dt.date:
    nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


MONTHS = _months()
INCIDENTS = [19 if i % 2 == 0 else 21 for i in range(24)] + [24 if i % 2 == 0 else 26 for i in range(11)] + [31]
BME = [2] * 24 + [3 if i % 2 == 0 else 2 for i in range(12)]
REPEAT = [5] * 36
S136 = [6] * 24 + [3, 6, 5, 7, 2, 8, 6, 5, 9, 6, 7, 6]

VALUE_COLUMNS = """plan_year varchar, priority_id varchar, outcome_id varchar, indicator_id varchar,
    area_code varchar, area_type varchar, period_type varchar, period_start date, period_end date,
    value double, numerator double, denominator double, ci_lower double, ci_upper double,
    previous_value double, previous_numerator double, previous_denominator double, change double,
    change_pct double, change_p_value double, change_significant boolean, aim varchar, status varchar,
    crosses_recording_change boolean, recording_changes varchar[], months_in_window integer"""

# (status, p) of the latest 12 months, and its CI (inputs: the engine's job, not the report's).
LATEST = {
    "da_incidents": ("improving", 0.0123, 271.7, 341.2),
    "da_bme_pct": ("no_significant_change", 0.93, 6.94, 13.72),
    "da_repeat_victim_pct": ("improving", 0.041, 15.6, 24.5),
    "s136_detentions": ("no_significant_change", 0.87, 54.6, 88.4),
}


def _series_rows(priority, outcome, indicator, aim, nums, dens=None, area=AREA, area_type="district"):
    """Monthly and 12-month rows the engine would write for one series."""
    rows = []
    pct = dens is not None
    for i, m in enumerate(MONTHS):
        n, d = nums[i], dens[i] if pct else None
        rows.append((PLAN, priority, outcome, indicator, area, area_type, "month", m, _end(m),
                     100 * n / d if pct else n, n, d, None, None, None, None, None, None, None, None, None,
                     aim, "not_assessed", False, [], 1))
    for i in range(11, 36):
        n = sum(nums[i - 11:i + 1])
        d = sum(dens[i - 11:i + 1]) if pct else None
        value = 100 * n / d if pct else n
        prev = None
        if i >= 23:
            pn = sum(nums[i - 23:i - 11])
            pd_ = sum(dens[i - 23:i - 11]) if pct else None
            prev = (100 * pn / pd_ if pct else pn, pn, pd_)
        status, p, lo, hi = LATEST.get(indicator, ("no_significant_change", 0.5, None, None))
        if i != 35 or area_type != "district":
            status, p, lo, hi = ("no_significant_change", 0.5, None, None) if prev else ("not_assessed", None, None, None)
        rows.append((PLAN, priority, outcome, indicator, area, area_type, "12m", MONTHS[i - 11], _end(MONTHS[i]),
                     value, n, d, lo, hi, *(prev or (None, None, None)),
                     (value - prev[0]) if prev else None, (100 * (value - prev[0]) / prev[0]) if prev else None,
                     p, (p is not None and p < 0.05), aim, status, False, [], 12))
    return rows


def _ward_rows(priority, outcome, indicator, aim, code, cur, prev):
    return [(PLAN, priority, outcome, indicator, code, "ward", "12m", dt.date(2017, 3, 1), dt.date(2018, 2, 28),
             cur, cur, None, None, None, prev, prev, None, cur - prev, 100 * (cur - prev) / prev, 0.5, False,
             aim, "no_significant_change", False, [], 12)]


CATALOGUE = [
    # priority, title, outcome, statement, indicator, label, source, data_source, method, unit, aim, kind, tag
    ("domestic_abuse", "Domestic Abuse", "da_outcome_1", "All communities can live without domestic abuse",
     "da_incidents", "Number of reported DA incidents", "police_da_incidents", "Kent Police", "count",
     "incidents", "increase", "indicator", None),
    ("domestic_abuse", "Domestic Abuse", "da_outcome_1", "All communities can live without domestic abuse",
     "da_bme_pct", "% of BME reported DA incidents", "police_da_incidents", "Kent Police", "proportion",
     "% of incidents with ethnicity stated", "increase", "indicator", None),
    ("domestic_abuse", "Domestic Abuse", "da_outcome_1", "All communities can live without domestic abuse",
     "da_repeat_victim_pct", "% of DA incidents involving a repeat victim", "police_da_incidents", "Kent Police",
     "proportion", "% of incidents", "decrease", "performance_measure", "better_off"),
    ("mental_health", "Mental Health", "mh_outcome_1", "Fewer people in crisis are detained by police",
     "s136_detentions", "Number of s136 detentions", "police_s136", "Kent Police", "count", "detentions",
     "decrease", "indicator", None),
]


def _make_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    for schema in ("marts", "audit", "staging"):
        con.execute(f"create schema {schema}")
    con.execute(f"create table marts.indicator_values ({VALUE_COLUMNS})")
    rows = (_series_rows("domestic_abuse", "da_outcome_1", "da_incidents", "increase", INCIDENTS)
            + _series_rows("domestic_abuse", "da_outcome_1", "da_bme_pct", "increase", BME, INCIDENTS)
            + _series_rows("domestic_abuse", "da_outcome_1", "da_repeat_victim_pct", "decrease", REPEAT, INCIDENTS)
            + _series_rows("mental_health", "mh_outcome_1", "s136_detentions", "decrease", S136)
            + _ward_rows("domestic_abuse", "da_outcome_1", "da_incidents", "increase", HIGH_STREET, 200, 150)
            + _ward_rows("domestic_abuse", "da_outcome_1", "da_incidents", "increase", FANT, 102, 87))
    con.executemany(f"insert into marts.indicator_values values ({', '.join('?' * 26)})", rows)
    con.execute("""create table marts.indicator_catalogue (plan_year varchar, priority_id varchar,
        priority_title varchar, outcome_id varchar, outcome_statement varchar, indicator_id varchar, label varchar,
        title varchar, definition varchar, source varchar, data_source varchar, method varchar, unit varchar,
        aim varchar, target double, kind varchar, tag varchar, lead varchar, caveats varchar,
        recording_changes varchar, draft boolean)""")
    for (pid, ptitle, oid, stmt, iid, label, source, ds, method, unit, aim, kind, tag) in CATALOGUE:
        con.execute("insert into marts.indicator_catalogue values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                    "?, ?, ?, ?, ?, ?)",
                    [PLAN, pid, ptitle, oid, stmt, iid, label, label, f"Definition of {label}.", source, ds, method,
                     unit, aim, None, kind, tag, "A Lead (Agency)", "A caveat.", "", False])
    con.execute("create table staging.stg_reference__wards (ward_code varchar, ward_name varchar, lad_code varchar)")
    con.execute("insert into staging.stg_reference__wards values (?, 'High Street', ?), (?, 'Fant', ?)",
                [HIGH_STREET, AREA, FANT, AREA])
    con.execute("create table staging.stg_reference__districts (lad_code varchar, lad_name varchar)")
    con.execute("insert into staging.stg_reference__districts values (?, 'Maidstone')", [AREA])
    con.execute("""create table audit.files (file_id bigint, source varchar, file_name varchar, status varchar,
        reason varchar, rows_in_file bigint, rows_loaded bigint, period_min varchar, period_max varchar,
        rules_checked integer, quarantine_path varchar, received_at timestamp, run_id varchar,
        claimed_period varchar)""")
    con.execute("""insert into audit.files values
        (1, 'police_da_incidents', 'da_incidents_2018-02.csv', 'loaded', null, 300, 300, '2018-02', '2018-02', 23,
         null, '2018-03-05 06:00', 'run-1', '2018-02'),
        (2, 'police_da_incidents', 'da_incidents_2018-02_resend.csv', 'quarantined',
         'police_da_incidents da_incidents_2018-02_resend.csv row 60: DASH Risk ''very high'' is not allowed',
         234, 0, '2018-02', '2018-02', 23, '/x/data/quarantine/police_da_incidents/da_incidents_2018-02_resend.csv',
         '2018-03-05 06:01', 'run-1', '2018-02'),
        (3, 'police_s136', 's136_2018-01.csv', 'loaded', null, 6, 6, '2018-01', '2018-01', 12, null,
         '2018-03-05 06:02', 'run-1', '2018-01')""")
    con.execute("""create table audit.validation_results (file_id bigint, source varchar, rule varchar,
        column_name varchar, rows_failing bigint, sample_rows bigint[], message varchar)""")
    con.execute("""insert into audit.validation_results values (2, 'police_da_incidents', 'allowed_values',
        'DASH Risk', 1, [60], 'police_da_incidents da_incidents_2018-02_resend.csv row 60: DASH Risk ''very high'' is
        not an allowed value')""")
    con.execute("create table audit.file_periods (file_id bigint, source varchar, period varchar, loaded_at timestamp)")
    con.execute("""insert into audit.file_periods values (1, 'police_da_incidents', '2018-02', '2018-03-05'),
        (3, 'police_s136', '2018-01', '2018-03-05')""")
    con.execute("alter table audit.file_periods add column scope varchar default ''")
    con.execute("alter table audit.files add column sha256 varchar")
    con.execute("update audit.files set sha256 = file_name")
    build_source_coverage(con, AREA)  # the months each source delivered, as the monthly flow writes them
    # Peers for s136 (12 months to Feb 2018): Maidstone 70 / 170,000, Area B 3 / 120,000, Area C 40 /
    # 150,000; pooled 113 / 440,000 = 0.26 per 1,000. B (3) is "<5", and 113 - 70 - 40 would give it
    # away, so C is withheld too ("[c]", its rate with it); Maidstone 70 / 170,000 = 0.41.
    con.execute("""create table marts.indicator_peers (plan_year varchar, indicator_id varchar, aim varchar,
        peer_group varchar, period_type varchar, period_end date, area_code varchar, area_name varchar,
        count double, population double, rate_per_1000 double, ci_lower double, ci_upper double,
        peer_value double, peer_count double, peer_population double, rank integer, n_areas integer,
        comparison varchar, judgement varchar)""")
    for code, name, count, pop, rank, judgement in ((AREA, "Maidstone", 70, 170000, 3, "worse"),
                                                    ("E07000105", "Area B", 3, 120000, 1, "similar"),
                                                    ("E07000113", "Area C", 40, 150000, 2, "similar")):
        con.execute("insert into marts.indicator_peers values (?, 's136_detentions', 'decrease', 'force', '12m', "
                    "date '2018-02-28', ?, ?, ?, ?, ?, ?, ?, 113 / 440.0, 113, 440000, ?, 3, 'higher', ?)",
                    [PLAN, code, name, count, pop, count / pop * 1000, count / pop * 800, count / pop * 1200, rank,
                     judgement])
    con.execute("""create table audit.pipeline_runs (run_id varchar, flow_name varchar, period varchar,
        state varchar, started_at timestamp, git_commit varchar)""")
    con.execute("insert into audit.pipeline_runs values ('run-1', 'csp-monthly', '2018-02', 'completed', "
                "'2018-03-05 06:00', 'abc123')")
    con.close()
    return path


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("cards")
    warehouse = _make_warehouse(root / "csp.duckdb")
    notes = root / "notes"
    notes.mkdir()
    (notes / f"{PERIOD}.yml").write_text(
        "da_incidents: |\n  Reporting rose after the campaign: [[3]] new IDVA posts and [[12]] extra referrals.\n\n"
        "  Second paragraph <b>not bold</b>.\n"
        "s136_detentions: Two new street triage cars.\n"
        "not_an_indicator: ignored\n", encoding="utf-8")
    result = publish_reports(warehouse, root / "reports", PERIOD, PLAN, AREA, notes_dir=notes)
    return {"root": root, "warehouse": warehouse, "result": result, "dir": root / "reports" / PERIOD}


class _Table(HTMLParser):
    """Rows (as lists of whitespace-normalised cell texts) of one table, found by id."""

    def __init__(self, table_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.table_id, self.depth, self.rows, self._cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and (dict(attrs).get("id") == self.table_id or self.depth):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(html: str, table_id: str) -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(html)
    return parser.rows


def _card(published, priority: str = "domestic_abuse") -> str:
    return (published["dir"] / priority / "report_card.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------ layout


def test_every_priority_of_the_warehouse_gets_the_four_outputs(published):
    result = published["result"]
    assert {"domestic_abuse", "mental_health"} <= set(result["priorities"])
    for pid in ("domestic_abuse", "mental_health"):
        folder = published["dir"] / pid
        for name in ("report_card.html", "indicators.xlsx", "indicators.csv", MANIFEST_NAME):
            assert (folder / name).is_file(), f"{pid}/{name}"
        assert (folder / "charts").is_dir()
    for name in ("committee_summary.html", "committee_summary.xlsx", "data_quality.html", MANIFEST_NAME):
        assert (published["dir"] / name).is_file()
    assert not list(published["dir"].parent.glob(".*building*")), "the side folder is cleaned up"


def test_da_scorecard_snapshot_against_hand_checked_values(published):
    rows = _table(_card(published), "scorecard-da_outcome_1")
    assert rows[0] == ["Indicator", "Aim", "Latest", "Previous", "Change (in the unit of Latest; % in points)",
                       "Relative change (%; percentages in points)", "95% CI", "Status against the aim", "SPC",
                       "Current trend", "Baseline change (%; percentages in points)"]
    body = [r for r in rows[1:]]
    assert body[0] == ["Population indicators"]
    assert body[1][:8] == ["Number of reported DA incidents", "Increase", "305", "240", "+65", "+27.1%",
                           "271.7 to 341.2", "Improving"]
    assert body[1][9:] == ["▲ Rising for 12 months (the way the aim wants)", "+27.1%"]
    assert body[1][8].endswith("Improvement (high)")  # a step up held for 12 months: shift rule, high
    # Percentages change in points in every change column: 30/305 = 9.836% against 24/240 = 10.0%
    # is -0.164 points (not the relative -1.6%).
    assert body[2][:8] == ["% of BME reported DA incidents", "Increase", "9.8%", "10.0%", "-0.2 pts", "-0.2 pts",
                           "6.9% to 13.7%", "No significant change"]
    assert body[2][9:] == ["▼ Falling for 1 month (against the aim)", "-0.2 pts"]
    assert body[3] == ["Performance measures: Is anyone better off?"]
    # 60/305 = 19.67% against 60/240 = 25.0%: -5.33 points (the relative -21.3% is not shown).
    assert body[4][:8] == ["% of DA incidents involving a repeat victim", "Decrease", "19.7%", "25.0%",
                           "-5.3 pts", "-5.3 pts", "15.6% to 24.5%", "Improving"]
    assert body[4][9:] == ["▼ Falling for 12 months (the way the aim wants)", "-5.3 pts"]
    assert len(body) == 5


def test_da_detail_table_states_that_the_plan_year_has_not_started(published):
    rows = {r[0]: r[1] for r in _table(_card(published), "detail-da_incidents") if len(r) == 2}
    assert rows["Data source"].startswith("Kent Police")
    assert rows["Aim"] == "Increase (higher is better)"
    assert rows["Latest: 12 months to Feb 2018 (Mar 2017 – Feb 2018)"] == "305 incidents"
    assert rows["Previous (Mar 2016 – Feb 2017)"] == "240 incidents"
    assert rows["Change"] == "+65 incidents (+27.1%)"
    assert "p = 0.012" in rows["Status against the aim"]
    assert rows["Baseline change"].startswith("+27.1% Plan year 2018-19 has not started (it starts 1 April 2018)")
    assert "12 months to Feb 2017" in rows["Baseline change"]
    assert rows["Recording changes"] == "No recording change affects these periods."
    assert "1 file refused this period" in rows["Data quality"]


def test_ward_breakdown_secondary_suppression_and_flags(published):
    html = _card(published)
    rows = _table(html, "wards-da_incidents")
    assert rows[1:] == [["High Street", "200", "150", "+50"],
                        ["Fant", "[c]", "[c]", "[c]"],
                        ["Not placed in a ward (no usable location)", "<5", "<5", "[c]"],
                        ["Maidstone total", "305", "240", "+65"]]
    assert 'data-suppressed="suppressed_small_count"' in html
    assert 'data-suppressed="suppressed_secondary"' in html
    assert "counts of 1 to 4 are shown as" in html  # the rule, in the footer of every report


def test_proportion_months_withheld_and_chart_withheld(published):
    html = _card(published)
    wb = load_workbook(published["dir"] / "domestic_abuse" / "indicators.xlsx", read_only=True)
    data = list(wb["Data"].iter_rows(min_row=4, values_only=True))
    bme = [r for r in data if r[0] == "da_bme_pct"]
    assert len(bme) == 36 and {r[3] for r in bme} == {"[c]"} and {r[4] for r in bme} == {"<5"}
    incidents = [r for r in data if r[0] == "da_incidents"]
    assert [r[4] for r in incidents][-2:] == [24, 31]  # Jan and Feb 2018: shown
    wb.close()
    article = html.split('id="ind-da_bme_pct"')[1].split("</article>")[0]
    assert "Chart withheld" in article and "data:image/png" not in article
    article = html.split('id="ind-da_incidents"')[1].split("</article>")[0]
    assert "data:image/png;base64," in article


def test_small_monthly_counts_need_no_secondary_when_two_share_a_window(published):
    wb = load_workbook(published["dir"] / "mental_health" / "indicators.xlsx", read_only=True)
    rows = [r for r in wb["Data"].iter_rows(min_row=4, values_only=True) if r[0] == "s136_detentions"]
    wb.close()
    last12 = [r[4] for r in rows[-12:]]
    assert last12 == ["<5", 6, 5, 7, "<5", 8, 6, 5, 9, 6, 7, 6]
    scorecard = _table(_card(published, "mental_health"), "scorecard-mh_outcome_1")
    assert scorecard[2][2:6] == ["70", "72", "-2", "-2.8%"]
    assert scorecard[2][9] == "► Unchanged for 1 month"


# ------------------------------------------------------------------------------------------ scoping


def test_each_folder_holds_only_its_own_priority(published):
    expected = {"domestic_abuse": {"da_incidents", "da_bme_pct", "da_repeat_victim_pct"},
                "mental_health": {"s136_detentions"}}
    everything = set().union(*expected.values())
    for pid, ids in expected.items():
        folder = published["dir"] / pid
        html = (folder / "report_card.html").read_text(encoding="utf-8")
        assert set(re.findall(r'data-indicator="([^"]+)"', html)) == ids
        for other in everything - ids:
            assert other not in html
        with open(folder / "indicators.csv", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert {r["indicator_id"] for r in rows} == ids and {r["priority_id"] for r in rows} == {pid}
        wb = load_workbook(folder / "indicators.xlsx", read_only=True)
        for sheet in ("Outcome 1", "Wards", "Data", "Forecast"):
            found = {r[1] if sheet == "Outcome 1" else r[0]
                     for r in wb[sheet].iter_rows(min_row=4, values_only=True) if r and r[0]}
            found = {f for f in found if isinstance(f, str) and "_" in f and " " not in f}
            assert found <= ids, (pid, sheet, found - ids)
        wb.close()
        assert {p.name.split(".")[0].removesuffix("_forecast") for p in (folder / "charts").iterdir()} <= ids


# ------------------------------------------------------------------------------------------ outputs


def test_csv_is_tidy_with_flags(published):
    with open(published["dir"] / "domestic_abuse" / "indicators.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    by = {(r["indicator_id"], r["area_code"]): r for r in rows}
    district = by[("da_incidents", AREA)]
    assert (district["window"], district["period_start"], district["period_end"]) == ("12m", "2017-03-01",
                                                                                   "2018-02-28")
    assert (district["value"], district["numerator"], district["previous_numerator"], district["change"]) == (
        "305", "305", "240", "+65")
    assert district["trend_direction"] == "up" and district["trend_periods"] == "12"
    fant = by[("da_incidents", FANT)]
    assert (fant["numerator"], fant["numerator_flag"]) == ("[c]", "suppressed_secondary")
    rest = by[("da_incidents", "")]
    assert (rest["area_type"], rest["numerator"], rest["numerator_flag"]) == ("not_placed", "<5",
                                                                              "suppressed_small_count")


def test_every_manifest_scans_clean(published):
    manifests = sorted(published["dir"].rglob(MANIFEST_NAME))
    assert len(manifests) == 1 + len(published["result"]["priorities"])
    for manifest in manifests:
        assert scan_manifest(manifest) == []


def test_workbook_sheets_freeze_and_formats(published):
    wb = load_workbook(published["dir"] / "domestic_abuse" / "indicators.xlsx")
    assert wb.sheetnames == ["Outcome 1", "Wards", "Data", "Chart data", "Ward maps", "Peers", "Forecast", "Notes"]
    for sheet in wb.worksheets:  # print-ready: A4, one page wide, the used range, header row on every page
        assert int(sheet.page_setup.paperSize) == 9, sheet.title  # ECMA-376 paper size 9: A4
        assert sheet.page_setup.orientation == "landscape"
        # Fit to one page wide (an absent fitToWidth is 1, the ECMA-376 default), any number of pages tall.
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and int(sheet.page_setup.fitToWidth or 1) == 1
        assert int(sheet.page_setup.fitToHeight) == 0
        assert sheet.print_area == f"'{sheet.title}'!$A$1:${get_column_letter(sheet.max_column)}${sheet.max_row}"
        assert sheet.print_title_rows == ("$3:$3" if sheet.title != "Notes" else None)
        assert "Page &P of &N" in sheet.oddFooter.right.text
        assert "OFFICIAL" in sheet.oddHeader.right.text and "February 2018" in sheet.oddHeader.left.text
    ws = wb["Outcome 1"]
    assert ws.freeze_panes == "B4"
    header = [c.value for c in ws[3]]
    row = {h: c for h, c in zip(header, ws[4], strict=False)}
    assert row["Indicator id"].value == "da_incidents" and row["Count"].value == 305
    assert row["Count"].number_format == "#,##0" and row["Relative change (%; percentages in points)"].number_format.startswith("+0.0%")
    assert len(ws._images) == 2  # da_incidents and da_repeat_victim_pct; da_bme_pct is withheld
    notes = [r[1] for r in wb["Notes"].iter_rows(values_only=True) if r and r[0] == "Disclosure control"]
    assert notes and "1 to 4" in notes[0]
    assert wb["Wards"]["D5"].value == "Fant" and wb["Wards"]["G5"].value == "[c]"
    assert wb["Wards"]["G5"].comment is not None
    # The data behind each chart that is drawn, month by month: DA incidents in Feb 2018 is the Data sheet's.
    chart = [r for r in wb["Chart data"].iter_rows(min_row=4, values_only=True) if r[0] == "da_incidents"]
    data = {r[2]: r[3] for r in wb["Data"].iter_rows(min_row=4, values_only=True) if r[0] == "da_incidents"}
    assert chart and all(r[3] == data[r[2]] for r in chart)
    assert not [r for r in wb["Chart data"].iter_rows(min_row=4, values_only=True) if r[0] == "da_bme_pct"]
    wb.close()


def test_committee_summary_and_data_quality(published):
    root = published["dir"]
    html = (root / "committee_summary.html").read_text(encoding="utf-8")
    tally = {r[0]: r[2:] for r in _table(html, "priority-tally")[1:]}
    # total, improving, worsening, no significant change, within the expected range, not assessed
    assert tally["Domestic Abuse"] == ["3", "2", "0", "1", "0", "0"]
    assert tally["Mental Health"] == ["1", "0", "0", "1", "0", "0"]
    # In words, without internal ids: s136 is late, the DA extract's resend was refused, and what each affects.
    assert "police_s136" not in html and "police_da_incidents" not in html
    assert ("<strong>Mental Health Act section 136 detentions</strong> (Kent Police (partner extract)): Late: latest "
            "month received is Jan 2018; missing 2018-02. Affects: Number of s136 detentions") in html
    assert "Domestic-abuse flagged incidents and crimes: file da_incidents_2018-02_resend.csv was refused." in html
    assert "DASH Risk" not in html and "up to date" not in html
    wb = load_workbook(root / "committee_summary.xlsx", read_only=True)
    assert wb.sheetnames == ["Summary", "Priorities", "Data quality", "Notes"]
    wb.close()
    dq = (root / "data_quality.html").read_text(encoding="utf-8")
    assert "da_incidents_2018-02_resend.csv" in dq and "DASH Risk" in dq
    assert "SPC limits: suggested recalculations" in dq and "spc_recalculations.yml" in dq
    assert "quarantine/police_da_incidents/da_incidents_2018-02_resend.csv" in dq
    stale = published["result"]["data_quality"]["stale"]  # late, and every monthly source never received
    assert "police_s136" in stale and "marac_cases" in stale and "police_da_incidents" not in stale
    mh = _card(published, "mental_health")
    assert ("Late: Mental Health Act section 136 detentions: latest month received is 2018-01, before 2018-02. "
            "1 of 12 months of the 12 months to Feb 2018 received") in mh


def test_story_behind_the_curve_from_the_notes_file(published):
    html = _card(published)
    story = html.split('id="ind-da_incidents"')[1].split("</article>")[0].split('class="story"')[1]
    assert '<span class="count suppressed" data-suppressed="suppressed_small_count"' in story
    assert '<span class="count">12</span>' in story
    assert "&lt;b&gt;not bold&lt;/b&gt;" in story and story.count("<p>") == 2
    warnings = " ".join(published["result"]["warnings"])
    assert "not_an_indicator" in warnings


def test_artifacts_are_a_no_op_outside_a_flow_and_rows_are_clean(published):
    result = published["result"]
    assert publish_artifacts(result) == []
    assert check_rows(result["indicators"], DisclosureRules()) == []
    leaky = [dict(result["indicators"][0], method="count", value="3", count="3")]
    assert check_rows(leaky, DisclosureRules())


def test_peer_table_suppresses_against_the_pooled_total(published):
    rows = _table(_card(published, "mental_health"), "peers-s136_detentions-1")
    assert rows[0] == ["Rank", "Area", "Count", "Rate per 1,000", "95% CI", "Against the peer average"]
    # Area B (rank 1 of 3 in the mart) and Area C (rank 2) are withheld: a rank, or a gap in the ranks,
    # would place their rates below Maidstone's, so only Maidstone is ranked (1 of the areas shown) and
    # the withheld areas follow, unranked, alphabetically, their judgement withheld with the rate.
    assert [r[:4] for r in rows[1:]] == [["1", "Maidstone (this CSP)", "70", "0.41"], ["–", "Area B", "<5", "[c]"],
                                        ["–", "Area C", "[c]", "[c]"]]
    assert rows[1][5] == "Worse" and rows[2][5] == rows[3][5] == "Withheld" and rows[3][4] == "–"
    assert "peer average 0.26 (1 = lowest rate; areas whose rate is withheld" in re.sub(
        r"<[^>]+>", "", _card(published, "mental_health"))


def test_configurable_threshold(tmp_path, published):
    rules = DisclosureRules(max_small=9)
    result = publish_reports(published["warehouse"], tmp_path / "reports", PERIOD, PLAN, AREA, rules=rules)
    html = (Path(result["reports_dir"]) / "mental_health" / "report_card.html").read_text(encoding="utf-8")
    assert "counts of 1 to 9" in html and "&lt;10" in html and "&lt;5<" not in html
    wb = load_workbook(Path(result["reports_dir"]) / "mental_health" / "indicators.xlsx", read_only=True)
    last12 = [r[4] for r in wb["Data"].iter_rows(min_row=4, values_only=True) if r[0] == "s136_detentions"][-12:]
    wb.close()
    assert set(last12) == {"<10"}  # every month is 2..9
    for manifest in Path(result["reports_dir"]).rglob(MANIFEST_NAME):
        assert scan_manifest(manifest, rules) == []


def test_republishing_replaces_the_period_folder(published):
    out = published["root"] / "reports"
    (out / PERIOD / "stray.txt").write_text("old")
    publish_reports(published["warehouse"], out, PERIOD, PLAN, AREA, notes_dir=published["root"] / "notes")
    assert not (out / PERIOD / "stray.txt").exists()
    assert (out / PERIOD / "domestic_abuse" / "report_card.html").is_file()
    assert [p.name for p in out.iterdir()] == [PERIOD]


def test_a_failed_disclosure_scan_publishes_nothing(tmp_path, published, monkeypatch):
    import reporting.publish as publishing

    monkeypatch.setattr(publishing, "scan_manifest", lambda path, rules: [f"{path}: pretend leak"])
    out = tmp_path / "reports"
    with pytest.raises(publishing.DisclosureCheckError, match="pretend leak"):
        publish_reports(published["warehouse"], out, PERIOD, PLAN, AREA)
    assert list(out.iterdir()) == [], "neither the period folder nor the side folder is left behind"


def test_baseline_once_the_plan_year_has_started(tmp_path, published):
    # A plan year with no plan file starts on 1 April of its first year: 2017-18 starts 1 April
    # 2017, so February 2018 is inside it and the baseline is the 12 months to March 2017:
    # 11 x 20 + 24 = 245 incidents (245 -> 305: +24.5%), and 25 / 245 = 10.20% BME
    # (9.836 - 10.204 = -0.37 percentage points: a percentage changes in points, not -3.6%).
    # No plan file also means no SPC: the card says so.
    import shutil

    copy = tmp_path / "csp.duckdb"
    shutil.copy(published["warehouse"], copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update marts.indicator_values set plan_year = '2017-18'")
        con.execute("update marts.indicator_catalogue set plan_year = '2017-18'")
    result = publish_reports(copy, tmp_path / "reports", PERIOD, "2017-18", AREA)
    html = (Path(result["reports_dir"]) / "domestic_abuse" / "report_card.html").read_text(encoding="utf-8")
    rows = {r[0]: r for r in _table(html, "scorecard-da_outcome_1")[1:] if len(r) > 1}
    assert rows["Number of reported DA incidents"][10] == "+24.5%"
    assert rows["% of BME reported DA incidents"][10] == "-0.4 pts"
    detail = {r[0]: r[1] for r in _table(html, "detail-da_incidents") if len(r) == 2}
    assert "since the 12 months to Mar 2017" in detail["Baseline change"]
    assert "has not started" not in html
    assert detail["SPC variation (latest month)"].startswith("Not available")
    wb = load_workbook(Path(result["reports_dir"]) / "domestic_abuse" / "indicators.xlsx", read_only=True)
    forecast = [r for r in wb["Forecast"].iter_rows(min_row=4, values_only=True) if r[0] == "da_incidents"]
    wb.close()
    assert len(forecast) == 12, "without charts the baseline forecast is computed for the workbook"


# ------------------------------------------------------------------------------------------ pieces


def test_suppress_linked_overlapping_windows():
    # Months a, b, c; windows a+b (shown 9) and b+c (shown 10): b = 2 is small. A reader knows
    # a = 9 - b and c = 10 - b, so with a and c shown b is exposed: one of them must go too.
    values = {"a": 7, "b": 2, "c": 8, "w1": 9, "w2": 10}
    status = suppress_linked(values, [(["a", "b"], "w1"), (["b", "c"], "w2")], DisclosureRules())
    assert status["b"] == 1 and status["a"] == 2 and status["c"] == 2
    assert status["w1"] == 0 and status["w2"] == 0


def test_count_system_drops_a_line_whose_months_do_not_add_up():
    import pandas as pd

    monthly = pd.DataFrame({"period_start": [dt.date(2018, 1, 1), dt.date(2018, 2, 1)], "numerator": [3, 20]})
    window = pd.Series({"period_start": dt.date(2017, 3, 1), "period_end": dt.date(2018, 2, 28),
                        "numerator": 30, "previous_numerator": None})
    system = build_count_system("numerator", monthly, {"12m": window}, None, None, DisclosureRules())
    # 3 + 20 != 30: the other ten months are not published, so 30 - 20 does not give the 3 away.
    assert system.shown(("month", dt.date(2018, 1, 1))).text == "<5"
    assert system.shown(("month", dt.date(2018, 2, 1))).text == "20"
    assert system.shown(("12m", "cur")).text == "30"


def test_bad_period_and_missing_warehouse(tmp_path):
    with pytest.raises(ValueError, match="not a month"):
        publish_reports(tmp_path / "x.duckdb", tmp_path, "2018-13", PLAN, AREA)
    with pytest.raises(FileNotFoundError, match="no warehouse"):
        publish_reports(tmp_path / "x.duckdb", tmp_path, "2018-02", PLAN, AREA)


def test_notes_file_that_is_not_a_mapping_is_a_sentence(tmp_path):
    from reporting.notes import load_notes

    (tmp_path / f"{PERIOD}.yml").write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected a mapping of indicator id to text, got list"):
        load_notes(tmp_path, PERIOD, {"da_incidents"}, [])
    assert load_notes(tmp_path / "absent", PERIOD, {"da_incidents"}, []) == {}


def test_manifest_lists_count_columns(published):
    spec = json.loads((published["dir"] / "domestic_abuse" / MANIFEST_NAME).read_text())
    xlsx = next(e for e in spec["files"] if e["path"] == "indicators.xlsx")
    assert xlsx["header_row"] == 3 and xlsx["count_columns"]["Data"] == ["Numerator", "Denominator"]
    csv_entry = next(e for e in spec["files"] if e["path"] == "indicators.csv")
    assert "numerator" in csv_entry["count_columns"]
