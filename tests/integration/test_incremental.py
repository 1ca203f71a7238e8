"""An incremental monthly run equals a full rebuild (`csp run --full-refresh`) of the same warehouse.

The demo inbox's files arrive in four runs, as a partnership would send them:
  1. the reference files, populations, surveys and every monthly source for 2013-04..2014-06 except
     2014-02 (held back: it arrives late);
  2. 2014-07, a revised police.uk file for 2013-09 (the original less its last 25 rows) and a refused
     file (the demo's DA resend with DASH risk 'very high');
  3. a recording change (the Kent offence-recording change moved to 2014-01-01 in the definitions) and 2014-08;
  4. the late month 2014-02 and 2014-09;
  5. 2014-10 with one crime in an LSOA code no ONS lookup knows (its name places it in Maidstone).
After each run a copy of the warehouse is rebuilt from scratch (full refresh, no new file) and every
marts table of the two is compared, ordered: the same rows, counts exactly, floating values to 1e-9
relative. The first month the incremental build recomputes is worked out by hand from the files of each
run: 2013-09 (the revision, before 2014-07), 2014-08, 2014-02 (the late month, before 2014-09).
"""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REAL_DIR, same_values, scoped_env

pytestmark = pytest.mark.integration

FIRST, LAST_OF_FIRST_RUN, LATE = "2013-04", "2014-06", "2014-02"
_MONTH = re.compile(r"(\d{4}-\d{2})")


def _month_of(path: Path) -> str | None:
    """The month a monthly file is for (from its name); None for reference files, populations and surveys."""
    if path.parent.name.startswith(("reference_", "survey_")):
        return None
    found = _MONTH.search(path.name)
    return found.group(1) if found else None


def _stages(settings, files: list[Path], full_refresh: bool = False) -> dict:
    """The monthly run's data stages (as flows/monthly.py chains them, without Prefect and reports)."""
    from survey.marts import build_survey_marts
    from transforms.build import build_models
    from transforms.engine import run_engine
    from transforms.peers import build_peers
    from transforms.spc_mart import build_spc
    from warehouse.pipeline import apply_quarantine, ingest_files, warehouse_for_writing

    with warehouse_for_writing(settings) as con:
        run = ingest_files(con, settings, files)
        build = build_models(con, settings.area, full_refresh=full_refresh)
        build_survey_marts(con, settings.area)
        engine = run_engine(con, settings.area, full_refresh=full_refresh)
        build_spc(con)
        build_peers(con)
    apply_quarantine(settings, run)
    return {"outcomes": [(o.verdict.file_name, o.status) for o in run.report.outcomes],
            "build": build["refresh"], "engine": engine["refresh"], "placements_kept": build["placements_kept"]}


def _marts(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}


def _assert_equal_to_full_rebuild(settings, tmp: Path, label: str) -> None:
    from warehouse.config import load_settings

    copy = tmp / f"full_{label}" / "data"
    shutil.copytree(settings.data_dir, copy, ignore=shutil.ignore_patterns("inbox", "quarantine", "reports"))
    with scoped_env(CSP_DATA=str(copy)):
        full = _stages(load_settings(), [], full_refresh=True)
    assert full["build"]["mode"] == "full" and full["engine"]["mode"] == "full"
    incremental, rebuilt = _marts(settings.warehouse_path), _marts(load_settings(data_dir=copy).warehouse_path)
    assert sorted(incremental) == sorted(rebuilt)
    for table, rows in rebuilt.items():
        got = incremental[table]
        assert len(got) == len(rows), f"{label}: marts.{table} has {len(got)} rows, a full rebuild {len(rows)}"
        for mine, theirs in zip(got, rows):
            assert same_values(mine, theirs), f"{label}: marts.{table} differs from a full rebuild:\n{mine}\n{theirs}"
    # The Parquet copy, written partition by partition on incremental runs, equals the rebuilt one.
    assert _parquet(settings.data_dir / "parquet") == _parquet(copy / "parquet"), f"{label}: the Parquet differs"


def _parquet(root: Path) -> dict[str, list[tuple]]:
    """Every marts table of a Parquet folder, rows ordered (partition columns included)."""
    with duckdb.connect() as con:
        return {folder.name: con.execute(
            f"select * from read_parquet('{folder}/**/*.parquet', hive_partitioning = true) order by all").fetchall()
            for folder in sorted((root / "marts").iterdir()) if any(folder.rglob("*.parquet"))}


