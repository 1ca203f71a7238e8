"""An older DuckDB client (1.x, in its own venv: `make duckdb1-client`, part of `make test`) for the tests.

Analysts open the published warehouse with DuckDB 1.x tools; the tests do the same in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DUCKDB1_PYTHON = PROJECT_ROOT / ".venv-duckdb1" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

_SCRIPT = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps({"version": duckdb.__version__, "rows": con.execute(sys.argv[2]).fetchall()}, default=str))
"""


def require_duckdb1() -> Path:
    """The 1.x client's python; missing: fail under CI=true (make test installs it), else skip."""
    if DUCKDB1_PYTHON.exists():
        return DUCKDB1_PYTHON
    message = f"no DuckDB 1.x client at {DUCKDB1_PYTHON}: run `make duckdb1-client`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def duckdb1_query(database: Path, sql: str) -> tuple[str, list[list]]:
    """(client version, rows) of a read-only query by the DuckDB 1.x client."""
    done = subprocess.run([str(require_duckdb1()), "-c", _SCRIPT, str(database), sql], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"DuckDB 1.x client failed on {database}:\n{done.stderr[-3000:]}"
    found = json.loads(done.stdout)
    return found["version"], found["rows"]
