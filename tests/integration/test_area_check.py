"""Every file belongs where it is loaded: rows of another district (or force) are refused.

Built from the demo's valid files with their area columns rewritten; the ONS lookups the check reads
are the real ones (../shared/real/ons), loaded first as a monthly run does.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from demo.generator import generate_demo_inbox
from expectations.area import sql_area_groups
from tests.conftest import POLICE_DIR, REAL_DIR
from warehouse.config import load_settings
from warehouse.pipeline import ingest_files, validate_files, warehouse_for_writing

pytestmark = pytest.mark.integration

TODAY = date(2026, 12, 1)
BARKING_WARDS = ["E05000026", "E05000027", "E05000028"]  # Abbey, Alibon, Becontree (ONS WD19 lookup)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A demo inbox, and a warehouse holding only its reference files (the ONS lookups)."""
    root = tmp_path_factory.mktemp("area")
    inbox = root / "inbox"
    generate_demo_inbox(inbox, REAL_DIR)
    mp = pytest.MonkeyPatch()
    mp.setenv("CSP_DATA", str(root / "data"))
    mp.setenv("CSP_DEMO", "1")
    settings = load_settings()
    settings.ensure_dirs()
    references = sorted(p for folder in inbox.glob("reference_*") for p in folder.iterdir()
                        if "population" not in p.name)
    with warehouse_for_writing(settings) as con:
        run = ingest_files(con, settings, references, run_id="references", today=TODAY)
    assert {o.status for o in run.report.outcomes} == {"loaded"}
    yield {"inbox": inbox, "settings": settings, "root": root}
    mp.undo()


