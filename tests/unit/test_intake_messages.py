"""Messages a new user meets: UTF-16 named as such, macro workbooks refused, overflow lines naming rule and column."""

from __future__ import annotations

import zipfile
from datetime import date

import xlsxwriter

from expectations.gx_engine import validate_batch
from expectations.sources import catalogue
from warehouse.readers import read_file

DA_HEADER = ("Incident Reference,Incident Date,Victim ID,LSOA Code,Crime or Incident,DASH Risk,Outcome,"
             "Victim Ethnicity,Victim Sex,Victim Age Band")
DA_ROW = "DA/2018/011587,2018-02-01,P7010060,E01024372,crime,standard,investigation_ongoing,white,female,25-34"


def test_utf16_with_a_byte_order_mark_is_named(tmp_path):
    path = tmp_path / "da_incidents_2018-02.csv"
    path.write_bytes(f"{DA_HEADER}\r\n{DA_ROW}\r\n".encode("utf-16"))  # Excel's "Unicode Text": BOM + UTF-16LE
    parsed = read_file(path, catalogue())
    (issue,) = parsed.issues
    assert issue.rule == "not_utf8"
    assert issue.message.startswith("the file is UTF-16 text")
    assert "save it as 'CSV UTF-8'" in issue.message
    assert parsed.source is not None and parsed.source.name == "police_da_incidents"


def test_utf16_without_a_byte_order_mark_is_named(tmp_path):
    path = tmp_path / "da_incidents_2018-02.csv"
    path.write_bytes(f"{DA_HEADER}\n{DA_ROW}\n".encode("utf-16-be"))
    (issue,) = read_file(path, catalogue()).issues
    assert issue.message.startswith("the file is UTF-16 text")


def test_other_binary_data_is_still_called_binary(tmp_path):
    path = tmp_path / "da_incidents_2018-02.csv"
    path.write_bytes(DA_HEADER.encode() + b"\n\x00\x01\x02" + b"x" * 600)
    (issue,) = read_file(path, catalogue()).issues
    assert "binary data (NUL bytes)" in issue.message


def _workbook(path):
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Cases")
    for c, header in enumerate(["Case Reference", "Meeting Date", "Victim ID", "Repeat", "Referring Agency"]):
        sheet.write(0, c, header)
    for c, value in enumerate(["MARAC-2018-0001", "2018-02-07", "P1", "N", "police"]):
        sheet.write(1, c, value)
    book.close()
    return path


def test_a_macro_enabled_workbook_is_refused(tmp_path):
    path = _workbook(tmp_path / "marac_2018-02.xlsm")
    (issue,) = read_file(path, catalogue()).issues
    assert issue.rule == "macro_workbook"
    assert "macros are never run here" in issue.message and "'Excel Workbook (*.xlsx)'" in issue.message


def test_a_workbook_with_a_vba_project_is_refused_whatever_its_name(tmp_path):
    path = _workbook(tmp_path / "marac_2018-02.xlsx")
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really a VBA project")
    assert [i.rule for i in read_file(path, catalogue()).issues] == ["macro_workbook"]
    (tmp_path / "plain").mkdir()
    plain = _workbook(tmp_path / "plain" / "marac_2018-02.xlsx")
    assert read_file(plain, catalogue()).issues == []


def test_the_overflow_line_names_the_rule_and_the_column(tmp_path):
    """25 distinct bad age groups: 20 are quoted one by one, the 21st line says 5 more, of which column, which rule."""
    path = tmp_path / "mh_referrals_2018-02.csv"
    rows = [f"2018-02,group_{i:02d},5" for i in range(25)]
    path.write_text("Month,Age Group,Referrals\n" + "\n".join(rows) + "\n", encoding="utf-8")
    parsed = read_file(path, catalogue())
    assert parsed.issues == []
    (check,) = validate_batch([parsed], today=date(2026, 12, 1))
    assert len(check.issues) == 21
    last = check.issues[-1]
    assert (last.rule, last.column, last.count) == ("allowed_values", "Age Group", 5)
    assert last.message == "... and 5 more distinct values of Age Group break the same rule (allowed_values)"
