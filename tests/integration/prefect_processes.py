"""Real Prefect processes for the server tests: a server on loopback, the CLI, workers, the REST API.

Every child is started in its own process group and stopped in ``finally`` blocks, workers before the
server (a worker whose server has gone ignores SIGTERM; SIGINT works). Children get a clean environment
(no CSP_* or PREFECT_* from the test session).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PREFECT = [str(BIN / "prefect")] if (BIN / "prefect").exists() else [sys.executable, "-m", "prefect"]
POOL = "csp-process"

# Generous: a loaded 2-core machine. Measured idle: server ~3 s (10-30 s on a fresh home), deploy ~2-10 s.
SERVER_START_TIMEOUT = 300
CLI_TIMEOUT = 300


def run_in_own_group(args: list[str], env: dict[str, str], timeout: float, stdout=None) -> int:
    """Run a child in its own process group and, whatever happens, kill the group afterwards.

    A flow run killed mid-way leaves its temporary Prefect server behind; killing the group stops it.
    """
    process = subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, start_new_session=True, stdout=stdout)
    try:
        return process.wait(timeout=timeout)
    finally:
        if os.name != "nt":
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


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

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

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


def cli(args: list[str], env: dict[str, str], cwd: Path = PROJECT_ROOT, timeout: float = CLI_TIMEOUT,
        program: list[str] = PREFECT) -> tuple[str, float]:
    """Run `prefect <args>` (or another program) to the end; fails the test on a non-zero exit."""
    started = time.monotonic()
    done = subprocess.run([*program, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=timeout, start_new_session=True)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join([*program, *args])} failed ({done.returncode}):\n{output[-4000:]}"
    return output, time.monotonic() - started


def deployment_by_name(api_url: str, name: str) -> dict:
    return api_get(api_url, f"/deployments/name/{name}")


def create_pool(env: dict[str, str], timings: dict[str, float], pool: str = POOL) -> None:
    _, timings["work_pool_s"] = cli(["work-pool", "create", pool, "--type", "process"], env)


def deploy(env: dict[str, str], timings: dict[str, float]) -> str:
    """`prefect deploy --all` from the checkout (the deployments of prefect.yaml); returns its output."""
    output, timings["deploy_s"] = cli(["deploy", "--all", "--no-prompt"], env)
    return output


def deploy_all(env: dict[str, str], timings: dict[str, float], pool: str = POOL) -> str:
    """`prefect work-pool create <pool> --type process`, then `prefect deploy --all`."""
    create_pool(env, timings, pool)
    return deploy(env, timings)


@contextmanager
def running_server(directory: Path, timings: dict[str, float], extra_env: dict[str, str] | None = None) -> Iterator[dict]:
    """`prefect server start` on a free loopback port with a fresh PREFECT_HOME under `directory`
    (extra_env: e.g. PREFECT_API_DATABASE_CONNECTION_URL for a PostgreSQL database)."""
    home = directory / "prefect-home"
    home.mkdir()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    server = Process("server", [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                     {**base_env(home), **(extra_env or {})}, directory, directory)
    try:
        timings["server_healthy_s"] = wait_healthy(api_url, server, SERVER_START_TIMEOUT)
        yield {"api_url": api_url, "home": home, "server": server, "timings": timings, "tmp": directory}
    finally:
        timings["server_stop_s"] = server.stop(first=signal.SIGINT, grace=30.0)
        print("timings:", json.dumps({k: round(v, 1) for k, v in timings.items()}))


def start_worker(name: str, env: dict[str, str], directory: Path, pool: str = POOL,
                 extra_args: tuple[str, ...] = ()) -> Process:
    """`prefect worker start --pool <pool> --name <name>`, started outside the checkout (the pull step
    of prefect.yaml, not the worker's folder, puts each run in $CSP_PROJECT_DIR)."""
    cwd = directory / f"{name}-cwd"
    cwd.mkdir(exist_ok=True)
    return Process(name, [*PREFECT, "worker", "start", "--pool", pool, "--name", name, *extra_args],
                   env, cwd, directory)


def wait_workers_online(api_url: str, workers: list[Process], timeout: float, pool: str = POOL) -> float:
    """Until every worker has registered with the server (its first heartbeat) and is ONLINE."""
    started = time.monotonic()
    wanted = {worker.name for worker in workers}
    online: set[str] = set()
    while time.monotonic() - started < timeout:
        for worker in workers:
            if not worker.alive():
                pytest.fail(f"worker {worker.name} exited ({worker.popen.returncode}):\n{worker.tail()}")
        try:
            rows = api_post(api_url, f"/work_pools/{pool}/workers/filter", {})
            online = {row["name"] for row in rows if row.get("status") == "ONLINE"}
        except (urllib.error.URLError, OSError, ValueError):
            pass
        if wanted <= online:
            return time.monotonic() - started
        time.sleep(0.5)
    pytest.fail(f"workers online after {timeout} s: {sorted(online)}, wanted {sorted(wanted)}")
