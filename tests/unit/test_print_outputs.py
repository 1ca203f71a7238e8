"""Pieces of the print output: the PDF's manifest entry is checked against the page it prints, and
the running header's text cannot break out of its CSS string."""

from __future__ import annotations

import json
from pathlib import Path

from reporting.disclosure import scan_manifest
from reporting.outputs import css_string
from reporting.pdf import find_chromium


def _manifest(folder: Path, files: list[dict]) -> Path:
    path = folder / "disclosure_manifest.json"
    path.write_text(json.dumps({"files": files}), encoding="utf-8")
    return path


def test_a_pdf_must_print_a_listed_page(tmp_path):
    (tmp_path / "card.html").write_text("<p class='count'>12</p>", encoding="utf-8")
    (tmp_path / "card.pdf").write_bytes(b"%PDF-1.4\n")
    ok = _manifest(tmp_path, [{"path": "card.html"}, {"path": "card.pdf", "rendered_from": "card.html"}])
    assert scan_manifest(ok) == []
    bad = _manifest(tmp_path, [{"path": "card.html"}, {"path": "card.pdf"}])
    assert scan_manifest(bad) == [(f"{tmp_path / 'card.pdf'}: a PDF must name the listed HTML page it prints "
                                  "(rendered_from)")]
    unlisted = _manifest(tmp_path, [{"path": "card.html"}])
    assert scan_manifest(unlisted) == [f"{tmp_path / 'card.pdf'}: report file not listed in disclosure_manifest.json"]


def test_css_string_escapes_what_could_end_the_string_or_the_style():
    assert str(css_string("Safer Maidstone Partnership · February 2018")) == \
        '"Safer Maidstone Partnership · February 2018"'
    # " \ < > and newlines become CSS hex escapes (6 digits, so nothing after them is swallowed).
    assert str(css_string('A "B" \\ </style>\n')) == '"A \\000022B\\000022 \\00005c \\00003c/style\\00003e\\00000a"'


def test_find_chromium_honours_csp_chromium(monkeypatch, tmp_path):
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setenv("CSP_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("CSP_CHROMIUM", str(tmp_path / "absent"))
    assert find_chromium() is None
