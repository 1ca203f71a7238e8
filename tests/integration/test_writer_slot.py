"""Two writers of one warehouse: the second waits for the `csp-warehouse-writer` slot, and Prefect shows it.

Both are real flow runs on the session's Prefect test server, each opening the same warehouse for writing
(warehouse_for_writing) inside flows.coordination.writer_slot. While the first holds the slot, the
second's flow run is in a Running state named "Waiting for the warehouse" (what the UI shows), the limit
has its one slot taken, and the second has not opened the warehouse; once the first ends, the second
goes on, and both rows it and the first wrote are in the published warehouse, in order.
"""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from tests.conftest import scoped_env

pytestmark = pytest.mark.integration
TIMEOUT = 120.0


def _wait_for(condition, what: str, timeout: float = TIMEOUT) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"not within {timeout} s: {what}")


def test_a_second_writer_waits_visibly_for_the_first(prefect_harness, tmp_path):
    from prefect import flow, get_client
    from prefect.runtime import flow_run

    from flows.coordination import WRITER_LIMIT, writer_slot
    from warehouse.config import load_settings
    from warehouse.pipeline import warehouse_for_writing

    release = threading.Event()
    seen: dict[str, object] = {}
    order: list[str] = []

    @flow(name="csp-ingest")  # a writer flow, by name, as `csp ingest` is
    def writer(name: str, hold: bool) -> dict:
        seen[f"{name}_id"] = flow_run.get_id()
        with writer_slot() as slot:
            order.append(f"{name} in")
            settings = load_settings()
            with warehouse_for_writing(settings) as con:
                con.execute("create table if not exists marts.writers (name varchar, written_at timestamp)")
                con.execute("insert into marts.writers values (?, now())", [name])
                if hold:
                    seen["first_holds"] = True
                    assert release.wait(TIMEOUT)
            order.append(f"{name} out")
        return slot

    results: dict[str, object] = {}

    def run(name: str, hold: bool) -> None:
        results[name] = writer(name=name, hold=hold)

    with scoped_env(CSP_DATA=str(tmp_path / "data")):
        _two_writers(run, seen, order, release)
    assert order == ["first in", "first out", "second in", "second out"]
    assert results["first"]["waited"] is False and results["second"]["waited"] is True
    with get_client(sync_client=True) as client:
        final = client.read_flow_run(seen["second_id"]).state
        assert final.is_completed()
        assert client.read_global_concurrency_limit_by_name(WRITER_LIMIT).active_slots == 0
    with duckdb.connect(str(tmp_path / "data" / "csp.duckdb"), read_only=True) as con:
        assert [r[0] for r in con.execute("select name from marts.writers order by written_at").fetchall()] == [
            "first", "second"]


def _two_writers(run, seen: dict, order: list[str], release: threading.Event) -> None:
    from prefect import get_client

    from flows.coordination import WAITING_STATE, WRITER_LIMIT

    first = threading.Thread(target=run, args=("first", True))
    first.start()
    _wait_for(lambda: seen.get("first_holds"), "the first writer holds the slot and the warehouse")
    second = threading.Thread(target=run, args=("second", False))
    second.start()
    _wait_for(lambda: seen.get("second_id"), "the second writer started")

    def second_state_name() -> str | None:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(seen["second_id"]).state
        return state.name if state else None

    try:
        _wait_for(lambda: second_state_name() == WAITING_STATE, f"the second run shows '{WAITING_STATE}'")
        with get_client(sync_client=True) as client:
            limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
        assert (limit.limit, limit.active_slots) == (1, 1)
        time.sleep(2)  # it keeps waiting while the first holds the slot
        assert order == ["first in"] and second_state_name() == WAITING_STATE
    finally:
        release.set()
        first.join(TIMEOUT)
        second.join(TIMEOUT)
