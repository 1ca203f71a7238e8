"""Great Expectations suites derived from the source declarations, kept as JSON in expectations/suites/.

Run `python -m expectations.build` after changing expectations/sources.yml; a contract test fails
when a committed suite and its declaration disagree. Each expectation's `meta` says, in words,
which rule it enforces so the quarantine report can explain a failure.

Validation runs on a frame of the file's values as text, plus derived columns named
`<column>__number` (numeric value), `<period column>__period_index` (months or years since 0),
`__claimed_period_index` (the period the row's file name claims) and `__file` (which file of the
batch the row came from): several files of one source are validated in one batch.
"""

from __future__ import annotations

import json
from pathlib import Path

from expectations.sources import ColumnSpec, SourceSpec, catalogue

SUITES_DIR = Path(__file__).with_name("suites")

NUMBER_SUFFIX = "__number"
FILE_COLUMN = "__file"
CLAIMED_COLUMN = "__claimed_period_index"
PERIOD_SUFFIX = "__period_index"

INTEGER_REGEX = r"^-?\d+$"
DECIMAL_REGEX = r"^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$"
MONTH_REGEX = r"^\d{4}-(?:0[1-9]|1[0-2])$"
DATE_REGEX = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])$"
# Free text must not carry identifiers: NHS numbers (10 digits, often 3-3-4) and e-mail addresses.
NHS_NUMBER_REGEX = r"(?<![\d.])\d{3}[ -]?\d{3}[ -]?\d{4}(?![\d.])"
EMAIL_REGEX = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"

PATTERN_EXAMPLES = {
    r"[EW]01\d{6}": "an LSOA code such as E01024320",
    r"E05\d{6}": "a ward code such as E05005000",
    r"[EW]05\d{6}": "a ward code such as E05005000",
}


def _expect(kind: str, rule: str, spec_column: ColumnSpec | None, message: str, **kwargs: object) -> dict:
    meta = {"rule": rule, "message": message}
    if spec_column is not None:
        meta["column"] = spec_column.name
        meta["header"] = spec_column.header
    return {"type": kind, "kwargs": kwargs, "meta": meta}


def column_expectations(spec: SourceSpec, column: ColumnSpec) -> list[dict]:
    """The expectations one declared column implies, in the order they are reported."""
    out: list[dict] = []
    name, header = column.name, column.header
    if column.required:
        out.append(_expect("expect_column_values_to_not_be_null", "required", column,
                           f"{header} is empty (a value is required)", column=name))
    if column.type == "integer":
        out.append(_expect("expect_column_values_to_match_regex", "integer", column,
                           f"{header} '{{value}}' is not a whole number", column=name, regex=INTEGER_REGEX))
    elif column.type == "decimal":
        out.append(_expect("expect_column_values_to_match_regex", "number", column,
                           f"{header} '{{value}}' is not a number", column=name, regex=DECIMAL_REGEX))
    elif column.type == "month":
        out.append(_expect("expect_column_values_to_match_regex", "month", column,
                           f"{header} '{{value}}' is not a month (expected YYYY-MM)", column=name, regex=MONTH_REGEX))
    elif column.type == "date":
        out.append(_expect("expect_column_values_to_match_regex", "date_format", column,
                           f"{header} '{{value}}' is not a date (expected YYYY-MM-DD)", column=name, regex=DATE_REGEX))
        out.append(_expect("expect_column_values_to_match_strftime_format", "date_valid", column,
                           f"{header} '{{value}}' is not a real calendar date", column=name, strftime_format="%Y-%m-%d"))
    elif column.type == "boolean":
        out.append(_expect("expect_column_values_to_be_in_set", "boolean", column,
                           f"{header} '{{value}}' is not Y or N", column=name, value_set=["Y", "N"]))
    if column.min is not None or column.max is not None:
        bounds = []
        if column.min is not None:
            bounds.append(f"at least {column.min:g}")
        if column.max is not None:
            bounds.append(f"at most {column.max:g}")
        kwargs: dict[str, object] = {"column": name + NUMBER_SUFFIX}
        if column.min is not None:
            kwargs["min_value"] = column.min
        if column.max is not None:
            kwargs["max_value"] = column.max
        out.append(_expect("expect_column_values_to_be_between", "range", column,
                           f"{header} {{value}} is out of range (must be {' and '.join(bounds)})", **kwargs))
    if column.allowed is not None:
        shown = ", ".join(column.allowed[:16]) + (", ..." if len(column.allowed) > 16 else "")
        out.append(_expect("expect_column_values_to_be_in_set", "allowed_values", column,
                           f"{header} '{{value}}' is not an allowed value (allowed: {shown})",
                           column=name, value_set=list(column.allowed)))
    if column.pattern is not None:
        expected = PATTERN_EXAMPLES.get(column.pattern, f"the pattern {column.pattern}")
        out.append(_expect("expect_column_values_to_match_regex", "pattern", column,
                           f"{header} '{{value}}' is not well-formed (expected {expected})",
                           column=name, regex=f"^(?:{column.pattern})$"))
    if (column.type == "string" and column.allowed is None and column.pattern is None
            and not column.person_key and not column.is_computed):
        out.append(_expect("expect_column_values_to_not_match_regex", "pii_value", column,
                           f"{header} looks like it holds an NHS number; identifiers must not be sent",
                           column=name, regex=NHS_NUMBER_REGEX))
        out.append(_expect("expect_column_values_to_not_match_regex", "pii_value", column,
                           f"{header} looks like it holds an e-mail address; identifiers must not be sent",
                           column=name, regex=EMAIL_REGEX))
    return out


