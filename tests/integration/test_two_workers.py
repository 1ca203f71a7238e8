"""The production shape: a Prefect server on PostgreSQL, two workers on one work pool sharing the areas' reports.

A throwaway PostgreSQL cluster (scripts/prefect_postgres.sh, as the README documents), a real Prefect
server on loopback using it (PREFECT_API_DATABASE_CONNECTION_URL), `prefect deploy --all`, two
`prefect worker start --pool csp-process` with distinct names and `--limit 1`, then
`csp run --area A,B --use-deployments` (PREFECT_API_URL set, as a user would): the force flow runs in
the CLI process, computes both areas, and starts each area's reports through the `csp-area-reports`
deployment; the workers take those runs. Checked: the server's runs are rows in PostgreSQL; every
csp-area-reports run completed; each worker ran one area (by the `prefect.worker.submitted-flow-run`
events, whose resource is the worker, cross-checked with each worker's console output); each area's
report folder appeared; each area's ASB counts equal an independent count of the csv files.

Why deterministic: with `--limit 1` a worker holds a slot for the whole flow-run subprocess, and both
workers poll every second (PREFECT_WORKER_QUERY_SECONDS=1), so the second area run is taken by the other
worker long before the first run's subprocess (Python, Prefect, pandas, DuckDB) can finish.

Run with ``pytest -m server``; skip with ``-m "not server"``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from tests.integration.prefect_processes import (
    BIN,
    PROJECT_ROOT,
    api_post,
    base_env,
    cli,
    create_pool,
    deploy,
    deployment_by_name,
    free_port,
    running_server,
    start_worker,
    wait_workers_online,
)
from tests.integration.test_force_areas import AREAS, build_inbox, independent_asb, warehouse_asb

pytestmark = [
    pytest.mark.server,
    pytest.mark.integration,
    pytest.mark.skipif(os.name == "nt", reason="process-group handling in this test is POSIX only"),
]

WORKERS = ["csp-worker-1", "csp-worker-2"]
MONTHS = ["2022-01", "2022-02"]  # two months keep the run short; the reports need only the months there
PERIOD = MONTHS[-1]
PG_SCRIPT = PROJECT_ROOT / "scripts" / "prefect_postgres.sh"
CSP = [str(BIN / "csp")] if (BIN / "csp").exists() else [str(BIN / "python"), "-m", "cli.main"]
# Generous: a busy 2-core machine. Measured (load ~4 on 2 cores): server 15-20 s, deploy + workers
# online 10-18 s, the csp run 35-45 s; the whole module 55-95 s.
WORKER_START_TIMEOUT = 180
CSP_RUN_TIMEOUT = 15 * 60
EVENTS_TIMEOUT = 60


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def require_postgres() -> Path:
    """PostgreSQL's binaries; missing: fail under CI=true (make test installs postgresql-15), else skip."""
    found = postgres_bin()
    if found is None:
        message = "PostgreSQL is not installed (Debian: apt-get install postgresql-15; make test does it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


