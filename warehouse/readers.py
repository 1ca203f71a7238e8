"""Read an extract (CSV, XLSX or GeoJSON) into a frame of strings, finding structural problems.

Values stay exactly as received (strings); typing happens in staging. Rows are numbered as a
spreadsheet shows them: the header is its own row, so the first data row of a CSV is row 2.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from expectations.problems import Issue
from expectations.sources import SourceCatalogue, SourceSpec

# Column names that carry personal data and must never enter the warehouse.
PII_HEADER_PATTERNS = {
    "a name": r"(first|fore|sur|given|family|full|last|middle|patient|victim|client|offender|suspect)[\s_-]*names?|names?",
    "a date of birth": r"(date[\s_-]*of[\s_-]*birth|d\.?o\.?b\.?|birth[\s_-]*date)",
    "an NHS number": r"nhs[\s_-]*(number|no\.?|num)?",
    "an address": r"(home[\s_-]*|street[\s_-]*|postal[\s_-]*)?address([\s_-]*line[\s_-]*\d)?|post[\s_-]*code",
    "a telephone number": r"(tele)?phone([\s_-]*(number|no\.?))?|mobile([\s_-]*(number|no\.?))?|tel\.?",
    "an e-mail address": r"e[\s_-]*mail([\s_-]*address)?",
}

XLSX_HEADER_SEARCH_ROWS = 20


@dataclass
class ParsedFile:
    """A file read as received: headers, rows as strings indexed by spreadsheet row number."""

    path: Path
    source: SourceSpec | None
    headers: list[str] = field(default_factory=list)
    frame: pd.DataFrame | None = None
    header_row: int = 1
    issues: list[Issue] = field(default_factory=list)
    outcome: object | None = None  # set when the DuckDB path has already loaded the file (an ingest FileOutcome)


def pii_columns(headers: list[str]) -> list[tuple[str, str]]:
    """Headers that look like personal data, with what they look like."""
    found = []
    for header in headers:
        cleaned = header.strip().lower()
        for label, pattern in PII_HEADER_PATTERNS.items():
            if re.fullmatch(pattern, cleaned):
                found.append((header, label))
                break
    return found


def check_headers(spec: SourceSpec, headers: list[str]) -> list[Issue]:
    """Compare a file's header with the declaration: PII, missing, unknown, renamed, blank."""
    issues: list[Issue] = []
    stripped = [h.strip() for h in headers]
    for header, label in pii_columns(stripped):
        issues.append(Issue(
            rule="pii_column", column=header,
            message=(f"column '{header}' looks like personal data ({label}); no personal identifiers "
                     "may enter the warehouse - remove the column and send the file again"),
        ))
    pii = {h for h, _ in pii_columns(stripped)}
    expected = spec.headers
    missing = [h for h in expected if h not in stripped]
    extra = [h for h in stripped if h not in expected and h not in pii]
    duplicates = sorted({h for h in stripped if stripped.count(h) > 1})
    for header in duplicates:
        issues.append(Issue(rule="duplicate_column", column=header,
                            message=f"column '{header}' appears more than once in the header"))
    for header in list(extra):
        if header == "":
            issues.append(Issue(rule="blank_column", message="the header has a column with no name"))
            extra.remove(header)
    for header in list(missing):
        close = difflib.get_close_matches(header, extra, n=1, cutoff=0.6)
        if close:
            issues.append(Issue(
                rule="renamed_column", column=header,
                message=f"column '{header}' is missing and '{close[0]}' is not expected: was '{header}' renamed to '{close[0]}'?",
            ))
            extra.remove(close[0])
        else:
            issues.append(Issue(rule="missing_column", column=header,
                                message=f"required column '{header}' is missing"))
    for header in extra:
        issues.append(Issue(
            rule="unknown_column", column=header,
            message=f"column '{header}' is not part of the {spec.name} contract (expected: {', '.join(expected)})",
        ))
    return issues


