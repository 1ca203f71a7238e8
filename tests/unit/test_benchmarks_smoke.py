"""The benchmark scripts run end to end in smoke mode (tiny data); no timing is asserted."""

from __future__ import annotations

import csv
import json
import math

import pytest

from benchmarks.generate import CRIME_TYPES, HEADER, generate_national

pytestmark = pytest.mark.slow

METRICS = [
    "a_ingest_validate_vs_duckdb_read_csv",
    "b_monthly_run_vs_pandas",
    "c_peak_memory",
    "d_scaling_1x_4x_16x",
    "e_monthly_run_12_vs_60_months_history",
]


def test_generator_writes_real_format(tmp_path):
    paths = generate_national(tmp_path, ["2025-01", "2025-02"], rows_per_month=3_000, forces=2, seed=7)
    assert {p.parent.name for p in paths} == {"2025-01", "2025-02"}
    assert all(p.name.startswith(p.parent.name + "-") and p.name.endswith("-street.csv") for p in paths)
    rows = []
    for path in paths:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            assert next(reader) == HEADER
            rows.extend(dict(zip(HEADER, row)) for row in reader)
    assert len(rows) == 6_000
    assert {r["Crime type"] for r in rows} <= set(CRIME_TYPES)
    asb = [r for r in rows if r["Crime type"] == "Anti-social behaviour"]
    assert asb and all(r["Crime ID"] == "" and r["Last outcome category"] == "" for r in asb)
    crimes = [r for r in rows if r["Crime type"] != "Anti-social behaviour"]
    assert all(len(r["Crime ID"]) == 64 and int(r["Crime ID"], 16) >= 0 for r in crimes)
    no_location = [r for r in rows if r["LSOA code"] == ""]
    assert no_location and all(r["Longitude"] == r["Latitude"] == r["LSOA name"] == "" for r in no_location)
    located = [r for r in rows if r["LSOA code"]]
    assert all(-8.7 <= float(r["Longitude"]) <= 1.8 and 49.8 <= float(r["Latitude"]) <= 55.9 for r in located)
    again = generate_national(tmp_path / "again", ["2025-02"], rows_per_month=3_000, forces=2, seed=7)
    assert again[0].read_bytes() == next(p for p in paths if p.name == again[0].name).read_bytes()


def test_runner_smoke_writes_every_metric(tmp_path):
    from benchmarks.run import main

    out = tmp_path / "results.json"
    assert main(["--smoke", "--out", str(out), "--work-dir", str(tmp_path / "work"), "--quiet"]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["smoke"] is True
    for key in ("nproc", "ram_gb", "cpu_model", "python", "versions"):
        assert key in results["machine"]
    assert {"duckdb", "prefect", "great-expectations"} <= set(results["machine"]["versions"])
    assert set(METRICS) <= set(results["metrics"])
    for name in METRICS:
        metric = results["metrics"][name]
        value = metric["measured"]
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), name
        assert "target" in metric and "pass" in metric, name
    assert results["measurements"]["national"]["rows_loaded"] == results["sizes"]["national"]["rows"]
    history = results["metrics"]["f_monthly_run_by_history"]
    assert set(history["measured"]) == {"12", "36", "60"}
    for months, refresh in history["refresh"].items():  # one new month onto its history: only that month recomputed
        assert refresh["marts"]["mode"] == "incremental" and refresh["marts"]["since"] == "2025-12-01", months
        assert refresh["engine"]["mode"] == "incremental" and refresh["engine"]["since"] == "2025-12-01", months
    assert results["table"]
