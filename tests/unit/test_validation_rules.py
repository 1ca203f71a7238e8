"""Every validation rule, one broken file each: the message names file, row, column and rule."""

from __future__ import annotations

from datetime import date

import pytest

from tests.badfiles import CASES, make_case
from tests.conftest import POLICE_DIR
from warehouse.pipeline import validate_files

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_file_is_refused_with_a_precise_message(case, tmp_path, settings):
    rule, row, column = CASES[case]
    path = make_case(case, tmp_path / "in", POLICE_DIR, TODAY.strftime("%Y-%m"))
    report = validate_files(settings, [path], today=TODAY)
    (outcome,) = report.outcomes
    assert outcome.status == "refused", outcome.line()
    issues = [i for i in outcome.verdict.issues if i.rule == rule]
    assert issues, f"expected rule {rule}, got {[i.rule for i in outcome.verdict.issues]}"
    issue = issues[0]
    sentence = issue.sentence(outcome.verdict.source, path.name)
    assert path.name in sentence
    if row is not None:
        assert row in issue.rows, sentence
        assert f"row {row:,}" in sentence or f"rows {row:,}" in sentence
    if column is not None:
        assert column in (issue.column or "") + issue.message, sentence


def test_pii_columns_are_each_named(tmp_path, settings):
    path = make_case("pii_columns", tmp_path, POLICE_DIR, "2026-12")
    (outcome,) = validate_files(settings, [path], today=TODAY).outcomes
    named = {i.column for i in outcome.verdict.issues if i.rule == "pii_column"}
    assert named == {"Victim Name", "Date of Birth", "NHS Number"}
    assert any("date of birth" in i.message for i in outcome.verdict.issues)


def test_bad_month_message_reads_as_a_sentence(tmp_path, settings):
    path = make_case("bad_month", tmp_path, POLICE_DIR, "2026-12")
    (outcome,) = validate_files(settings, [path], today=TODAY).outcomes
    assert outcome.verdict.sentences()[0] == (
        "police_street 2022-01-kent-street.csv row 6: Month '2022-13' is not a month (expected YYYY-MM)")


def test_utf8_with_bom_and_crlf_is_accepted(tmp_path, settings):
    path = make_case("bom", tmp_path, POLICE_DIR, "2026-12")
    (outcome,) = validate_files(settings, [path], today=TODAY).outcomes
    assert outcome.status == "passed", outcome.verdict.sentences()
    assert outcome.verdict.rows == 40


def test_real_file_passes_every_rule(settings):
    (outcome,) = validate_files(settings, [POLICE_DIR / "2025-03-kent-street.csv"], today=TODAY).outcomes
    assert outcome.status == "passed", outcome.verdict.sentences()
    assert outcome.verdict.rules_checked >= 25
    assert outcome.verdict.periods == ["2025-03"]


def test_source_can_be_forced_when_the_header_is_unrecognisable(tmp_path, settings):
    path = tmp_path / "whatever.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    (outcome,) = validate_files(settings, [path], today=TODAY).outcomes
    assert outcome.verdict.issues[0].rule == "unrecognised_source"
    (forced,) = validate_files(settings, [path], source="police_street", today=TODAY).outcomes
    assert {i.rule for i in forced.verdict.issues} >= {"missing_column"}
