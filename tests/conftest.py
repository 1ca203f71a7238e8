"""Shared fixtures: offline Prefect, temporary data directories, the real public files."""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="csp-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("CSP_PSEUDONYM_KEY", None)
os.environ.pop("CSP_DEMO", None)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REAL_DIR = PROJECT_ROOT.parent / "shared" / "real"
POLICE_DIR = REAL_DIR / "police_uk"
ONS_DIR = REAL_DIR / "ons"
REFERENCE_FILES = [
    ONS_DIR / "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv",
    ONS_DIR / "jtrim_csv_056_WD19_LAD19_UK_LU.csv",
    ONS_DIR / "drkane_la_all_codes.csv",
    ONS_DIR / "drkane_boundaries_lsoa_E07000110.geojson",
    ONS_DIR / "drkane_boundaries_lsoa11_E07000110.geojson",
]


@contextmanager
def scoped_env(**values: str) -> Iterator[None]:
    """Set environment variables for the block, then restore what was there (or remove them)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def same_values(a, b) -> bool:
    """Equal rows as a full rebuild must give: floats to 1e-9 relative (NaN equals NaN), the rest exactly."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b))
    return a == b


def run_police_only_inbox(data: Path, months: list[str], area: str | None = None) -> dict:
    """The ONS reference files plus the real police.uk files of these months, through the monthly flow."""
    from demo.generator import generate_reference_inbox
    from flows.monthly import monthly_flow
    from warehouse.config import load_settings

    with scoped_env(CSP_DATA=str(data), **({"CSP_AREA": area} if area else {})):
        settings = load_settings()
        settings.ensure_dirs()
        generate_reference_inbox(settings.inbox, REAL_DIR)
        (settings.inbox / "police_street").mkdir(parents=True, exist_ok=True)
        for month in months:
            shutil.copy(POLICE_DIR / f"{month}-kent-street.csv", settings.inbox / "police_street")
        result = monthly_flow(period="latest")
    return {"settings": settings, "result": result}


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not POLICE_DIR.exists():
        pytest.fail(f"the real public data is expected at {REAL_DIR} (../shared/real from the project root)")
    return REAL_DIR


@pytest.fixture()
def settings(tmp_path, monkeypatch):
    """Settings on a fresh data directory."""
    from warehouse.config import load_settings

    monkeypatch.setenv("CSP_DATA", str(tmp_path / "data"))
    return load_settings()


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (it costs ~8 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def demo_warehouse(prefect_harness, tmp_path_factory):
    """The demo inbox (with faults) generated and run through the monthly flow once per session.

    Tests using it are grouped on one xdist worker (mark them xdist_group("demo")).
    """
    from demo.generator import generate_demo_inbox
    from flows.monthly import monthly_flow
    from warehouse.config import load_settings

    data = tmp_path_factory.mktemp("demo") / "data"
    with scoped_env(CSP_DATA=str(data), CSP_DEMO="1"):
        settings = load_settings()
        settings.ensure_dirs()
        summary = generate_demo_inbox(settings.inbox, REAL_DIR, with_faults=True)
        result = monthly_flow(period="latest")
    return {"settings": settings, "result": result, "summary": summary}