def _with_new_lsoa(path: Path, tmp: Path) -> Path:
    """The police.uk file with one more crime, in an LSOA code no ONS lookup knows (named in Maidstone)."""
    if not path.name.endswith("-street.csv"):
        return path
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].rstrip("\n").split(",")
    assert fields[7].startswith("E01"), lines[1]
    fields[7:9] = ["E01099999", "Maidstone 099Z"]
    changed = tmp / path.name
    changed.write_text("".join(lines) + ",".join(fields) + "\n", encoding="utf-8")
    return changed


@pytest.fixture(scope="module")
def demo_inbox(tmp_path_factory) -> dict[str, list[Path]]:
    from demo.generator import generate_demo_inbox

    inbox = tmp_path_factory.mktemp("incremental_inbox")
    generate_demo_inbox(inbox, REAL_DIR, with_faults=True)
    by_month: dict[str, list[Path]] = {}
    for path in sorted(p for p in inbox.rglob("*") if p.is_file()):
        if "resend" in path.name or "cp1252" in path.name or "late" in path.name:
            continue
        by_month.setdefault(_month_of(path) or "shared", []).append(path)
    by_month["refused"] = [inbox / "police_da_incidents" / "da_incidents_2018-02_resend.csv"]
    return by_month


def test_incremental_runs_equal_a_full_rebuild(demo_inbox, tmp_path, monkeypatch):
    from transforms import definitions
    from warehouse.config import load_settings

    data = tmp_path / "data"
    months = sorted(m for m in demo_inbox if _MONTH.fullmatch(m))
    first_run = [m for m in months if FIRST <= m <= LAST_OF_FIRST_RUN and m != LATE]
    with scoped_env(CSP_DATA=str(data), CSP_DEMO="1"):
        settings = load_settings()
        settings.ensure_dirs()

        files = demo_inbox["shared"] + [path for m in first_run for path in demo_inbox[m]]
        run = _stages(settings, files)
        assert run["build"]["mode"] == "full" and run["engine"]["mode"] == "full"
        _assert_equal_to_full_rebuild(settings, tmp_path, "1")

        original = next(p for p in demo_inbox["2013-09"] if p.name == "2013-09-kent-street.csv")
        revised = tmp_path / "2013-09-kent-revised-street.csv"
        lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
        revised.write_text("".join(lines[:-25]), encoding="utf-8")
        run = _stages(settings, demo_inbox["2014-07"] + [revised] + demo_inbox["refused"])
        statuses = dict(run["outcomes"])
        assert statuses["2013-09-kent-revised-street.csv"] == "loaded"
        assert statuses["da_incidents_2018-02_resend.csv"] == "quarantined"
        assert run["build"] == {"mode": "incremental", "since": "2013-09-01", "reason": "files changed from 2013-09",
                                "build_id": 2}
        assert run["engine"]["mode"] == "incremental" and run["engine"]["since"] == "2013-09-01"
        assert run["placements_kept"]  # no reference file and no unknown LSOA: the placements are not rebuilt
        _assert_equal_to_full_rebuild(settings, tmp_path, "2")

        changes = tmp_path / "recording_changes.yml"
        changes.write_text(definitions.RECORDING_CHANGES_FILE.read_text(encoding="utf-8").replace(
            "date: 2017-04-01", "date: 2014-01-01", 1), encoding="utf-8")
        monkeypatch.setattr(definitions, "RECORDING_CHANGES_FILE", changes)
        definitions.project_definitions.cache_clear()
        try:
            assert definitions.project_definitions()[1]["kent_individual_offence_recording"].date == date(2014, 1, 1)
            run = _stages(settings, demo_inbox["2014-08"])
            assert run["build"]["mode"] == "incremental" and run["build"]["since"] == "2014-08-01"
            assert run["engine"]["mode"] == "full"  # the definitions changed: every window is judged again
            _assert_equal_to_full_rebuild(settings, tmp_path, "3")

            run = _stages(settings, demo_inbox[LATE] + demo_inbox["2014-09"])
            assert run["build"]["mode"] == "incremental" and run["build"]["since"] == "2014-02-01"
            assert run["engine"]["mode"] == "incremental" and run["engine"]["since"] == "2014-02-01"
            _assert_equal_to_full_rebuild(settings, tmp_path, "4")

            run = _stages(settings, [_with_new_lsoa(path, tmp_path) for path in demo_inbox["2014-10"]])
            assert not run["placements_kept"]  # a code no ONS lookup knows: placed again (by its name) ...
            assert run["build"]["mode"] == "full" and run["build"]["reason"] == "changed: placements"  # ... so all
            _assert_equal_to_full_rebuild(settings, tmp_path, "5")
        finally:
            monkeypatch.undo()
            definitions.project_definitions.cache_clear()
