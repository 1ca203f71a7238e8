"""What a build must recompute: incremental marts and indicator windows, by design.

Every marts model with a `month` column is month-local: its rows for a month depend only on the
files loaded for that month (and, for repeat flags, on earlier months), given the things every
month shares: the model SQL and CSP area, the reference data (lookups, populations, survey waves:
every file whose period is not a month), the LSOA placements and the areas the marts report on
(intermediate.int_areas). So a build compares what it reads now with what the last build read:

* any shared thing changed (its fingerprint in audit.model_fingerprints), no earlier build, a marts
  table missing, or `full_refresh` → a **full** rebuild of every mart;
* else the months whose latest file changed (audit.model_inputs: per source, month and scope, the
  file the last build read; a new, revised or withdrawn file, or a month that arrives late) → an
  **incremental** build: monthly marts keep their rows before the earliest such month and
  recompute the rest;
* nothing changed → **unchanged**: the monthly marts are left as they are.

Each build is logged in audit.model_builds (mode, first month recomputed). The indicator engine
reads that log to know which windows to recompute: every build since the last one it consumed
(audit.model_fingerprints part 'engine_build'); a full build, changed definitions (indicators,
plans, recording changes) or `full_refresh` make it recompute every window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import duckdb

from warehouse.schema import table_exists

STATE_DDL = (
    """create table if not exists audit.model_inputs (
        source varchar, period varchar, scope varchar, file_id bigint)""",
    """create table if not exists audit.model_fingerprints (part varchar primary key, fingerprint varchar)""",
    """create table if not exists audit.model_builds (
        build_id integer primary key, built_at timestamp default current_timestamp, mode varchar,
        since date, reason varchar)""",
)
STATE_COMMENTS = {
    "audit.model_inputs": "Per source, month and scope, the latest file the last marts build read (incremental builds compare with it).",
    "audit.model_fingerprints": "Fingerprints of what every month shares (model SQL, reference data, placements, areas, definitions) at the last build.",
    "audit.model_builds": "One row per marts build: full, incremental (since = first month recomputed) or unchanged, and why.",
}

# Latest file per source, month and scope: what the monthly marts read.
_MONTHLY_INPUTS = """
    select source, period, scope, max(file_id) as file_id from audit.file_periods
    where regexp_full_match(period, '\\d{4}-\\d{2}') group by all"""
# Everything else (reference data, populations, survey waves): shared by every month.
SHARED_INPUTS = """
    select source, period, scope, max(file_id) as file_id from audit.file_periods
    where not regexp_full_match(period, '\\d{4}-\\d{2}') group by all order by all"""


# `since` of a build or engine run that changed no month: after every month a warehouse holds (pandas
# timestamps end in 2262, so not date.max).
AFTER_EVERY_MONTH = date(2200, 1, 1)


@dataclass(frozen=True)
class Refresh:
    mode: str  # 'full' | 'incremental' | 'unchanged'
    since: date | None  # first month recomputed (incremental only)
    reason: str

    def as_dict(self) -> dict[str, str | None]:
        return {"mode": self.mode, "since": self.since.isoformat() if self.since else None, "reason": self.reason}


def ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    for statement in STATE_DDL:
        con.execute(statement)
    for table, comment in STATE_COMMENTS.items():
        con.execute(f"comment on table {table} is '{comment}'")


def digest(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def table_digest(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Order-independent fingerprint of a table's rows (row count and sum of row hashes)."""
    count, total = con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {table} as t").fetchall()[0]
    return f"{count}:{total}"


def shared_fingerprints(con: duckdb.DuckDBPyConnection, model_text: str) -> dict[str, str]:
    """What every month's marts rows share, fingerprinted (after staging, placements and int_areas are built)."""
    shared = con.execute(SHARED_INPUTS).fetchall() if table_exists(con, "audit", "file_periods") else []
    return {
        "models": digest(model_text),
        "shared_inputs": digest(shared),
        "placements": table_digest(con, "reference.lsoa_placements"),
        "areas": table_digest(con, "intermediate.int_areas"),
    }


def stored_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select part, fingerprint from audit.model_fingerprints").fetchall())


def save_fingerprints(con: duckdb.DuckDBPyConnection, parts: dict[str, str]) -> None:
    for part, value in parts.items():
        con.execute("insert or replace into audit.model_fingerprints values (?, ?)", [part, value])


