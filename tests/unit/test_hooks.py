"""The on_failure hook: a report in reports/<period>/ (file route), optional notification, never raises."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
from prefect.states import Failed

from flows import hooks
from flows.hooks import on_failure_report


def _failed_state() -> object:
    try:
        raise RuntimeError("police_street 2018-02: staging view failed")
    except RuntimeError as error:
        return Failed(message="Flow run encountered an exception: RuntimeError: police_street 2018-02: staging view failed",
                      data=error)


def _flow_run(period: object = "2018-02") -> SimpleNamespace:
    return SimpleNamespace(id=uuid.UUID("12345678-1234-5678-1234-567812345678"), name="brave-fox",
                           parameters={"period": period, "plan_year": None, "area": "E07000110"}, deployment_id=None)


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("CSP_NOTIFY_BLOCK", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return tmp_path / "data"


def test_failure_report_is_written_to_the_period_folder(data_dir):
    on_failure_report(SimpleNamespace(name="csp-monthly"), _flow_run(), _failed_state())

    folder = data_dir / "reports" / "2018-02"
    md = folder / "failure_12345678-1234-5678-1234-567812345678.md"
    js = folder / "failure_12345678-1234-5678-1234-567812345678.json"
    assert md.is_file() and js.is_file()
    report = json.loads(js.read_text())
    assert report["flow_run_id"] == "12345678-1234-5678-1234-567812345678"
    assert report["flow_run_name"] == "brave-fox"
    assert report["flow_name"] == "csp-monthly"
    assert report["parameters"] == {"period": "2018-02", "plan_year": None, "area": "E07000110"}
    assert report["state_type"] == "FAILED"
    assert "staging view failed" in report["state_message"]
    assert report["exception"] == "RuntimeError: police_street 2018-02: staging view failed"
    assert report["failed_tasks"] == []  # no API configured: not looked up (and no temporary server started)
    assert report["reported_at"]
    text = md.read_text()
    assert "brave-fox" in text and "staging view failed" in text and "csp-rerun --param period=YYYY-MM" in text


@pytest.mark.parametrize("period", ["latest", None, "../../etc"])
def test_a_period_that_is_not_a_month_goes_to_unknown(data_dir, period):
    on_failure_report(SimpleNamespace(name="csp-monthly"), _flow_run(period), _failed_state())
    assert list((data_dir / "reports" / "unknown").glob("failure_*.md"))
    assert sorted(p.name for p in (data_dir / "reports").iterdir()) == ["unknown"]


def test_the_hook_never_raises(data_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(hooks, "write_failure_report", broken)
    on_failure_report(None, None, None)  # nothing usable at all
    on_failure_report(SimpleNamespace(name="csp-monthly"), _flow_run(), _failed_state())


def test_notification_block_is_loaded_and_used_when_configured(data_dir, monkeypatch):
    sent = []

    class FakeBlock:
        def notify(self, body, subject=None):
            sent.append((subject, body))

    loaded = []

    def fake_load(name, *args, **kwargs):
        loaded.append(name)
        return FakeBlock()

    from prefect.blocks.core import Block

    monkeypatch.setattr(Block, "load", staticmethod(fake_load))
    monkeypatch.setenv("CSP_NOTIFY_BLOCK", "slack-webhook/csp-failures")
    on_failure_report(SimpleNamespace(name="csp-monthly"), _flow_run(), _failed_state())
    assert loaded == ["slack-webhook/csp-failures"]
    (subject, body), = sent
    assert "brave-fox" in subject and "2018-02" in subject
    assert "staging view failed" in body and "failure_12345678" in body
    assert (data_dir / "reports" / "2018-02").is_dir()  # the file route is always taken first


def test_a_broken_notification_block_does_not_raise(data_dir, monkeypatch):
    from prefect.blocks.core import Block

    def missing(name, *args, **kwargs):
        raise ValueError(f"Unable to find block document named {name}")

    monkeypatch.setattr(Block, "load", staticmethod(missing))
    monkeypatch.setenv("CSP_NOTIFY_BLOCK", "slack-webhook/nope")
    on_failure_report(SimpleNamespace(name="csp-monthly"), _flow_run(), _failed_state())
    assert list((data_dir / "reports" / "2018-02").glob("failure_*.json"))


def test_latest_goes_to_the_month_the_run_published(data_dir):
    """A stage after publication failed: the run recorded its month in audit.pipeline_runs; report there."""
    import duckdb

    data_dir.mkdir(parents=True)
    con = duckdb.connect(str(data_dir / "csp.duckdb"))
    con.execute("create schema audit")
    con.execute("create table audit.pipeline_runs (flow_run_id varchar, period varchar)")
    con.execute("insert into audit.pipeline_runs values ('12345678-1234-5678-1234-567812345678', '2018-02'), "
                "('another-run', '2018-01')")
    con.close()
    on_failure_report(SimpleNamespace(name="csp-monthly"), _flow_run("latest"), _failed_state())
    assert list((data_dir / "reports" / "2018-02").glob("failure_*.md"))
    assert not (data_dir / "reports" / "unknown").exists()


def test_latest_finds_the_month_of_a_run_recorded_without_a_server(data_dir):
    """With no Prefect server a run keeps no flow_run_id (warehouse.runs): its id is in run_id."""
    import duckdb

    data_dir.mkdir(parents=True)
    con = duckdb.connect(str(data_dir / "csp.duckdb"))
    con.execute("create schema audit")
    con.execute("create table audit.pipeline_runs (run_id varchar, flow_run_id varchar, period varchar)")
    con.execute("insert into audit.pipeline_runs values ('12345678-1234-5678-1234-567812345678', null, '2018-03')")
    con.close()
    on_failure_report(SimpleNamespace(name="csp-monthly"), _flow_run("latest"), _failed_state())
    assert list((data_dir / "reports" / "2018-03").glob("failure_*.md"))