def read_file(path: Path, catalogue: SourceCatalogue, source_name: str | None = None,
              csv_body: bool = True) -> ParsedFile:
    """Read any supported file; structural problems are returned as issues, never raised.

    With csv_body=False a CSV is checked up to its header only (encoding, source, columns) and its
    rows are left for the caller to parse in DuckDB (`CSV_SCAN`).
    """
    path = Path(path)
    forced = catalogue[source_name] if source_name else None
    parsed = ParsedFile(path=path, source=forced)
    size = path.stat().st_size
    if size == 0:
        parsed.issues.append(Issue(rule="empty_file", message="the file is empty (0 bytes)"))
        if parsed.source is None:
            parsed.source = _by_name(catalogue, path.name)
        return parsed
    with open(path, "rb") as handle:
        head = handle.read(8192)
    is_zip = head.startswith(b"PK\x03\x04")
    suffix = path.suffix.lower()
    if suffix == ".xlsm" or (is_zip and _has_macros(path)):
        parsed.source = parsed.source or _by_name(catalogue, path.name)
        parsed.issues.append(Issue(rule="macro_workbook", message=(
            "the workbook is macro-enabled (it holds VBA macros); macros are never run here, and macro-enabled "
            "workbooks are not accepted: save it as 'Excel Workbook (*.xlsx)' and send it again")))
        return parsed
    if suffix == ".xlsx" or (is_zip and forced is not None and forced.format == "xlsx"):
        if not is_zip:
            parsed.source = parsed.source or _by_name(catalogue, path.name)
            parsed.issues.append(Issue(rule="not_xlsx", message="the file is named .xlsx but is not an Excel workbook"))
            return parsed
        return _read_xlsx(parsed, catalogue)
    if suffix == ".geojson":
        return _read_geojson(parsed, catalogue)
    if is_zip:
        parsed.source = parsed.source or _by_name(catalogue, path.name)
        parsed.issues.append(Issue(rule="not_csv", message=(
            "the file is not a CSV: it is a zip archive or an Excel workbook saved with a .csv name; "
            "save it as CSV (UTF-8)")))
        return parsed
    if _utf16(head):
        parsed.source = parsed.source or _by_name(catalogue, path.name)
        parsed.issues.append(Issue(rule="not_utf8", message=(
            "the file is UTF-16 text (Excel's 'Unicode Text'), not UTF-8: save it as 'CSV UTF-8' and send it again")))
        return parsed
    if b"\x00" in head:
        parsed.source = parsed.source or _by_name(catalogue, path.name)
        parsed.issues.append(Issue(rule="not_csv", message="the file is not a CSV: it holds binary data (NUL bytes)"))
        return parsed
    return _read_csv(parsed, catalogue, csv_body)


def _utf16(head: bytes) -> bool:
    """A UTF-16 byte-order mark, or text whose every other byte is NUL (UTF-16 without a mark)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:512]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > 0.9 * len(even) or odd.count(0) > 0.9 * len(odd)


def _has_macros(path: Path) -> bool:
    """An Excel zip holding a VBA project (a macro-enabled workbook, whatever its name says)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.lower().endswith("vbaproject.bin") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _by_name(catalogue: SourceCatalogue, file_name: str) -> SourceSpec | None:
    matches = [spec for spec in catalogue if spec.matches_name(file_name)]
    return matches[0] if len(matches) == 1 else None


def utf8_problem(path: Path) -> Issue:
    """Why a file DuckDB or the csv module could not decode is not UTF-8 (always an issue)."""
    return _utf8_problem(path) or Issue(rule="not_utf8", message="the file is not UTF-8 text")


