"""Evaluate a source's Great Expectations suite inside DuckDB, over rows already in a table.

The suite in expectations/suites/<source>.json stays the contract. For sources declared with
`validation: duckdb` (files at national scale, e.g. police.uk street crime), each expectation is
compiled to one SQL predicate and the whole suite runs in two scans of the batch's rows (one
grouping-sets scan, one plain scan; see _failing_counts): no pandas frame is built. Failures are reported exactly as the GX path reports them (same rule,
column, rows, values and message; tests/contract/test_sql_validation.py runs both on the same files).

Only the expectation types the suite builder emits are compiled; any other type is an error at
compile time, so a new rule cannot be silently skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import duckdb

from expectations.build import CLAIMED_COLUMN, FILE_COLUMN, NUMBER_SUFFIX, PERIOD_SUFFIX, load_suite
from expectations.gx_engine import (
    MAX_ROWS_PER_ISSUE,
    MAX_VALUES_PER_RULE,
    issues_from_groups,
    period_index,
    period_label,
    rule_columns,
)
from expectations.problems import Issue
from expectations.sources import SourceSpec

_LOOKBEHIND = re.compile(r"^\(\?<!(\[[^\]]+\])\)")
_LOOKAHEAD = re.compile(r"\(\?!(\[[^\]]+\])\)$")


def re2(regex: str) -> str:
    """The same search as Python's `re`, in RE2 (DuckDB): a leading (?<![x]) / trailing (?![x]) become (?:^|[^x]) / (?:[^x]|$).

    Only existence of a match is tested, so consuming the neighbouring character is equivalent.
    """
    out = _LOOKBEHIND.sub(lambda m: "(?:^|[^" + m.group(1)[1:-1] + "])", regex)
    out = _LOOKAHEAD.sub(lambda m: "(?:[^" + m.group(1)[1:-1] + "]|$)", out)
    if "(?<" in out.replace("(?<P", "") or "(?=" in out or "(?!" in out:
        raise ValueError(f"regex {regex!r} uses look-around that RE2 (DuckDB) cannot run")
    return out


def _literal(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class CompiledRule:
    position: int
    kind: str
    meta: dict
    kwargs: dict
    predicate: str | None  # true on a failing row; None for the table-level row-count rule
    value_sql: str  # the text a failure message quotes


def period_index_sql(column: str, grain: str) -> str:
    """SQL twin of validation.period_index: months (or years) since year 0, null if not a period."""
    c = _ident(column)
    year = f"try_cast(substr({c}, 1, 4) as integer)"
    if grain == "year":
        return f"(case when regexp_matches({c}, '^[0-9]{{4}}') then {year} end)"
    month = f"try_cast(substr({c}, 6, 2) as integer)"
    return (f"(case when regexp_matches({c}, '^[0-9]{{4}}-[0-9]{{2}}') and {month} between 1 and 12 "
            f"then {year} * 12 + {month} - 1 end)")


def _operand(spec: SourceSpec, name: str) -> str:
    """A suite column as SQL: declared columns, <col>__number, <period>__period_index, the claim and the file."""
    if name == FILE_COLUMN:
        return "_file_id"
    if name == CLAIMED_COLUMN:
        return CLAIMED_COLUMN
    if name.endswith(NUMBER_SUFFIX):
        inner = _ident(name[: -len(NUMBER_SUFFIX)])
        # pandas.to_numeric(errors='coerce') gives NaN (ignored by GX) for text; so must we.
        return f"(case when isnan(try_cast({inner} as double)) then null else try_cast({inner} as double) end)"
    if name.endswith(PERIOD_SUFFIX):
        assert spec.period is not None
        return period_index_sql(name[: -len(PERIOD_SUFFIX)], spec.period.grain)
    spec.column(name)  # KeyError for a column the declaration does not have
    return _ident(name)


def _bound(value: object, parameters: dict[str, object]) -> object:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def compile_suite(spec: SourceSpec, parameters: dict[str, object]) -> list[CompiledRule]:
    """Every expectation of the committed suite as a SQL predicate over the batch's rows."""
    rules = []
    for position, entry in enumerate(load_suite(spec.name)["expectations"]):
        kind, kwargs, meta = entry["type"], entry["kwargs"], entry["meta"]
        columns = rule_columns(meta)
        value_sql = (" || ' / ' || ".join(f"coalesce({_ident(c)}, '')" for c in columns)) if columns else "''"
        predicate: str | None
        if kind == "expect_table_row_count_to_be_between":
            predicate = None
        elif kind == "expect_column_values_to_not_be_null":
            predicate = f"{_operand(spec, kwargs['column'])} is null"
        elif kind in {"expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"}:
            operand = _operand(spec, kwargs["column"])
            test = f"regexp_matches({operand}, {_literal(re2(kwargs['regex']))})"
            predicate = f"{operand} is not null and " + (f"not {test}" if kind.endswith("_to_match_regex") else test)
        elif kind == "expect_column_values_to_match_strftime_format":
            operand = _operand(spec, kwargs["column"])
            predicate = f"{operand} is not null and try_strptime({operand}, {_literal(kwargs['strftime_format'])}) is null"
        elif kind == "expect_column_values_to_be_in_set":
            operand = _operand(spec, kwargs["column"])
            predicate = f"{operand} is not null and {operand} not in ({', '.join(_literal(v) for v in kwargs['value_set'])})"
        elif kind == "expect_column_values_to_be_between":
            operand = _operand(spec, kwargs["column"])
            tests = []
            low, high = _bound(kwargs.get("min_value"), parameters), _bound(kwargs.get("max_value"), parameters)
            if low is not None:
                tests.append(f"{operand} < {_literal(low)}")
            if high is not None:
                tests.append(f"{operand} > {_literal(high)}")
            predicate = f"{operand} is not null and ({' or '.join(tests)})"
        elif kind == "expect_column_pair_values_to_be_equal":
            if kwargs.get("ignore_row_if") != "either_value_is_missing":
                raise ValueError(f"{spec.name}: {kind} is compiled only with ignore_row_if='either_value_is_missing'")
            a, b = _operand(spec, kwargs["column_A"]), _operand(spec, kwargs["column_B"])
            predicate = f"{a} is not null and {b} is not null and {a} <> {b}"
        elif kind == "expect_compound_columns_to_be_unique":
            predicate = "__duplicates > 1"
        else:
            raise ValueError(f"{spec.name}: expectation {kind} has no DuckDB form; validate this source with GX")
        rules.append(CompiledRule(position, kind, meta, kwargs, predicate, value_sql))
    return rules


