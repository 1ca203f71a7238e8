"""`csp serve`: the deployments of prefect.yaml, served from this one process (no work pool, no worker).

`flow.serve`/`prefect.serve` need a Prefect API whose scheduler creates the scheduled runs: the
temporary server Prefect starts when no `PREFECT_API_URL` is set runs without its scheduler service
("Cannot schedule flows on an ephemeral server"). So, when `PREFECT_API_URL` is not set, `csp serve`
starts a local `prefect server start` on 127.0.0.1 (default port 4200, UI at http://127.0.0.1:4200)
as its own child, serves, and stops that server when it stops (Ctrl-C or SIGTERM). With
`PREFECT_API_URL` set it serves against that server and starts nothing.

The schedule, parameters, tags and concurrency limits are read from prefect.yaml, so the worker
set-up and this one cannot drift apart. Use one set-up or the other against a given server: both
register deployments with the same names (`csp-monthly/csp-monthly`, `csp-monthly/csp-rerun`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"
DEFAULT_PORT = 4200
SERVER_START_TIMEOUT = 300.0  # a fresh PREFECT_HOME runs migrations first (10-30 s on a busy 2-core machine)


def project_deployments(path: Path = PREFECT_YAML) -> list[dict[str, Any]]:
    """The `deployments:` entries of prefect.yaml."""
    return yaml.safe_load(path.read_text(encoding="utf-8")).get("deployments") or []


def load_entrypoint(entrypoint: str):
    """'flows/monthly.py:monthly_flow' → the Flow object, imported as a module of this project."""
    file_part, _, attribute = entrypoint.partition(":")
    module = ".".join(Path(file_part).with_suffix("").parts)
    return getattr(importlib.import_module(module), attribute)


def schedules_from_yaml(entry: dict[str, Any]) -> list:
    """prefect.yaml `schedules:` (cron + timezone) as Prefect schedule objects (serve(timezone=...) raises)."""
    from prefect.schedules import Cron

    result = []
    for item in entry.get("schedules") or []:
        if "cron" not in item:
            raise ValueError(f"deployment {entry['name']}: only cron schedules are served, got {item}")
        result.append(Cron(item["cron"], timezone=item.get("timezone"), active=item.get("active", True)))
    return result


def build_deployments(area: str | None = None, plan_year: str | None = None, names: list[str] | None = None) -> list:
    """RunnerDeployments equivalent to prefect.yaml's (minus the work pool, which serve does not use)."""
    deployments = []
    for entry in project_deployments():
        if names and entry["name"] not in names:
            continue
        flow = load_entrypoint(entry["entrypoint"])
        parameters = dict(entry.get("parameters") or {})
        if area and "area" in parameters:
            parameters["area"] = area
        if plan_year and "plan_year" in parameters:
            parameters["plan_year"] = plan_year
        deployments.append(flow.to_deployment(
            name=entry["name"],
            schedules=schedules_from_yaml(entry) or None,
            parameters=parameters,
            tags=list(entry.get("tags") or []),
            description=entry.get("description"),
            concurrency_limit=entry.get("concurrency_limit"),
        ))
    return deployments


def _healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def start_local_server(host: str, port: int, timeout: float = SERVER_START_TIMEOUT) -> subprocess.Popen | None:
    """Start `prefect server start` as a child (own process group); None if one already answers there."""
    api_url = f"http://{host}:{port}/api"
    if _healthy(api_url):
        print(f"A Prefect server already answers at {api_url}; serving against it.")
        return None
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": os.environ.get("PREFECT_SERVER_ANALYTICS_ENABLED", "false")}
    env.pop("PREFECT_API_URL", None)
    popen_kwargs: dict[str, Any] = {"start_new_session": True} if os.name != "nt" else {
        "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}  # type: ignore[attr-defined]
    log_dir = Path(os.environ.get("CSP_DATA", "data")).resolve()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = open(log_dir / "prefect-server.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", host, "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, **popen_kwargs)
    process._csp_log = log  # type: ignore[attr-defined]
    print(f"Starting a local Prefect server at http://{host}:{port} (log: {log.name}) ...")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.close()
            raise RuntimeError(f"prefect server start exited with code {process.returncode}; see {log.name}")
        if _healthy(api_url):
            return process
        time.sleep(0.5)
    stop_local_server(process)
    raise RuntimeError(f"the local Prefect server did not answer within {timeout:.0f} s; see {log.name}")


def stop_local_server(process: subprocess.Popen | None, timeout: float = 30.0) -> None:
    """Stop the child server: SIGINT to its group, then terminate, then kill."""
    if process is None:
        return
    try:
        if process.poll() is None:
            if os.name != "nt":
                for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 10.0), (signal.SIGKILL, 10.0)):
                    try:
                        os.killpg(process.pid, sig)
                    except ProcessLookupError:
                        break
                    try:
                        process.wait(timeout=wait)
                        break
                    except subprocess.TimeoutExpired:
                        continue
            else:
                process.terminate()
                try:
                    process.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
    finally:
        log = getattr(process, "_csp_log", None)
        if log is not None:
            log.close()


