"""The leads' action-plan progress workbook (source `action_progress`): the template and the demo's file.

A lead fills one row per action she leads: plan year, action id (as in plans/<plan_year>.yml), the
date of the update, a status from the list, and a short note in her own words (no personal data).
The workbook is an ordinary .xlsx: a title, the header row, the rows, a status drop-down, and a
second sheet saying how to fill it in.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import xlsxwriter

from demo.common import _Summary, headers
from expectations.sources import catalogue

SOURCE = "action_progress"

HOW_TO = (
    "One row per action you lead. Plan Year and Action ID as printed in the action plan (e.g. 2018-19, DA1.1).",
    "Update Date: the day you write the update (YYYY-MM-DD). Status: pick from the list.",
    "Progress Note: what has been done and what is next. No names of victims, clients or staff; no addresses.",
    "Save as action_progress_YYYY-MM.xlsx (the month of the update) and send it to the CSP analyst.",
)

# The demo's update, as the Kent Police lead might have written it before the March 2018 committee.
DEMO_NOTE = ("Data request agreed with the MBC Community Safety Unit: DA incidents and crimes April 2015 to "
             "March 2018 by ward, with victim ethnicity. First ward map to the DA sub-group in June 2018.")
DEMO_ROWS = [["2018-19", "DA1.1", "2018-02-26", "In progress", DEMO_NOTE, "Kent Police"]]


def write_progress_workbook(path: Path, rows: list[list[str]], title: str = "Action plan progress update") -> int:
    """Write a progress workbook (the template when `rows` is empty); returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = headers(SOURCE)
    statuses = list(next(c for c in catalogue()[SOURCE].columns if c.name == "status").allowed or ())
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"title": title, "author": "Safer Maidstone Partnership", "created": datetime(2018, 3, 5)})
    ws = wb.add_worksheet("Progress")
    ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 13}))
    bold = wb.add_format({"bold": True})
    for j, h in enumerate(header):
        ws.write_string(2, j, h, bold)
    for i, row in enumerate(rows, start=3):
        for j, value in enumerate(row):
            ws.write_string(i, j, value)
    status_col = header.index("Status")
    ws.data_validation(3, status_col, 200, status_col, {"validate": "list", "source": statuses})
    ws.set_column(0, len(header) - 1, 18)
    ws.set_column(header.index("Progress Note"), header.index("Progress Note"), 80)
    guide = wb.add_worksheet("How to fill in")
    for i, line in enumerate(HOW_TO):
        guide.write_string(i, 0, line)
    guide.set_column(0, 0, 110)
    wb.close()
    return len(rows)


def gen_action_progress(inbox: Path, summary: _Summary) -> None:
    path = inbox / SOURCE / "action_progress_2018-02.xlsx"
    summary.add(SOURCE, write_progress_workbook(path, DEMO_ROWS))
