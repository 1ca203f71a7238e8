"""OBA action plans as data: the plan model, the leads' progress workbook (a source) and marts.plan_actions."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
import yaml

from demo.partnership import write_progress_workbook
from expectations.sources import catalogue
from flows.ingest import ingest_paths
from reporting.actions import outcome_plan
from transforms.actions import build_plan_actions, is_overdue
from transforms.definitions import PLANS_DIR, load_plan, project_definitions
from warehouse.config import load_settings

TODAY = date(2018, 10, 5)  # the day the files are loaded: no update may be dated after it
PUBLISHED_DA_ACTION = ("Complete a mapping exercise to establish incidence of DA across the Borough, establishing hot "
                       "spots within local communities and identifying cultural/minority subsets that could require "
                       "a bespoke approach")


def _da_outcome():
    _, _, plans = project_definitions()
    (priority,) = [p for p in plans["2018-19"].priorities if p.id == "domestic_abuse"]
    return priority.outcomes[0]


def test_the_published_da_action_is_loaded_word_for_word():
    (action,) = [a for a in _da_outcome().actions if a.id == "DA1.1"]
    assert action.text == PUBLISHED_DA_ACTION
    assert action.lead_agency == "Kent Police"
    assert action.by_when.as_written == "Summer 2018"
    assert action.by_when.due == date(2018, 8, 31)  # the end of meteorological summer
    assert action.by_when.interpretation and not action.draft


def test_a_by_when_read_as_a_date_must_say_how(tmp_path):
    data = yaml.safe_load((PLANS_DIR / "2018-19.yml").read_text(encoding="utf-8"))
    da = next(p for p in data["priorities"] if p["id"] == "domestic_abuse")
    del da["outcomes"][0]["actions"][0]["by_when"]["interpretation"]
    path = tmp_path / "2018-19.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="Summer 2018.*interpretation"):
        load_plan(path)


def test_a_partner_without_a_role_fails(tmp_path):
    data = yaml.safe_load((PLANS_DIR / "2018-19.yml").read_text(encoding="utf-8"))
    da = next(p for p in data["priorities"] if p["id"] == "domestic_abuse")
    da["outcomes"][0]["partners"][0].pop("role")
    path = tmp_path / "2018-19.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="role"):
        load_plan(path)


def test_the_progress_contract_allows_exactly_the_plans_action_ids():
    _, _, plans = project_definitions()
    ids = {a.id for plan in plans.values() for _, _, a in plan.actions()}
    column = next(c for c in catalogue()["action_progress"].columns if c.name == "action_id")
    assert set(column.allowed or ()) == ids


@pytest.mark.parametrize(("due", "status", "as_of", "expected"), [
    (date(2018, 8, 31), "In progress", date(2018, 9, 30), True),
    (date(2018, 8, 31), "Complete", date(2018, 9, 30), False),
    (date(2018, 8, 31), "In progress", date(2018, 8, 31), False),  # due on the period's last day: not yet late
    (date(2018, 8, 31), "No update received", date(2018, 12, 31), True),
    (date(2018, 8, 31), "In progress", None, False),
])
def test_overdue_is_judged_against_the_period(due, status, as_of, expected):
    assert is_overdue(due, status, as_of) is expected


def _settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


def test_latest_progress_is_applied_and_overdue_follows_the_period(tmp_path):
    settings = _settings(tmp_path)
    inbox = settings.inbox / "action_progress"
    write_progress_workbook(inbox / "action_progress_2018-06.xlsx",
                            [["2018-19", "DA1.1", "2018-06-20", "In progress", "Ward figures drafted.", "Kent Police"]])
    write_progress_workbook(inbox / "action_progress_2018-09.xlsx",
                            [["2018-19", "DA1.1", "2018-09-12", "Delayed", "Waiting for ethnicity data.", "Kent Police"]])
    report = ingest_paths(settings, today=TODAY)
    assert [o.status for o in report.outcomes] == ["loaded", "loaded"]
    with duckdb.connect(str(settings.warehouse_path)) as con:
        build_plan_actions(con, settings.area, as_of=date(2018, 9, 30))
        rows = con.execute("select action_id, by_when_label, due_date, status, latest_note, latest_update_on, "
                           "is_overdue from marts.plan_actions").fetchall()
        build_plan_actions(con, settings.area, as_of=date(2018, 7, 31))
        (july,) = con.execute("select is_overdue from marts.plan_actions").fetchone()
    assert rows == [("DA1.1", "Summer 2018", date(2018, 8, 31), "Delayed", "Waiting for ethnicity data.",
                     date(2018, 9, 12), True)]
    assert july is False
    plan = outcome_plan(con_frame(settings), "2018-19", "da_outcome_1", date(2018, 9, 30))
    (row,) = plan.actions
    assert (row.status, row.overdue, row.text) == ("Delayed", True, PUBLISHED_DA_ACTION)
    assert "31 August 2018" in row.due_note and "interpretation" in row.due_note


def con_frame(settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute("select * from marts.plan_actions").df()


def test_an_action_without_an_update_reads_no_update_received(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        from warehouse.schema import ensure_schema
        ensure_schema(con, catalogue())
        from transforms.build import build_models
        build_models(con, "E07000110")
        (status, note, overdue) = con.execute("select status, latest_note, is_overdue from marts.plan_actions "
                                              "where action_id = 'DA1.1'").fetchone()
    assert (status, note, overdue) == ("No update received", None, False)


def test_a_bad_progress_file_is_quarantined_naming_file_row_column_and_rule(tmp_path):
    settings = _settings(tmp_path)
    path = settings.inbox / "action_progress" / "action_progress_2018-06.xlsx"
    write_progress_workbook(path, [
        ["2018-19", "DA1.1", "2018-06-20", "In progress", "Fine.", "Kent Police"],
        ["2018-19", "DA9.9", "2018-06-20", "Nearly there", "Typo in the id and the status.", "Kent Police"],
    ])
    report = ingest_paths(settings, today=TODAY)
    (outcome,) = report.outcomes
    assert outcome.status == "quarantined"
    kept = settings.quarantine / "action_progress" / path.name
    problems = json.loads(kept.with_name(kept.name + ".errors.json").read_text())["problems"]
    found = {(p["rule"], p.get("column")) for p in problems}
    assert ("allowed_values", "Action ID") in found and ("allowed_values", "Status") in found
    text = json.dumps(problems)
    assert "DA9.9" in text and "Nearly there" in text
    assert all(5 in p.get("rows", []) for p in problems if p["rule"] == "allowed_values")  # title, blank, header, row 4, row 5
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.action_progress").fetchone() == (0,)
