"""Print-ready PDFs of the report cards and the committee pack, rendered by headless Chromium.

Why Chromium and not WeasyPrint: the PDF is then the page the reader already sees in a browser
(one layout engine for screen and print, so the print stylesheet is tested against the same
rendering the browser checks use), Chromium is already the engine of the browser tests and of the
front page's screenshot, and it supports everything the print stylesheet needs: ``@page`` size
and margin boxes (running header and "Page n of N" footer, Chromium 131+), ``break-inside`` on
table rows, repeated table headers. WeasyPrint would add a second engine with its own CSS subset.

Each HTML file is printed with ``chromium --headless --print-to-pdf --no-pdf-header-footer``: the
browser's own header and footer (URL, date) are off; the running header and the page numbers come
from the report's ``@page`` rules (``reporting/templates/_print.css.j2``). A fresh, throw-away
profile per call keeps parallel runs apart and reads nothing from the user's browser.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "PdfError", "find_chromium", "page_count", "pdf_entry", "render_pdf", "screenshot"]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--disable-extensions",
                  "--run-all-compositor-stages-before-draw"]
_TIMEOUT_SECONDS = 180


class PdfError(RuntimeError):
    """Chromium failed to print a page (the message names the file and Chromium's last words)."""


def find_chromium() -> str | None:
    """The Chromium binary: ``$CSP_CHROMIUM`` if set, else ``chromium``/``chromium-browser`` on PATH."""
    configured = os.environ.get("CSP_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() or shutil.which(configured) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(chromium: str, args: list[str], html: Path, out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="csp-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, html.resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as error:
            raise PdfError(f"{html}: Chromium did not finish within {_TIMEOUT_SECONDS} s") from error
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise PdfError(f"{html}: Chromium exited {done.returncode} without writing {out.name}: "
                       + " | ".join(tail))


def render_pdf(html: Path, pdf: Path, chromium: str) -> Path:
    """Print ``html`` to ``pdf`` (A4 and margins come from the page's ``@page`` rule)."""
    html, pdf = Path(html), Path(pdf)
    pdf.unlink(missing_ok=True)
    _run(chromium, ["--no-pdf-header-footer", "--generate-pdf-document-outline", f"--print-to-pdf={pdf}"],
         html, pdf)
    return pdf


def screenshot(html: Path, png: Path, chromium: str, width: int, height: int) -> Path:
    """A PNG of the first ``width`` x ``height`` CSS pixels of ``html`` as a screen shows it."""
    html, png = Path(html), Path(png)
    png.unlink(missing_ok=True)
    _run(chromium, [f"--window-size={width},{height}", "--force-device-scale-factor=1", f"--screenshot={png}"],
         html, png)
    return png


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def pdf_entry(html: Path, chromium: str | None, warnings: list[str], seconds: list[float]) -> list[dict]:
    """Print ``html`` next to itself as .pdf; its disclosure-manifest entry ([] when not printed).

    The entry names the page it prints (``rendered_from``): the disclosure scan checks that page.
    A failed print is a warning, not a failed publication: the HTML is complete without it.
    """
    if chromium is None:
        return []
    pdf = html.with_suffix(".pdf")
    started = time.perf_counter()
    try:
        render_pdf(html, pdf, chromium)
    except PdfError as error:
        warnings.append(f"PDF not written: {error}")
        pdf.unlink(missing_ok=True)
        return []
    finally:
        seconds.append(time.perf_counter() - started)
    return [{"path": pdf.name, "rendered_from": html.name, "pages": page_count(pdf)}]
