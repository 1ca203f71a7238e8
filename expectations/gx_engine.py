"""Run a source's Great Expectations suite over a batch of parsed files; say what failed, row by row.

GX's cost is mostly per expectation, not per row, so the files of one source are checked together
in one frame (a `__file` column says which file each row came from) and failures are handed back
to their own file. A failure in one file never refuses another.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import pandas as pd
from pandas.api.extensions import ExtensionArray

from expectations.build import CLAIMED_COLUMN, FILE_COLUMN, NUMBER_SUFFIX, PERIOD_SUFFIX, load_suite
from expectations.problems import Issue
from expectations.sources import SourceSpec

MAX_ROWS_PER_ISSUE = 50
MAX_VALUES_PER_RULE = 20

_lock = threading.Lock()
_context = None
_definitions: dict[str, object] = {}


@dataclass
class FileCheck:
    """What validation found in one file."""

    issues: list[Issue]
    rules_checked: int
    periods: list[str]


def period_index(text: object, grain: str) -> int | None:
    """'2017-10' → 2017*12+9 (months since year 0); '2017' → 2017 (years); None if not a period."""
    if not isinstance(text, str) or len(text) < 4 or not text[:4].isdigit():
        return None
    year = int(text[:4])
    if grain == "year":
        return year
    if len(text) < 7 or text[4] != "-" or not text[5:7].isdigit():
        return None
    month = int(text[5:7])
    return year * 12 + month - 1 if 1 <= month <= 12 else None


def period_indices(values: pd.Series, grain: str) -> ExtensionArray:
    """period_index over a column of text (a file holds few distinct periods: map each once)."""
    lookup = {value: period_index(value, grain) for value in pd.unique(values)}
    return pd.array([lookup[value] for value in values], dtype="Int64")


def period_label(index: int, grain: str) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}" if grain == "month" else f"{index:04d}"


def derive_columns(frame: pd.DataFrame, spec: SourceSpec, claimed: int | None, file_number: int) -> pd.DataFrame:
    """Add the numeric, period and file columns the suite checks."""
    # Object dtype: GX filters columns many times and arrow-backed strings make every take slow.
    out = frame.astype(object)
    for column in spec.columns:
        if column.min is not None or column.max is not None:
            out[column.name + NUMBER_SUFFIX] = pd.to_numeric(out[column.name], errors="coerce")
    if spec.period is not None:
        grain = spec.period.grain
        out[spec.period.column + PERIOD_SUFFIX] = period_indices(out[spec.period.column], grain)
        out[CLAIMED_COLUMN] = pd.array([claimed] * len(out), dtype="Int64")
    out[FILE_COLUMN] = file_number
    return out


def _gx_context():
    global _context
    if _context is None:
        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        import great_expectations as gx

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.ERROR)
        _context = gx.get_context(mode="ephemeral")
        _context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return _context


def _definition(spec: SourceSpec):
    """One GX validation definition per source, built from the committed suite."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    if spec.name in _definitions:
        return _definitions[spec.name]
    ctx = _gx_context()
    suite = gx.ExpectationSuite(name=spec.name)
    for entry in load_suite(spec.name)["expectations"]:
        config = ExpectationConfiguration(type=entry["type"], kwargs=entry["kwargs"], meta=entry["meta"])
        suite.add_expectation(config.to_domain_obj())
    suite = ctx.suites.add(suite)
    datasource = ctx.data_sources.add_pandas(f"ds:{spec.name}")
    batch = datasource.add_dataframe_asset(f"asset:{spec.name}").add_batch_definition_whole_dataframe("all")
    definition = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"vd:{spec.name}", data=batch, suite=suite))
    _definitions[spec.name] = definition
    return definition


class ParsedRows(Protocol):
    """A file read as received (warehouse.readers.ParsedFile): its path, source and rows as strings."""

    path: Path
    source: SourceSpec | None
    frame: pd.DataFrame | None


