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
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pytestmark = [
    pytest.mark.server,
    pytest.mark.integration,
    pytest.mark.skipif(os.name == "nt", reason="process-group handling in this test is POSIX only"),
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PREFECT = [str(BIN / "prefect")] if (BIN / "prefect").exists() else [sys.executable, "-m", "prefect"]
LONDON = ZoneInfo("Europe/London")

# Generous: a loaded 2-core machine. Measured idle: server ~3 s (10-30 s on a fresh home), deploy ~2-10 s,
# the demo monthly run ~1.5-3 min.
SERVER_START_TIMEOUT = 300
CLI_TIMEOUT = 300
FLOW_RUN_TIMEOUT = 8 * 60
SCHEDULER_TIMEOUT = 120

# monthly_flow writes reports/<period>/ (report cards, committee summary, data quality). Set to False to
# check the warehouse only (the reports folder is then checked only if the run produced it).
EXPECT_REPORTS = True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(prefect_home: Path, api_url: str | None = None) -> dict[str, str]:
    """A clean environment: no CSP_* or PREFECT_* from the test session, offline and quiet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSP_", "PREFECT_"))}
    env.update({
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "COLUMNS": "200",
        "PYTHONUNBUFFERED": "1",
    })
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


class Process:
    """A child in its own process group, with its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], cwd: Path, log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(args, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, first: signal.Signals = signal.SIGINT, grace: float = 60.0) -> float:
        """Signal the whole group: `first`, then SIGTERM, then SIGKILL. Returns seconds taken."""
        started = time.monotonic()
        try:
            for sig, wait in ((first, grace), (signal.SIGTERM, 20.0), (signal.SIGKILL, 15.0)):
                if self.popen.poll() is not None:
                    break
                try:
                    os.killpg(self.popen.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.popen.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
            # Anything left in the group (e.g. a flow-run subprocess) goes too.
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        finally:
            self._log.close()
        return time.monotonic() - started


def api_get(api_url: str, path: str, timeout: float = 10.0):
    with urllib.request.urlopen(f"{api_url}{path}", timeout=timeout) as response:
        return json.loads(response.read())


def api_post(api_url: str, path: str, body: dict, timeout: float = 10.0):
    request = urllib.request.Request(f"{api_url}{path}", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def wait_healthy(api_url: str, server: Process, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not server.alive():
            pytest.fail(f"prefect server start exited ({server.popen.returncode}):\n{server.tail()}")
        try:
            if api_get(api_url, "/health", timeout=3) is True:
                return time.monotonic() - started
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"the Prefect server did not answer /api/health within {timeout} s:\n{server.tail()}")


def cli(args: list[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> tuple[str, float]:
    started = time.monotonic()
    done = subprocess.run([*PREFECT, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=CLI_TIMEOUT, start_new_session=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"prefect {' '.join(args)} failed ({done.returncode}):\n{output[-4000:]}"
    return output, time.monotonic() - started


def deployment_by_name(api_url: str, name: str) -> dict:
    return api_get(api_url, f"/deployments/name/{name}")


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


def hook_is_wired() -> bool:
    from flows.hooks import on_failure_report
    from flows.monthly import monthly_flow

    return on_failure_report in (monthly_flow.on_failure_hooks or [])


@pytest.fixture()
def prefect_server(tmp_path):
    """`prefect server start` on a free loopback port with a fresh PREFECT_HOME; stopped at the end."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server = Process("server", [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                     base_env(home), tmp_path, tmp_path)
    timings: dict[str, float] = {}
    try:
        timings["server_healthy_s"] = wait_healthy(api_url, server, SERVER_START_TIMEOUT)
        yield {"api_url": api_url, "home": home, "server": server, "timings": timings, "tmp": tmp_path}
    finally:
        timings["server_stop_s"] = server.stop(first=signal.SIGINT, grace=30.0)
        print("timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))


def test_monthly_deployment_runs_on_a_worker(prefect_server, real_dir):
    from demo.generator import generate_demo_inbox

    api_url, tmp, timings = prefect_server["api_url"], prefect_server["tmp"], prefect_server["timings"]
    env = base_env(prefect_server["home"], api_url)
    data = tmp / "data"
    started = time.monotonic()
    generate_demo_inbox(data / "inbox", real_dir)
    timings["demo_inbox_s"] = time.monotonic() - started

    _, timings["work_pool_s"] = cli(["work-pool", "create", "csp-process", "--type", "process"], env)
    output, timings["deploy_s"] = cli(["deploy", "--all", "--no-prompt"], env)
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
    worker_cwd = tmp / "elsewhere"  # the pull step, not the worker's folder, puts the run in the checkout
    worker_cwd.mkdir()
    worker = Process("worker", [*PREFECT, "worker", "start", "--pool", "csp-process"], worker_env, worker_cwd, tmp)
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
    serve = Process("serve", [sys.executable, "-m", "flows.serve", "--port", str(port)], env, PROJECT_ROOT, tmp_path)
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
