"""audit.pipeline_runs names the Prefect server that ran a run, or says there was none."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb

from expectations.sources import catalogue
from warehouse.runs import finish_run, record_run
from warehouse.schema import ensure_schema


def _record(con, server: str | None) -> None:
    record_run(con, run_id="run-1", flow_run_id="0b6c2d8e-0000-4000-8000-000000000001", flow_name="csp-force",
               period="2025-12", plan_year="2018-19", area_code="E07000105,E07000110", config={}, started_at=datetime(2026, 1, 5, 7),
               state="publishing_reports", failed_stages=[], stage_row_counts={"peers": {"indicator_peers": 4}},
               prefect_server=server)


def test_a_run_on_a_server_keeps_its_url_and_flow_run_id():
    con = duckdb.connect()
    ensure_schema(con, catalogue())
    _record(con, "http://127.0.0.1:4200/api")
    assert con.execute("select prefect_server, flow_run_id from audit.pipeline_runs").fetchall() == [
        ("http://127.0.0.1:4200/api", "0b6c2d8e-0000-4000-8000-000000000001")]


def test_a_run_without_a_server_says_none_and_keeps_no_flow_run_id():
    con = duckdb.connect()
    ensure_schema(con, catalogue())
    _record(con, None)
    assert con.execute("select prefect_server, flow_run_id from audit.pipeline_runs").fetchall() == [("none", None)]


def test_finish_run_sets_the_end_and_adds_the_reports_to_the_counts():
    con = duckdb.connect()
    ensure_schema(con, catalogue())
    _record(con, None)
    finish_run(con, "run-1", [], extra_counts={"reports": [{"area": "E07000105"}]})
    state, ended_at, counts = con.execute("select state, ended_at, stage_row_counts from audit.pipeline_runs").fetchone()
    assert state == "completed" and ended_at > datetime(2026, 1, 5, 7)
    assert json.loads(counts) == {"peers": {"indicator_peers": 4}, "reports": [{"area": "E07000105"}]}


def test_an_older_warehouse_gets_the_column():
    con = duckdb.connect()
    con.execute("create schema audit")
    con.execute("create table audit.pipeline_runs (run_id varchar primary key, flow_run_id varchar, flow_name varchar, "
                "period varchar, plan_year varchar, area_code varchar, git_commit varchar, config json, started_at timestamp, "
                "ended_at timestamp, state varchar, failed_stages varchar[], stage_row_counts json, input_files json)")
    ensure_schema(con, catalogue())
    _record(con, None)
    assert con.execute("select prefect_server from audit.pipeline_runs").fetchall() == [("none",)]
