"""The demo's PDFs, page by page: A4, a sensible page count, no blank or near-empty pages, page
numbers and the running header on every page; the committee front page is exactly page 1; a
screenshot of the front page is a real page, not a blank one.

The PDFs are written by publication (reporting.publish, via reporting.pdf) next to the HTML and
listed in the disclosure manifest. Under CI=true a missing Chromium fails these tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from PIL import Image
from pypdf import PdfReader

from reporting.front_page import NO_ACTION_PLAN
from reporting.pdf import screenshot
from tests.integration.test_reports_demo import publish_demo_reports
from tests.renderer import chromium_binary

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.xdist_group("demo")]

# ISO 216 A4 is 210 x 297 mm = 595.28 x 841.89 PostScript points; Chromium rounds to whole
# device pixels at 96 dpi (793.7 x 1122.5 px), hence a tolerance of 1 pt.
A4_POINTS = (595.28, 841.89)
MIN_LINES = 8  # the running header and footer alone are 4 lines; a page needs more than a few of its own
PAGE_NUMBER = re.compile(r"Page (\d+) of (\d+)")


@pytest.fixture(scope="module")
def reports(demo_warehouse, tmp_path_factory) -> dict:
    chromium_binary()  # fails under CI=true when the renderer is missing
    return publish_demo_reports(demo_warehouse, tmp_path_factory)


def _pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


def _pdfs(reports: dict) -> list[Path]:
    return sorted(Path(reports["dir"]).rglob("*.pdf"))


def test_every_card_and_the_committee_pack_have_a_pdf_listed_in_the_manifest(reports):
    root = Path(reports["dir"])
    expected = {f"{pid}/report_card.pdf" for pid in reports["result"]["priorities"]} | {"committee_summary.pdf"}
    assert {p.relative_to(root).as_posix() for p in _pdfs(reports)} == expected
    listed = {e["path"]: e for e in json.loads((root / "disclosure_manifest.json").read_text())["files"]}
    for name in expected:
        assert listed[name]["rendered_from"] == name.replace(".pdf", ".html")
        assert listed[name]["pages"] == len(PdfReader(str(root / name)).pages)


def test_pages_are_a4_numbered_headed_and_never_near_empty(reports):
    for pdf in _pdfs(reports):
        reader = PdfReader(str(pdf))
        texts = _pages(pdf)
        total = len(texts)
        assert 1 <= total <= 20, f"{pdf.name}: {total} pages"
        for number, (page, text) in enumerate(zip(reader.pages, texts, strict=True), start=1):
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert abs(width - A4_POINTS[0]) < 1 and abs(height - A4_POINTS[1]) < 1, (pdf, number, width, height)
            lines = [line for line in text.splitlines() if line.strip()]
            assert len(lines) >= MIN_LINES, f"{pdf}: page {number} has only {len(lines)} lines: {lines}"
            assert PAGE_NUMBER.findall(text) == [(str(number), str(total))], (pdf, number)
            assert "Safer Maidstone Partnership" in text and "February 2018" in text and "OFFICIAL" in text


def test_committee_front_page_is_exactly_page_one(reports):
    texts = _pages(Path(reports["dir"]) / "committee_summary.pdf")
    first = texts[0]
    for heading in ("What needs the committee's attention, February 2018",
                    "Indicators worsening or with a special-cause concern", "Missing or late data", "Actions overdue"):
        assert heading in first, heading
    # The demo's plan holds one action, DA1.1, due "Summer 2018" (read as 31 August 2018): in February 2018 it
    # is not overdue, and the page says so with the plan's size rather than "No action plan has been loaded".
    flat = " ".join(first.split())
    assert "No action is overdue (1 action in the plan)." in flat
    assert NO_ACTION_PLAN not in flat
    # Page 1 holds the front page only: the next section starts page 2.
    assert "Priorities at a glance" not in first
    assert "Priorities at a glance" in texts[1]
    assert all("What needs the committee's attention" not in text for text in texts[1:])


def test_committee_pack_has_a_previous_value_column(reports):
    html = (Path(reports["dir"]) / "committee_summary.html").read_text(encoding="utf-8")
    table = html[html.index('id="committee-indicators"'):]
    header = table[:table.index("</thead>")]
    assert '<th scope="col" class="num">Latest</th><th scope="col" class="num">Previous</th>' in header
    # DA incidents, summed here from the monthly mart: March 2017 - February 2018 and the 12 before.
    with duckdb.connect(str(reports["warehouse"]), read_only=True) as con:
        latest, previous = con.execute("""
            select sum(da_incidents) filter (where month between date '2017-03-01' and date '2018-02-01'),
                   sum(da_incidents) filter (where month between date '2016-03-01' and date '2017-02-01')
            from marts.domestic_abuse_by_area_month
            where area_type = 'district' and area_code = 'E07000110'""").fetchone()
    row = table[table.index('data-indicator="da_incidents"'):]
    row = row[:row.index("</tr>")]
    assert latest != previous
    assert row.index(f">{latest:,}<") < row.index(f">{previous:,}<")


def test_front_page_screenshot_is_a_real_page(reports, tmp_path):
    chromium = chromium_binary()
    # A4 at 96 CSS px per inch: 794 x 1123.
    png = screenshot(Path(reports["dir"]) / "committee_summary.html", tmp_path / "front.png", chromium, 794, 1123)
    image = Image.open(png).convert("RGB")
    assert image.size == (794, 1123)
    pixels = list(image.getdata())
    not_white = sum(1 for p in pixels if min(p) < 240)
    assert not_white / len(pixels) > 0.03, "the front page screenshot is (nearly) blank"
    # The banner is NHS blue (#005eb8) on screen: its colour fills the top of the page.
    top = [image.getpixel((x, 20)) for x in range(100, 700, 50)]
    assert all(p == (0, 94, 184) for p in top), top
