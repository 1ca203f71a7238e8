"""A real Prefect server, `prefect deploy --all`, a process worker and the monthly deployment on the demo inbox.

Run on its own with ``pytest -m server``; skip with ``-m "not server"``. Slow (1-4 minutes on 2 cores):
everything is a separate process, as in production. Every process is started in its own process group
and stopped in ``finally`` blocks, the worker before the server (a worker whose server has gone
ignores SIGTERM).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
import time
import urllib.error
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.integration.prefect_processes import (
    PROJECT_ROOT,
    SERVER_START_TIMEOUT,
    Process,
    api_get,
    api_post,
    base_env,
    cli,
    deploy_all,
    deployment_by_name,
    free_port,
    running_server,
    start_worker,
)

pytestmark = [
    pytest.mark.server,
    pytest.mark.integration,
    pytest.mark.skipif(os.name == "nt", reason="process-group handling in this test is POSIX only"),
]

LONDON = ZoneInfo("Europe/London")

# Generous: a loaded 2-core machine. Measured idle: the demo monthly run ~1.5-3 min.
FLOW_RUN_TIMEOUT = 8 * 60
SCHEDULER_TIMEOUT = 120

# monthly_flow writes reports/<period>/ (report cards, committee summary, data quality). Set to False to
# check the warehouse only (the reports folder is then checked only if the run produced it).
EXPECT_REPORTS = True


def scheduled_runs(api_url: str, deployment_id: str) -> list[dict]:
    return api_post(api_url, "/flow_runs/filter", {
        "deployments": {"id": {"any_": [deployment_id]}},
        "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        "sort": "EXPECTED_START_TIME_ASC", "limit": 10})


def wait_for_scheduled_runs(api_url: str, deployment_id: str, timeout: float = SCHEDULER_TIMEOUT) -> list[dict]:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        runs = scheduled_runs(api_url, deployment_id)
        if runs:
            return runs
        time.sleep(2)
    pytest.fail(f"the scheduler created no runs for deployment {deployment_id} within {timeout} s")


def assert_runs_at_0700_london(runs: list[dict]) -> None:
    for run in runs:
        when = datetime.fromisoformat(run["expected_start_time"]).astimezone(LONDON)
        assert (when.day, when.hour, when.minute) == (5, 7, 0), f"scheduled at {when.isoformat()}, not 07:00 London on the 5th"


def wait_for_flow_run(api_url: str, flow_run_id: str, worker: Process, timeout: float) -> dict:
    started = time.monotonic()
    run: dict = {}
    while time.monotonic() - started < timeout:
        try:
            run = api_get(api_url, f"/flow_runs/{flow_run_id}")
        except (urllib.error.URLError, OSError, ValueError):
            time.sleep(2)
            continue
        if run.get("state_type") in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            return run
        if not worker.alive():
            pytest.fail(f"the worker exited ({worker.popen.returncode}) while the run was "
                        f"{run.get('state_type')}:\n{worker.tail()}")
        time.sleep(2)
    pytest.fail(f"flow run {flow_run_id} still {run.get('state_type')} after {timeout} s:\n{worker.tail()}")


def wait_for_failure_report(folder, flow_run_id: str, worker: Process, timeout: float) -> None:
    """Both files of the hook's report, the JSON (written last) complete."""
    started = time.monotonic()
    md_path, json_path = folder / f"failure_{flow_run_id}.md", folder / f"failure_{flow_run_id}.json"
    while time.monotonic() - started < timeout:
        if md_path.is_file() and json_path.is_file():
            try:
                json.loads(json_path.read_text())
                return
            except ValueError:
                pass  # still being written
        if not worker.alive():
            pytest.fail(f"the worker exited ({worker.popen.returncode}) before the failure report was written:\n"
                        f"{worker.tail()}")
        time.sleep(1)
    pytest.fail(f"no failure report for run {flow_run_id} in {folder} after {timeout} s:\n{worker.tail(120)}")


def hook_is_wired() -> bool:
    from flows.hooks import on_failure_report
    from flows.monthly import monthly_flow

    return on_failure_report in (monthly_flow.on_failure_hooks or [])


@pytest.fixture()
def prefect_server(tmp_path):
    """`prefect server start` on a free loopback port with a fresh PREFECT_HOME; stopped at the end."""
    with running_server(tmp_path, {}) as server:
        yield server


