"""Benchmark runner: national-scale police.uk data through the pipeline, against baselines, in one run.

    python -m benchmarks.run [--smoke] [--rows-per-month N] [--months M] [--out benchmarks/results.json]

Measures, side by side (every measurement in its own fresh child process, so peak RSS is per
measurement; ratios only against baselines measured in the same run):

  (a) ingest + validate (ingest_files: sha256, read, the suite (in DuckDB for police_street), load, audit) of the national year
      over bare DuckDB `read_csv` of the same files into a table                 target ≤ 1.6×
  (b) the full monthly run (side copy → ingest the 12th month onto 11 → staging/marts → indicator engine
      → publish) over a plain pandas script computing the same 12-month indicators from all 12 months'
      files                                                                     target ≥ 5× faster
      (the whole year into an empty warehouse is reported beside it)
  (c) peak memory (max RSS) of the full monthly run of the national year
      over bare DuckDB's peak in the same run                                    target ≤ 1.5×
  (d) full-run time at 1×, 4×, 16× data: time(k) / (k · time(1)) per k          target 1 ± 0.25
  (e) a monthly run (one new month) on a warehouse holding 60 vs 12 months       target ≤ 1.1×
  (f) the same monthly run at 12, 36 and 60 months of history (incremental)     target ≤ 1.1× (60 vs 12)

Sizes are in results.json ("sizes"). Times are measured inside each child (interpreter start-up
and imports excluded; the wall time of each child is also recorded).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from benchmarks.generate import generate_national, months_ending
from warehouse.config import PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "results.json"
PYTHON = sys.executable
LAST_MONTH = "2025-12"
MEMORY_LIMIT_MB = 2048
HISTORY_MONTHS = [12, 36, 60]
TARGETS = {"a": 1.6, "b": 5.0, "c": 1.5, "d": 0.25, "e": 1.1}


# -- child processes -------------------------------------------------------------------------
def run_child(argv: list[str], log: Path, env: dict[str, str] | None = None) -> dict:
    """Run one child, wait for it with os.wait4 (its own rusage), return wall seconds and peak RSS."""
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    with open(log, "wb") as handle:
        process = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, cwd=PROJECT_ROOT,
                                   env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"child {' '.join(argv[:4])} failed ({process.returncode}); log {log}:\n{tail}")
    return {"wall_seconds": wall, "peak_rss_mb": usage.ru_maxrss / 1024,
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def stage_child(task: str, args: dict, work: Path, name: str) -> dict:
    args_path, result_path = work / f"{name}.args.json", work / f"{name}.result.json"
    args_path.write_text(json.dumps(args, default=str), encoding="utf-8")
    process = run_child([PYTHON, "-m", "benchmarks.stages", task, str(args_path), str(result_path)], work / f"{name}.log")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    result.update(process)
    _prefer_vmhwm(result)
    return result


def _prefer_vmhwm(result: dict) -> None:
    """wait4's ru_maxrss keeps the parent's RSS from before exec; the child's own VmHWM does not."""
    result["ru_maxrss_mb"] = result["peak_rss_mb"]
    if result.get("vmhwm_mb"):
        result["peak_rss_mb"] = result["vmhwm_mb"]


