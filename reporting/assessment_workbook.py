"""The assessment pack's workbooks: the figures (strategic_assessment.xlsx) and the stakeholders' blank
scoring template (priority_scores_template.xlsx, the contract of source partnership_priority_scores)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from reporting.assessment_tables import Cell
from transforms.assessment_config import MatrixSpec

_OPTIONS = {"strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}


def _value(value: Any) -> Any:
    return value.number if isinstance(value, Cell) else value


def _sheet(book: Any, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], bold: Any) -> None:
    """The table with its header on row 1 (what the disclosure scan and a pivot table expect)."""
    sheet = book.add_worksheet(name)
    for j, heading in enumerate(header):
        sheet.write_string(0, j, heading, bold)
        sheet.set_column(j, j, 42 if j == 0 else 16)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            shown = _value(value)
            if isinstance(shown, (int, float)) and not isinstance(shown, bool):
                sheet.write_number(i, j, shown)
            else:
                sheet.write_string(i, j, "" if shown is None else str(shown))


def write_assessment_workbook(path: Path, sheets: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """A 'Read me' sheet (each table's title and notes), then one sheet per table; returns count columns per sheet."""
    book = xlsxwriter.Workbook(str(path), _OPTIONS)
    bold = book.add_format({"bold": True})
    readme = book.add_worksheet("Read me")
    readme.set_column(0, 0, 140)
    line = 0
    for spec in sheets:
        readme.write_string(line, 0, f"{spec['name']}: {spec['title']}", bold)
        for note in spec["notes"]:
            line += 1
            readme.write_string(line, 0, note)
        line += 2
    counted: dict[str, list[str]] = {}
    for spec in sheets:
        _sheet(book, spec["name"], spec["header"], spec["rows"], bold)
        counted[spec["name"]] = list(spec.get("count_columns", []))
    book.close()
    return counted


TEMPLATE_HEADER = ["Year", "Theme ID", "Theme", "Agency", "Capacity To Influence", "Vulnerability"]


def write_scores_template(path: Path, matrix: MatrixSpec, plan_year: str) -> None:
    """A blank workbook in the partnership_priority_scores contract: one row per theme, scores to fill in."""
    book = xlsxwriter.Workbook(str(path), _OPTIONS)
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("Scores")
    for j, heading in enumerate(TEMPLATE_HEADER):
        sheet.write_string(0, j, heading, bold)
        sheet.set_column(j, j, 40 if heading == "Theme" else 22)
    year = int(plan_year[:4])
    for i, theme in enumerate(matrix.themes, start=1):
        sheet.write_number(i, 0, year)
        sheet.write_string(i, 1, theme.id)
        sheet.write_string(i, 2, theme.label)
    guide = book.add_worksheet("How to fill in")
    lines = [
        f"Scores for the {plan_year} Strategic Assessment's priority-ranking matrix.",
        "One row per theme and agency: copy the theme rows for each agency that scores, and write the agency's name.",
        "Capacity To Influence (required): how much the partnership can influence the theme, 1 very little to 5 a great deal.",
        "Vulnerability (optional): how vulnerable the people the theme harms are, 1 low to 5 very high.",
        (f"Fill in the Scores sheet (keep its header row); save as priority_scores_{plan_year}.xlsx in the inbox "
         "(folder partnership_priority_scores). A later workbook for the same year replaces it."),
        ("Each row is checked (csp validate): a score outside 1-5, an empty agency or a theme scored twice by one "
         "agency refuses the workbook, with the row and column named."),
    ]
    for k, line in enumerate(lines):
        guide.write_string(k, 0, line)
    guide.set_column(0, 0, 120)
    book.close()
