"""The ingest stage as plain functions (flows call these; tests call them without Prefect)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from expectations.problems import Verdict
from expectations.sources import catalogue
from warehouse.area_lookup import load_area_lookup
from warehouse.config import Settings
from warehouse.ingest import (
    FileOutcome,
    Ingestor,
    IngestReport,
    move_to_quarantine,
    quarantine_target,
)
from warehouse.publish import building_warehouse, connect_read_only, writer_lock
from warehouse.schema import ensure_schema


@dataclass
class PendingQuarantine:
    verdict: Verdict
    target: Path


@dataclass
class IngestRun:
    report: IngestReport = field(default_factory=IngestReport)
    pending: list[PendingQuarantine] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per part of the ingest (Ingestor.timings)

    @property
    def failed_sources(self) -> list[str]:
        return sorted({o.verdict.source or "unrecognised" for o in self.report.outcomes if o.status == "failed"})


@contextmanager
def warehouse_for_writing(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Lock the data directory, open a side copy, publish it atomically on success."""
    settings.ensure_dirs()
    with (writer_lock(settings.lock_path),
          building_warehouse(settings.warehouse_path, settings.building_path) as con):
        con.execute(f"set memory_limit = '{settings.memory_limit}'")
        ensure_schema(con, catalogue())
        yield con


def ingest_files(con: duckdb.DuckDBPyConnection, settings: Settings, files: list[Path], source: str | None = None,
                 run_id: str | None = None, today: date | None = None, period: str | None = None) -> IngestRun:
    """Check and load files into the open side warehouse; refused files are recorded, moved later.

    period (YYYY-MM): the period every file claims, overriding its name (`csp ingest --period`).
    """
    run = IngestRun()
    ingestor = Ingestor(settings, catalogue(), run_id or str(uuid.uuid4()), today=today, period=period)
    known = ingestor.loaded_hashes(con)
    # Reference files first: the area check of the others reads the ONS lookups they bring.
    first = [path for path in files if _reference_by_name(path, source)]
    taken = set(first)
    for batch in (first, [path for path in files if path not in taken]):
        if batch:
            ingestor.areas = load_area_lookup(con)
            _ingest_batch(con, settings, ingestor, run, batch, source, known)
    run.timings = dict(ingestor.timings)
    return run


def _reference_by_name(path: Path, source: str | None) -> bool:
    specs = [catalogue()[source]] if source else [spec for spec in catalogue() if spec.matches_name(path.name)]
    return bool(specs) and all(spec.family == "reference" for spec in specs)


def _ingest_batch(con: duckdb.DuckDBPyConnection, settings: Settings, ingestor: Ingestor, run: IngestRun,
                  files: list[Path], source: str | None, known: dict[str, int]) -> None:
    for verdict, parsed in ingestor.check(files, source, known, con):
        if parsed is None:
            file_id = known[verdict.sha256]
            run.report.outcomes.append(FileOutcome(verdict=verdict, status="duplicate", file_id=file_id,
                                                   note=f"already loaded as file {file_id}; nothing to do"))
        elif verdict.system_error:
            run.report.outcomes.append(FileOutcome(verdict=verdict, status="failed", note=verdict.system_error))
        elif verdict.passed and isinstance(parsed.outcome, FileOutcome):
            run.report.outcomes.append(parsed.outcome)
        elif verdict.passed:
            try:
                run.report.outcomes.append(ingestor.load(con, verdict, parsed))
            except Exception as error:  # noqa: BLE001 - the transaction rolled back; other files go on
                run.report.outcomes.append(FileOutcome(verdict=verdict, status="failed",
                                                       note=f"load failed: {type(error).__name__}: {error}"))
        else:
            target = quarantine_target(settings, verdict)
            run.report.outcomes.append(ingestor.record_refusal(con, verdict, str(target)))
            run.pending.append(PendingQuarantine(verdict, target))


def apply_quarantine(settings: Settings, run: IngestRun) -> None:
    """After publication: keep each refused file in quarantine/ with its reports."""
    for item in run.pending:
        move_to_quarantine(settings, item.verdict, item.target)


def validate_files(settings: Settings, files: list[Path], source: str | None = None, today: date | None = None,
                   period: str | None = None) -> IngestReport:
    """Check only: same messages as ingest, nothing loaded, nothing moved."""
    report = IngestReport()
    ingestor = Ingestor(settings, catalogue(), "validate-only", today=today, period=period)
    known: dict[str, int] = {}
    if settings.warehouse_path.exists():
        try:
            with connect_read_only(settings.warehouse_path) as con:
                known = ingestor.loaded_hashes(con)
                ingestor.areas = load_area_lookup(con)
        except duckdb.Error:
            known = {}
    for verdict, parsed in ingestor.check(files, source, known):
        if parsed is None:
            report.outcomes.append(FileOutcome(verdict=verdict, status="duplicate", file_id=known[verdict.sha256],
                                               note=f"already loaded as file {known[verdict.sha256]}"))
        elif verdict.system_error:
            report.outcomes.append(FileOutcome(verdict=verdict, status="failed", note=verdict.system_error))
        else:
            report.outcomes.append(FileOutcome(verdict=verdict, status="passed" if verdict.passed else "refused"))
    return report