def rewrite(source: Path, target: Path, column: str, values) -> tuple[Path, int]:
    """Copy a demo CSV, setting `column` of data rows to values(i) (None keeps the value)."""
    with open(source, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    index = rows[0].index(column)
    for i, row in enumerate(rows[1:]):
        value = values(i)
        if value is not None:
            row[index] = value
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return target, len(rows) - 1


def only(report):
    (outcome,) = report.outcomes
    return outcome


def test_da_file_of_city_of_london_lsoas_is_refused_and_changes_nothing(world, tmp_path):
    settings = world["settings"]
    valid = world["inbox"] / "police_da_incidents" / "da_incidents_2018-02.csv"
    hostile, rows = rewrite(valid, tmp_path / "city" / "da_incidents_2018-02.csv", "LSOA Code", lambda i: "E01000001")
    outcome = only(validate_files(settings, [hostile], today=TODAY))
    assert outcome.status == "refused"
    (issue,) = outcome.verdict.issues
    assert issue.rule == "area" and issue.column == "LSOA Code" and issue.count == rows and issue.rows[0] == 2
    assert f"{rows:,} of {rows:,} rows have LSOA Code in City of London (E09000001)" in issue.message
    assert "outside this CSP's area, Maidstone (E07000110)" in issue.message
    assert "e.g. row 2: E01000001" in issue.message

    # As a revision of Maidstone's February it is quarantined: the valid file's rows stay the ones loaded.
    data = world["root"] / "data"
    backup = world["root"] / "backup.duckdb"
    shutil.copyfile(settings.warehouse_path, backup)
    try:
        with warehouse_for_writing(settings) as con:
            first = ingest_files(con, settings, [valid], run_id="valid", today=TODAY)
            second = ingest_files(con, settings, [hostile], run_id="hostile", today=TODAY)
        assert [o.status for o in first.report.outcomes] == ["loaded"]
        assert [o.status for o in second.report.outcomes] == ["quarantined"]
        with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
            codes = con.execute("select count(*), count(*) filter (where lsoa_code = 'E01000001') "
                                "from raw.police_da_incidents").fetchone()
        assert codes == (rows, 0)
    finally:
        shutil.copyfile(backup, settings.warehouse_path)


def test_a_few_rows_of_another_district_refuse_a_csp_file(world, tmp_path):
    valid = world["inbox"] / "police_da_incidents" / "da_incidents_2018-01.csv"
    hostile, rows = rewrite(valid, tmp_path / "some" / "da_incidents_2018-01.csv", "LSOA Code",
                            lambda i: "E01000001" if i in (4, 9, 10) else None)
    outcome = only(validate_files(world["settings"], [hostile], today=TODAY))
    (issue,) = outcome.verdict.issues
    assert issue.rows == (6, 11, 12) and issue.count == 3
    assert f"3 of {rows:,} rows have LSOA Code in City of London (E09000001)" in issue.message
    assert "e.g. row 6: E01000001" in issue.message


def test_needle_finds_of_barking_wards_are_refused(world, tmp_path):
    valid = world["inbox"] / "council_needle_finds" / "needle_finds_2018-02.csv"
    hostile, rows = rewrite(valid, tmp_path / "barking" / "needle_finds_2018-02.csv", "Ward Code",
                            lambda i: BARKING_WARDS[i % 3])
    outcome = only(validate_files(world["settings"], [hostile], today=TODAY))
    assert outcome.status == "refused"
    (issue,) = outcome.verdict.issues
    assert issue.rule == "area" and issue.column == "Ward Code" and issue.count == rows
    assert f"{rows:,} of {rows:,} rows have Ward Code in Barking and Dagenham (E09000002)" in issue.message
    assert "e.g. row 2: E05000026" in issue.message


def test_the_valid_demo_files_pass_the_area_check(world):
    inbox = world["inbox"]
    files = [inbox / "police_da_incidents" / "da_incidents_2018-02.csv",
             inbox / "council_needle_finds" / "needle_finds_2018-02.csv",
             inbox / "police_drug_offences" / "drug_offences_2018-02.csv",
             inbox / "health_ae" / "ae_attendances_2018-02.csv",
             inbox / "reference_population" / "population_2017_synthetic.csv",
             *sorted((inbox / "survey_responses").iterdir())]
    report = validate_files(world["settings"], files, today=TODAY)
    assert [(o.verdict.file_name, o.status) for o in report.outcomes] == [(p.name, "passed") for p in files]


@pytest.mark.parametrize("name", ["s136_E09000001_2018-02.csv", "s136_city_of_london_2018-02.csv"])
def test_a_file_name_declaring_another_district_is_refused(world, tmp_path, name):
    """s136 rows carry no area: the area the file declares in its name is checked."""
    target = tmp_path / name
    shutil.copyfile(world["inbox"] / "police_s136" / "s136_2018-02.csv", target)
    outcome = only(validate_files(world["settings"], [target], today=TODAY))
    (issue,) = outcome.verdict.issues
    assert issue.rule == "claimed_area"
    assert issue.message.startswith("the file name declares City of London (E09000001), not this CSP's area, "
                                    "Maidstone (E07000110)")


def test_a_file_name_declaring_our_own_district_passes(world, tmp_path):
    target = tmp_path / "s136_maidstone_E07000110_2018-02.csv"
    shutil.copyfile(world["inbox"] / "police_s136" / "s136_2018-02.csv", target)
    assert only(validate_files(world["settings"], [target], today=TODAY)).status == "passed"


def test_the_27_real_kent_files_load_with_their_241_cross_border_rows(world, tmp_path):
    """Kent Police's own files hold 241 rows in LSOAs outside Kent (88 in Bexley): within the 1% tolerance."""
    files = sorted(POLICE_DIR.glob("*-kent-street.csv"))
    assert len(files) == 27
    report = validate_files(world["settings"], files, today=TODAY)
    assert [o.status for o in report.outcomes] == ["passed"] * 27


def test_a_kent_file_with_more_than_1pc_of_rows_outside_kent_is_refused(world, tmp_path):
    """2022-01 (16,338 rows) with 200 rows moved to a Bexley LSOA: at least 200 rows outside Kent (it had 48 of its own) > 1% = 163."""
    source = POLICE_DIR / "2022-01-kent-street.csv"
    hostile, rows = rewrite(source, tmp_path / "2022-01-kent-street.csv", "LSOA code",
                            lambda i: "E01000377" if i < 200 else None)
    assert rows == 16_338
    outcome = only(validate_files(world["settings"], [hostile], today=TODAY))
    assert outcome.status == "refused"
    bexley = [i for i in outcome.verdict.issues if "Bexley (E09000004)" in i.message]
    assert len(bexley) == 1 and bexley[0].rows[:3] == (2, 3, 4)
    assert "outside the police force area of Kent Police" in bexley[0].message
    assert "allows at most 1% of a file's rows outside it" in bexley[0].message


def test_one_file_outside_the_area_in_a_batch_of_police_files_is_refused_alone(world, tmp_path, monkeypatch):
    """Three Kent months checked as one DuckDB batch; February has every other one of its first 400 rows moved to
    the City of London (E01000001, an LSOA no Kent file holds): 200 of its 15,383 rows, more than the 1% allowed."""
    from warehouse import ingest

    january, march = (POLICE_DIR / f"2022-{m}-kent-street.csv" for m in ("01", "03"))
    source = POLICE_DIR / "2022-02-kent-street.csv"
    assert "E01000001" not in source.read_text(encoding="utf-8")
    hostile, rows = rewrite(source, tmp_path / source.name, "LSOA code", lambda i: "E01000001" if i < 400 and i % 2 == 0 else None)
    assert rows == 15_383
    fetched = []  # files whose groups are read again with their first rows: the refused one only
    monkeypatch.setattr(ingest, "sql_area_groups", lambda spec, con, relation, file_id: fetched.append(file_id)
                        or sql_area_groups(spec, con, relation, file_id))
    report = validate_files(world["settings"], [january, hostile, march], today=TODAY)
    assert [(o.verdict.file_name, o.status) for o in report.outcomes] == [
        ("2022-01-kent-street.csv", "passed"), ("2022-02-kent-street.csv", "refused"), ("2022-03-kent-street.csv", "passed")]
    assert len(fetched) == 1
    city = [i for i in report.outcomes[1].verdict.issues if "City of London (E09000001)" in i.message]
    assert len(city) == 1
    issue = city[0]
    assert issue.rule == "area" and issue.column == "LSOA code" and issue.count == 200
    assert issue.rows == tuple(range(2, 101, 2))  # data rows 0, 2, 4 ... are spreadsheet rows 2, 4, 6 ...; the first 50
    assert issue.message.startswith("200 of 15,383 rows have LSOA code in City of London (E09000001), outside the "
                                    "police force area of Kent Police (e.g. row 2: E01000001)")


# -- the period a file name claims ------------------------------------------------------------

def test_a_name_without_a_period_is_refused_with_how_to_name_it(world, tmp_path):
    target = tmp_path / "da_incidents_latest.csv"
    shutil.copyfile(world["inbox"] / "police_da_incidents" / "da_incidents_2018-02.csv", target)
    outcome = only(validate_files(world["settings"], [target], today=TODAY))
    assert outcome.status == "refused"
    (issue,) = outcome.verdict.issues
    assert issue.rule == "period_claim"
    assert "name it like 'da_incidents_2018-02.csv'" in issue.message
    assert "csp ingest --period 2018-02 <file>" in issue.message
    assert outcome.line().startswith("REFUSED     police_da_incidents da_incidents_latest.csv: the file name claims no period")


def test_period_option_is_the_claim_and_rows_must_fall_in_it(world, tmp_path):
    target = tmp_path / "da_incidents_latest.csv"
    shutil.copyfile(world["inbox"] / "police_da_incidents" / "da_incidents_2018-02.csv", target)
    passed = only(validate_files(world["settings"], [target], today=TODAY, period="2018-02"))
    assert passed.status == "passed" and passed.verdict.periods == ["2018-02"]
    wrong = only(validate_files(world["settings"], [target], today=TODAY, period="2018-03"))
    assert wrong.status == "refused"
    assert {i.rule for i in wrong.verdict.issues} == {"claimed_period"}
    assert "outside the month the file name claims (2018-03)" in wrong.verdict.issues[0].message


def test_csp_validate_takes_period_and_csp_ingest_exits_1_when_a_file_is_refused(world, tmp_path, monkeypatch, capsys,
                                                                                  prefect_harness):
    from cli.main import main

    target = tmp_path / "in" / "da_incidents_latest.csv"
    target.parent.mkdir()
    shutil.copyfile(world["inbox"] / "police_da_incidents" / "da_incidents_2018-02.csv", target)
    assert main(["validate", str(target)]) == 1
    assert main(["validate", "--period", "2018-02", str(target)]) == 0
    with pytest.raises(SystemExit):
        main(["validate", "--period", "Feb 2018", str(target)])

    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(world["settings"].warehouse_path, data / "csp.duckdb")
    monkeypatch.setenv("CSP_DATA", str(data))
    valid = tmp_path / "in" / "needle_finds_2018-02.csv"
    shutil.copyfile(world["inbox"] / "council_needle_finds" / "needle_finds_2018-02.csv", valid)
    capsys.readouterr()
    assert main(["ingest", str(valid), str(target)]) == 1
    out = capsys.readouterr().out
    assert "loaded      council_needle_finds needle_finds_2018-02.csv" in out
    assert "REFUSED     police_da_incidents da_incidents_latest.csv: the file name claims no period" in out
    assert main(["ingest", "--period", "2018-02", str(data / "quarantine" / "police_da_incidents" / "da_incidents_latest.csv")]) == 0
