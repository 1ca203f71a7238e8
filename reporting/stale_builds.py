"""Report folders a killed run left behind: `reports/.<period>.building-<run id>.<random>`.

publish_reports builds every report in such a side folder and swaps it into place; a run killed
while writing (SIGKILL, power loss) leaves the folder. Only the writer of the data directory may
clean them, under its lock (warehouse.publish.writer_lock), so a live run's folder is never touched:
the monthly flow calls `clean_stale_builds` inside `warehouse_for_writing`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse.runs import record_killed_run

_BUILDING = re.compile(r"^\.(?P<period>[^.]+)\.building-(?:(?P<run_id>[0-9a-f-]{36})\.)?")


@dataclass(frozen=True)
class StaleBuild:
    path: Path
    period: str
    run_id: str | None  # None for folders of older versions, whose names held no run id
    started_at: datetime


def building_prefix(period: str, run_id: str | None) -> str:
    """The side folder's name prefix (tempfile.mkdtemp adds a random suffix)."""
    return f".{period}.building-{run_id}." if run_id else f".{period}.building-"


def stale_builds(reports_dir: Path) -> list[StaleBuild]:
    """Every side folder under reports_dir (call only under the writer's lock: then none is live)."""
    found = []
    for path in sorted(reports_dir.glob(".*.building-*")) if reports_dir.exists() else []:
        match = _BUILDING.match(path.name)
        if path.is_dir() and match:
            found.append(StaleBuild(path, match["period"], match["run_id"],
                                    datetime.fromtimestamp(path.stat().st_mtime)))
    return found


def clean_stale_builds(con: duckdb.DuckDBPyConnection, reports_dir: Path, area_code: str,
                       found_by: str) -> list[StaleBuild]:
    """Record each killed run as failed (in the side copy being built) and delete its folder.

    Returns the killed runs newly recorded, so the caller can write their failure reports.
    """
    recorded = []
    for build in stale_builds(reports_dir):
        if build.run_id and record_killed_run(con, run_id=build.run_id, period=build.period, area_code=area_code,
                                              found_by=found_by, started_at=build.started_at):
            recorded.append(build)
        shutil.rmtree(build.path, ignore_errors=True)
    return recorded
