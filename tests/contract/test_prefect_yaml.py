"""prefect.yaml is what `prefect deploy --all` and `csp serve` read: check it without a server."""

from __future__ import annotations

import asyncio
import inspect
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PREFECT_YAML = PROJECT_ROOT / "prefect.yaml"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def config() -> dict:
    return yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def deployments(config) -> dict[str, dict]:
    return {entry["name"]: entry for entry in config["deployments"]}


def test_the_file_is_valid_for_prefect_deploy(config):
    """The model `prefect deploy` itself validates prefect.yaml with (a private module: skip if it moves)."""
    models = pytest.importorskip("prefect.cli.deploy._models")
    parsed = models.PrefectYamlModel.model_validate(config)
    assert {d.name for d in parsed.deployments} >= {"csp-monthly", "csp-rerun"}
    assert len({d.name for d in parsed.deployments}) == len(parsed.deployments), "deployment names must be unique"


def test_code_runs_from_the_checkout(config):
    assert config.get("build") is None and config.get("push") is None
    steps = config["pull"]
    assert len(steps) == 1
    (step_name, inputs), = steps[0].items()
    assert step_name == "prefect.deployments.steps.set_working_directory"
    # Resolved from the worker's environment when the run starts (a process worker runs each flow run in a
    # temporary folder, so a relative path would not reach the checkout).
    assert inputs["directory"] == "{{ $CSP_PROJECT_DIR }}"


def test_every_entrypoint_imports_and_is_a_prefect_flow(deployments):
    from prefect import Flow
    from prefect.flows import load_flow_from_entrypoint

    for name, entry in deployments.items():
        path, _, attribute = entry["entrypoint"].partition(":")
        assert (PROJECT_ROOT / path).is_file(), f"{name}: {path} does not exist"
        loaded = load_flow_from_entrypoint(str(PROJECT_ROOT / path) + ":" + attribute)  # as a worker loads it
        assert isinstance(loaded, Flow), f"{name}: {entry['entrypoint']} is not a Prefect flow"
        accepted = set(inspect.signature(loaded.fn).parameters)
        unknown = set(entry.get("parameters") or {}) - accepted
        assert not unknown, f"{name}: parameters {unknown} are not arguments of {entry['entrypoint']}"


def test_monthly_deployment(deployments):
    from flows.monthly import monthly_flow

    monthly = deployments["csp-monthly"]
    assert monthly["entrypoint"] == "flows/monthly.py:monthly_flow"
    assert monthly_flow.name == "csp-monthly"  # so the deployment is csp-monthly/csp-monthly
    assert monthly["parameters"] == {"period": "latest", "plan_year": None, "area": "E07000110"}
    assert monthly["work_pool"] == {"name": "csp-process", "work_queue_name": "default"}
    assert monthly["concurrency_limit"] == 1
    assert set(monthly["tags"]) >= {"csp", "monthly"}
    (schedule,) = monthly["schedules"]
    assert schedule["cron"] == "0 7 5 * *"
    assert schedule["timezone"] == "Europe/London"
    assert schedule.get("active", True) is True


def test_rerun_deployment_is_on_demand_for_a_given_month(deployments):
    rerun = deployments["csp-rerun"]
    assert rerun["entrypoint"] == deployments["csp-monthly"]["entrypoint"]
    assert not rerun.get("schedules") and not rerun.get("schedule"), "the re-run must not be scheduled"
    assert re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", rerun["parameters"]["period"])
    assert rerun["concurrency_limit"] == 1
    assert rerun["work_pool"]["name"] == "csp-process"


def _expected_2026() -> list[datetime]:
    return [datetime(2026, month, 5, 7, 0, tzinfo=LONDON) for month in range(1, 13)]


def _check_runs(runs: list[datetime]) -> None:
    assert [r.astimezone(LONDON).replace(tzinfo=None) for r in runs] == [
        e.replace(tzinfo=None) for e in _expected_2026()]
    offsets = {r.astimezone(LONDON).month: r.astimezone(LONDON).utcoffset() for r in runs}
    # Clocks go forward on 29 March 2026 and back on 25 October 2026: 07:00 local on both sides.
    assert offsets[3] == timedelta(0) and offsets[4] == timedelta(hours=1)
    assert offsets[10] == timedelta(hours=1) and offsets[11] == timedelta(0)
    utc_hours = {r.astimezone(UTC).month: r.astimezone(UTC).hour for r in runs}
    assert utc_hours[3] == 7 and utc_hours[4] == 6 and utc_hours[10] == 6 and utc_hours[11] == 7


def test_cron_expands_to_0700_london_across_both_2026_dst_changes_croniter(deployments):
    from croniter import croniter

    schedule = deployments["csp-monthly"]["schedules"][0]
    tz = ZoneInfo(schedule["timezone"])
    it = croniter(schedule["cron"], datetime(2026, 1, 1, tzinfo=tz))
    _check_runs([it.get_next(datetime) for _ in range(12)])


def test_cron_expands_to_0700_london_with_the_prefect_server_scheduler(deployments):
    """The schedule class the Prefect server's scheduler service uses to create the runs."""
    from prefect.server.schemas.schedules import CronSchedule

    schedule = deployments["csp-monthly"]["schedules"][0]
    cron = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    runs = asyncio.run(cron.get_dates(n=12, start=datetime(2026, 1, 1, tzinfo=UTC)))
    _check_runs(list(runs))


def test_serve_builds_the_same_deployments(deployments):
    """csp serve (cli/serve.py) reads prefect.yaml: same names, schedule, parameters, limits, tags."""
    from cli.serve import build_deployments, main

    served = {d.name: d for d in build_deployments()}
    assert set(served) == set(deployments)
    for name, entry in deployments.items():
        runner = served[name]
        assert runner.parameters == (entry.get("parameters") or {})
        assert runner.tags == (entry.get("tags") or [])
        assert runner.concurrency_limit == entry.get("concurrency_limit")
        assert runner.entrypoint == entry["entrypoint"]
        assert runner.work_pool_name is None  # served deployments run in the serve process
        assert len(runner.schedules or []) == len(entry.get("schedules") or [])
    (monthly_schedule,) = served["csp-monthly"].schedules
    assert monthly_schedule.schedule.cron == "0 7 5 * *"
    assert monthly_schedule.schedule.timezone == "Europe/London"
    assert {d.name: d.parameters.get("area") for d in build_deployments(area="E07000111")}["csp-monthly"] == "E07000111"
    assert main(["--dry-run"]) == 0