class Bench:
    def __init__(self, work: Path, log=print):
        self.work = work
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.reference_dir: Path | None = None

    def reference(self) -> dict:
        """A data directory with the ONS lookups loaded; copied (not timed) for every pipeline run."""
        data = self.work / "reference" / "data"
        result = stage_child("reference", {"data_dir": str(data)}, self.logs, "reference")
        self.reference_dir = data
        return result

    def fresh_data_dir(self, name: str, template: Path | None = None) -> Path:
        target = self.work / "runs" / name / "data"
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(template or self.reference_dir, target)
        return target

    def pipeline(self, name: str, paths: list[Path], template: Path | None = None, check: bool = False) -> dict:
        data = self.fresh_data_dir(name, template)
        self.log(f"  pipeline {name}: {len(paths)} input folders/files ...")
        result = stage_child("pipeline", {"data_dir": str(data), "paths": [str(p) for p in paths], "check": check},
                             self.logs, name)
        result["data_dir"] = str(data)
        if result["files_refused"]:
            raise RuntimeError(f"{name}: files refused: {result['files_refused']}")
        self.log(f"    {result['seconds']:.1f} s, {result['rows_loaded']:,} rows, peak {result['peak_rss_mb']:.0f} MB")
        return result

    def duckdb(self, paths: list[Path]) -> dict:
        database = self.work / "runs" / "duckdb_baseline.duckdb"
        database.parent.mkdir(parents=True, exist_ok=True)
        result = stage_child("duckdb", {"paths": [str(p) for p in paths], "database": str(database)}, self.logs,
                             "duckdb_baseline")
        database.unlink(missing_ok=True)
        self.log(f"    bare DuckDB read_csv: {result['seconds']:.1f} s, {result['rows']:,} rows")
        return result

    def pandas(self, paths: list[Path], lookup: Path) -> dict:
        timing = self.logs / "pandas_baseline.result.json"
        out = self.work / "runs" / "pandas_indicators.csv"
        process = run_child([PYTHON, "-m", "benchmarks.pandas_baseline", "--lookup", str(lookup), "--out", str(out),
                             "--timing-json", str(timing), *map(str, paths)], self.logs / "pandas_baseline.log")
        result = json.loads(timing.read_text(encoding="utf-8"))
        result.update(process)
        _prefer_vmhwm(result)
        self.log(f"    pandas script: {result['seconds']:.1f} s, peak {result['peak_rss_mb']:.0f} MB")
        return result

    def prefect_overhead(self, paths: list[Path]) -> dict:
        """Fixed cost Prefect adds to a run: monthly_flow vs the same stages without Prefect (tiny data)."""
        home = self.work / "prefect-home"
        home.mkdir(exist_ok=True)
        runs = []
        for attempt in range(2):  # the first run migrates a fresh PREFECT_HOME
            data = self.fresh_data_dir(f"prefect_{attempt}")
            code = ("import sys, time; t=time.perf_counter(); from flows.monthly import monthly_flow; "
                    f"monthly_flow(paths={[str(p) for p in paths]!r}); print('SECONDS', time.perf_counter()-t); "
                    "print('VMHWM', [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
            env = {"CSP_DATA": str(data), "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                   "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "WARNING"}
            log = self.logs / f"prefect_{attempt}.log"
            process = run_child([PYTHON, "-c", code], log, env=env)
            seconds = next(float(line.split()[1]) for line in log.read_text().splitlines() if line.startswith("SECONDS"))
            hwm = next(int(line.split()[1]) for line in log.read_text().splitlines() if line.startswith("VMHWM"))
            runs.append({"seconds_incl_flow_import": seconds, **process, "ru_maxrss_mb": process["peak_rss_mb"],
                         "peak_rss_mb": hwm / 1024})
        plain = self.pipeline("prefect_plain", paths)
        return {"flow_runs": runs, "plain": {k: plain[k] for k in ("seconds", "wall_seconds")},
                "overhead_seconds": runs[-1]["wall_seconds"] - plain["wall_seconds"],
                "overhead_fresh_home_seconds": runs[0]["wall_seconds"] - plain["wall_seconds"]}


# -- machine ---------------------------------------------------------------------------------
def machine() -> dict:
    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        from warehouse.runs import git_commit

        commit = git_commit()
    except Exception:  # noqa: BLE001
        commit = "unknown"
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gb": ram, "cpu_model": cpu, "platform": platform.platform(), "python": platform.python_version(),
        "load_average_at_start": list(os.getloadavg()),
        "versions": {p: version(p) for p in ("duckdb", "prefect", "great-expectations", "pandas", "pyarrow", "numpy")},
        "git_commit": commit,
    }