def decide(con: duckdb.DuckDBPyConnection, fingerprints: dict[str, str], marts: list[str], full_refresh: bool) -> Refresh:
    """Full, incremental (from the earliest month whose latest file changed) or unchanged."""
    if full_refresh:
        return Refresh("full", None, "full refresh asked for")
    builds = con.execute("select count(*) from audit.model_builds").fetchall()[0][0]
    if not builds:
        return Refresh("full", None, "first build")
    missing = [table for table in marts if not table_exists(con, "marts", table)]
    if missing:
        return Refresh("full", None, f"marts.{missing[0]} is missing")
    stored = stored_fingerprints(con)
    changed = [part for part, value in fingerprints.items() if stored.get(part) != value]
    if changed:
        return Refresh("full", None, f"changed: {', '.join(changed)}")
    if not table_exists(con, "audit", "file_periods"):
        return Refresh("unchanged", None, "no files")
    row = con.execute(f"""
        with now as ({_MONTHLY_INPUTS}), before as (select * from audit.model_inputs),
        differ as (
            (select * from now except select * from before)
            union all
            (select * from before except select * from now))
        select min(period) from differ""").fetchall()[0][0]
    if row is None:
        return Refresh("unchanged", None, "no month's files changed")
    return Refresh("incremental", date(int(row[:4]), int(row[5:7]), 1), f"files changed from {row}")


def record_build(con: duckdb.DuckDBPyConnection, refresh: Refresh, fingerprints: dict[str, str]) -> int:
    """Remember what this build read (for the next build) and log it (for the engine)."""
    if table_exists(con, "audit", "file_periods"):
        con.execute(f"create or replace table audit.model_inputs as {_MONTHLY_INPUTS}")
        con.execute(f"comment on table audit.model_inputs is '{STATE_COMMENTS['audit.model_inputs']}'")
    save_fingerprints(con, fingerprints)
    build_id = con.execute("select coalesce(max(build_id), 0) + 1 from audit.model_builds").fetchall()[0][0]
    con.execute("insert into audit.model_builds (build_id, mode, since, reason) values (?, ?, ?, ?)",
                [build_id, refresh.mode, refresh.since, refresh.reason])
    return int(build_id)


def engine_refresh(con: duckdb.DuckDBPyConnection, definitions: str, full_refresh: bool) -> tuple[Refresh, int]:
    """Which windows the engine recomputes: every build since the one it last consumed decides.

    Returns the refresh and the latest build id (saved with `engine_done` once the values are written)."""
    ensure_state(con)
    latest = con.execute("select coalesce(max(build_id), 0) from audit.model_builds").fetchall()[0][0]
    stored = stored_fingerprints(con)
    if full_refresh:
        return Refresh("full", None, "full refresh asked for"), latest
    if not table_exists(con, "marts", "indicator_values") or "engine_build" not in stored:
        return Refresh("full", None, "first computation"), latest
    if stored.get("engine_definitions") != definitions:
        return Refresh("full", None, "indicator definitions, plans or recording changes changed"), latest
    since_build = int(stored["engine_build"])
    rows = con.execute("select mode, since from audit.model_builds where build_id > ?", [since_build]).fetchall()
    if any(mode == "full" for mode, _ in rows):
        return Refresh("full", None, "a full marts build since the last computation"), latest
    months = [since for mode, since in rows if mode == "incremental"]
    if not months:
        return Refresh("unchanged", None, "no marts month changed"), latest
    first = min(months)
    return Refresh("incremental", first, f"marts changed from {first:%Y-%m}"), latest


def engine_done(con: duckdb.DuckDBPyConnection, definitions: str, build_id: int) -> None:
    save_fingerprints(con, {"engine_definitions": definitions, "engine_build": str(build_id)})


def forget_engine(con: duckdb.DuckDBPyConnection) -> None:
    """The next engine run recomputes every window (indicator_values was written by someone else, e.g. the
    multi-area flow, whose rows an incremental run must not keep)."""
    if table_exists(con, "audit", "model_fingerprints"):
        con.execute("delete from audit.model_fingerprints where part in ('engine_build', 'engine_definitions')")


def placements_kept(con: duckdb.DuckDBPyConnection, full_refresh: bool) -> bool:
    """Can reference.lsoa_placements stay as the last build left it? Yes unless what it reads changed: a
    reference file (lookups, boundaries, districts: every file whose period is not a month), or a police.uk
    file loaded since that build holding an LSOA code the placements do not know. Then a monthly run does
    not read every month's records again. Records the inputs seen (call before building the placements).

    Kept placements may still hold an LSOA (placed by its name) seen only in a file since superseded; a
    full rebuild drops it. No record uses it, so no count changes."""
    inputs = digest(con.execute(SHARED_INPUTS).fetchall() if table_exists(con, "audit", "file_periods") else [])
    newest = con.execute("select coalesce(max(file_id), 0) from audit.files").fetchall()[0][0]
    stored = stored_fingerprints(con)
    kept = (not full_refresh and table_exists(con, "reference", "lsoa_placements")
            and stored.get("placements_inputs") == inputs and "placements_file" in stored)
    if kept:
        kept = not con.execute(
            "select count(*) from (select distinct lsoa_code from staging.stg_police__street_records "
            "where _file_id > ? and lsoa_code is not null and lsoa_name is not null) as seen "
            "anti join reference.lsoa_placements using (lsoa_code)", [int(stored["placements_file"])]).fetchall()[0][0]
    save_fingerprints(con, {"placements_inputs": inputs, "placements_file": str(newest)})
    return kept
