"""Every report of the demo rendered in headless Chromium: images load, no broken layout markers.

Chromium is the Debian package ``chromium``. If it is missing the test installs it with apt-get
(as root, where apt exists); otherwise it skips with a loud message. Each page is copied next to
itself with a small script appended that, after the load event, marks every <img> loaded or broken,
records the page's scroll width and copies the visible text into a <pre>; ``--dump-dom`` then
prints the DOM for the assertions. The reports themselves carry no script.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from tests.integration.test_reports_demo import publish_demo_reports

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.xdist_group("demo")]

WIDTH, HEIGHT = 1280, 900
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio"]
CHECK_SCRIPT = """
<script>
window.addEventListener('load', function () {
  var images = document.images, broken = 0;
  for (var i = 0; i < images.length; i++) {
    var ok = images[i].complete && images[i].naturalWidth > 0;
    images[i].setAttribute('data-check', ok ? 'loaded' : 'broken');
    if (!ok) { broken++; }
  }
  var out = document.createElement('pre');
  out.id = 'csp-check';
  out.setAttribute('data-images', String(images.length));
  out.setAttribute('data-broken', String(broken));
  out.setAttribute('data-scroll-width', String(document.documentElement.scrollWidth));
  out.setAttribute('data-inner-width', String(window.innerWidth));
  out.textContent = document.body.innerText;
  document.body.appendChild(out);
});
</script>
"""
# Words that only appear when a template or a formatter failed.
BROKEN = re.compile(r"\b(undefined|NaN|nan|None|null|Traceback|Infinity)\b|\{\{|\{%|%\}|\}\}")


def _loud_skip(message: str) -> None:
    banner = f"\n{'!' * 78}\n!!! BROWSER CHECKS SKIPPED: {message}\n{'!' * 78}\n"
    sys.stderr.write(banner)
    warnings.warn(banner, stacklevel=2)
    pytest.skip(banner)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of the chromium binary, installing the Debian package if needed."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if not shutil.which("apt-get"):
        _loud_skip("chromium is not installed and apt-get is not available to install it")
    if os.geteuid() != 0:
        _loud_skip("chromium is not installed and installing it with apt-get needs root")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200,
                              check=False)
        if done.returncode != 0:
            _loud_skip(f"'{' '.join(cmd)}' failed: {done.stderr.strip()[-500:]}")
    found = shutil.which("chromium")
    if not found:
        _loud_skip("apt-get install chromium finished but no chromium binary is on PATH")
    return found


@pytest.fixture(scope="module")
def reports(demo_warehouse, tmp_path_factory) -> dict:
    return publish_demo_reports(demo_warehouse, tmp_path_factory)


def _run(chromium: str, profile: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                          text=True, timeout=timeout, check=False)


def _dump(chromium: str, page: Path, tmp_path: Path) -> str:
    """The DOM of a copy of ``page`` with the check script, after its load event."""
    # Outside the reports folder, so the reports stay exactly as published (their images are
    # data: URIs, so nothing the check needs is relative to the page).
    probe = tmp_path / f"{page.parent.name}-{page.name}"
    html = page.read_text(encoding="utf-8")
    probe.write_text(html.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    try:
        done = _run(chromium, tmp_path / "profile", f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=15000",
                    "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _pages(reports: dict) -> list[Path]:
    root = reports["dir"]
    return sorted(root.glob("*/report_card.html")) + [root / "committee_summary.html", root / "data_quality.html"]


def test_every_report_renders_with_its_images_and_no_broken_markers(chromium, reports, tmp_path):
    pages = _pages(reports)
    assert len(pages) == len(reports["result"]["priorities"]) + 2
    for page in pages:
        dom = _dump(chromium, page, tmp_path)
        check = re.search(r'<pre id="csp-check"([^>]*)>(.*?)</pre>', dom, flags=re.DOTALL)
        assert check, f"{page}: the check script did not run"
        attrs = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', check.group(1)))
        source_images = len(re.findall(r"<img\b", page.read_text(encoding="utf-8")))
        assert int(attrs["images"]) == source_images, page
        assert attrs["broken"] == "0", f"{page}: {attrs['broken']} image(s) failed to load"
        assert 'data-check="broken"' not in dom
        assert int(attrs["scroll-width"]) <= int(attrs["inner-width"]), f"{page}: the page scrolls sideways"
        text = check.group(2)
        assert len(text) > 500, f"{page}: almost no visible text"
        bad = sorted({m.group(0) for m in BROKEN.finditer(text)})
        assert not bad, f"{page}: broken layout markers in the visible text: {bad}"
    da = reports["dir"] / "domestic_abuse" / "report_card.html"
    assert len(re.findall(r"<img\b", da.read_text(encoding="utf-8"))) >= 3, "the DA card embeds its charts"


def test_screenshot_of_the_da_card_is_not_blank(chromium, reports, tmp_path):
    from PIL import Image

    shot = tmp_path / "domestic_abuse.png"
    page = reports["dir"] / "domestic_abuse" / "report_card.html"
    done = _run(chromium, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,4200",
                "--virtual-time-budget=15000", page.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1280, 4200)
        colours = image.convert("RGB").resize((160, 525)).getcolors(maxcolors=1 << 16)
    assert colours is not None and len(colours) > 50, "the screenshot is (nearly) blank"
    keep = os.environ.get("CSP_SCREENSHOT_DIR")
    if keep:  # for a person to look at: CSP_SCREENSHOT_DIR=/tmp/shots pytest ...
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(keep) / shot.name)
