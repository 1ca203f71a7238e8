"""Partner extracts: each broken file is refused with file, row, column and rule; nothing is loaded."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest
import xlsxwriter

from demo.generator import generate_demo_inbox
from flows.ingest import ingest_paths
from tests.conftest import REAL_DIR
from warehouse.config import load_settings
from warehouse.pipeline import validate_files

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("partner") / "inbox"
    generate_demo_inbox(root, REAL_DIR)
    return root


def rewrite_csv(source: Path, target: Path, change) -> Path:
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    change(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return target


def rewrite_xlsx(source: Path, target: Path, change) -> Path:
    sheet = openpyxl.load_workbook(source, read_only=True).worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    change(rows)
    target.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(target)
    out = book.add_worksheet("Cases")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                out.write(r, c, value)
    book.close()
    return target


def set_cell(rows, row, header, value):
    rows[row][rows[0].index(header)] = value


def case_files(inbox: Path, out: Path) -> dict[str, tuple[Path, str, int | None, str | None]]:
    da = inbox / "police_da_incidents" / "da_incidents_2017-10.csv"
    admissions = inbox / "health_admissions" / "admissions_2017-10.csv"
    survey = inbox / "survey_responses" / "resident_survey_2017.csv"
    marac = inbox / "marac_cases" / "marac_2017-10.xlsx"

    def duplicate(rows):
        rows[3][0] = rows[2][0]

    def title_block_twice(rows):
        header = next(r for r in rows if r and r[0] == "Case Reference")
        rows.insert(len(rows), [None] * len(header))
        rows.append(list(header))

    def drop_title(rows):
        rows[:] = [r for r in rows if r and r[0] not in (None,) and not str(r[0]).startswith("Maidstone MARAC")]

    def no_header(rows):
        rows[:] = [r for r in rows if not (r and r[0] == "Case Reference")]

    return {
        "negative_count": (rewrite_csv(admissions, out / "a" / admissions.name, lambda r: set_cell(r, 5, "Admissions", "-2")),
                           "range", 6, "Admissions"),
        "duplicate_reference": (rewrite_csv(da, out / "b" / da.name, duplicate), "unique", 4, "Incident Reference"),
        "date_outside_claimed_month": (rewrite_csv(da, out / "c" / da.name, lambda r: set_cell(r, 7, "Incident Date", "2017-11-03")),
                                       "claimed_period", 8, "Incident Date"),
        "unknown_dash_risk": (rewrite_csv(da, out / "d" / da.name, lambda r: set_cell(r, 4, "DASH Risk", "very high")),
                              "allowed_values", 5, "DASH Risk"),
        "unknown_ethnic_group": (rewrite_csv(da, out / "e" / da.name, lambda r: set_cell(r, 9, "Victim Ethnicity", "martian")),
                                 "allowed_values", 10, "Victim Ethnicity"),
        "survey_answer_off_scale": (rewrite_csv(survey, out / "f" / survey.name, lambda r: set_cell(r, 12, "Safe Night", "6")),
                                    "range", 13, "Safe Night"),
        "xlsx_two_header_rows": (rewrite_xlsx(marac, out / "g" / marac.name, title_block_twice), "ambiguous_header", None, None),
        "xlsx_without_header": (rewrite_xlsx(marac, out / "h" / marac.name, no_header), "header_not_found", None, None),
        "xlsx_bad_date": (rewrite_xlsx(marac, out / "i" / marac.name, lambda r: r[4].__setitem__(1, "2017-10-32")),
                          "date_format", 5, "Meeting Date"),
        "invalid_calendar_date": (rewrite_csv(da, out / "j" / da.name, lambda r: set_cell(r, 2, "Incident Date", "2017-02-30")),
                                  "date_valid", 3, "Incident Date"),
    }


@pytest.fixture(scope="module")
def cases(inbox, tmp_path_factory):
    return case_files(inbox, tmp_path_factory.mktemp("broken"))


CASE_NAMES = ["negative_count", "duplicate_reference", "date_outside_claimed_month", "unknown_dash_risk",
              "unknown_ethnic_group", "survey_answer_off_scale", "xlsx_two_header_rows", "xlsx_without_header",
              "xlsx_bad_date", "invalid_calendar_date"]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_partner_file_is_refused_with_row_and_column(case, cases, tmp_path):
    path, rule, row, column = cases[case]
    settings = load_settings(data_dir=tmp_path / "data", demo_mode=True)
    (outcome,) = validate_files(settings, [path], today=TODAY).outcomes
    assert outcome.status == "refused", outcome.line()
    issue = next((i for i in outcome.verdict.issues if i.rule == rule), None)
    assert issue is not None, [i.rule for i in outcome.verdict.issues]
    sentence = issue.sentence(outcome.verdict.source, path.name)
    assert path.name in sentence
    if row is not None:
        assert row in issue.rows, sentence
    if column is not None:
        assert column in (issue.column or ""), sentence


def test_xlsx_with_a_title_block_above_the_header_is_accepted(inbox, tmp_path):
    settings = load_settings(data_dir=tmp_path / "data", demo_mode=True)
    path = inbox / "marac_cases" / "marac_2017-10.xlsx"
    (outcome,) = validate_files(settings, [path], today=TODAY).outcomes
    assert outcome.status == "passed", outcome.verdict.sentences()
    assert outcome.verdict.header_row == 3


def test_person_keys_are_refused_without_a_pseudonymisation_key(inbox, tmp_path, monkeypatch):
    monkeypatch.delenv("CSP_PSEUDONYM_KEY", raising=False)
    settings = load_settings(data_dir=tmp_path / "data", demo_mode=False)
    path = inbox / "police_da_incidents" / "da_incidents_2017-10.csv"
    report = ingest_paths(settings, [path], today=TODAY)
    (outcome,) = report.outcomes
    assert outcome.status == "quarantined"
    assert outcome.verdict.issues[0].rule == "person_key_without_secret"
    assert "CSP_PSEUDONYM_KEY" in outcome.verdict.issues[0].message and "Victim ID" in outcome.verdict.issues[0].column
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.police_da_incidents").fetchone()[0] == 0


def test_person_keys_are_loaded_only_as_keyed_hashes(inbox, tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_PSEUDONYM_KEY", "a-real-secret-for-this-test")
    settings = load_settings(data_dir=tmp_path / "data")
    source = inbox / "police_da_incidents" / "da_incidents_2017-10.csv"
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    ingest_paths(settings, [copy], today=TODAY)
    with open(source, encoding="utf-8", newline="") as handle:
        raw_keys = {row["Victim ID"] for row in csv.DictReader(handle)}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        stored = {row[0] for row in con.execute("select victim_key from raw.police_da_incidents").fetchall()}
    assert len(stored) == len(raw_keys)
    assert not stored & raw_keys
    assert all(len(token) == 64 for token in stored)
