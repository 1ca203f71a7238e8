"""Analysts keep reading while a run writes; they see the new data once they reconnect."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import date

import duckdb

from flows.ingest import ingest_paths
from tests.conftest import POLICE_DIR, REFERENCE_FILES
from warehouse.config import load_settings

READER = textwrap.dedent("""
    import json, sys, time, pathlib, duckdb
    db, stop, out = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    con = duckdb.connect(db, read_only=True)
    seen, errors = [], []
    (stop.parent / "reader.ready").write_text("1")
    while not stop.exists():
        try:
            seen.append(con.execute("select count(*) from raw.police_street").fetchone()[0])
        except Exception as error:
            errors.append(repr(error))
        time.sleep(0.05)
    con.close()
    con = duckdb.connect(db, read_only=True)
    after = con.execute("select count(*) from raw.police_street").fetchone()[0]
    out.write_text(json.dumps({"seen": seen, "errors": errors, "after_reconnect": after}))
""")


def test_reader_process_keeps_working_during_an_ingest_and_sees_new_data_after_reconnecting(tmp_path):
    settings = load_settings(data_dir=tmp_path / "data")
    ingest_paths(settings, [*REFERENCE_FILES, POLICE_DIR / "2022-01-kent-street.csv"], today=date(2026, 12, 1))
    stop, out = tmp_path / "stop", tmp_path / "out.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(settings.warehouse_path), str(stop), str(out)])
    try:
        for _ in range(200):
            if (tmp_path / "reader.ready").exists():
                break
            time.sleep(0.05)
        ingest_paths(settings, [POLICE_DIR / "2022-02-kent-street.csv", POLICE_DIR / "2022-03-kent-street.csv"],
                     today=date(2026, 12, 1))
        # The writer has published; a brand-new reader can open the file while the old one still holds it.
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as fresh:
            assert fresh.execute("select count(*) from raw.police_street").fetchone()[0] == 16338 + 15383 + 17310
        stop.write_text("1")
        reader.wait(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
    result = json.loads(out.read_text())
    assert result["errors"] == []
    assert len(result["seen"]) >= 5
    assert set(result["seen"]) == {16338}, "the old snapshot stays stable while the run writes"
    assert result["after_reconnect"] == 16338 + 15383 + 17310


def test_killed_run_leaves_the_published_warehouse_and_the_next_run_cleans_up(tmp_path):
    settings = load_settings(data_dir=tmp_path / "data")
    ingest_paths(settings, list(REFERENCE_FILES), today=date(2026, 12, 1))
    published = settings.warehouse_path.read_bytes()
    script = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from warehouse.config import load_settings
        from flows import ingest as pipeline
        settings = load_settings(data_dir=Path({str(settings.data_dir)!r}))
        real_ingest = pipeline.ingest_files
        def ingest_then_die(*args, **kwargs):
            real_ingest(*args, **kwargs)
            os._exit(9)  # killed mid-run, after loading, before publication
        pipeline.ingest_files = ingest_then_die
        pipeline.ingest_paths(settings, [Path({str(POLICE_DIR / '2022-01-kent-street.csv')!r})])
    """)
    killed = subprocess.run([sys.executable, "-c", script], timeout=300, check=False)
    assert killed.returncode == 9
    assert settings.warehouse_path.read_bytes() == published
    assert settings.building_path.exists(), "the half-built side file is left behind by the kill"
    report = ingest_paths(settings, [POLICE_DIR / "2022-01-kent-street.csv"], today=date(2026, 12, 1))
    assert [o.status for o in report.outcomes] == ["loaded"]
    assert not settings.building_path.exists()
