"""Survey section (Appendix-4 style) and the peer "ski-slope" bar chart on the report cards.

Reuses the hand-made warehouse of ``test_report_cards`` and adds:

* ``marts.survey_estimates`` for waves 2017 and 2019 (2019 is after the report month 2018-02, so
  the 2017 wave is shown): night safety 59.8% (n 2,008), very safe at night 20.4%, and a row on a
  base of 7 respondents (shown as '*').
* ``marts.survey_differences`` (2017, vs rest): women 51.1% vs rest 68.6% (-17.5 pts, over 8 and
  significant: listed); aged 75+ 50.2% vs rest 61.0% (over 8, NOT significant: not listed);
  men 62.0% vs rest 58.0% (significant, under 8: not listed).
* ``audit.survey_weighting``: 2,350 responses, 2,008 weighted, 342 dropped, mid-2016, design
  effect 1.30, design-based margin of error 2.5 points; SRS 1.96 * sqrt(0.25 / 2008) = 2.19 -> 2.2.
* ``marts.indicator_peers`` for da_incidents: peer group 'west_kent_similar' with four areas
  (chart drawn; Area E's count 3 is '<5', so its bar is omitted) and 'cipfa_nearest' with two
  areas (no chart).
"""

from __future__ import annotations

import re

import duckdb
import pytest
from test_report_cards import AREA, PERIOD, PLAN, _make_warehouse, _table

from reporting.disclosure import MANIFEST_NAME, scan_manifest
from reporting.publish import publish_reports

EST = """insert into marts.survey_estimates values (?, ?, ?, ?, 'all', 'all', ?, ?, ?, ?, ?, ?, ?)"""
DIFF = """insert into marts.survey_differences values (?, 2017, 'q_safe_night', 'very_or_fairly_safe', ?, ?,
          'rest', ?, ?, ?, ?, ?, ?, ?)"""
PEER = """insert into marts.indicator_peers values (?, 'da_incidents', 'increase', ?, '12m', date '2018-02-28',
          ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'higher', 'similar')"""


def _add_survey_and_peers(path, with_survey=True):
    con = duckdb.connect(str(path))
    if with_survey:
        con.execute("""create table marts.survey_estimates (area_code varchar, wave integer, question_id varchar,
            answer_group varchar, breakdown varchar, group_value varchar, n integer, n_eff double,
            design_effect double, estimate_pct double, ci_lower double, ci_upper double, margin_of_error double)""")
        for row in ((2017, "q_safe_night", "very_or_fairly_safe", 2008, 1541.9, 1.30, 59.83, 57.35, 62.26, 2.45),
                    (2017, "q_safe_night", "very_safe", 2008, 1541.9, 1.30, 20.41, 18.47, 22.50, 2.01),
                    (2017, "q_worry_fraud", "very_or_somewhat_worried", 7, 5.0, 1.4, 42.86, 15.0, 75.0, 30.0),
                    (2019, "q_safe_night", "very_or_fairly_safe", 1900, 1500.0, 1.27, 91.23, 90.0, 92.0, 1.0)):
            con.execute(EST, [AREA, *row])
        # other breakdowns and other areas are not read
        con.execute("insert into marts.survey_estimates values (?, 2017, 'q_safe_night', 'very_or_fairly_safe', "
                    "'sex', 'female', 1010, 800, 1.3, 51.1, 48, 54, 3)", [AREA])
        con.execute("insert into marts.survey_estimates values ('E07000105', 2017, 'q_safe_night', "
                    "'very_or_fairly_safe', 'all', 'all', 900, 800, 1.3, 77.77, 75, 80, 2.5)")
        con.execute("""create table marts.survey_differences (area_code varchar, wave integer, question_id varchar,
            answer_group varchar, breakdown varchar, group_value varchar, comparison varchar, estimate_pct double,
            comparison_pct double, difference_points double, z double, p_value double, over_8_points boolean,
            significant boolean)""")
        for row in (("sex", "female", 51.1, 68.6, -17.5, -6.7, 1e-11, True, True),
                    ("age_band", "75+", 50.2, 61.0, -10.8, -1.5, 0.13, True, False),
                    ("sex", "male", 62.0, 58.0, 4.0, 2.5, 0.01, False, True)):
            con.execute(DIFF, [AREA, *row])
        con.execute("""create table audit.survey_weighting (wave integer, area_code varchar, scheme varchar,
            target_vintage varchar, n_responses integer, n_weighted integer, n_dropped integer,
            design_effect double, n_eff double, margin_of_error_p50 double)""")
        con.execute("insert into audit.survey_weighting values (2017, ?, 'age_sex', 'mid-2016', 2350, 2008, 342, "
                    "1.302, 1541.9, 2.4957)", [AREA])
    # da_incidents peers: (group, code, name, count, population)
    groups = {"west_kent_similar": [(AREA, "Maidstone", 305, 170000), ("E07000115", "Area D", 150, 120000),
                                    ("E07000116", "Area E", 3, 100000), ("E07000111", "Area F", 400, 130000),
                                    ("E07000112", "Area G", 200, 110000)],
              "cipfa_nearest": [(AREA, "Maidstone", 305, 170000), ("E07000200", "Area H", 250, 150000)]}
    for group, members in groups.items():
        total = sum(m[2] for m in members)
        pop = sum(m[3] for m in members)
        ranked = sorted(members, key=lambda m: m[2] / m[3])
        for code, name, count, population in members:
            rate = count / population * 1000
            con.execute(PEER, [PLAN, group, code, name, count, population, rate, rate * 0.9, rate * 1.1,
                               total / pop * 1000, total, pop, ranked.index((code, name, count, population)) + 1,
                               len(members)])
    con.close()
    return path


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("survey_peers")
    warehouse = _add_survey_and_peers(_make_warehouse(root / "csp.duckdb"))
    result = publish_reports(warehouse, root / "reports", PERIOD, PLAN, AREA)
    return {"root": root, "result": result, "dir": root / "reports" / PERIOD}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _survey_rows(html: str) -> list[list[str]]:
    return _table(html, "survey-table")