@dataclass
class FileResult:
    rows: int
    issues: list[Issue]
    periods: list[str]
    scope: str
    rules_checked: int


def _claims_sql(claims: dict[int, int | None]) -> str:
    values = ", ".join(f"({file_id}::bigint, {_literal(claim)}::integer)" for file_id, claim in claims.items())
    return f"claims (_file_id, {CLAIMED_COLUMN}) as (values {values})"


def _in_batch(claims: dict[int, int | None]) -> str:
    ids = sorted(claims)
    # The range lets DuckDB skip row groups of earlier files (file ids only grow).
    between = f"_file_id between {ids[0]} and {ids[-1]}"
    return between if ids[-1] - ids[0] + 1 == len(ids) else f"{between} and _file_id in ({', '.join(map(str, ids))})"


def _rows_sql(spec: SourceSpec, relation: str, claims: dict[int, int | None], rules: list[CompiledRule]) -> str:
    """The batch's rows with the claimed period per file (and duplicate counts when a rule needs them)."""
    extra = ""
    unique = [r for r in rules if r.kind == "expect_compound_columns_to_be_unique"]
    if unique:
        keys = ", ".join(_operand(spec, c) for c in unique[0].kwargs["column_list"])
        extra = f", count(*) over (partition by {keys}) as __duplicates"
    return (f"with {_claims_sql(claims)}, batch as (select r.*, c.{CLAIMED_COLUMN}{extra} from {relation} as r "
            f"join claims as c using (_file_id) where {_in_batch(claims)})")