# -- sizes -----------------------------------------------------------------------------------
def plan_sizes(args: argparse.Namespace) -> dict:
    if args.smoke:
        forces, months, rows = 2, 3, 2_000
        history_rows, history_forces = 100, 2
    else:
        forces, months, rows = args.forces, args.months, args.rows_per_month
        history_rows, history_forces = args.history_rows_per_month, args.history_forces
    if args.rows_per_month is not None and args.smoke:
        rows = args.rows_per_month
    return {
        "national": {"forces": forces, "months": months_ending(LAST_MONTH, months), "rows_per_month": rows,
                     "rows": rows * months},
        "scaling": {"forces": forces, "months": months, "base_rows_per_month": max(rows // 16, 1),
                    "factors": [1, 4, 16], "note": "16x is the national run itself when rows_per_month is divisible by 16"},
        "history": {"forces": history_forces, "rows_per_month": history_rows, "new_month": LAST_MONTH,
                    "history_months": HISTORY_MONTHS},
        "prefect": {"enabled": not args.smoke and not args.no_prefect, "forces": 2, "months": 1, "rows_per_month": 2_000},
    }


# -- metrics ---------------------------------------------------------------------------------
def cross_check(pipeline: dict, pandas: dict) -> dict:
    """Do the pipeline's latest 12-month values equal the pandas script's (every district, 4 measures)?"""
    ours, theirs = pipeline.get("latest_12m") or {}, pandas.get("latest_12m") or {}
    compared = mismatched = 0
    examples = []
    for measure, by_area in theirs.items():
        for area, (value, _previous) in by_area.items():
            if value is None:
                continue
            got = (ours.get(measure) or {}).get(area)
            compared += 1
            if got is None or got[0] is None or abs(got[0] - value) > 1e-6:
                mismatched += 1
                if len(examples) < 5:
                    examples.append({"measure": measure, "district": area, "pandas": value, "pipeline": got and got[0]})
    return {"values_compared": compared, "mismatches": mismatched, "examples": examples}


def metrics(m: dict) -> dict:
    national, duck, pandas = m["national"], m["duckdb_baseline"], m["pandas_baseline"]
    ingest = national["stages"]["ingest_validate_load"]
    a = ingest / duck["seconds"]
    monthly = m["monthly"]
    b = pandas["seconds"] / monthly["seconds"]
    b_cold = pandas["seconds"] / national["seconds"]
    c = national["peak_rss_mb"]
    points = m["scaling"]
    base = points[0]["seconds"]
    ratios = {str(p["factor"]): p["seconds"] / (p["factor"] * base) for p in points[1:]}
    worst = max(ratios.values(), key=lambda r: abs(r - 1))
    # Least-squares line through the three points: fixed seconds + seconds per million rows.
    xs = [p["rows"] / 1e6 for p in points]
    ys = [p["seconds"] for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / max(sum((x - mean_x) ** 2 for x in xs), 1e-12)
    # Affine check: is the middle point on the line through the first and last (fixed cost allowed)?
    line = ys[0] + (ys[-1] - ys[0]) * (xs[1] - xs[0]) / max(xs[-1] - xs[0], 1e-12)
    affine = ys[1] / line - 1 if line else 0.0
    history = m["history"]
    h12, h60 = history["12"], history["60"]
    e = h60["seconds"] / h12["seconds"]
    c_ratio = c / duck["peak_rss_mb"]
    return {
        "a_ingest_validate_vs_duckdb_read_csv": {
            "target": "<= 1.6x", "target_value": TARGETS["a"], "measured": round(a, 2), "unit": "x slower",
            "pass": a <= TARGETS["a"], "pipeline_seconds": round(ingest, 2), "baseline_seconds": round(duck["seconds"], 2),
            "rows": national["rows_loaded"]},
        "b_monthly_run_vs_pandas": {
            "target": ">= 5.0x faster", "target_value": TARGETS["b"], "measured": round(b, 3), "unit": "x faster",
            "pass": b >= TARGETS["b"], "pipeline_seconds": round(monthly["seconds"], 2),
            "baseline_seconds": round(pandas["seconds"], 2), "cross_check": m.get("cross_check_monthly"),
            "what": "the monthly run as scheduled: the 12th month's files ingested onto a warehouse holding the first "
                    "11, then staging, marts, indicators and publication; the pandas script reads all 12 months",
            "stages": rounded(monthly["stages"]),
            "cold_full_year": {"measured": round(b_cold, 3), "pipeline_seconds": round(national["seconds"], 2),
                               "what": "all 12 months ingested into an empty warehouse in one run",
                               "cross_check": m.get("cross_check")}},
        "c_peak_memory": {
            "target": "<= 1.5x bare DuckDB's peak", "target_value": TARGETS["c"], "measured": round(c, 1), "unit": "MB",
            "ratio_to_duckdb": round(c_ratio, 3), "ratio": round(c / MEMORY_LIMIT_MB, 3), "pass": c_ratio <= TARGETS["c"],
            "baselines_mb": {"duckdb_read_csv": round(duck["peak_rss_mb"], 1), "pandas_script": round(pandas["peak_rss_mb"], 1)}},
        "d_scaling_1x_4x_16x": {
            "target": "time(k)/(k*time(1)) within 1 +/- 0.25 for k = 4, 16", "target_value": TARGETS["d"],
            "measured": round(worst, 3), "unit": "time(k)/(k*time(1)), furthest from 1", "ratios": {k: round(v, 3) for k, v in ratios.items()},
            "pass": all(abs(r - 1) <= TARGETS["d"] for r in ratios.values()),
            "seconds": {str(p["factor"]): round(p["seconds"], 2) for p in points},
            "rows": {str(p["factor"]): p["rows"] for p in points},
            "fit": {"fixed_seconds": round(mean_y - slope * mean_x, 2), "seconds_per_million_rows": round(slope, 2)},
            "affine_deviation_4x": round(affine, 3),
            "note": "pass/fail is the strict (proportional) reading; affine_deviation_4x is the 4x point's distance "
                    "from the straight line through 1x and 16x (fixed costs allowed)"},
        "e_monthly_run_12_vs_60_months_history": {
            "target": "<= 1.1x", "target_value": TARGETS["e"],
            "measured": round(e, 3), "unit": "time(60 months) / time(12 months)", "pass": e <= TARGETS["e"],
            "seconds": {"12": round(h12["seconds"], 2), "60": round(h60["seconds"], 2)},
            "stages": {"12": rounded(h12["stages"]), "60": rounded(h60["stages"])},
            "warehouse_mb": {"12": round(h12["warehouse_bytes"] / 2**20, 1), "60": round(h60["warehouse_bytes"] / 2**20, 1)}},
        "f_monthly_run_by_history": {
            "target": "<= 1.1x (60 vs 12 months)", "target_value": TARGETS["e"],
            "measured": {k: round(h["seconds"] / h12["seconds"], 3) for k, h in history.items()},
            "unit": "time(n months) / time(12 months)", "pass": e <= TARGETS["e"],
            "seconds": {k: round(h["seconds"], 2) for k, h in history.items()},
            "stages": {k: rounded(h["stages"]) for k, h in history.items()},
            "refresh": {k: h.get("refresh") for k, h in history.items()},
            "warehouse_mb": {k: round(h["warehouse_bytes"] / 2**20, 1) for k, h in history.items()}},
    }


def rounded(stages: dict) -> dict:
    return {k: round(v, 2) for k, v in stages.items()}


def table(results: dict) -> list[str]:
    metrics_ = results["metrics"]
    if not metrics_:
        return ["no metrics (the run failed)"]
    a, b, c = (metrics_[k] for k in ("a_ingest_validate_vs_duckdb_read_csv", "b_monthly_run_vs_pandas", "c_peak_memory"))
    d, e = metrics_["d_scaling_1x_4x_16x"], metrics_["e_monthly_run_12_vs_60_months_history"]
    f = metrics_["f_monthly_run_by_history"]
    check = b.get("cross_check") or {}
    rows = [
        ("(a) ingest+validate / bare DuckDB read_csv", "<= 1.6x", f"{a['measured']}x",
         a["pass"], f"{a['pipeline_seconds']} s vs {a['baseline_seconds']} s, {a['rows']:,} rows"),
        ("(b) monthly run speed-up over pandas", ">= 5x", f"{b['measured']}x",
         b["pass"], (f"{b['pipeline_seconds']} s vs {b['baseline_seconds']} s; values equal "
                     f"{check.get('values_compared', 0) - check.get('mismatches', 0)}/{check.get('values_compared', 0)}")),
        ("    the whole year into an empty warehouse", "(reported)", f"{b['cold_full_year']['measured']}x",
         None, f"{b['cold_full_year']['pipeline_seconds']} s vs {b['baseline_seconds']} s"),
        ("(c) peak memory / bare DuckDB's, national", "<= 1.5x", f"{c['ratio_to_duckdb']}x",
         c["pass"], (f"{c['measured']:.0f} MB; bare DuckDB {c['baselines_mb']['duckdb_read_csv']:.0f} MB, "
                     f"pandas {c['baselines_mb']['pandas_script']:.0f} MB")),
        ("(d) time(k)/(k*time(1)), k = 4, 16", "1 +/- 0.25", " / ".join(f"{v}" for v in d["ratios"].values()),
         d["pass"], " ".join(f"{k}x {v} s" for k, v in d["seconds"].items())
         + f"; fit {d['fit']['fixed_seconds']} s + {d['fit']['seconds_per_million_rows']} s/M rows"),
        ("(e) monthly run, 60 / 12 months history", "<= 1.1x", f"{e['measured']}x",
         e["pass"], f"{e['seconds']['12']} s vs {e['seconds']['60']} s"),
        ("(f) monthly run at 12 / 36 / 60 months", "<= 1.1x", " / ".join(f"{v}" for v in f["measured"].values()),
         f["pass"], " ".join(f"{k} months {v} s" for k, v in f["seconds"].items())),
    ]
    lines = [f"{'metric':<42} {'target':<11} {'measured':>13}  {'result':<6} detail"]
    for name, target, measured, passed, detail in rows:
        lines.append(f"{name:<42} {target:<11} {measured:>13}  {({True: 'PASS', False: 'FAIL', None: '-'})[passed]:<6} {detail}")
    n = results["measurements"]["national"]
    lines.append("national run stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in n["stages"].items() if v >= 0.05))
    lines.append("monthly run stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in b["stages"].items() if v >= 0.05))
    for months, stages in f["stages"].items():
        lines.append(f"(f) {months} months, stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items() if v >= 0.01))
    return lines


# -- the run ---------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict:
    sizes = plan_sizes(args)
    own_work = args.work_dir is None
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="csp-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    started = time.perf_counter()
    results: dict = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "smoke": args.smoke,
                     "machine": machine(), "sizes": sizes, "metrics": {}, "measurements": {}, "generation": {}}
    bench = Bench(work, log)
    m = results["measurements"]
    try:
        data = work / "inputs"
        nat = sizes["national"]

        def generate(name: str, months: list[str], rows: int, forces: int) -> list[Path]:
            t = time.perf_counter()
            paths = generate_national(data / name, months, rows, forces, seed=args.seed)
            results["generation"][name] = {"files": len(paths), "rows": rows * len(months),
                                           "seconds": round(time.perf_counter() - t, 2)}
            log(f"generated {name}: {len(paths)} files, {rows * len(months):,} rows in {time.perf_counter() - t:.1f} s")
            return paths

        generate("national", nat["months"], nat["rows_per_month"], nat["forces"])
        national_dirs = [data / "national" / month for month in nat["months"]]
        log("reference lookups (setup) ...")
        m["reference_setup"] = bench.reference()

        log("(a)-(c) national year: pipeline, bare DuckDB, pandas")
        m["national"] = bench.pipeline("national", national_dirs, check=True)
        m["duckdb_baseline"] = bench.duckdb(national_dirs)
        m["pandas_baseline"] = bench.pandas(national_dirs, Path(args.ons_dir) / "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv")
        m["cross_check"] = cross_check(m["national"], m["pandas_baseline"])
        m["national"].pop("latest_12m", None)
        m["national"].pop("data_dir", None)
        log(f"    cross-check pipeline vs pandas: {m['cross_check']['mismatches']} mismatches "
            f"of {m['cross_check']['values_compared']} values")
        shutil.rmtree(work / "runs" / "national", ignore_errors=True)

        log("(b) the monthly run: the 12th month onto a warehouse holding the first 11")
        before = bench.pipeline("national_first_11", national_dirs[:-1])
        m["monthly"] = bench.pipeline("national_monthly", national_dirs[-1:], template=Path(before["data_dir"]), check=True)
        m["monthly_setup"] = {k: before[k] for k in ("seconds", "rows_loaded")}
        m["cross_check_monthly"] = cross_check(m["monthly"], m["pandas_baseline"])
        m["monthly"].pop("latest_12m", None)
        m["monthly"].pop("data_dir", None)
        m["pandas_baseline"].pop("latest_12m", None)
        log(f"    cross-check monthly run vs pandas: {m['cross_check_monthly']['mismatches']} mismatches "
            f"of {m['cross_check_monthly']['values_compared']} values")
        shutil.rmtree(work / "runs" / "national_first_11", ignore_errors=True)
        shutil.rmtree(work / "runs" / "national_monthly", ignore_errors=True)

        log("(d) scaling 1x / 4x / 16x")
        scale = sizes["scaling"]
        points = []
        for factor in scale["factors"]:
            rows = scale["base_rows_per_month"] * factor
            if rows == nat["rows_per_month"] and scale["forces"] == nat["forces"]:
                point = {k: m["national"][k] for k in ("seconds", "wall_seconds", "peak_rss_mb", "rows_loaded", "stages")}
                point["reused"] = "national"
            else:
                name = f"scale_{factor}x"
                generate(name, nat["months"], rows, scale["forces"])
                point = bench.pipeline(name, [data / name / month for month in nat["months"]])
                shutil.rmtree(work / "runs" / name, ignore_errors=True)
                shutil.rmtree(data / name, ignore_errors=True)
                point = {k: point[k] for k in ("seconds", "wall_seconds", "peak_rss_mb", "rows_loaded", "stages")}
            point.update(factor=factor, rows=point["rows_loaded"])
            points.append(point)
        m["scaling"] = points
        shutil.rmtree(data / "national", ignore_errors=True)

        log("(e)/(f) one new month on 12, 36 and 60 months of history")
        hist = sizes["history"]
        months60 = months_ending(LAST_MONTH, 61)
        generate("history", months60, hist["rows_per_month"], hist["forces"])
        folders = {month: data / "history" / month for month in months60}
        new_month = months60[-1]
        dirs = {n: bench.fresh_data_dir(f"history_setup_{n}") if n == HISTORY_MONTHS[0] else
                bench.work / "runs" / f"history_setup_{n}" / "data" for n in HISTORY_MONTHS}
        steps, previous = [], None
        for n in HISTORY_MONTHS:  # 12 months, then older months added to a copy: 36, then 60
            if n != HISTORY_MONTHS[0]:
                shutil.rmtree(dirs[n].parent, ignore_errors=True)
                dirs[n].parent.mkdir(parents=True)
            older = months60[-1 - n:-1 - (previous or 0)]
            steps.append({"data_dir": str(dirs[n]), "paths": [str(folders[x]) for x in older],
                          **({"copy_from": str(dirs[previous])} if previous else {})})
            previous = n
        log("  history setup (one child): 12 months, then older months on copies (36, 60) ...")
        setup = stage_child("sequence", {"steps": steps}, bench.logs, "history_setup")
        m["history"] = {}
        m["history_setup"] = {str(n): {k: step[k] for k in ("seconds", "rows_loaded")}
                              for n, step in zip(HISTORY_MONTHS, setup["steps"])}
        m["history_setup"]["wall_seconds"] = setup["wall_seconds"]
        for n in HISTORY_MONTHS:
            result = bench.pipeline(f"history_{n}_monthly", [folders[new_month]], template=dirs[n])
            m["history"][str(n)] = {k: result[k] for k in ("seconds", "wall_seconds", "peak_rss_mb", "rows_loaded",
                                                           "stages", "warehouse_bytes", "refresh")}
        shutil.rmtree(work / "runs", ignore_errors=True)

        if sizes["prefect"]["enabled"]:
            log("Prefect fixed overhead (tiny data)")
            p = sizes["prefect"]
            paths = generate("prefect", months_ending(LAST_MONTH, p["months"]), p["rows_per_month"], p["forces"])
            try:
                m["prefect"] = bench.prefect_overhead(sorted({path.parent for path in paths}))
            except RuntimeError as error:
                m["prefect"] = {"error": str(error)[-2000:]}

        results["metrics"] = metrics(m)
    finally:
        results["total_seconds"] = round(time.perf_counter() - started, 1)
        if own_work and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            results["work_dir"] = str(work)
    results["table"] = table(results)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (2 forces, 3 months, 2k rows/month)")
    parser.add_argument("--rows-per-month", type=int, default=None, help="national rows per month (default 500,000)")
    parser.add_argument("--months", type=int, default=12, help="months in the national year (default 12)")
    parser.add_argument("--forces", type=int, default=43)
    parser.add_argument("--history-rows-per-month", type=int, default=10_000, help="rows per month for (e)")
    parser.add_argument("--history-forces", type=int, default=10, help="forces for (e) (files per month)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ons-dir", default=str(PROJECT_ROOT.parent / "shared" / "real" / "ons"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--work-dir", help="where inputs and warehouses go (default: a temporary folder, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--no-prefect", action="store_true", help="skip the Prefect overhead measurement")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.rows_per_month is None and not args.smoke:
        args.rows_per_month = 500_000
    if args.smoke and args.months == 12:
        args.months = 3
    results = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    if not args.quiet:
        print("\n".join(results["table"]))
        print(f"results -> {args.out} ({results['total_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