@pytest.mark.parametrize("page", ["domestic_abuse/report_card.html", "committee_summary.html"])
def test_survey_table_on_the_da_card_and_committee_summary(published, page):
    html = (published["dir"] / page).read_text(encoding="utf-8")
    rows = _survey_rows(html)
    assert rows[0] == ["Question", "Answer", "Overall %", "95% CI", "Margin of error",
                       "Group differences over 8 points and significant"]
    assert rows[1] == ["Safe walking alone after dark", "Very or fairly safe", "59.8%", "57.4% to 62.3%",
                       "±2.5 pts", "Women 51.1% vs rest 68.6% (−17.5 pts)"]
    assert rows[2] == ["Safe walking alone after dark", "Very safe", "20.4%", "18.5% to 22.5%", "±2.0 pts", "No difference over 8 points is significant"]
    # base of 7 respondents: the percentage (and its CI) is withheld
    assert rows[3] == ["Worried about fraud or identity theft", "Very or fairly worried", "*", "–", "–", "No difference over 8 points is significant"]
    assert len(rows) == 4  # 2019 wave is after the report month; other breakdowns / areas not read
    text = _text(html)
    assert "2017 wave" in text and "91.2" not in text and "77.8" not in text
    assert "Aged 75+" not in text  # over 8 points but not significant
    assert "Men 62.0%" not in text  # significant but under 8 points
    assert "by age band × sex (mid-2016 mid-year estimates)" in text
    assert "2,008 respondents weighted; 342 dropped" in text
    assert "Design effect 1.30" in text and "±2.5 points" in text and "±2.2 points" in text
    assert '<span class="count">2,008</span>' in html and '<span class="count">342</span>' in html


def test_survey_section_only_on_cards_with_a_survey_indicator_or_da(published):
    mh = (published["dir"] / "mental_health" / "report_card.html").read_text(encoding="utf-8")
    assert 'id="survey-table"' not in mh


def test_peer_chart_drawn_with_three_or_more_areas_and_not_with_two(published):
    html = (published["dir"] / "domestic_abuse" / "report_card.html").read_text(encoding="utf-8")
    # peer groups in name order: 1 = cipfa_nearest (two areas), 2 = west_kent_similar (five)
    big, small = "peer-chart-da_incidents-2", "peer-chart-da_incidents-1"
    assert re.search(rf'<img id="{big}" src="data:image/png;base64,iVBOR', html)
    assert f'id="{small}"' not in html
    text = _text(html)
    assert "Maidstone vs west kent similar districts" in text
    # Area E (3) is "<5"; the pooled total would give it away, so the smallest other count, Area D (150),
    # is withheld too; withheld areas are named alphabetically, never in rate order
    assert "Not drawn on the chart (rate withheld for disclosure control): Area D, Area E." in text
    assert "No peer chart: fewer than 3 areas have a rate" in text
    # the table still shows Area E, withheld
    rows = _table(html, "peers-da_incidents-2")
    area_e = next(r for r in rows if r[1] == "Area E")
    assert area_e[2] == "<5" and area_e[3] == "[c]"
    # s136: only Maidstone has a rate (Area B and C withheld): no chart
    mh = (published["dir"] / "mental_health" / "report_card.html").read_text(encoding="utf-8")
    assert "peer-chart-" not in mh


def test_peer_chart_is_deterministic(tmp_path, published):
    warehouse = _add_survey_and_peers(_make_warehouse(tmp_path / "csp.duckdb"))
    publish_reports(warehouse, tmp_path / "reports", PERIOD, PLAN, AREA)
    again = (tmp_path / "reports" / PERIOD / "domestic_abuse" / "report_card.html").read_text(encoding="utf-8")
    first = (published["dir"] / "domestic_abuse" / "report_card.html").read_text(encoding="utf-8")
    img = re.compile(r'<img id="peer-chart-[^"]+" src="([^"]+)"')
    assert img.findall(again) == img.findall(first) != []


def test_disclosure_scan_passes(published):
    manifests = sorted(published["dir"].rglob(MANIFEST_NAME))
    assert manifests
    assert [p for m in manifests for p in scan_manifest(m)] == []


def test_survey_section_skipped_when_the_tables_are_absent(tmp_path):
    warehouse = _add_survey_and_peers(_make_warehouse(tmp_path / "csp.duckdb"), with_survey=False)
    publish_reports(warehouse, tmp_path / "reports", PERIOD, PLAN, AREA)
    html = (tmp_path / "reports" / PERIOD / "committee_summary.html").read_text(encoding="utf-8")
    assert 'id="survey-table"' not in html
    assert "no survey estimates in this warehouse" in _text(html)