def validate_batch(files: list[ParsedRows], today: date | None = None,
                   claims: list[str | None] | None = None) -> list[FileCheck]:
    """Validate parsed files of ONE source together; one FileCheck per file, in order.

    claims: the period each file claims (default: what its file name says).
    """
    if not files:
        return []
    spec = files[0].source
    assert spec is not None and all(f.source is spec and f.frame is not None for f in files)
    today = today or date.today()
    grain = spec.period.grain if spec.period else "month"
    current = period_index(today.strftime("%Y-%m"), grain)
    claims = claims if claims is not None else [spec.claimed_period(f.path.name) for f in files]
    frames = []
    row_numbers: list[pd.Index] = []
    for number, (parsed, claim) in enumerate(zip(files, claims)):
        assert parsed.frame is not None  # asserted for every file above; narrows the type here
        claimed_index = period_index(claim, grain) if claim else None
        frame = derive_columns(parsed.frame, spec, claimed_index, number)
        row_numbers.append(frame.index)
        frames.append(frame.reset_index(drop=True))
    batch = pd.concat(frames, ignore_index=True)
    offsets = [0]
    for frame in frames:
        offsets.append(offsets[-1] + len(frame))
    with _lock:
        result = _definition(spec).run(
            batch_parameters={"dataframe": batch},
            expectation_parameters={"current_period_index": current},
            result_format={"result_format": "COMPLETE"},
        )
    per_file: list[list[tuple[int, Issue]]] = [[] for _ in files]
    order = {_key(e["type"], e["kwargs"]): i for i, e in enumerate(load_suite(spec.name)["expectations"])}
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        meta = dict(config.meta or {})
        position = order.get(_key(config.type, config.kwargs), 999)
        if item.exception_info and item.exception_info.get("raised_exception"):
            issue = Issue(rule="validation_error", column=meta.get("header"),
                          message=f"rule {meta.get('rule', config.type)} could not be checked: {item.exception_info.get('exception_message')}")
            for bucket in per_file:
                bucket.append((position, issue))
            continue
        indices = _indices(item.result or {})
        if not indices:
            # Table-level rule (row count): belongs to every file of the batch that is empty.
            for number, frame in enumerate(frames):
                if len(frame) == 0:
                    per_file[number].append((position, Issue(rule=meta.get("rule", config.type), message=meta.get("message", ""))))
            continue
        by_file: dict[int, list[int]] = {}
        for index in indices:
            number = _file_of(index, offsets)
            by_file.setdefault(number, []).append(index)
        for number, batch_rows in by_file.items():
            per_file[number].extend(
                (position, issue) for issue in _issues(meta, config.type, batch, batch_rows, row_numbers[number], offsets[number],
                                                       claims[number], today, grain))
    checks = []
    for number, parsed in enumerate(files):
        issues = [issue for _, issue in sorted(per_file[number], key=lambda pair: (pair[0], pair[1].rows[:1] or (float("inf"),)))]
        periods: list[str] = []
        if spec.period is not None:
            values = frames[number][spec.period.column + PERIOD_SUFFIX].dropna().unique()
            periods = sorted(period_label(int(v), grain) for v in values)
        checks.append(FileCheck(issues=issues, rules_checked=len(result.results), periods=periods))
    return checks


def _key(kind: str, kwargs: dict) -> str:
    return kind + ":" + str(kwargs.get("column", kwargs.get("column_A", kwargs.get("column_list", "")))) + ":" + str(kwargs.get("regex", ""))


def _indices(detail: dict) -> list[int]:
    raw = detail.get("unexpected_index_list") or []
    out = []
    for item in raw:
        if isinstance(item, dict):
            out.append(int(next(iter(item.values()))))
        else:
            out.append(int(item))
    return sorted(set(out))


def _file_of(index: int, offsets: list[int]) -> int:
    import bisect

    return bisect.bisect_right(offsets, index) - 1


def _issues(meta: dict, kind: str, batch: pd.DataFrame, batch_rows: list[int], file_rows: pd.Index, offset: int,
            claim: str | None, today: date, grain: str) -> list[Issue]:
    """Group failing rows by value so each message can quote the value it is about."""
    columns = rule_columns(meta)
    by_value: dict[str, list[int]] = {}
    for index in batch_rows:
        value = " / ".join(_text(batch.at[index, c]) for c in columns) if columns else ""
        by_value.setdefault(value, []).append(int(file_rows[index - offset]))
    groups = [(value, rows[:MAX_ROWS_PER_ISSUE], len(rows)) for value, rows in list(by_value.items())[:MAX_VALUES_PER_RULE]]
    return issues_from_groups(meta, kind, groups, len(by_value), claim, today, grain)


def _text(value: object) -> str:
    """A value as a message quotes it: empty for a missing value."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def rule_columns(meta: dict) -> list[str]:
    """The columns whose values a failure message quotes."""
    return meta.get("columns") or ([meta["column"]] if meta.get("column") else [])


def issues_from_groups(meta: dict, kind: str, groups: list[tuple[str, list[int], int]], distinct_values: int,
                       claim: str | None, today: date, grain: str) -> list[Issue]:
    """One Issue per failing value (value, first rows, count), in order of first row, then a 'more values' line."""
    template = meta.get("message", f"rule {kind} failed")
    current = today.strftime("%Y-%m") if grain == "month" else str(today.year)
    issues = []
    for value, rows, count in groups[:MAX_VALUES_PER_RULE]:
        message = (template.replace("{value}", value).replace("{claimed_period}", claim or "")
                   .replace("{current_period}", current))
        issues.append(Issue(rule=meta.get("rule", kind), column=meta.get("header", meta.get("column")),
                            rows=tuple(int(r) for r in rows[:MAX_ROWS_PER_ISSUE]), values=(value,), count=int(count),
                            message=message))
    hidden = distinct_values - MAX_VALUES_PER_RULE
    if hidden > 0:
        rule, header = meta.get("rule", kind), meta.get("header", meta.get("column"))
        about = f" of {header}" if header else (f" of {' + '.join(meta['columns'])}" if meta.get("columns") else "")
        issues.append(Issue(rule=rule, column=header, count=hidden,
                            message=f"... and {hidden:,} more distinct values{about} break the same rule ({rule})"))
    return issues
