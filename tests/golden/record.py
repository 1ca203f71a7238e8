"""Record the golden snapshot from a fresh demo run: `python -m tests.golden.record [DATA_DIR]`.

With DATA_DIR, snapshot that finished demo run instead of running one. Run it only when an output is
meant to change, and name the change in the commit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.golden.snapshot import GOLDEN_DIR, snapshot, write


def main() -> None:
    if len(sys.argv) > 1:
        data = Path(sys.argv[1])
    else:
        data = Path(tempfile.mkdtemp(prefix="csp-golden-")) / "data"
        env = {**os.environ, "CSP_DATA": str(data), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        env.pop("CSP_PSEUDONYM_KEY", None)
        csp = Path(sys.executable).with_name("csp")
        subprocess.run([str(csp), "demo", "--with-faults"], env=env, check=True)
    snap = snapshot(data)
    write(snap)
    print(f"wrote {len(snap)} files to {GOLDEN_DIR}")


if __name__ == "__main__":
    main()
