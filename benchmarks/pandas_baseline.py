"""The baseline: a plain pandas script an analyst would write for the same 12-month police.uk indicators.

    python -m benchmarks.pandas_baseline --lookup jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv \
        --out indicators.csv FOLDER_OR_FILE...

Reads every street CSV (only the three columns it needs, default C parser), places rows in districts
through the ONS LSOA 2011 -> district lookup, counts ASB incidents, drug offences, violence
(police.uk 'Violence and sexual offences', the VATP measure) and all crimes (everything but ASB) per
district and month, zero-fills months a district had nothing, and takes the rolling 12-month sum
and the same sum 12 months earlier. No validation, no audit, no staging: the honest quick script.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from benchmarks.stages import peak_rss_mb

MEASURES = ["asb_incidents", "drug_offences", "vatp_offences", "all_crimes"]


def street_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*-street.csv")) if path.is_dir() else [path])
    return found


def compute(csv_paths: list[Path], lookup_path: Path) -> pd.DataFrame:
    """Long table: district, month, measure, value_12m, previous_12m (NaN until 12/24 months exist)."""
    lookup = pd.read_csv(lookup_path, usecols=["LSOA11CD", "LAD19CD"])
    frames = [pd.read_csv(path, usecols=["Month", "LSOA code", "Crime type"]) for path in csv_paths]
    crimes = pd.concat(frames, ignore_index=True)
    crimes = crimes.merge(lookup, left_on="LSOA code", right_on="LSOA11CD", how="inner")
    crimes["asb_incidents"] = crimes["Crime type"] == "Anti-social behaviour"
    crimes["drug_offences"] = crimes["Crime type"] == "Drugs"
    crimes["vatp_offences"] = crimes["Crime type"] == "Violence and sexual offences"
    crimes["all_crimes"] = ~crimes["asb_incidents"]
    monthly = crimes.groupby(["LAD19CD", "Month"])[MEASURES].sum()
    months = sorted(crimes["Month"].unique())
    out = []
    for measure in MEASURES:
        wide = monthly[measure].unstack("Month").reindex(columns=months).fillna(0)
        rolling = wide.T.rolling(12).sum().T
        previous = rolling.T.shift(12).T
        frame = pd.DataFrame({
            "value_12m": rolling.stack(dropna=False) if _stack_takes_dropna() else rolling.stack(),
            "previous_12m": previous.stack(dropna=False) if _stack_takes_dropna() else previous.stack(),
        }).reset_index()
        frame.columns = ["district", "month", "value_12m", "previous_12m"]
        frame.insert(2, "measure", measure)
        out.append(frame)
    return pd.concat(out, ignore_index=True)


def _stack_takes_dropna() -> bool:
    return int(pd.__version__.split(".")[0]) < 3


def latest_12m(result: pd.DataFrame) -> dict[str, dict[str, list]]:
    """{measure: {district: [12-month value, previous]}} at the latest month (for cross-checking)."""
    last = result[result["month"] == result["month"].max()]
    out: dict[str, dict[str, list]] = {}
    for row in last.itertuples():
        previous = None if pd.isna(row.previous_12m) else float(row.previous_12m)
        value = None if pd.isna(row.value_12m) else float(row.value_12m)
        out.setdefault(row.measure, {})[row.district] = [value, previous]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--lookup", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timing-json", type=Path, help="write {seconds, rows, latest_12m} here (benchmarks)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    files = street_files(args.paths)
    result = compute(files, args.lookup)
    result.to_csv(args.out, index=False)
    seconds = time.perf_counter() - started
    if args.timing_json:
        args.timing_json.write_text(json.dumps({"seconds": seconds, "files": len(files), "rows_out": len(result),
                                                "vmhwm_mb": peak_rss_mb(), "latest_12m": latest_12m(result)}),
                                    encoding="utf-8")
    print(f"{len(files)} files -> {len(result):,} rows in {seconds:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
