"""Cells of the CSVs we publish, made safe to open in Excel (CSV formula injection).

Leads open the CSVs in a spreadsheet, and a spreadsheet runs a cell that starts with `=`, `+`, `-`
or `@` as a formula (and tab or carriage return can hide one). Text reaches our CSVs from partner
and reference files (ward names, for example), so every text cell is neutralised by the OWASP rule:
a cell starting with one of those characters gets a single quote in front, which the spreadsheet
shows as text. Numbers (`-3`, `+1.5`, `-0.25e-3`) are left alone, so negative changes stay numbers.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?")


def safe_cell(value: object) -> object:
    """The value as a CSV cell that no spreadsheet runs as a formula (non-text values unchanged)."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS) or _NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(row: dict) -> dict:
    return {key: safe_cell(value) for key, value in row.items()}


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (numeric columns are untouched)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out