def _utf8_problem(path: Path) -> Issue | None:
    """Find the first byte that is not UTF-8, with its line, streaming the file."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                bad_at = error.start
                line += chunk[:bad_at].count(b"\n")
                byte = chunk[bad_at]
                guess = ""
                try:
                    chunk[max(0, bad_at - 20):bad_at + 20].decode("cp1252")
                    guess = " It looks like Windows-1252 (ANSI) text;"
                except UnicodeDecodeError:
                    pass
                return Issue(
                    rule="not_utf8", rows=(line,), count=1,
                    message=(f"the file is not UTF-8 text: byte 0x{byte:02X} at offset {offset + bad_at:,} "
                             f"cannot be decoded.{guess} save the file as 'CSV UTF-8' and send it again"),
                )
            line += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return Issue(rule="not_utf8", message="the file is not UTF-8 text: it ends in the middle of a character")
    return None


def _read_csv(parsed: ParsedFile, catalogue: SourceCatalogue, body: bool = True) -> ParsedFile:
    path = parsed.path
    # Without the body, DuckDB's parse finds bad bytes (INVALID UNICODE) and utf8_problem explains them then.
    problem = _utf8_problem(path) if body else None
    if problem:
        parsed.source = parsed.source or _by_name(catalogue, path.name)
        parsed.issues.append(problem)
        return parsed
    with open(path, encoding="utf-8-sig", newline="") as handle:
        try:
            headers = next(csv.reader(handle))
        except StopIteration:
            headers = []
        except UnicodeDecodeError:
            parsed.source = parsed.source or _by_name(catalogue, path.name)
            parsed.issues.append(utf8_problem(path))
            return parsed
        except csv.Error as error:
            parsed.issues.append(Issue(rule="not_csv", rows=(1,), count=1, message=f"the header cannot be read as CSV ({error})"))
            return parsed
    parsed.headers = headers
    if parsed.source is None:
        parsed.source = catalogue.recognise(headers, path.name)
    if parsed.source is None:
        parsed.issues.append(Issue(rule="unrecognised_source", message=(
            "the header matches no declared source (header: " + ", ".join(h[:40] for h in headers[:15])
            + "); give the source with --source if you know it")))
        return parsed
    spec = parsed.source
    if spec.format != "csv":
        parsed.issues.append(Issue(rule="wrong_format", message=f"{spec.name} arrives as {spec.format}, not CSV"))
        return parsed
    parsed.issues.extend(check_headers(spec, headers))
    if parsed.issues or not body:
        return parsed
    return parse_csv_body(parsed)


NO_ROWS = Issue(rule="no_rows", message="the file has a header but no data rows")


def parse_csv_body(parsed: ParsedFile) -> ParsedFile:
    """Parse the rows of a CSV whose header passed, into parsed.frame (text) with malformed-row issues."""
    if parsed.source is None:
        raise ValueError(f"{parsed.path.name}: no source recognised, so its rows cannot be parsed")
    parsed.frame, issues = _duckdb_read(parsed.path, parsed.source, parsed.headers)
    parsed.issues.extend(issues)
    if not parsed.issues and len(parsed.frame) == 0:
        parsed.issues.append(NO_ROWS)
    return parsed


def column_map(spec: SourceSpec, headers: list[str]) -> dict[str, str]:
    """Declared column name -> positional CSV_SCAN column (c0, c1, ...) of a file whose header passed."""
    position = {header.strip(): i for i, header in enumerate(headers)}
    return {column.name: f"c{position[column.header]}" for column in spec.columns}


# DuckDB's strict read of a CSV as text (path and csv_columns bound as ?, ?); bad rows go to reject_errors.
CSV_SCAN = ("read_csv(?, header = true, columns = ?, delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            "store_rejects = true, auto_detect = false, null_padding = false, encoding = 'utf-8')")
# The same read of several files with the same header (a list of paths); DuckDB's virtual column `file_index`
# gives each row its file's position in the list (an integer: cheaper to group and join on than the path).
CSV_SCAN_FILES = CSV_SCAN


def csv_columns(headers: list[str]) -> dict[str, str]:
    """The positional column map for CSV_SCAN: c0, c1, ... all VARCHAR."""
    return {f"c{i}": "VARCHAR" for i in range(len(headers))}


def reject_issues(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> list[Issue]:
    """Malformed rows of the last CSV_SCAN on this connection (the reject tables accumulate), as issues."""
    rejects = con.execute("select line, error_type, error_message from reject_errors "
                          "where scan_id = (select max(scan_id) from reject_scans) order by line").fetchall()
    return issues_from_rejects(rejects, path)


def rejects_by_file(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every malformed row the scans on this connection stored, by the file path the scan was given."""
    found: dict[str, list[tuple]] = {}
    for file_path, line, error_type, error_message in con.execute(
            "select s.file_path, e.line, e.error_type, e.error_message from reject_errors as e "
            "join reject_scans as s on s.scan_id = e.scan_id and s.file_id = e.file_id order by e.line").fetchall():
        found.setdefault(file_path, []).append((line, error_type, error_message))
    return found


