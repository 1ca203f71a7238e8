"""Every Kent CSP's reports from the real files: the 13-area run, timed and checked (a manual check).

    python -m benchmarks.force_areas [--months 2025-01,...] [--out benchmarks/force_results.json]

Builds a fresh $CSP_DATA in a temporary folder with the ONS reference files and the real Kent street
crime files of ../shared/real/police_uk (all 27 by default), runs `csp run --area all-in-force` in a
child process (a temporary Prefect server; reports as subflows here, one area after the other), then
checks what a county analyst would: 13 areas, each with reports/<area_code>/<period>/ holding the
committee summary, the data-quality page and every priority's card, and every indicators.csv holding
only that district's rows and its own wards' (the ward list read from the ONS lookup csv). Writes the
times (whole command, ingest + compute + publish, reports, per area) to the --out json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from warehouse.config import PROJECT_ROOT

REAL = PROJECT_ROOT.parent / "shared" / "real"
WARDS_FILE = REAL / "ons" / "jtrim_csv_056_WD19_LAD19_UK_LU.csv"


def wards_by_district() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with open(WARDS_FILE, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            found.setdefault(row["LAD19CD"], set()).add(row["WD19CD"])
    return found


def check_folders(data: Path, areas: list[str], period: str) -> dict[str, dict]:
    """Per area: files, priorities and any row of another area (must be none)."""
    wards = wards_by_district()
    out = {}
    for code in areas:
        folder = data / "reports" / code / period
        foreign: set[str] = set()
        for table in folder.glob("*/indicators.csv"):
            with open(table, encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    if row["area_type"] in {"district", "ward"} and row["area_code"] not in {code} | wards.get(code, set()):
                        foreign.add(row["area_code"])
        out[code] = {"files": sum(1 for p in folder.rglob("*") if p.is_file()),
                     "cards": len(list(folder.glob("*/report_card.html"))),
                     "committee_summary": (folder / "committee_summary.html").is_file(),
                     "data_quality": (folder / "data_quality.html").is_file(),
                     "rows_of_other_areas": sorted(foreign)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", help="comma list of YYYY-MM (default: every Kent file)")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "benchmarks" / "force_results.json"))
    args = parser.parse_args(argv)
    from demo.generator import generate_reference_inbox

    files = sorted((REAL / "police_uk").glob("*-kent-street.csv"))
    if args.months:
        wanted = set(args.months.split(","))
        files = [f for f in files if f.name[:7] in wanted]
    with tempfile.TemporaryDirectory(prefix="csp-force-bench-") as tmp:
        data = Path(tmp) / "data"
        inbox = data / "inbox"
        generate_reference_inbox(inbox, REAL)
        (inbox / "police_street").mkdir(parents=True)
        for f in files:
            os.symlink(f, inbox / "police_street" / f.name)
        env = {**os.environ, "CSP_DATA": str(data), "PREFECT_HOME": str(Path(tmp) / "prefect-home")}
        env.pop("PREFECT_API_URL", None)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "cli.main", "run", "--area", "all-in-force"], cwd=PROJECT_ROOT,
                              env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-5000:], file=sys.stderr)
            return 1
        with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
            period, areas, counts, started_at, ended_at = con.execute("""
                select period, area_code, stage_row_counts, started_at, ended_at from audit.pipeline_runs
                where flow_name = 'csp-force' order by started_at desc limit 1""").fetchone()
        counts = json.loads(counts)
        area_list = areas.split(",")
        folders = check_folders(data, area_list, period)
        size_mb = (data / "csp.duckdb").stat().st_size / 1e6
        parquet_mb = sum(p.stat().st_size for p in (data / "parquet").rglob("*.parquet")) / 1e6
    result = {"files": len(files), "months": [f.name[:7] for f in files], "period": period, "areas": len(area_list),
              "wall_seconds": round(wall, 1), "recorded_seconds": round((ended_at - started_at).total_seconds(), 1),
              "stages": counts.get("seconds"), "per_area_report_seconds": {r["area"]: r.get("seconds")
                                                                          for r in counts.get("reports", [])},
              "indicator_values": counts["indicators"]["indicator_values"], "warehouse_mb": round(size_mb, 1),
              "parquet_mb": round(parquet_mb, 1), "folders": folders,
              "machine": {"cpus": os.cpu_count(), "load_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}}
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    bad = [code for code, f in folders.items() if f["rows_of_other_areas"] or not f["cards"]
           or not f["committee_summary"] or not f["data_quality"]]
    print(json.dumps({k: v for k, v in result.items() if k != "folders"}, indent=2))
    print(f"{len(area_list)} areas; folders with a problem: {bad or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