def build_suite(spec: SourceSpec) -> dict:
    """The full suite for a source, as plain JSON-able data."""
    expectations = [
        _expect("expect_table_row_count_to_be_between", "rows", None,
                "the file has no data rows", min_value=1),
    ]
    for column in spec.columns:
        expectations.extend(column_expectations(spec, column))
    if spec.period is not None:
        period_column = spec.column(spec.period.column)
        unit = "month" if spec.period.grain == "month" else "year"
        expectations.append(_expect(
            "expect_column_values_to_be_between", "no_future_period", period_column,
            f"{period_column.header} '{{value}}' is in the future (no {unit} after {{current_period}} can have data yet)",
            column=period_column.name + PERIOD_SUFFIX, max_value={"$PARAMETER": "current_period_index"}))
        expectations.append(_expect(
            "expect_column_pair_values_to_be_equal", "claimed_period", period_column,
            f"{period_column.header} '{{value}}' is outside the {unit} the file name claims ({{claimed_period}})",
            column_A=period_column.name + PERIOD_SUFFIX, column_B=CLAIMED_COLUMN,
            ignore_row_if="either_value_is_missing"))
    if spec.unique:
        headers = " + ".join(spec.column(key).header for key in spec.unique)
        # Unique within a file: a revised file may repeat the keys of the file it replaces.
        entry = _expect("expect_compound_columns_to_be_unique", "unique",
                        spec.column(spec.unique[0]) if len(spec.unique) == 1 else None,
                        f"{headers} '{{value}}' appears more than once in the file (it must be unique)",
                        column_list=[FILE_COLUMN, *spec.unique])
        entry["meta"]["columns"] = list(spec.unique)
        expectations.append(entry)
    return {
        "name": spec.name,
        "expectations": expectations,
        "meta": {"source": spec.name, "title": spec.title, "built_from": "expectations/sources.yml"},
    }


def suite_path(source: str) -> Path:
    return SUITES_DIR / f"{source}.json"


def render(suite: dict) -> str:
    return json.dumps(suite, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def load_suite(source: str) -> dict:
    """The committed suite for a source."""
    path = suite_path(source)
    if not path.exists():
        raise FileNotFoundError(f"no expectation suite for source '{source}' ({path}); run python -m expectations.build")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def write_all() -> list[Path]:
    SUITES_DIR.mkdir(exist_ok=True)
    written = []
    for spec in catalogue():
        path = suite_path(spec.name)
        path.write_text(render(build_suite(spec)), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(written_path)