def issues_from_rejects(rejects: list[tuple], path: Path | None = None) -> list[Issue]:
    """(line, error type, message) rows as issues (first 50, then a count). Given the file's path, bytes
    that are not UTF-8 are explained as utf8_problem does (offset, a likely Windows-1252 origin)."""
    if path is not None and any(error_type == "INVALID UNICODE" for _, error_type, _ in rejects):
        return [utf8_problem(path)]
    issues: list[Issue] = []
    for line, error_type, error_message in rejects[:50]:
        kind = {"MISSING COLUMNS": "has too few fields", "TOO MANY COLUMNS": "has too many fields",
                "UNQUOTED VALUE": "has a stray quote", "INVALID UNICODE": "is not UTF-8"}.get(error_type, error_type.lower())
        issues.append(Issue(rule="malformed_row", rows=(int(line),), count=1,
                            message=f"the row {kind} ({error_message}); the file may be truncated or cut mid-line"))
    if len(rejects) > 50:
        issues.append(Issue(rule="malformed_row", count=len(rejects) - 50, message=f"{len(rejects) - 50:,} more malformed rows"))
    return issues


def unreadable_csv(error: Exception) -> Issue:
    return Issue(rule="unreadable_csv", message=f"the file cannot be parsed as CSV: {str(error).splitlines()[0]}")


def _duckdb_read(path: Path, spec: SourceSpec, headers: list[str]) -> tuple[pd.DataFrame, list[Issue]]:
    """Parse the whole CSV with DuckDB (all text), collecting malformed rows with their row numbers."""
    by_header = {column.header: column.name for column in spec.columns}
    with _reader_lock:
        return _duckdb_read_locked(path, headers, by_header)


_reader_lock = threading.Lock()
_reader_con: duckdb.DuckDBPyConnection | None = None


def _duckdb_read_locked(path: Path, headers: list[str], by_header: dict[str, str]):
    # One in-memory connection serves every read: opening one per file costs more than the read.
    global _reader_con
    if _reader_con is None:
        _reader_con = duckdb.connect()
    con = _reader_con
    con.execute("drop table if exists reject_errors; drop table if exists reject_scans")
    try:
        frame = con.execute(f"select * from {CSV_SCAN}", [str(path), csv_columns(headers)]).df()
        issues = reject_issues(con)
    except duckdb.Error as error:
        return pd.DataFrame(), [unreadable_csv(error)]
    frame.columns = [by_header.get(h.strip(), h) for h in headers]
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    return frame, issues


def _read_xlsx(parsed: ParsedFile, catalogue: SourceCatalogue) -> ParsedFile:
    path = parsed.path
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="calamine")
    except Exception as error:  # noqa: BLE001 - any reader failure is a file problem
        parsed.issues.append(Issue(rule="unreadable_xlsx", message=f"the workbook cannot be read ({type(error).__name__}: {error})"))
        return parsed
    candidates = []
    for sheet_name, sheet in sheets.items():
        # The header may sit under a title block; a second header-like row anywhere makes it ambiguous.
        for position in range(len(sheet)):
            cells = [str(v).strip() for v in sheet.iloc[position].tolist() if isinstance(v, str) and v.strip()]
            if not cells:
                continue
            spec = parsed.source or catalogue.recognise(cells, path.name)
            if spec is not None and len(set(cells) & set(spec.headers)) >= max(2, int(0.6 * len(spec.headers))):
                candidates.append((sheet_name, position, spec, cells))
            elif position >= XLSX_HEADER_SEARCH_ROWS and not candidates:
                break
    if not candidates:
        parsed.source = parsed.source or _by_name(catalogue, path.name)
        parsed.issues.append(Issue(rule="header_not_found", message=(
            f"no header row was found in the first {XLSX_HEADER_SEARCH_ROWS} rows of any sheet; "
            "the header must hold the contract's column names")))
        return parsed
    if len(candidates) > 1:
        places = "; ".join(f"sheet '{s}' row {p + 1}" for s, p, _, _ in candidates)
        parsed.source = parsed.source or candidates[0][2]
        parsed.issues.append(Issue(rule="ambiguous_header", message=(
            f"more than one row looks like the header ({places}); keep one table per workbook")))
        return parsed
    sheet_name, position, spec, _ = candidates[0]
    sheet = sheets[sheet_name]
    parsed.source = spec
    parsed.header_row = position + 1
    raw_headers = ["" if not isinstance(v, str) else v for v in sheet.iloc[position].tolist()]
    while raw_headers and raw_headers[-1] == "":
        raw_headers.pop()
    parsed.headers = raw_headers
    parsed.issues.extend(check_headers(spec, raw_headers))
    if parsed.issues:
        return parsed
    body = sheet.iloc[position + 1:, : len(raw_headers)].copy()
    body = body.dropna(how="all")
    by_header = {column.header: column.name for column in spec.columns}
    body.columns = [by_header[h.strip()] for h in raw_headers]
    body.index = body.index + 1  # 0-based sheet position -> spreadsheet row number
    body = body.astype("object").where(body.notna(), None)
    body = body.map(_xlsx_text)
    parsed.frame = body
    if len(body) == 0:
        parsed.issues.append(Issue(rule="no_rows", message="the sheet has a header but no data rows"))
    return parsed


