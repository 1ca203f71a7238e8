"""`csp-sql`: SQL and the common dot-commands on a read-only warehouse."""

from __future__ import annotations

import io

import duckdb
import pytest

from cli.duckdb_shell import main


@pytest.fixture()
def warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.counts (area_code varchar, n integer)")
        con.execute("insert into marts.counts values ('E07000110', 4), ('E07000105', 6)")
        con.execute("create view marts.total as select sum(n) as total from marts.counts")
    return path


def test_dot_tables_lists_tables_and_views_per_schema(warehouse, capsys):
    assert main([str(warehouse), "-c", ".tables"]) == 0
    assert capsys.readouterr().out.strip() == "marts: counts total"


def test_dot_schema_prints_the_create_statement(warehouse, capsys):
    assert main([str(warehouse), "-c", ".schema marts.counts"]) == 0
    out = capsys.readouterr().out
    assert "CREATE TABLE marts.counts" in out and "area_code VARCHAR" in out and "total" not in out


def test_a_script_mixes_dot_commands_and_sql_and_quit_stops_it(warehouse, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(".tables\nselect total from marts.total;\n.quit\nselect 1/0;\n"))
    assert main([str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert "marts: counts total" in out and "10" in out


def test_files_open_read_only(warehouse, capsys):
    assert main([str(warehouse), "-c", "delete from marts.counts"]) == 1
    assert "read-only" in capsys.readouterr().err
