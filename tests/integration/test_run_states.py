"""A run is `completed` only when its reports and artifacts are published; a run killed or failing
while writing reports is recorded as failed, with a failure report, and its folder is cleaned."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import textwrap

import duckdb
import pytest

from demo.generator import generate_reference_inbox
from tests.conftest import POLICE_DIR, REAL_DIR
from tests.integration.prefect_processes import run_in_own_group

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUNNER = textwrap.dedent("""
    import os, sys
    import flows.monthly as monthly
    import reporting.publish as publish
    mode = sys.argv[1]
    opened = []
    real_writing = monthly.warehouse_for_writing
    def counting(settings):
        opened.append(1)
        return real_writing(settings)
    monthly.warehouse_for_writing = counting
    real_manifest = publish.write_manifest
    def dying(folder, entries):
        real_manifest(folder, entries)
        if mode == "kill":
            os._exit(9)  # killed while the reports are half written
        raise RuntimeError("disk full while writing the reports")
    if mode != "none":
        publish.write_manifest = dying
    try:
        monthly.monthly_flow(period="latest")
    except monthly.StagesFailed as error:
        print("STAGES FAILED:", error)
    print("WAREHOUSE OPENED FOR WRITING:", len(opened))
""")


def run_flow(data, mode: str) -> tuple[int, str]:
    """Run the flow in its own process group; stdout goes to a file (its temporary Prefect server outlives it)."""
    env = dict(os.environ, CSP_DATA=str(data), PREFECT_LOGGING_LEVEL="ERROR")
    log = data.parent / f"run-{mode}.log"
    with open(log, "w") as out:
        code = run_in_own_group([sys.executable, "-c", RUNNER, mode], env, timeout=900, stdout=out)
    return code, log.read_text()


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def runs(data) -> list[tuple]:
    with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
        return con.execute("select run_id, period, state, failed_stages, ended_at from audit.pipeline_runs "
                           "order by started_at").fetchall()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("states") / "data"
    root.mkdir()
    generate_reference_inbox(root / "inbox", REAL_DIR)
    (root / "inbox" / "police_street").mkdir(parents=True)
    shutil.copy(POLICE_DIR / "2022-01-kent-street.csv", root / "inbox" / "police_street")
    code, out = run_flow(root, "none")
    assert code == 0, out
    assert "WAREHOUSE OPENED FOR WRITING: 1" in out
    return root


def test_a_completed_run_has_its_reports(data):
    ((_, period, state, failed, ended),) = runs(data)
    assert (period, state, failed) == ("2022-01", "completed", [])
    assert (data / "reports" / "2022-01" / "committee_summary.html").exists()
    assert ended is not None


def test_a_kill_while_writing_reports_is_recorded_failed_by_the_next_run(data):
    published = data / "csp.duckdb"
    before = sha(published)
    shutil.copy(POLICE_DIR / "2022-02-kent-street.csv", data / "inbox" / "police_street")
    code, _ = run_flow(data, "kill")
    assert code == 9
    # nothing says the killed run completed: the warehouse is the previous one, byte for byte
    assert sha(published) == before
    assert [r[2] for r in runs(data)] == ["completed"]
    (left,) = [p for p in (data / "reports").iterdir() if p.name.startswith(".2022-02.building-")]
    killed_id = left.name[len(".2022-02.building-"):][:36]

    code, out = run_flow(data, "none")
    assert code == 0, out
    assert "WAREHOUSE OPENED FOR WRITING: 1" in out
    assert not [p for p in (data / "reports").iterdir() if ".building-" in p.name]
    by_id = {r[0]: r for r in runs(data)}
    assert by_id[killed_id][1:4] == ("2022-02", "failed", ["reports"])
    assert [r[2] for r in runs(data)].count("completed") == 2
    report = json.loads((data / "reports" / "2022-02" / f"failure_{killed_id}.json").read_text())
    assert report["state_name"] == "Killed" and "writing the reports of 2022-02" in report["state_message"]
    assert (data / "reports" / "2022-02" / "committee_summary.html").exists()


def test_a_failure_while_writing_reports_is_recorded_without_a_second_copy(data):
    shutil.copy(POLICE_DIR / "2022-03-kent-street.csv", data / "inbox" / "police_street")
    code, out = run_flow(data, "fail")
    assert code == 0, out
    assert "STAGES FAILED: stages failed: reports" in out
    assert "WAREHOUSE OPENED FOR WRITING: 1" in out  # the failed state is written in the same side copy
    latest = runs(data)[-1]
    assert latest[1:4] == ("2022-03", "completed_with_failures", ["reports"])
    assert not [p for p in (data / "reports").iterdir() if ".building-" in p.name]
    assert not (data / "reports" / "2022-03" / "committee_summary.html").exists()
    assert list((data / "reports" / "2022-03").glob("failure_*.md")), "the on_failure hook writes the failure report"
