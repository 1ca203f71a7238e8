"""Backtest: the demo inbox through the whole monthly flow reproduces the SMP Strategic Assessment 2018."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]

# (indicator, period_type, period_end, value, previous, change_pct or None, crosses_recording_change or None)
PUBLISHED = [
    ("da_incidents", "12m", "2017-10-31", 3096, 2683, 15.4, None),
    ("da_repeat_victim_pct", "12m", "2017-10-31", 25.7, 26.4, None, None),
    ("da_marac_cases", "12m", "2017-09-30", 177, 161, None, None),
    ("da_marac_repeat_pct", "12m", "2017-09-30", 32.8, None, None, None),
    ("asb_incidents", "12m", "2017-10-31", 3243, 3697, -12.3, None),
    ("drug_offences", "12m", "2017-10-31", 342, 345, None, None),
    ("drug_possession_offences", "12m", "2017-10-31", 251, 288, None, None),
    ("drug_trafficking_offences", "12m", "2017-10-31", 91, 57, None, None),
    ("vatp_offences", "12m", "2017-10-31", 4833, 3390, None, True),
    ("psychoactive_admissions", "12m", "2017-08-31", 583, 504, None, None),
    ("s136_detentions", "fy", "2017-03-31", 72, None, None, None),
    ("s136_detentions", "fy", "2014-03-31", 52, None, None, None),
    ("s136_detentions", "fytd", "2018-02-28", 67, None, None, None),
    ("mh_referrals_young_adults", "fy", "2017-03-31", 1232, 1383, -10.9, None),
    ("mh_referrals_older_adults", "fy", "2017-03-31", 756, 698, 8.3, None),
    ("alcohol_admissions", "fy", "2017-03-31", None, None, 12.0, None),
]


@pytest.fixture(scope="module")
def con(demo_warehouse):
    connection = duckdb.connect(str(demo_warehouse["settings"].warehouse_path), read_only=True)
    yield connection
    connection.close()


@pytest.mark.parametrize("indicator, period_type, period_end, value, previous, change_pct, crosses", PUBLISHED,
                         ids=[f"{p[0]}-{p[1]}-{p[2]}" for p in PUBLISHED])
def test_published_figure(con, indicator, period_type, period_end, value, previous, change_pct, crosses):
    row = con.execute("""
        select value, previous_value, change_pct, crosses_recording_change from marts.indicator_values
        where indicator_id = ? and period_type = ? and period_end = ? and area_code = 'E07000110'
        limit 1""", [indicator, period_type, period_end]).fetchone()
    assert row is not None, f"no {indicator} {period_type} value at {period_end}"
    got_value, got_previous, got_change, got_crosses = row
    if value is not None:
        assert round(got_value, 1) == pytest.approx(value, abs=0.05)
    if previous is not None:
        assert round(got_previous, 1) == pytest.approx(previous, abs=0.05)
    if change_pct is not None:
        assert round(got_change, 1) == pytest.approx(change_pct, abs=0.05)
    if crosses is not None:
        assert got_crosses is crosses


def test_vatp_rise_is_not_judged_across_the_recording_change(con):
    status, recording = con.execute("""
        select status, recording_changes from marts.indicator_values
        where indicator_id = 'vatp_offences' and period_type = '12m' and period_end = '2017-10-31' and area_code = 'E07000110'""").fetchone()
    assert status == "not_assessed" and recording == ["kent_individual_offence_recording"]


def test_reported_da_rise_is_improving_because_the_aim_is_to_increase(con):
    status, significant = con.execute("""
        select status, change_significant from marts.indicator_values
        where indicator_id = 'da_incidents' and period_type = '12m' and period_end = '2017-10-31' and area_code = 'E07000110'""").fetchone()
    assert (status, significant) == ("improving", True)


def test_every_plan_indicator_has_values(con):
    missing = con.execute("""
        select catalogue.indicator_id from marts.indicator_catalogue as catalogue
        anti join marts.indicator_values as values using (plan_year, priority_id, outcome_id, indicator_id)""").fetchall()
    assert missing == []


def test_ward_values_sum_to_the_district_for_counts(con):
    rows = con.execute("""
        select district.value, sum(ward.value)
        from marts.indicator_values as district
        join marts.indicator_values as ward
          on ward.indicator_id = district.indicator_id and ward.period_type = district.period_type
          and ward.period_end = district.period_end and ward.area_type = 'ward'
          and ward.priority_id = district.priority_id and ward.outcome_id = district.outcome_id
        where district.indicator_id = 'asb_incidents' and district.area_type = 'district' and district.period_type = '12m'
          and district.period_end = '2017-10-31' and district.area_code = 'E07000110'
        group by district.value""").fetchall()
    (district, wards), = rows
    assert wards == district


def test_run_is_recorded_with_inputs(demo_warehouse, con):
    period, state, inputs = con.execute("select period, state, input_files from audit.pipeline_runs").fetchone()
    assert (period, state) == ("2018-02", "completed")
    assert '"sha256"' in inputs


def test_marts_and_columns_are_documented(con):
    undocumented = con.execute("""
        select table_name, column_name from duckdb_columns()
        where schema_name = 'marts' and (comment is null or comment = '')""").fetchall()
    assert undocumented == []