def test_monthly_deployment_runs_on_a_worker(prefect_server, real_dir):
    from demo.generator import generate_demo_inbox

    api_url, tmp, timings = prefect_server["api_url"], prefect_server["tmp"], prefect_server["timings"]
    env = base_env(prefect_server["home"], api_url)
    data = tmp / "data"
    started = time.monotonic()
    generate_demo_inbox(data / "inbox", real_dir)
    timings["demo_inbox_s"] = time.monotonic() - started

    output = deploy_all(env, timings)
    assert "csp-monthly/csp-monthly" in output and "csp-monthly/csp-rerun" in output

    monthly = deployment_by_name(api_url, "csp-monthly/csp-monthly")
    rerun = deployment_by_name(api_url, "csp-monthly/csp-rerun")
    assert monthly["work_pool_name"] == "csp-process" and monthly["work_queue_name"] == "default"
    assert set(monthly["tags"]) >= {"csp", "monthly"}
    assert monthly["parameters"] == {"period": "latest", "plan_year": None, "area": "E07000110"}
    assert (monthly.get("global_concurrency_limit") or {}).get("limit") == 1
    (schedule,) = monthly["schedules"]
    assert schedule["schedule"]["cron"] == "0 7 5 * *" and schedule["schedule"]["timezone"] == "Europe/London"
    assert schedule["active"] is True
    assert rerun["schedules"] == []

    worker_env = {**env, "CSP_DATA": str(data), "CSP_DEMO": "1", "CSP_PROJECT_DIR": str(PROJECT_ROOT)}
    worker = start_worker("worker", worker_env, tmp)  # started outside the checkout
    try:
        started = time.monotonic()
        output, timings["trigger_s"] = cli(["deployment", "run", "csp-monthly/csp-monthly"], env)
        found = re.search(r"UUID:\s*([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", output)
        assert found, f"no flow run id in:\n{output}"
        flow_run_id = found.group(1)
        run = wait_for_flow_run(api_url, flow_run_id, worker, FLOW_RUN_TIMEOUT)
        timings["flow_run_wall_s"] = time.monotonic() - started
        timings["flow_run_total_run_time_s"] = float(run.get("total_run_time") or 0)
        assert run["state_type"] == "COMPLETED", (
            f"flow run ended {run['state_type']}: {run['state'].get('message')}\n--- worker log ---\n{worker.tail(120)}")

        # The scheduler has had the whole run to create the monthly runs: all at 07:00 London on the 5th.
        assert_runs_at_0700_london(wait_for_scheduled_runs(api_url, monthly["id"]))

        # A failing re-run leaves its failure report in reports/<period>/ (file route of the on_failure hook).
        # Checked once monthly_flow has the hook: @flow(..., on_failure=[on_failure_report]).
        failing_run_id = None
        if hook_is_wired():
            output, _ = cli(["deployment", "run", "csp-monthly/csp-rerun", "--param", "period=2018-01",
                             "--param", "area=E99999999"], env)  # not a district code: the run fails at once
            failing_run_id = re.search(r"UUID:\s*([0-9a-f-]{36})", output).group(1)
            failed_run = wait_for_flow_run(api_url, failing_run_id, worker, FLOW_RUN_TIMEOUT)
            assert failed_run["state_type"] == "FAILED", failed_run["state"]
            # Prefect records FAILED on the server before it calls the hooks: wait for the report while the
            # worker (and the run's process) still lives, or stopping the worker can cut the hook short.
            wait_for_failure_report(data / "reports" / "2018-01", failing_run_id, worker, FLOW_RUN_TIMEOUT)
    finally:
        timings["worker_stop_s"] = worker.stop(first=signal.SIGINT, grace=60.0)  # before the server stops

    import duckdb

    con = duckdb.connect(str(data / "csp.duckdb"), read_only=True)
    try:
        rows = con.execute("select state, period, flow_name from audit.pipeline_runs where flow_run_id = ?",
                           [flow_run_id]).fetchall()
    finally:
        con.close()
    assert rows == [("completed", "2018-02", "csp-monthly")]

    reports = data / "reports" / "2018-02"
    if EXPECT_REPORTS or reports.exists():
        assert reports.is_dir() and any(reports.iterdir()), f"{reports} is missing or empty"
    assert not list((data / "reports").glob(f"*/failure_{flow_run_id}.*")), "a completed run leaves no failure report"
    if failing_run_id:
        report = json.loads((data / "reports" / "2018-01" / f"failure_{failing_run_id}.json").read_text())
        assert report["flow_run_id"] == failing_run_id and report["parameters"]["area"] == "E99999999"
        assert "E99999999" in (report["state_message"] or "")
        assert (data / "reports" / "2018-01" / f"failure_{failing_run_id}.md").is_file()


def test_csp_serve_starts_a_local_server_and_registers_the_schedule(tmp_path):
    """`csp serve` without PREFECT_API_URL: its own server, the deployments of prefect.yaml, the 07:00 schedule."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**base_env(home), "CSP_DATA": str(tmp_path / "data"), "CSP_DEMO": "1"}
    serve = Process("serve", [sys.executable, "-m", "cli.serve", "--port", str(port)], env, PROJECT_ROOT, tmp_path)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT + 120
        monthly = None
        while time.monotonic() < deadline and monthly is None:
            if not serve.alive():
                pytest.fail(f"csp serve exited ({serve.popen.returncode}):\n{serve.tail()}")
            try:
                monthly = deployment_by_name(api_url, "csp-monthly/csp-monthly")
                deployment_by_name(api_url, "csp-monthly/csp-rerun")
            except (urllib.error.URLError, OSError, ValueError):
                monthly = None
                time.sleep(1)
        assert monthly is not None, f"csp serve registered no deployments:\n{serve.tail()}"
        assert monthly["work_pool_name"] is None  # served from the csp serve process itself
        (schedule,) = monthly["schedules"]
        assert schedule["schedule"]["cron"] == "0 7 5 * *" and schedule["schedule"]["timezone"] == "Europe/London"
        assert_runs_at_0700_london(wait_for_scheduled_runs(api_url, monthly["id"]))
    finally:
        serve.stop(first=signal.SIGINT, grace=60.0)
    # serve stopped its own server with it.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the server started by csp serve is still listening"
