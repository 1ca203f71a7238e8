"""The DuckDB evaluation of a suite reports exactly what Great Expectations reports, for every source.

Each source's first demo file is damaged so that every rule of its suite fails somewhere (required
values emptied, malformed numbers, months and dates, out-of-range values, values outside the allowed
set or pattern, identifiers in free text, future and wrongly claimed periods, duplicate keys, more
than 20 distinct bad values and more than 50 bad rows). GX (pandas) and expectations.sql_engine run
the same committed suite on the same rows; their issues must be identical, rule by rule.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from expectations.build import load_suite
from expectations.gx_engine import validate_batch
from expectations.sources import catalogue
from expectations.sql_engine import compile_suite, evaluate, re2
from tests.conftest import REAL_DIR
from warehouse.readers import read_file

TODAY = date(2026, 12, 1)
ROWS = 260


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> dict[str, list[Path]]:
    from demo.calibration import LIVE_REFERENCE_COPIES
    from demo.generator import generate_demo_inbox

    inbox = tmp_path_factory.mktemp("inbox")
    generate_demo_inbox(inbox, REAL_DIR)
    found: dict[str, list[Path]] = {}
    for spec in catalogue():
        files = sorted(p for p in (inbox / spec.name).glob("*") if p.is_file()) if (inbox / spec.name).exists() else []
        found[spec.name] = files
    for source, name in LIVE_REFERENCE_COPIES:  # real lookups only `csp reference` copies: check them as received
        found[source] = found[source] or [REAL_DIR / "ons" / name]
    return found


def _bad_values(spec, column) -> list[object]:
    """Values breaking each rule the column declares (None breaks 'required')."""
    values: list[object] = []
    if column.required:
        values.append(None)
    values += {"integer": ["1.5", "twelve"], "decimal": ["abc", "1,5", "nan"], "month": ["2017-13", "17-01"],
               "date": ["2017-02-30", "2017/02/01", "01-02-2017"], "boolean": ["X", "yes"]}.get(column.type, [])
    if column.min is not None:
        values.append(str(column.min - 1000))
    if column.max is not None:
        values.append(str(column.max + 1000))
    if column.allowed is not None or column.pattern is not None:
        values.append("NOT A VALID VALUE")
    if column.type == "string" and column.allowed is None and column.pattern is None and not column.person_key:
        values += ["call 0123 456 7890 now", "someone@example.org", "ref 12345678901 is long"]
    return values


def damaged(spec, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.head(ROWS).copy()
    while len(frame) < ROWS:  # short files are repeated (rows keep counting) so every rule has rows of its own
        extra = frame.head(ROWS - len(frame)).copy()
        extra.index = range(int(frame.index.max()) + 1, int(frame.index.max()) + 1 + len(extra))
        frame = pd.concat([frame, extra])
    row = 0
    for column in spec.columns:
        if column.is_computed:
            continue
        for value in _bad_values(spec, column):
            frame.iat[row % len(frame), frame.columns.get_loc(column.name)] = value
            row += 1
    text_columns = [c for c in spec.columns if c.type == "string" and c.allowed is None and not c.person_key
                    and not c.is_computed]
    assert row < 130, "more bad values than rows set aside for them"
    if text_columns:
        # More than 20 distinct failing values and more than 50 failing rows for one rule.
        name = text_columns[0].name
        for i in range(130, 160):
            frame.iat[i, frame.columns.get_loc(name)] = f"x{i}@example.org"
        for i in range(160, 225):
            frame.iat[i, frame.columns.get_loc(name)] = "same@example.org"
    if spec.period is not None:
        frame.iat[len(frame) - 1, frame.columns.get_loc(spec.period.column)] = "2999-01" if spec.period.grain == "month" else "2999"
        other = "2001-01" if spec.period.grain == "month" else "2001"
        frame.iat[len(frame) - 2, frame.columns.get_loc(spec.period.column)] = other
    if spec.unique and len(frame) > 3:
        frame.iloc[len(frame) - 3] = frame.iloc[len(frame) - 4]
    return frame


def _sql_issues(spec, parsed_files) -> list[list]:
    con = duckdb.connect()
    frames = []
    for number, parsed in enumerate(parsed_files):
        frame = parsed.frame.astype(object).where(parsed.frame.notna(), None)
        frame = frame.assign(_file_id=number, _row_number=frame.index.astype("int64"))
        frames.append(frame)
    batch = pd.concat(frames, ignore_index=True)
    con.register("batch_rows", batch)
    results = evaluate(con, "batch_rows", spec, {n: spec.claimed_period(p.path.name) for n, p in enumerate(parsed_files)},
                       today=TODAY)
    return [[i.to_dict() for i in results[n].issues] for n in range(len(parsed_files))]


@pytest.mark.parametrize("source", sorted(s.name for s in catalogue()))
def test_duckdb_and_gx_report_the_same_issues(source, demo_files):
    spec = catalogue()[source]
    files = demo_files[source][:2]
    if not files:
        pytest.skip(f"the demo writes no {source} file")
    parsed_files = [read_file(path, catalogue(), source) for path in files]
    assert all(p.frame is not None and not p.issues for p in parsed_files), [p.issues for p in parsed_files]
    parsed_files[0].frame = damaged(spec, parsed_files[0].frame)
    gx = [[i.to_dict() for i in check.issues] for check in validate_batch(parsed_files, today=TODAY)]
    sql = _sql_issues(spec, parsed_files)
    assert gx[0], "the damaged file must break rules"
    failed_rules = {i["rule"] for i in gx[0]}
    computed = {c.name for c in spec.columns if c.is_computed}
    declared = {e["meta"]["rule"] for e in load_suite(source)["expectations"] if e["meta"].get("column") not in computed}
    assert declared - failed_rules - {"rows"} == set()
    for number in range(len(files)):
        assert sql[number] == gx[number], f"file {number} of {source}"


def test_every_suite_compiles_and_unknown_types_are_refused():
    for spec in catalogue():
        rules = compile_suite(spec, {"current_period_index": 24323})
        assert len(rules) == len(load_suite(spec.name)["expectations"])
    with pytest.raises(ValueError, match="look-around"):
        re2(r"(?=abc)x")
    assert re2(r"(?<![\d.])\d{3}(?![\d.])") == r"(?:^|[^\d.])\d{3}(?:[^\d.]|$)"


def test_the_translated_nhs_pattern_finds_what_python_finds():
    import re

    from expectations.build import NHS_NUMBER_REGEX

    con = duckdb.connect()
    texts = ["943 476 5919", "9434765919", "x 943-476-5919 y", "1.9434765919", "94347659190", "tel 01234567890",
             "abc", "943 476 59191", "on or near 943 476 5919.", "3.141 592 6535"]
    for text in texts:
        expected = re.search(NHS_NUMBER_REGEX, text) is not None
        got = con.execute("select regexp_matches(?, ?)", [text, re2(NHS_NUMBER_REGEX)]).fetchone()[0]
        assert got == expected, text


def _ons_lookup():
    import csv

    from expectations.area import AreaLookup

    lookup = AreaLookup()
    with open(REAL_DIR / "ons" / "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            lookup.lsoa[row["LSOA11CD"]] = row["LAD19CD"]
            lookup.wards[row["WD19CD"]] = row["LAD19CD"]
            lookup.district_names[row["LAD19CD"]] = row["LAD19NM"]
    return lookup


OUTSIDE = {"E01": ["E01000001", "E01000377"], "E05": ["E05000026", "E05011222"], "E06": ["E09000002", "E09000004"]}


@pytest.mark.parametrize("source", sorted(s.name for s in catalogue() if s.area))
def test_both_engines_find_the_same_rows_outside_the_area(source, demo_files):
    """The area check reads groups from the pandas frame (GX path) or from DuckDB rows (SQL path): same issues."""
    from expectations.area import area_issues, frame_area_groups, sql_area_groups, sql_files_refused

    spec = catalogue()[source]
    files = demo_files[source][:1]
    if not files:
        pytest.skip(f"the demo writes no {source} file")
    (parsed,) = [read_file(path, catalogue(), source) for path in files]
    frame = parsed.frame.copy()
    valid = frame.copy()
    column = spec.area.code_column
    kind = "E01" if column == spec.area.lsoa_code else "E05" if column == spec.area.ward_code else "E06"
    rows = list(frame.index)
    # 60 rows outside in two areas (more than the 50 rows an issue lists), one emptied
    for n, row in enumerate(rows[3:63]):
        frame.at[row, column] = OUTSIDE[kind][n % 2]
    frame.at[rows[1], column] = None
    lookup = _ons_lookup()
    gx = area_issues(spec, catalogue(), frame_area_groups(spec, frame), len(frame), lookup, "E07000110")
    con = duckdb.connect()
    # the damaged file (7) between two copies of the file as received (6, 8), as one batch
    loaded = pd.concat([f.astype(object).where(f.notna(), None).assign(_file_id=file_id, _row_number=f.index.astype("int64"))
                        for file_id, f in ((6, valid), (7, frame), (8, valid))])
    con.register("batch_rows", loaded)
    sql = area_issues(spec, catalogue(), sql_area_groups(spec, con, "batch_rows", 7), len(frame), lookup, "E07000110")
    assert len(gx) >= 2 and all(i.rule == "area" for i in gx)
    assert [i.to_dict() for i in sql] == [i.to_dict() for i in gx]
    # the batch's one grouped check refuses exactly the file whose issues those are
    rows = {6: len(valid), 7: len(frame), 8: len(valid)}
    assert sql_files_refused(spec, catalogue(), con, "batch_rows", rows, lookup, "E07000110") == [7]
    assert area_issues(spec, catalogue(), frame_area_groups(spec, valid), len(valid), lookup, "E07000110") == []
