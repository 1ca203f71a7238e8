"""One writer at a time, as a Prefect global concurrency limit the UI shows.

Every run that writes the warehouse (the monthly run, a rerun, `csp run --area ...`, `csp ingest`)
takes the single slot of the global concurrency limit `csp-warehouse-writer` before it opens its side
copy, and holds it until its run is recorded. A second writer waits for the slot: its flow run shows
the state name "Waiting for the warehouse" (type Running) in the Prefect UI, its log says which run
holds the slot, and the limit's page under *Concurrency* shows one active slot. The file lock on
`$CSP_DATA/.csp.lock` (warehouse.publish.writer_lock) stays as the last line of defence, and is the
only one for writers that have no Prefect server (`csp run` with no PREFECT_API_URL: a temporary
server per process, where the limit would coordinate nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

WRITER_LIMIT = "csp-warehouse-writer"
WAITING_STATE = "Waiting for the warehouse"
# The slot is leased; the lease is renewed in the background while the run holds it. A run killed
# outright loses the slot once its lease lapses (then the next writer goes on).
LEASE_SECONDS = 120.0

log = logging.getLogger("csp.coordination")


def configured_server() -> str | None:
    """The Prefect API this process reports to, or None (a temporary server that ends with the process)."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    return str(url) if url else None


def ensure_writer_limit(client: Any) -> None:
    """Create the one-slot limit if the server does not have it yet (two creators at once: one wins)."""
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
        return
    except ObjectNotFound:
        pass
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate

    try:
        client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=WRITER_LIMIT, limit=1))
    except ObjectAlreadyExists:
        pass


WRITER_FLOWS = ["csp-monthly", "csp-force", "csp-ingest"]


def _other_writers(client: Any, own: UUID | None) -> list[str]:
    """The other writer flow runs that are running now (the holder is among them), best effort."""
    try:
        from prefect.client.schemas.filters import (
            FlowFilter,
            FlowFilterName,
            FlowRunFilter,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType

        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=WRITER_FLOWS)),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING]))),
            limit=20)
        return [f"'{run.name}' ({run.id}, {run.state_name})" for run in runs if run.id != own]
    except Exception:  # noqa: BLE001 - only for the log line
        return []


def _set_state_name(client: Any, flow_run_id: UUID | None, name: str) -> None:
    """Rename the run's Running state (what the UI shows), best effort: never stops the run."""
    if flow_run_id is None:
        return
    try:
        from prefect.states import Running

        client.set_flow_run_state(flow_run_id, Running(name=name), force=True)
    except Exception as error:  # noqa: BLE001
        log.warning("could not show the waiting state on flow run %s: %s", flow_run_id, error)


@contextmanager
def writer_slot(logger: Any = None, timeout_seconds: float | None = None) -> Iterator[dict]:
    """Hold the single warehouse-writer slot of the Prefect server this run reports to.

    Yields what happened: {"limit", "server", "waited": bool}. With no configured server (no
    PREFECT_API_URL: a temporary server) no slot is taken ("limit": None) and the file lock alone orders
    the writers. On a real server, the slot of a run killed outright is taken back by the server's
    repossessor service once its lease lapses (LEASE_SECONDS). timeout_seconds: give up waiting
    (TimeoutError), for tests; None waits as long as it takes.
    """
    from prefect import get_client
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder
    from prefect.concurrency.sync import concurrency
    from prefect.runtime import flow_run

    logger = logger or log
    run_id = flow_run.get_id()
    flow_run_id = UUID(str(run_id)) if run_id else None
    info: dict[str, Any] = {"limit": WRITER_LIMIT, "server": configured_server(), "waited": False}
    if info["server"] is None:
        # A temporary server coordinates nothing across processes, and it keeps the limit in the SQLite
        # database of PREFECT_HOME with no service to take back the slot of a killed run: the next run
        # would wait for ever. The file lock alone orders these writers.
        info["limit"] = None
        yield info
        return
    with get_client(sync_client=True) as client:
        ensure_writer_limit(client)
        limit = client.read_global_concurrency_limit_by_name(WRITER_LIMIT)
        if limit.active_slots >= limit.limit:
            info["waited"] = True
            running = _other_writers(client, flow_run_id)
            logger.info("waiting for the warehouse: another run holds the %s slot (writer runs now: %s)",
                        WRITER_LIMIT, "; ".join(running) or "not known to this server")
            _set_state_name(client, flow_run_id, WAITING_STATE)
    holder = ConcurrencyLeaseHolder(type="flow_run", id=flow_run_id) if flow_run_id else None
    with concurrency(WRITER_LIMIT, occupy=1, timeout_seconds=timeout_seconds, lease_duration=LEASE_SECONDS,
                     strict=True, holder=holder):
        if info["waited"]:
            with get_client(sync_client=True) as client:
                _set_state_name(client, flow_run_id, "Running")
            logger.info("the warehouse is free: this run now holds the %s slot", WRITER_LIMIT)
        yield info
