"""Every raw row keeps its spreadsheet row number when many files are read in one parallel scan.

The 27 real Kent police.uk files (84 MB) are one ingest batch: DuckDB reads them on several threads and
the rows are numbered by their place in the scan (warehouse/ingest.py). Checked against Python's csv
module, file by file: row n of raw is record n of the file, field for field.
"""

from __future__ import annotations

import csv

import pytest

from tests.conftest import POLICE_DIR, REFERENCE_FILES

pytestmark = pytest.mark.integration

COLUMNS = ["crime_id", "month", "reported_by", "falls_within", "longitude", "latitude", "location", "lsoa_code",
           "lsoa_name", "crime_type", "last_outcome_category", "context"]


def test_rows_of_a_parallel_multi_file_scan_keep_their_row_numbers(tmp_path):
    from warehouse.config import load_settings
    from warehouse.pipeline import ingest_files, warehouse_for_writing

    settings = load_settings(data_dir=tmp_path / "data")
    files = sorted(POLICE_DIR.glob("*-kent-street.csv"))
    assert len(files) == 27
    with warehouse_for_writing(settings) as con:
        con.execute("set threads = 4")  # several threads even on a small machine
        ingest_files(con, settings, list(REFERENCE_FILES))
        run = ingest_files(con, settings, files)
        assert [o.status for o in run.report.outcomes] == ["loaded"] * 27
        for outcome in run.report.outcomes:
            with open(outcome.verdict.path, encoding="utf-8", newline="") as handle:
                records = list(csv.reader(handle))[1:]
            stored = con.execute(f"select _row_number, {', '.join(COLUMNS)} from raw.police_street "
                                 "where _file_id = ? order by _row_number", [outcome.file_id]).fetchall()
            assert [row[0] for row in stored] == list(range(2, len(records) + 2)), outcome.verdict.file_name
            for row in stored:
                assert tuple(value or "" for value in row[1:]) == tuple(records[row[0] - 2]), (
                    outcome.verdict.file_name, row[0])
