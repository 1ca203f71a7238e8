"""Bad input never changes what is loaded: the file is kept in quarantine with a report."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest_paths
from tests.badfiles import CASES, make_case
from tests.conftest import POLICE_DIR, REFERENCE_FILES
from warehouse.config import load_settings

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def base_data(tmp_path_factory):
    """A warehouse holding the lookups and one real month, built once."""
    root = tmp_path_factory.mktemp("base")
    settings = load_settings(data_dir=root / "data")
    ingest_paths(settings, [*REFERENCE_FILES, POLICE_DIR / "2022-03-kent-street.csv"], today=TODAY)
    return settings


def _raw_fingerprint(path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("""
            select count(*), sum(hash(crime_id, month, lsoa_code, crime_type, _file_id, _row_number))
            from raw.police_street""").fetchone()


def _copy_data(base_settings, tmp_path):
    target = tmp_path / "data"
    shutil.copytree(base_settings.data_dir, target)
    return load_settings(data_dir=target)


@pytest.mark.parametrize("case", sorted(CASES))
def test_refused_file_leaves_raw_unchanged_and_is_kept_with_reports(case, base_data, tmp_path):
    settings = _copy_data(base_data, tmp_path)
    before = _raw_fingerprint(settings.warehouse_path)
    inbox = settings.inbox / "police_street"
    path = make_case(case, inbox, POLICE_DIR, TODAY.strftime("%Y-%m"))
    original_bytes = path.read_bytes()
    report = ingest_paths(settings, [path], today=TODAY)
    (outcome,) = report.outcomes
    assert outcome.status == "quarantined", outcome.line()
    assert _raw_fingerprint(settings.warehouse_path) == before
    kept = settings.quarantine / (outcome.verdict.source or "_unrecognised") / path.name
    assert kept.exists() and kept.read_bytes() == original_bytes
    assert not path.exists(), "a refused inbox file is moved to quarantine"
    problems = json.loads(kept.with_name(kept.name + ".errors.json").read_text())
    rule, _row, _column = CASES[case]
    assert any(p["rule"] == rule for p in problems["problems"])
    # a file refused for personal data says when it will be deleted (warehouse.retention); others do not
    personal = any(p["rule"] in {"pii_column", "pii_value"} for p in problems["problems"])
    assert problems["personal_data"] is personal and (problems["delete_after"] is not None) is personal
    html = kept.with_name(kept.name + ".errors.html").read_text()
    assert path.name in html and "Nothing from this file was loaded" in html and "<link" not in html
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        status, reason = con.execute("select status, reason from audit.files where file_name = ? order by file_id desc limit 1",
                                     [path.name]).fetchone()
        logged = con.execute("select count(*) from audit.validation_results").fetchone()[0]
    assert status == "quarantined" and path.name in reason and logged >= 1


def test_same_file_twice_is_a_no_op(base_data, tmp_path):
    settings = _copy_data(base_data, tmp_path)
    before = _raw_fingerprint(settings.warehouse_path)
    report = ingest_paths(settings, [POLICE_DIR / "2022-03-kent-street.csv"], today=TODAY)
    assert [o.status for o in report.outcomes] == ["duplicate"]
    assert _raw_fingerprint(settings.warehouse_path) == before
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from audit.files where file_name = '2022-03-kent-street.csv'").fetchone()[0] == 1


def test_a_file_from_outside_the_inbox_is_copied_not_moved(base_data, tmp_path):
    settings = _copy_data(base_data, tmp_path)
    outside = make_case("bad_month", tmp_path / "elsewhere", POLICE_DIR, "2026-12")
    ingest_paths(settings, [outside], today=TODAY)
    assert outside.exists()
    assert (settings.quarantine / "police_street" / outside.name).exists()


def test_revised_file_supersedes_the_old_rows_in_staging_and_keeps_both_in_raw(base_data, tmp_path):
    settings = _copy_data(base_data, tmp_path)
    lines = (POLICE_DIR / "2022-03-kent-street.csv").read_text(encoding="utf-8").splitlines()
    revised = tmp_path / "revised" / "2022-03-kent-street.csv"
    revised.parent.mkdir()
    revised.write_text("\n".join(lines[:101]) + "\n", encoding="utf-8")  # the force re-issued 100 rows
    report = ingest_paths(settings, [revised], today=TODAY)
    (outcome,) = report.outcomes
    assert outcome.status == "loaded" and outcome.superseded
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw_rows = con.execute("select count(*) from raw.police_street").fetchone()[0]
        staged = con.execute("select count(*) from staging.stg_police__street_records where month = date '2022-03-01'").fetchone()[0]
        superseded = con.execute("select superseded_file_ids from audit.files where file_id = ?", [outcome.file_id]).fetchone()[0]
    assert raw_rows == 17310 + 100
    assert staged == 100
    assert superseded == outcome.superseded


def test_each_force_keeps_its_own_month_and_a_revision_replaces_only_its_own(base_data, tmp_path):
    settings = _copy_data(base_data, tmp_path)
    lines = (POLICE_DIR / "2022-03-kent-street.csv").read_text(encoding="utf-8").splitlines()
    essex = tmp_path / "essex" / "2022-03-essex-street.csv"
    essex.parent.mkdir()
    essex.write_text("\n".join([lines[0]] + [line.replace("Kent Police", "Essex Police") for line in lines[1:51]]) + "\n",
                     encoding="utf-8")
    first = ingest_paths(settings, [essex], today=TODAY)
    assert [o.status for o in first.outcomes] == ["loaded"] and first.outcomes[0].superseded == []
    revised = tmp_path / "essex2" / "2022-03-essex-street.csv"
    revised.parent.mkdir()
    revised.write_text("\n".join(essex.read_text(encoding="utf-8").splitlines()[:21]) + "\n", encoding="utf-8")
    second = ingest_paths(settings, [revised], today=TODAY)
    assert second.outcomes[0].superseded == [first.outcomes[0].file_id]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        staged = dict(con.execute("""select falls_within, count(*) from staging.stg_police__street_records
                                     where month = date '2022-03-01' group by all""").fetchall())
    assert staged == {"Kent Police": 17310, "Essex Police": 20}


def test_one_batch_of_good_broken_and_reordered_files_loads_exactly_the_good_ones(base_data, tmp_path):
    """police_street files are scanned together in one DuckDB batch: each keeps its own verdict and row numbers."""
    import csv

    settings = _copy_data(base_data, tmp_path)
    inbox = settings.inbox / "police_street"
    inbox.mkdir(parents=True, exist_ok=True)
    good = shutil.copy(POLICE_DIR / "2022-04-kent-street.csv", inbox)
    with open(POLICE_DIR / "2022-05-kent-street.csv", encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    order = list(reversed(range(len(records[0]))))  # same columns, reversed order: another header layout
    with open(inbox / "2022-05-kent-street.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([[r[i] for i in order] for r in records])
    broken = make_case("bad_month", tmp_path / "cases", POLICE_DIR, "2026-12")
    broken = shutil.copy(broken, inbox / "2022-06-kent-street.csv")
    shutil.copy(make_case("truncated", tmp_path / "cases2", POLICE_DIR, "2026-12"), inbox / "2022-07-kent-street.csv")
    report = ingest_paths(settings, today=TODAY)
    status = {o.verdict.file_name: o.status for o in report.outcomes}
    assert status == {"2022-04-kent-street.csv": "loaded", "2022-05-kent-street.csv": "loaded",
                      "2022-06-kent-street.csv": "quarantined", "2022-07-kent-street.csv": "quarantined"}, status
    rules = {o.verdict.file_name: {i.rule for i in o.verdict.issues} for o in report.refused}
    assert "month" in rules["2022-06-kent-street.csv"] and "malformed_row" in rules["2022-07-kent-street.csv"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        loaded = dict(con.execute("""select f.file_name, count(r._file_id) from audit.files f
                                     left join raw.police_street r on r._file_id = f.file_id group by 1""").fetchall())
        stored = con.execute("""select _row_number, crime_id, crime_type, location from raw.police_street
                                join audit.files f on f.file_id = _file_id
                                where f.file_name = '2022-05-kent-street.csv' order by _row_number""").fetchall()
    assert loaded["2022-04-kent-street.csv"] == len(Path(good).read_text(encoding="utf-8").splitlines()) - 1
    assert loaded["2022-05-kent-street.csv"] == len(records) - 1
    assert loaded["2022-06-kent-street.csv"] == 0 and loaded["2022-07-kent-street.csv"] == 0
    assert [(n, c or "", t, loc or "") for n, c, t, loc in stored] == [
        (n, r[0], r[9], r[6]) for n, r in enumerate(records[1:], start=2)]
    assert (settings.quarantine / "police_street" / "2022-06-kent-street.csv").exists()