def _rule_column(rule: CompiledRule) -> str | None:
    """The one declared column a rule's outcome depends on (with the file), or None (row count, uniqueness)."""
    if rule.predicate is None or rule.kind == "expect_compound_columns_to_be_unique":
        return None
    return rule.meta["column"]


def _group_columns(con, relation: str, claims: dict[int, int | None], columns: list[str]) -> None:
    """temp table __column_groups: rows per (file, value) of every column, from ONE scan of the batch
    (grouping sets); __set is the column's position in `columns`."""
    idents = [_ident(c) for c in columns]
    width = len(idents)
    # grouping_id sets a bit for every column NOT grouped (first column = highest bit): one set per column.
    position = " ".join(f"when {(1 << width) - 1 - (1 << (width - 1 - i))} then {i}" for i in range(width))
    con.execute(f"create or replace temp table __column_groups as select case grouping_id({', '.join(idents)}) "
                f"{position} end as __set, _file_id, {', '.join(idents)}, count(*) as n from {relation} "
                f"where {_in_batch(claims)} group by grouping sets ({', '.join(f'(_file_id, {i})' for i in idents)})")


def _mostly_distinct(spec: SourceSpec, column: str) -> bool:
    """Numbers, dates and coded identifiers (a declared pattern) differ on most rows: their rules cost less
    evaluated row by row than grouped by value first. The period and revision-scope columns are always
    grouped (their distinct values are listed)."""
    if column in {spec.period.column if spec.period else None, spec.revision_scope}:
        return False
    declared = next((c for c in spec.columns if c.name == column), None)
    return declared is not None and (declared.type in {"decimal", "integer", "date"} or declared.pattern is not None)


def _failing_counts(con, spec: SourceSpec, relation: str, claims: dict[int, int | None], rules: list[CompiledRule],
                    grain: str) -> dict[int, dict]:
    """Rows per file, failing rows per (file, rule), periods and scope - from two scans of the batch.

    Every rule but uniqueness depends on one column (and on its file's claimed period). A column of few
    distinct values per file (categories, months, forces, free text such as police.uk's) is grouped: the
    (file, value) counts of all of them come from one grouping-sets query (_group_columns), and a rule is
    evaluated once per distinct value, weighted by its row count - regexes run on thousands of values, not
    millions of rows; one query over the groups counts every grouped rule. A column whose values differ on
    most rows (numbers, dates, coded identifiers: _mostly_distinct) would make groups as many as rows: its
    rules are counted row by row in one plain scan.
    """
    by_column: dict[str, list[CompiledRule]] = {}
    for rule in rules:
        column = _rule_column(rule)
        if column:
            by_column.setdefault(column, []).append(rule)
    for extra in (spec.period.column if spec.period else None, spec.revision_scope):
        if extra:
            by_column.setdefault(extra, [])
    out: dict[int, dict] = {file_id: {"rows": 0, "fails": {}, "periods": [], "scope": []} for file_id in claims}
    per_row = {column: column_rules for column, column_rules in by_column.items()
               if column_rules and _mostly_distinct(spec, column)}
    grouped = {column: column_rules for column, column_rules in by_column.items() if column not in per_row}
    rules_per_row = [rule for column_rules in per_row.values() for rule in column_rules]
    if rules_per_row or not grouped:  # rows per file and the rules of mostly-distinct columns: one plain scan
        counts = "".join(f", count(*) filter (where {rule.predicate})" for rule in rules_per_row)
        for file_id, rows, *failing in con.execute(
                f"with {_claims_sql(claims)} select _file_id, count(*){counts} from {relation} join claims using (_file_id) "
                f"where {_in_batch(claims)} group by 1").fetchall():
            out[file_id]["rows"] = int(rows)
            for rule, failed in zip(rules_per_row, failing):
                if failed:
                    out[file_id]["fails"][rule.position] = int(failed)
    if grouped:  # every grouped column's rules, periods and scope: one pass over the (small) groups table
        _group_columns(con, relation, claims, list(grouped))
        columns: list[tuple[str | int, str]] = [("rows", "sum(n) filter (where __set = 0)")]  # (what, SQL); int: a rule
        for number, (column, column_rules) in enumerate(grouped.items()):
            columns += [(rule.position, f"sum(n) filter (where __set = {number} and ({rule.predicate}))")
                        for rule in column_rules]
            if spec.period and column == spec.period.column:
                columns.append(("periods", f"list(distinct {period_index_sql(column, grain)}) filter (where __set = {number})"))
            if column == spec.revision_scope:
                columns.append(("scope", f"list(distinct {_ident(column)}) filter (where __set = {number})"))
        sums = ", ".join(expression for _, expression in columns)
        for file_id, *values in con.execute(f"with {_claims_sql(claims)} select _file_id, {sums} from __column_groups "
                                            "join claims using (_file_id) group by _file_id").fetchall():
            entry = out[file_id]
            for (what, _), value in zip(columns, values):
                if what == "rows":
                    entry["rows"] = int(value)
                elif isinstance(what, str):
                    entry[what] = value or []
                elif value:
                    entry["fails"][what] = int(value)
        con.execute("drop table __column_groups")
    unique = [r for r in rules if r.kind == "expect_compound_columns_to_be_unique"]
    if unique:
        head = _rows_sql(spec, relation, claims, rules)
        for file_id, failing in con.execute(
                f"{head} select _file_id, count(*) filter (where __duplicates > 1) from batch group by 1").fetchall():
            if failing:
                out[file_id]["fails"][unique[0].position] = int(failing)
    return out


