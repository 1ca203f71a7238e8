"""Write docs/sources.md from expectations/sources.yml: every source, column by column."""

from __future__ import annotations

from pathlib import Path

from expectations.sources import SourceSpec, catalogue

DOCS_FILE = Path(__file__).resolve().parents[1] / "docs" / "sources.md"

TYPE_WORDS = {
    "string": "text", "integer": "whole number", "decimal": "number", "date": "date YYYY-MM-DD",
    "month": "month YYYY-MM", "boolean": "Y or N",
}


def _rules(column) -> str:
    parts = []
    if column.required:
        parts.append("required")
    else:
        parts.append("may be empty")
    if column.allowed:
        parts.append("one of: " + ", ".join(f"`{v}`" for v in column.allowed))
    if column.pattern:
        parts.append(f"matches `{column.pattern}`")
    if column.min is not None:
        parts.append(f"≥ {column.min:g}")
    if column.max is not None:
        parts.append(f"≤ {column.max:g}")
    if column.person_key:
        parts.append("**person key: replaced at ingest by a keyed hash**")
    return "; ".join(parts)


def area_words(spec: SourceSpec) -> str:
    """What the area check of a source holds a file to (expectations/area.py)."""
    if spec.family == "reference":
        return "not checked (a national lookup, or boundaries for a district)" if spec.area is None else (
            f"every `{spec.area.code_column}` must lie in the police force area (`forces` in sources.yml)")
    if spec.area is None:
        return ("rows carry no area, so the partner's extract is trusted to be this CSP's; a district code or "
                "district name in the file name must be this CSP's")
    where = "this CSP's district" if spec.area.scope == "csp" else "the police force area named in `Falls within`"
    allowed = (f"up to {spec.area.tolerance:.0%} of a file's rows may lie outside (cross-border rows)"
               if spec.area.tolerance else "no row may lie outside")
    return f"every `{spec.area.code_column}` must lie in {where} (ONS lookups); {allowed}"


def source_section(spec: SourceSpec) -> str:
    lines = [f"## `{spec.name}` — {spec.title}", "",
             f"- Publisher: {spec.publisher}", f"- Family: {spec.family}; format: {spec.format}; files like `{spec.file_pattern}`",
             f"- Grain: {spec.grain}"]
    if spec.period:
        lines.append(f"- Period: column `{spec.period.column}` at {spec.period.grain} grain"
                     + (" ; the file name must claim the period and every row must fall in it" if spec.period.filename_regex else ""))
    lines.append("- Area: " + area_words(spec))
    if spec.reporting_lag:
        lines.append(f"- Reporting lag: the newest {spec.reporting_lag.months} months may be incomplete "
                     f"({spec.reporting_lag.note}); cards name this when a signal falls in them")
    if spec.unique:
        lines.append(f"- Unique within a file: {', '.join(f'`{k}`' for k in spec.unique)}")
    engine = "Great Expectations" if spec.validation == "great_expectations" else "the same suite compiled to SQL, run in DuckDB"
    lines.append(f"- Loaded to `raw.{spec.name}`; suite `expectations/suites/{spec.name}.json`, checked by {engine}")
    lines += ["", "| column | header in the file | type | rules | meaning |", "|---|---|---|---|---|"]
    for column in spec.columns:
        header = "(computed on read)" if column.is_computed else f"`{column.header}`"
        meaning = "; ".join(part for part in (column.description, column.label and f"report label “{column.label}”")
                            if part)
        lines.append(f"| `{column.name}` | {header} | {TYPE_WORDS[column.type]} | {_rules(column)} | {meaning.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def render() -> str:
    intro = ("# Source contracts\n\nGenerated from `expectations/sources.yml` by `python -m expectations.docs` "
             "(a test fails when this file is stale). Every file is also refused when a column looks like "
             "personal data (names, dates of birth, NHS numbers, addresses, phone numbers, e-mail), when free-text "
             "values hold an NHS number or e-mail address, when it is not UTF-8, or when a row is malformed.\n\n")
    return intro + "\n".join(source_section(spec) for spec in catalogue())


if __name__ == "__main__":
    DOCS_FILE.parent.mkdir(exist_ok=True)
    DOCS_FILE.write_text(render(), encoding="utf-8")
    print(DOCS_FILE)
