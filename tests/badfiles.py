"""Broken police.uk files made from a real one: each case breaks exactly one rule."""

from __future__ import annotations

import zipfile
from pathlib import Path

HEADER = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context"


def base_lines(police_dir: Path, month: str = "2022-01", rows: int = 40) -> list[str]:
    """Header + the first `rows` data lines of a real file (LF endings)."""
    with open(police_dir / f"{month}-kent-street.csv", encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines()
    return lines[: rows + 1]


def write(path: Path, lines: list[str], encoding: str = "utf-8", bom: bool = False, newline: str = "\n") -> Path:
    text = newline.join(lines) + newline
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def set_field(line: str, index: int, value: str) -> str:
    import csv
    import io

    fields = next(csv.reader([line]))
    fields[index] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def drop_field(line: str, index: int) -> str:
    import csv
    import io

    fields = next(csv.reader([line]))
    del fields[index]
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def add_field(line: str, value: str) -> str:
    import csv
    import io

    fields = next(csv.reader([line])) + [value]
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def make_case(case: str, folder: Path, police_dir: Path, today_month: str) -> Path:
    """Write the broken file for `case` into folder and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = base_lines(police_dir)
    name = folder / "2022-01-kent-street.csv"
    if case == "empty":
        name.write_bytes(b"")
        return name
    if case == "header_only":
        return write(name, lines[:1])
    if case == "missing_column":
        return write(name, [drop_field(line, 11) for line in lines])
    if case == "extra_column":
        return write(name, [add_field(lines[0], "Officer")] + [add_field(line, "x") for line in lines[1:]])
    if case == "renamed_column":
        return write(name, [lines[0].replace("Crime type", "Crime category")] + lines[1:])
    if case == "cp1252":
        lines[6] = set_field(lines[6], 6, "On or near Café Square")
        return write(name, lines, encoding="cp1252")
    if case == "bom":
        return write(name, lines, bom=True, newline="\r\n")
    if case == "bad_month":
        lines[5] = set_field(lines[5], 1, "2022-13")
        return write(name, lines)
    if case == "future_month":
        future = folder / f"{today_month}-kent-street.csv"
        year, month = int(today_month[:4]), int(today_month[5:])
        later = f"{year + (month == 12):04d}-{month % 12 + 1:02d}"
        future = folder / f"{later}-kent-street.csv"
        return write(future, [lines[0]] + [set_field(line, 1, later) for line in lines[1:]])
    if case == "text_in_number":
        lines[3] = set_field(lines[3], 4, "near the station")
        return write(name, lines)
    if case == "unknown_crime_type":
        lines[8] = set_field(lines[8], 9, "Knife crime")
        return write(name, lines)
    if case == "truncated":
        text = "\n".join(lines)
        return write(name, [text[: text.rfind(",Kent Police,") + 5]])
    if case == "pii_columns":
        header = lines[0] + ",Victim Name,Date of Birth,NHS Number"
        return write(name, [header] + [line + ",Jane Doe,1980-01-01,943 476 5919" for line in lines[1:]])
    if case == "not_a_csv_zip":
        with zipfile.ZipFile(name, "w") as archive:
            archive.writestr("xl/workbook.xml", "<workbook/>")
        return name
    if case == "not_a_csv_binary":
        name.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
        return name
    if case == "claims_other_month":
        return write(name, [lines[0]] + [set_field(line, 1, "2022-02") for line in lines[1:]])
    if case == "bad_lsoa":
        lines[2] = set_field(lines[2], 7, "E0102398")
        return write(name, lines)
    if case == "latitude_out_of_range":
        lines[4] = set_field(lines[4], 5, "61.5")
        return write(name, lines)
    if case == "nhs_number_in_text":
        lines[7] = set_field(lines[7], 6, "On or near 485 777 3456")
        return write(name, lines)
    raise ValueError(case)


# case → (rule expected, row named (spreadsheet row) or None, column named or None)
CASES = {
    "empty": ("empty_file", None, None),
    "header_only": ("no_rows", None, None),
    "missing_column": ("missing_column", None, "Context"),
    "extra_column": ("unknown_column", None, "Officer"),
    "renamed_column": ("renamed_column", None, "Crime type"),
    "cp1252": ("not_utf8", 7, None),
    "bad_month": ("month", 6, "Month"),
    "future_month": ("no_future_period", 2, "Month"),
    "text_in_number": ("number", 4, "Longitude"),
    "unknown_crime_type": ("allowed_values", 9, "Crime type"),
    "truncated": ("malformed_row", 41, None),
    "pii_columns": ("pii_column", None, "Victim Name"),
    "not_a_csv_zip": ("not_csv", None, None),
    "not_a_csv_binary": ("not_csv", None, None),
    "claims_other_month": ("claimed_period", 2, "Month"),
    "bad_lsoa": ("pattern", 3, "LSOA code"),
    "latitude_out_of_range": ("range", 5, "Latitude"),
    "nhs_number_in_text": ("pii_value", 8, "Location"),
}
