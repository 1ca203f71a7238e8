"""What one benchmark child process does (run by benchmarks.run, one fresh process per measurement).

    python -m benchmarks.stages TASK ARGS.json RESULT.json

Tasks:
  reference  — ingest the five ONS lookups into an empty data directory (setup, not measured)
  pipeline   — the monthly run's stages, exactly as flows/monthly.py chains them but without Prefect:
               open the side copy of the warehouse → ingest_files (sha256, read, GX check, load) →
               build_models (staging, placements, marts) → run_engine (indicator_values) → comments →
               record_run → checkpoint and atomic publication. Times every stage.
  sequence   — several pipeline runs in one process (setup of the 12- and 60-month warehouses)
  duckdb     — bare DuckDB: one `create table as select * from read_csv([...])` of the same files
               (all text, as raw.* stores them) into a file database, then checkpoint.

Times are measured inside the process (interpreter start-up and module imports excluded; lazy imports
done by the code under test, e.g. Great Expectations, are included). The parent reads peak RSS of
the whole process from os.wait4.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

from warehouse.config import PROJECT_ROOT

ONS_DIR = PROJECT_ROOT.parent / "shared" / "real" / "ons"
REFERENCE_FILES = [
    "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv",
    "jtrim_csv_056_WD19_LAD19_UK_LU.csv",
    "drkane_la_all_codes.csv",
    "drkane_boundaries_lsoa_E07000110.geojson",
    "drkane_boundaries_lsoa11_E07000110.geojson",
]
CHECKED_INDICATORS = ("asb_incidents", "drug_offences", "vatp_offences")


def reference(args: dict) -> dict:
    from flows.ingest import ingest_paths
    from warehouse.config import load_settings

    settings = load_settings(data_dir=Path(args["data_dir"]))
    ons = Path(args.get("ons_dir") or ONS_DIR)
    started = time.perf_counter()
    report = ingest_paths(settings, [ons / name for name in REFERENCE_FILES])
    refused = [o.line() for o in report.outcomes if o.status != "loaded"]
    if refused:
        raise RuntimeError(f"reference files refused: {refused}")
    return {"seconds": time.perf_counter() - started, "files": len(report.outcomes)}


def peak_rss_mb() -> float | None:
    """This process's own high-water RSS (VmHWM; exec resets it, unlike wait4's ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def pipeline(args: dict) -> dict:
    """The monthly run's stages on a data directory; returns stage seconds and a few checks."""
    import duckdb

    from transforms.build import build_models
    from transforms.documentation import apply_comments
    from transforms.engine import run_engine
    from warehouse.config import load_settings
    from warehouse.ingest import discover
    from warehouse.pipeline import apply_quarantine, ingest_files, warehouse_for_writing
    from warehouse.runs import record_run

    settings = load_settings(data_dir=Path(args["data_dir"]))
    run_id = f"bench-{uuid.uuid4()}"
    stages: dict[str, float] = {}
    clock = time.perf_counter()
    begin = clock

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[name] = now - clock
        clock = now

    started_at = datetime.now()
    files = discover([Path(p) for p in args["paths"]])
    lap("discover")
    context = warehouse_for_writing(settings)
    con = context.__enter__()
    lap("open_side_copy")
    try:
        run = ingest_files(con, settings, files, run_id=run_id)
        lap("ingest_validate_load")
        built = build_models(con, settings.area)
        lap("build_models")
        counts = run_engine(con, settings.area)
        lap("run_engine")
        apply_comments(con)
        lap("comments")
        record_run(con, run_id=run_id, flow_run_id="", flow_name="benchmark", period=None, plan_year=None,
                   area_code=settings.area, config=settings.describe(), started_at=started_at, state="completed",
                   failed_stages=[], stage_row_counts={"ingest": run.report.summary(), "indicators": counts})
        lap("record_run")
    except BaseException:
        context.__exit__(*sys.exc_info())
        raise
    context.__exit__(None, None, None)
    lap("checkpoint_publish")
    apply_quarantine(settings, run)
    lap("quarantine")
    total = time.perf_counter() - begin
    outcomes = run.report.outcomes
    result = {
        "seconds": total,
        "stages": stages,
        "files": len(files),
        "files_loaded": sum(o.status == "loaded" for o in outcomes),
        "files_refused": [o.line() for o in outcomes if o.status not in {"loaded", "duplicate"}][:20],
        "rows_loaded": sum(o.rows_loaded for o in outcomes),
        "indicator_values": counts.get("indicator_values"),
        "refresh": {"marts": built["refresh"], "engine": counts.get("refresh")},
        "ingest_parts": {part: round(seconds, 3) for part, seconds in run.timings.items()},
        "warehouse_bytes": settings.warehouse_path.stat().st_size,
    }
    if args.get("check"):
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as ro:
            result["latest_12m"] = latest_12m(ro)
    return result


def latest_12m(con) -> dict[str, dict[str, list]]:
    """{indicator: {district: [12-month value, previous 12 months]}} at the latest month, from the marts."""
    out: dict[str, dict[str, list]] = {}
    rows = con.execute("""
        select distinct indicator_id, area_code, value, previous_value
        from marts.indicator_values
        where period_type = '12m' and area_type = 'district' and indicator_id in (select unnest(?::varchar[]))
          and period_end = (select max(period_end) from marts.indicator_values where period_type = '12m')""",
                       [list(CHECKED_INDICATORS)]).fetchall()
    for indicator, area, value, previous in rows:
        out.setdefault(indicator, {})[area] = [value, previous]
    rows = con.execute("""
        with last as (select max(month) as month from marts.crimes_by_area_month)
        select area_code, sum(all_crimes) from marts.crimes_by_area_month, last
        where area_type = 'district' and crimes_by_area_month.month > last.month - interval 12 month
        group by all""").fetchall()
    out["all_crimes"] = {area: [float(value), None] for area, value in rows}
    return out


def duckdb_baseline(args: dict) -> dict:
    """Bare DuckDB read_csv of the same files into a table (all text) in a file database."""
    import duckdb

    from warehouse.ingest import discover

    files = [str(p) for p in discover([Path(p) for p in args["paths"]])]
    path = Path(args["database"])
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(path))
    con.execute("create table police_street as select * from read_csv(?, header = true, all_varchar = true)", [files])
    con.execute("checkpoint")
    rows = con.execute("select count(*) from police_street").fetchall()[0][0]
    con.close()
    return {"seconds": time.perf_counter() - started, "files": len(files), "rows": rows,
            "database_bytes": path.stat().st_size}


def sequence(args: dict) -> dict:
    """Several pipeline runs in one process (setup of history warehouses; not a measurement).

    A step with `copy_from` starts from a copy of an earlier step's data directory."""
    import shutil

    results = []
    for step in args["steps"]:
        if step.get("copy_from"):
            shutil.copytree(step["copy_from"], step["data_dir"])
        results.append(pipeline(step))
    return {"steps": results, "seconds": sum(r["seconds"] for r in results)}


TASKS = {"reference": reference, "pipeline": pipeline, "sequence": sequence, "duckdb": duckdb_baseline}


def main(argv: list[str]) -> int:
    task, args_path, result_path = argv
    args = json.loads(Path(args_path).read_text(encoding="utf-8"))
    result = TASKS[task](args)
    result["vmhwm_mb"] = peak_rss_mb()
    Path(result_path).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