def psql(pg_bin: Path, port: int, sql: str) -> str:
    done = subprocess.run([str(pg_bin / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "prefect", "-d", "prefect",
                           "-tAc", sql], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def area_runs(api_url: str, deployment_id: str) -> list[dict]:
    return api_post(api_url, "/flow_runs/filter", {"deployments": {"id": {"any_": [deployment_id]}}, "limit": 50})


def flow_runs_named(api_url: str, flow_name: str) -> list[dict]:
    return api_post(api_url, "/flow_runs/filter", {"flows": {"name": {"any_": [flow_name]}}, "limit": 50})


def submitting_workers(api_url: str, flow_run_ids: set[str], timeout: float = EVENTS_TIMEOUT) -> dict[str, str]:
    """flow run id -> name of the worker that ran it, from the `prefect.worker.submitted-flow-run` events
    (resource: the worker, `prefect.resource.name` its --name; related resource with role flow-run: the
    run). A worker emits it only once the server has accepted its Pending state for the run, so exactly
    one worker per run. Events reach the server asynchronously: poll until every run has one."""
    started = time.monotonic()
    found: dict[str, str] = {}
    while time.monotonic() - started < timeout:
        try:
            page = api_post(api_url, "/events/filter", {
                "filter": {"event": {"name": ["prefect.worker.submitted-flow-run"]}}, "limit": 50})
        except (urllib.error.URLError, OSError, ValueError):
            page = {"events": []}
        for event in page["events"]:
            for related in event.get("related", []):
                if related.get("prefect.resource.role") == "flow-run":
                    run_id = related["prefect.resource.id"].removeprefix("prefect.flow-run.")
                    found[run_id] = event["resource"]["prefect.resource.name"]
        if flow_run_ids <= found.keys():
            break
        time.sleep(1)
    return {run_id: found.get(run_id, "<no event>") for run_id in flow_run_ids}


@pytest.fixture(scope="module")
def postgres():
    """A throwaway cluster started by the documented script; its folder is reachable by the postgres user."""
    pg_bin = require_postgres()
    folder = Path(tempfile.mkdtemp(prefix="csp-pg-", dir="/tmp"))
    folder.chmod(0o755)
    port = free_port()
    done = subprocess.run([str(PG_SCRIPT), "start", str(folder / "pg"), str(port)], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "PGBIN": str(pg_bin)})
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        url = done.stdout.strip().splitlines()[-1].split("=", 1)[1]
        yield {"url": url, "port": port, "bin": pg_bin}
    finally:
        subprocess.run([str(PG_SCRIPT), "stop", str(folder / "pg")], capture_output=True, timeout=120, check=False,
                       env={**os.environ, "PGBIN": str(pg_bin)})
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def two_workers_run(tmp_path_factory, postgres):
    tmp = tmp_path_factory.mktemp("two-workers")
    data = tmp / "data"
    build_inbox(data, MONTHS)
    with running_server(tmp, {}, {"PREFECT_API_DATABASE_CONNECTION_URL": postgres["url"]}) as server:
        api_url, timings = server["api_url"], server["timings"]
        env = base_env(server["home"], api_url)
        create_pool(env, timings)
        workers = []
        try:
            started = time.monotonic()
            for name in WORKERS:  # one PREFECT_HOME each, as on separate machines
                home = tmp / f"{name}-home"
                home.mkdir()
                worker_env = {**base_env(home, api_url), "CSP_DATA": str(data), "CSP_PROJECT_DIR": str(PROJECT_ROOT),
                              "PREFECT_WORKER_QUERY_SECONDS": "1"}
                workers.append(start_worker(name, worker_env, tmp, extra_args=("--limit", "1")))
            deploy_output = deploy(env, timings)  # while the workers start
            assert "csp-area-reports/csp-area-reports" in deploy_output, deploy_output[-4000:]
            wait_workers_online(api_url, workers, WORKER_START_TIMEOUT)
            timings["deploy_and_workers_online_s"] = time.monotonic() - started

            run_env = {**env, "CSP_DATA": str(data)}
            output, timings["csp_run_s"] = cli(["run", "--area", ",".join(AREAS), "--use-deployments"], run_env,
                                               timeout=CSP_RUN_TIMEOUT, program=CSP)
            deployment = deployment_by_name(api_url, "csp-area-reports/csp-area-reports")
            runs = area_runs(api_url, deployment["id"])
            started = time.monotonic()
            submitted_by = submitting_workers(api_url, {run["id"] for run in runs})
            timings["attribution_s"] = time.monotonic() - started
            in_postgres = psql(postgres["bin"], postgres["port"],
                               "select count(*) from flow_run where deployment_id = '" + deployment["id"] + "'")
            yield {"api_url": api_url, "data": data, "output": output, "deployment": deployment, "runs": runs,
                   "submitted_by": submitted_by, "force_runs": flow_runs_named(api_url, "csp-force"),
                   "worker_logs": {worker.name: worker.output() for worker in workers},
                   "runs_in_postgres": int(in_postgres)}
        finally:  # workers before the server, both at once
            with ThreadPoolExecutor(len(workers) or 1) as pool:
                stops = list(pool.map(lambda worker: worker.stop(first=signal.SIGINT, grace=60.0), workers))
            timings["workers_stop_s"] = max(stops, default=0.0)


def test_the_server_keeps_its_runs_in_postgresql(two_workers_run):
    assert two_workers_run["runs_in_postgres"] == len(AREAS)


def test_every_area_is_a_completed_csp_area_reports_run(two_workers_run):
    run = two_workers_run
    assert run["deployment"]["work_pool_name"] == "csp-process"
    assert run["deployment"]["work_queue_name"] == "areas"
    (force,) = run["force_runs"]  # the force flow ran once, in the csp process (not on a worker)
    assert force["state_type"] == "COMPLETED" and force["deployment_id"] is None
    states = {r["parameters"]["area_code"]: r["state_type"] for r in run["runs"]}
    assert states == dict.fromkeys(AREAS, "COMPLETED"), states  # one run per area, no retries
    assert all(r["work_queue_name"] == "areas" and r["parameters"]["period"] == PERIOD for r in run["runs"])
    for r in run["runs"]:
        assert f"area {r['parameters']['area_code']}: " in run["output"] and r["id"] in run["output"], run["output"]


def test_both_workers_took_an_area_run(two_workers_run):
    run = two_workers_run
    by_area = {r["parameters"]["area_code"]: run["submitted_by"][r["id"]] for r in run["runs"]}
    assert sorted(by_area.values()) == sorted(WORKERS), f"area runs per worker: {by_area}"
    # Each worker's own console says the same: "Flow run '<name>' submitted to infrastructure" for the
    # runs it won. ("Worker '<name>' submitting flow run '<id>'" is not proof: two workers polling at
    # once both log it, and the server turns one away: "cannot transition to a PENDING state".)
    names = {r["name"]: r["id"] for r in run["runs"]}
    for name, log in run["worker_logs"].items():
        own = {names.get(found) for found in re.findall(r"Flow run '([^']+)' submitted to infrastructure", log)}
        assert own == {run_id for run_id, worker in run["submitted_by"].items() if worker == name}, (name, own)


def test_each_area_has_its_reports_and_asb_matches_the_files(two_workers_run):
    data = two_workers_run["data"]
    for code in AREAS:
        folder = data / "reports" / code / PERIOD
        assert (folder / "committee_summary.html").is_file() and (folder / "data_quality.html").is_file(), code
        assert sorted(folder.glob("*/report_card.html")), code
    with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
        rows = dict(con.execute("select area_code, count(*) from marts.indicator_values group by all").fetchall())
        assert all(rows.get(code, 0) > 0 for code in AREAS), rows
        for month in MONTHS:
            expected = independent_asb(month)
            for code, name in AREAS.items():
                assert warehouse_asb(con, code, month) == expected[name], (code, name, month)
        (server,) = con.execute("select prefect_server from audit.pipeline_runs where flow_name = 'csp-force'").fetchone()
    assert server == two_workers_run["api_url"]