def _xlsx_text(value: object) -> str | None:
    """Calamine gives dates as 'YYYY-MM-DD 00:00:00' and whole floats as '12.0': undo that."""
    if value is None:
        return None
    text = str(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} 00:00:00", text):
        return text[:10]
    if re.fullmatch(r"-?\d+\.0", text):
        return text[:-2]
    return text


def _read_geojson(parsed: ParsedFile, catalogue: SourceCatalogue) -> ParsedFile:
    path = parsed.path
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        features = data["features"]
    except (ValueError, KeyError, TypeError) as error:
        parsed.issues.append(Issue(rule="not_geojson", message=f"the file is not a GeoJSON FeatureCollection ({error})"))
        return parsed
    if not features:
        parsed.issues.append(Issue(rule="no_rows", message="the FeatureCollection has no features"))
        return parsed
    keys = list(features[0].get("properties", {}).keys())
    spec = parsed.source
    if spec is None:
        for candidate in catalogue:
            if candidate.format == "geojson" and set(candidate.headers) <= set(keys) and candidate.matches_name(path.name):
                spec = candidate
        if spec is None:
            for candidate in catalogue:
                if candidate.format == "geojson" and set(candidate.headers) <= set(keys):
                    spec = candidate
    parsed.source = spec
    parsed.headers = keys
    if spec is None:
        parsed.issues.append(Issue(rule="unrecognised_source", message="the GeoJSON properties match no declared source"))
        return parsed
    missing = [h for h in spec.headers if h not in keys]
    if missing:
        parsed.issues.append(Issue(rule="missing_column", column=missing[0], message=f"feature property '{missing[0]}' is missing"))
        return parsed
    rows = []
    for feature in features:
        props = feature.get("properties", {})
        row = {column.name: _as_text(props.get(column.header)) for column in spec.columns if not column.is_computed}
        geometry = feature.get("geometry") or {}
        for column in spec.columns:
            if column.header == "_centroid_lon":
                row[column.name] = _fmt(polygon_centroid(geometry)[0])
            elif column.header == "_centroid_lat":
                row[column.name] = _fmt(polygon_centroid(geometry)[1])
            elif column.header == "_geometry":
                row[column.name] = json.dumps(geometry, separators=(",", ":"))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[c.name for c in spec.columns], dtype=object)
    frame.index = pd.RangeIndex(1, len(frame) + 1)  # feature number
    parsed.frame = frame
    return parsed


def _as_text(value: object) -> str | None:
    return None if value is None else str(value)


def _fmt(value: float) -> str:
    return f"{value:.6f}"


def polygon_centroid(geometry: dict) -> tuple[float, float]:
    """Area-weighted centroid of a (Multi)Polygon's outer rings (planar; fine for small areas)."""
    rings = []
    if geometry.get("type") == "Polygon":
        rings = [geometry["coordinates"][0]]
    elif geometry.get("type") == "MultiPolygon":
        rings = [polygon[0] for polygon in geometry["coordinates"]]
    total_area = cx = cy = 0.0
    for ring in rings:
        area = 0.0
        rx = ry = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
            cross = x0 * y1 - x1 * y0
            area += cross
            rx += (x0 + x1) * cross
            ry += (y0 + y1) * cross
        if area:
            total_area += area / 2
            cx += rx / 6
            cy += ry / 6
    if not total_area:
        points = [point for ring in rings for point in ring] or [(0.0, 0.0)]
        return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    return (cx / total_area, cy / total_area)


def point_in_geometry(lon: float, lat: float, geometry: dict) -> bool:
    """Ray-casting point-in-polygon over a (Multi)Polygon, holes respected."""
    polygons = []
    if geometry.get("type") == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry.get("type") == "MultiPolygon":
        polygons = geometry["coordinates"]
    for polygon in polygons:
        if _in_ring(lon, lat, polygon[0]) and not any(_in_ring(lon, lat, hole) for hole in polygon[1:]):
            return True
    return False


def _in_ring(x: float, y: float, ring: list) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            inside = not inside
    return inside