def serve(area: str | None = None, plan_year: str | None = None, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
          limit: int | None = None) -> None:
    """Serve the project's deployments until interrupted, starting a local server if no API is configured."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("CSP_DATA", str(Path("data").resolve()))  # as `csp run` from this folder would use
    for variable in ("CSP_DATA", "CSP_REAL_DATA"):  # keep relative settings meaning what they meant before chdir
        if os.environ.get(variable):
            os.environ[variable] = str(Path(os.environ[variable]).resolve())
    os.chdir(PROJECT_ROOT)  # entrypoints are relative to the project root, as in prefect.yaml
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    server = None
    api_url = os.environ.get("PREFECT_API_URL")
    if not api_url:
        server = start_local_server(host, port)
        api_url = f"http://{host}:{port}/api"
        os.environ["PREFECT_API_URL"] = api_url  # inherited by the flow-run subprocesses
    try:
        from prefect import serve as prefect_serve
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            deployments = build_deployments(area=area, plan_year=plan_year)
            print(f"Serving {', '.join(d.name for d in deployments)} against {api_url}; "
                  f"UI {api_url.removesuffix('/api')}. Ctrl-C stops.")
            prefect_serve(*deployments, limit=limit, print_starting_message=False)
    finally:
        if server is not None:
            print("Stopping the local Prefect server ...")
            stop_local_server(server)
            os.environ.pop("PREFECT_API_URL", None)


def describe(area: str | None = None, plan_year: str | None = None) -> list[str]:
    """One line per deployment that would be served (no server needed)."""
    lines = []
    for entry in project_deployments():
        parameters = dict(entry.get("parameters") or {})
        if area and "area" in parameters:
            parameters["area"] = area
        if plan_year and "plan_year" in parameters:
            parameters["plan_year"] = plan_year
        when = "; ".join(f"cron '{s['cron']}' {s.get('timezone', 'UTC')}" for s in entry.get("schedules") or []) \
            or "on demand"
        lines.append(f"{entry['entrypoint']} as {entry['name']}: {when}; parameters {parameters}; "
                     f"tags {entry.get('tags') or []}; concurrency limit {entry.get('concurrency_limit')}")
    return lines


DESCRIPTION = ("Run the monthly schedule from this process (flow.serve): no work pool, no worker. Starts a local "
               "Prefect server on 127.0.0.1 when PREFECT_API_URL is not set.")


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of `csp serve` (for cli/main.py: `add_arguments(sub.add_parser("serve", ...))`)."""
    parser.add_argument("--area", help="district code for the scheduled runs (default: the one in prefect.yaml)")
    parser.add_argument("--plan-year", help="plan year for the scheduled runs (default: the latest plan)")
    parser.add_argument("--host", default="127.0.0.1", help="address of the local server (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port of the local server (default {DEFAULT_PORT})")
    parser.add_argument("--limit", type=int, default=None, help="most flow runs at once in this process (default no limit)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be served and exit")
    return parser


def build_parser() -> argparse.ArgumentParser:
    return add_arguments(argparse.ArgumentParser(prog="csp serve", description=DESCRIPTION))


def run(args: argparse.Namespace) -> int:
    """Serve (or, with --dry-run, describe) from parsed arguments; returns the exit code."""
    if args.dry_run:
        for line in describe(args.area, args.plan_year):
            print(line)
        return 0
    serve(area=args.area, plan_year=args.plan_year, host=args.host, port=args.port, limit=args.limit)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