def evaluate(con: duckdb.DuckDBPyConnection, relation: str, spec: SourceSpec, claims: dict[int, str | None],
             today: date | None = None) -> dict[int, FileResult]:
    """Run the suite over `relation` (columns of the source + _file_id, _row_number) for the files in `claims`.

    claims maps each file id to the period its file name claims (or None). Rules are counted per file
    from one small aggregate per column; only failing (file, rule) pairs are read again, for their
    first rows and values.
    """
    today = today or date.today()
    grain = spec.period.grain if spec.period else "month"
    current = period_index(today.strftime("%Y-%m"), grain)
    rules = compile_suite(spec, {"current_period_index": current})
    claimed = {file_id: (period_index(claim, grain) if claim else None) for file_id, claim in claims.items()}
    counts = _failing_counts(con, spec, relation, claimed, rules, grain)
    head = _rows_sql(spec, relation, claimed, rules)
    table_rule = next((r for r in rules if r.predicate is None), None)
    results: dict[int, FileResult] = {}
    for file_id, claim in claims.items():
        entry = counts[file_id]
        if entry["rows"] == 0:
            empty = [Issue(rule=table_rule.meta.get("rule", table_rule.kind), message=table_rule.meta.get("message", ""))] if table_rule else []
            results[file_id] = FileResult(0, empty, [], "", len(rules))
            continue
        issues: list[Issue] = []
        for rule in rules:
            if rule.position in entry["fails"]:
                issues.extend(_rule_issues(con, head, rule, file_id, claim, today, grain))
        periods = sorted(period_label(int(v), grain) for v in entry["periods"] if v is not None)
        scope_text = "|".join(sorted(str(v) for v in entry["scope"] if v is not None))
        results[file_id] = FileResult(entry["rows"], issues, periods, scope_text, len(rules))
    return results


def _rule_issues(con, head: str, rule: CompiledRule, file_id: int, claim: str | None, today: date, grain: str) -> list[Issue]:
    groups = con.execute(
        f"{head} select {rule.value_sql} as value, count(*), list(_row_number order by _row_number)[1:{MAX_ROWS_PER_ISSUE}], "
        f"min(_row_number) as first_row, count(*) over () from batch where _file_id = ? and ({rule.predicate}) "
        f"group by 1 order by first_row limit {MAX_VALUES_PER_RULE}", [file_id]).fetchall()
    distinct = int(groups[0][4]) if groups else 0
    return issues_from_groups(rule.meta, rule.kind, [(value, rows, count) for value, count, rows, _, _ in groups],
                              distinct, claim, today, grain)
