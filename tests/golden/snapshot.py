"""A golden snapshot of a demo run: every marts table and the text of every report file.

Run ids, timestamps, commit hashes and the data directory's path are masked; floats are rounded to
9 significant digits; images are reduced to a digest of their bytes. `python -m tests.golden.record`
writes the snapshot of a fresh demo run to tests/golden/demo/; `tests/golden/test_golden.py`
compares a session's demo run against it. A difference is a bug or an intended change to name.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import math
import re
from pathlib import Path

import duckdb

GOLDEN_DIR = Path(__file__).resolve().parent / "demo"

_MASKS = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\b[0-9a-f]{40}\b"), "<sha1>"),
    (re.compile(r"\b[0-9a-f]{64}\b"), "<sha256>"),
    (
        re.compile(
            r"\d{4}-\d{2}-\d{2}[T ](?!00:00(:00)?(?![.\d]))\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
            r"([+-]\d{2}:?\d{2}|Z| UTC)?"
        ),
        "<timestamp>",
    ),
    (re.compile(r"\b\d{1,2} [A-Z][a-z]+ \d{4},? (at )?\d{2}:\d{2}( UTC)?"), "<timestamp>"),
    (re.compile(r"<dc:date>[^<]*</dc:date>"), "<dc:date>"),
    (re.compile(r"\b[0-9a-f]{7,12}\b(?=\)|\s*·|</code>)"), "<commit>"),
]
_PDF_IDS = re.compile(r"\b(warehouse run|code) [0-9a-f]{7,12}\b")
_DATA_URI = re.compile(r"data:image/([a-z+]+);base64,([A-Za-z0-9+/=]+)")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def mask(text: str, data_dir: Path) -> str:
    """Mask what changes from run to run (paths, ids, times) and reduce embedded images to digests."""
    text = _DATA_URI.sub(
        lambda m: f"data:image/{m.group(1)};digest={_digest(base64.b64decode(m.group(2)))}", text
    )
    for root in {str(data_dir), str(data_dir.resolve())}:
        text = text.replace(root, "$CSP_DATA")
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return f"{value:.9g}"
    return str(value)


def marts_tables(warehouse: Path) -> dict[str, str]:
    """Every marts table as ordered, tab-separated text."""
    out: dict[str, str] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        for table in tables:
            cursor = con.execute(f"select * from marts.{table}")
            columns = [d[0] for d in cursor.description]
            rows = ["\t".join(_cell(v) for v in row) for row in cursor.fetchall()]
            rows.sort()
            out[f"marts/{table}.tsv"] = "\n".join(["\t".join(columns), *rows]) + "\n"
    return out


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    lines: list[str] = []
    for sheet in workbook.worksheets:
        lines.append(f"## sheet {sheet.title}")
        for row in sheet.iter_rows(values_only=True):
            lines.append("\t".join(_cell(v) for v in row).rstrip("\t"))
    workbook.close()
    return "\n".join(lines) + "\n"


def _pdf_text(path: Path) -> str:
    """A PDF as its page count and the text of each page (its bytes carry dates and ids)."""
    from pypdf import PdfReader

    pages = PdfReader(str(path)).pages
    lines = [f"pdf {len(pages)} pages"]
    for number, page in enumerate(pages, start=1):
        lines.append(f"## page {number}")
        # Whitespace normalised (line breaks follow the width of masked text such as the date); the
        # run id and commit in the footer are masked here, where no </code> follows them.
        text = " ".join(page.extract_text().split())
        lines.append(_PDF_IDS.sub(r"\1 <commit>", text))
    return "\n".join(lines) + "\n"


def report_files(reports: Path, data_dir: Path) -> dict[str, str]:
    """The text of every report file (xlsx as cell values; pdf as text per page; png as a digest)."""
    out: dict[str, str] = {}
    for path in sorted(p for p in reports.rglob("*") if p.is_file()):
        name = "reports/" + path.relative_to(reports).as_posix()
        if path.suffix == ".xlsx":
            text = _xlsx_text(path)
        elif path.suffix == ".pdf":
            text = _pdf_text(path)
        elif path.suffix == ".png":
            text = f"png digest {_digest(path.read_bytes())}\n"
        else:
            text = path.read_text(encoding="utf-8")
        out[name] = mask(text, data_dir)
    return out


def snapshot(data_dir: Path, period: str = "2018-02") -> dict[str, str]:
    """The whole snapshot of a demo run's data directory."""
    result = marts_tables(data_dir / "csp.duckdb")
    result.update(report_files(data_dir / "reports" / period, data_dir))
    return result


def write(snap: dict[str, str], target: Path = GOLDEN_DIR) -> None:
    """Write a snapshot as gzip files (deterministic: no timestamps in the gzip header)."""
    if target.exists():
        for old in target.rglob("*.gz"):
            old.unlink()
    for name, text in snap.items():
        path = target / f"{name}.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as handle:
            handle.write(text.encode("utf-8"))
        path.write_bytes(buffer.getvalue())


def read(target: Path = GOLDEN_DIR) -> dict[str, str]:
    """Read a snapshot written by `write`."""
    return {
        path.relative_to(target).as_posix()[: -len(".gz")]: gzip.decompress(path.read_bytes()).decode()
        for path in sorted(target.rglob("*.gz"))
    }
