"""Register, check, load and quarantine extract files: the mechanism every source goes through.

Per file: sha256 → (already loaded? no-op) → read → check header and values against the source's
suite → load into raw.<source> in ONE transaction with its audit rows, or refuse it: no rows reach
raw, the file goes to quarantine/ with a JSON and an HTML report naming file, row, column and rule.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from expectations.area import (
    AreaLookup,
    area_issues,
    claimed_area_issue,
    frame_area_groups,
    sql_area_groups,
    sql_files_refused,
)
from expectations.gx_engine import validate_batch
from expectations.problems import Issue, Verdict
from expectations.sources import SourceCatalogue, SourceSpec
from expectations.sql_engine import evaluate
from warehouse.config import Settings
from warehouse.quarantine_report import write_reports
from warehouse.readers import (
    CSV_SCAN_FILES,
    NO_ROWS,
    ParsedFile,
    column_map,
    csv_columns,
    issues_from_rejects,
    parse_csv_body,
    read_file,
    rejects_by_file,
    unreadable_csv,
)
from warehouse.schema import ensure_schema

# Rows validated per GX batch: bounds memory (pandas frames) at ~1 GB for national files at equal speed.
BATCH_ROWS = 100_000
# File bytes per DuckDB-path batch (one scan, one transaction): the batch is staged in a temp table (~2x its bytes,
# spilled to disk beyond the memory limit). Each batch pays a fixed cost for its rule and area queries; the sizes
# tried and their times and peaks are in benchmarks/README.md (fix 12).
SQL_BATCH_BYTES = 512 << 20
SUPPORTED_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".geojson", ".txt", ".tsv", ".json", ".xls"}


@dataclass
class FileOutcome:
    """What happened to one file in a run."""

    verdict: Verdict
    status: str  # loaded | quarantined | duplicate | passed (validate only) | refused (validate only)
    file_id: int | None = None
    rows_loaded: int = 0
    superseded: list[int] = field(default_factory=list)
    quarantine_path: str | None = None
    note: str = ""

    def line(self) -> str:
        v = self.verdict
        if self.status == "loaded":
            extra = f"; supersedes file {', '.join(map(str, self.superseded))}" if self.superseded else ""
            return f"loaded      {v.source} {v.file_name}: {self.rows_loaded:,} rows, {_span(v.periods)}{extra}"
        if self.status == "passed":
            return f"ok          {v.source} {v.file_name}: {v.rows:,} rows, {_span(v.periods)} ({v.rules_checked} rules)"
        if self.status == "duplicate":
            return f"unchanged   {v.source} {v.file_name}: {self.note}"
        if self.status == "failed":
            return f"FAILED      {v.source} {v.file_name}: {self.note} (the file stays in the inbox and is retried next run)"
        where = f" -> {self.quarantine_path}" if self.quarantine_path else ""
        return f"REFUSED     {v.reason()}{where}"


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def loaded(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "loaded"]

    @property
    def refused(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status in {"quarantined", "refused"}]

    def summary(self) -> dict:
        by_source: dict[str, dict] = {}
        for outcome in self.outcomes:
            entry = by_source.setdefault(outcome.verdict.source or "unrecognised",
                                         {"loaded": 0, "refused": 0, "unchanged": 0, "failed": 0, "rows": 0})
            key = {"loaded": "loaded", "passed": "loaded", "duplicate": "unchanged", "failed": "failed"}.get(outcome.status, "refused")
            entry[key] += 1
            entry["rows"] += outcome.rows_loaded
        return by_source


def _span(periods: list[str]) -> str:
    if not periods:
        return "no period"
    return periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def hashed_ahead(paths: Iterable[Path]) -> Iterator[tuple[Path, Future[str]]]:
    """(path, its sha256 under way) in order. One thread hashes the files one after another while the caller
    reads, checks and loads the earlier ones: hashlib releases the GIL on large buffers, so hashing overlaps
    DuckDB's scans (and warms the page cache for them). Leaving early cancels the hashes not yet started."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    try:
        futures = [(path, pool.submit(sha256_file, path)) for path in paths]
        yield from futures
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and every data file under folders named (sorted, reports skipped)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist")
        if path.is_file():
            found.append(path)
            continue
        for child in sorted(path.rglob("*")):
            if not child.is_file() or any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            if child.name.endswith((".errors.json", ".errors.html")) or child.name.lower().endswith(("readme.md", ".md")):
                continue
            found.append(child)
    unique: dict[Path, None] = {}
    for path in found:
        unique.setdefault(path.resolve(), None)
    return list(unique)


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Keyed hash (HMAC-SHA256) of person keys; the same person gets the same token, the key never leaves."""
    def one(value: object) -> object:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return None
        return hmac.new(key, str(value).strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return pd.Series([one(v) for v in values], index=values.index, dtype=object)


class Ingestor:
    """Checks files and (when given a connection) loads them. One instance per run."""

    def __init__(self, settings: Settings, catalogue: SourceCatalogue, run_id: str, today: date | None = None,
                 period: str | None = None):
        self.settings = settings
        self.period = period  # --period: the period every file claims, whatever its name says
        self.catalogue = catalogue
        self.run_id = run_id
        self.today = today or date.today()
        self._sources_by_sha: dict[str, str | None] = {}
        self._scratch_con: duckdb.DuckDBPyConnection | None = None
        self.areas = AreaLookup()  # set by the caller once the ONS lookups are loaded (warehouse.area_lookup)
        self.timings: dict[str, float] = defaultdict(float)  # seconds per part of the ingest (benchmarks report them)

    @contextmanager
    def timed(self, part: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[part] += time.perf_counter() - started

    def claim(self, spec: SourceSpec, file_name: str) -> str | None:
        """The period a file claims: --period when given, else what its name says (None: no claim)."""
        if self.period is not None and spec.period is not None:
            return self.period if spec.period.grain == "month" else self.period[:4]
        return spec.claimed_period(file_name)

    def _period_claim_issue(self, spec: SourceSpec, file_name: str) -> Issue | None:
        """A source whose contract reads the period from the file name refuses a name that claims none."""
        if spec.period is None or not spec.period.filename_regex or self.claim(spec, file_name) is not None:
            return None
        return period_claim_issue(spec, file_name)

    def _area_issues(self, spec: SourceSpec, groups_of, rows: int) -> list[Issue]:
        """The area check of a file that passed its suite (no check without an area or without lookups)."""
        if spec.area is None or not self.areas.loaded:
            return []
        return area_issues(spec, self.catalogue, groups_of(), rows, self.areas, self.settings.area)

    def _sql_area_issues(self, con: duckdb.DuckDBPyConnection, spec: SourceSpec, rows: dict[int, int]) -> dict[int, list[Issue]]:
        """The area check of the batch's files that passed their suite (file id → rows): one grouped query
        for them all; only a file it refuses is read again for its groups' first rows, to word the issues."""
        if spec.area is None or not self.areas.loaded or not rows:
            return {}
        refused = sql_files_refused(spec, self.catalogue, con, spec.raw_table, rows, self.areas, self.settings.area)
        return {file_id: self._area_issues(spec, lambda fid=file_id: sql_area_groups(spec, con, spec.raw_table, fid),
                                           rows[file_id]) for file_id in refused}

    # -- checking -------------------------------------------------------------------------
    def _verdict(self, path: Path, sha: str, parsed: ParsedFile) -> Verdict:
        return Verdict(path=str(path), file_name=path.name, source=parsed.source.name if parsed.source else None,
                       sha256=sha, size_bytes=path.stat().st_size,
                       rows=0 if parsed.frame is None else len(parsed.frame),
                       issues=list(parsed.issues), header_row=parsed.header_row)

    def _person_key_issue(self, spec: SourceSpec) -> Issue | None:
        if spec.person_keys and self.settings.effective_pseudonym_key() is None:
            headers = ", ".join(spec.column(name).header for name in spec.person_keys)
            return Issue(rule="person_key_without_secret", column=headers, message=(
                f"this source carries person keys ({headers}) and no pseudonymisation key is configured; "
                "set CSP_PSEUDONYM_KEY (or the Prefect Secret block 'csp-pseudonym-key') and ingest again - "
                "raw person keys are never stored"))
        return None

    def check(self, paths: list[Path], source: str | None, known: dict[str, int],
              con: duckdb.DuckDBPyConnection | None = None) -> Iterator[tuple[Verdict, ParsedFile | None]]:
        """Yield (verdict, parsed) per file, in batches of one source validated together.

        Files of `validation: duckdb` sources are parsed, checked and - when `con` is the warehouse
        being built - loaded inside DuckDB in one step (parsed.outcome is then set). Without `con`
        they are checked in a scratch in-memory database and nothing is kept.
        """
        pending: dict[str, list[tuple[Path, str, ParsedFile]]] = {}
        pending_size: dict[str, int] = {}

        def flush(name: str) -> Iterator[tuple[Verdict, ParsedFile | None]]:
            batch = pending.pop(name, [])
            pending_size.pop(name, None)
            if not batch:
                return
            if self.catalogue[name].validation == "duckdb":
                yield from self._sql_batch(con, batch)
                return
            try:
                spec = self.catalogue[name]
                checks = validate_batch([parsed for _, _, parsed in batch], today=self.today,
                                        claims=[self.claim(spec, path.name) for path, _, _ in batch])
            except Exception as error:  # noqa: BLE001 - one source's failure must not stop the others
                yield from self._failed(batch, f"validation of {name} failed: {type(error).__name__}: {error}")
                return
            for (path, sha, parsed), result in zip(batch, checks):
                verdict = self._verdict(path, sha, parsed)
                verdict.issues.extend(result.issues)
                if not result.issues and parsed.frame is not None:
                    frame, spec = parsed.frame, self.catalogue[name]
                    verdict.issues.extend(self._area_issues(spec, lambda s=spec, f=frame: frame_area_groups(s, f), len(frame)))
                verdict.rules_checked = result.rules_checked
                verdict.periods = result.periods
                yield verdict, parsed

        for path, hashing in hashed_ahead(paths):
            with self.timed("sha256"):  # the wait for the hash: it runs ahead on its own thread
                sha = hashing.result()
            if sha in known:
                verdict = Verdict(path=str(path), file_name=path.name, source=None, sha256=sha, size_bytes=path.stat().st_size)
                verdict.source = self._sources_by_sha.get(sha)
                yield verdict, None
                continue
            with self.timed("read_headers"):
                parsed = read_file(path, self.catalogue, source, csv_body=False)
            if parsed.source is not None and not parsed.issues:
                for issue in (self._person_key_issue(parsed.source), self._period_claim_issue(parsed.source, path.name),
                              claimed_area_issue(parsed.source, path.name, self.areas, self.settings.area)):
                    if issue:
                        parsed.issues.append(issue)
            in_sql = parsed.source is not None and parsed.source.validation == "duckdb"  # CSV only (sources.py)
            if not parsed.issues and parsed.frame is None and parsed.source is not None and not in_sql:
                parse_csv_body(parsed)
            if parsed.issues or (parsed.frame is None and not in_sql) or parsed.source is None:
                yield self._verdict(path, sha, parsed), parsed
                continue
            name = parsed.source.name
            pending.setdefault(name, []).append((path, sha, parsed))
            if in_sql:
                pending_size[name] = pending_size.get(name, 0) + path.stat().st_size
                full = pending_size[name] >= SQL_BATCH_BYTES
            else:
                rows = len(parsed.frame) if parsed.frame is not None else 0
                pending_size[name] = pending_size.get(name, 0) + rows
                full = pending_size[name] >= BATCH_ROWS
            if full:
                yield from flush(name)
        for name in list(pending):
            yield from flush(name)

    def _failed(self, batch, message: str) -> Iterator[tuple[Verdict, ParsedFile]]:
        for path, sha, parsed in batch:
            verdict = self._verdict(path, sha, parsed)
            verdict.system_error = message
            yield verdict, parsed

    # -- the DuckDB path ------------------------------------------------------------------
    def _sql_batch(self, con: duckdb.DuckDBPyConnection | None, batch: list) -> Iterator[tuple[Verdict, ParsedFile]]:
        """Load a batch straight from CSV into raw, run the suite in SQL, keep only passing files - one transaction.

        A file DuckDB cannot parse is refused on its own and the batch is redone without it; any other
        error redoes the files one by one, so one file's failure never stops the others.
        """
        name = batch[0][2].source.name
        target = con if con is not None else self._scratch()
        try:
            results = self._sql_transaction(target, batch, keep=con is not None)
        except _Unreadable as broken:
            path, sha, parsed = batch[broken.index]
            parsed.issues.append(unreadable_csv(broken.error))
            rest = batch[: broken.index] + batch[broken.index + 1:]
            yield self._verdict(path, sha, parsed), parsed
            if rest:
                yield from self._sql_batch(con, rest)
            return
        except Exception as error:  # noqa: BLE001 - isolate the file that fails
            if len(batch) > 1:
                for item in batch:
                    yield from self._sql_batch(con, [item])
                return
            yield from self._failed(batch, f"load of {name} failed: {type(error).__name__}: {error}")
            return
        yield from results

    def _scratch(self) -> duckdb.DuckDBPyConnection:
        if self._scratch_con is None:
            self._scratch_con = duckdb.connect()
            ensure_schema(self._scratch_con, self.catalogue)
        return self._scratch_con

    def _sql_transaction(self, con: duckdb.DuckDBPyConnection, batch: list, keep: bool) -> list[tuple[Verdict, ParsedFile]]:
        """One scan per header layout into a temp table, row numbers per file, insert into raw, rules, audit."""
        spec = batch[0][2].source
        now = datetime.now()
        names = ", ".join(f'"{c.name}"' for c in spec.columns)
        con.begin()
        try:
            file_ids = [row[0] for row in con.execute(
                "select nextval('audit.file_id_seq') from range(?)", [len(batch)]).fetchall()]
            con.execute("drop table if exists reject_errors; drop table if exists reject_scans")
            con.execute("set preserve_insertion_order = true")  # rows reach `incoming` in file order (rowid numbers them)
            con.execute(f"create or replace temp table incoming ({', '.join(f'{n} varchar' for n in names.split(', '))}, "
                        "position integer)")
            layouts: dict[tuple[str, ...], list[int]] = {}
            for position, (_, _, parsed) in enumerate(batch):
                layouts.setdefault(tuple(parsed.headers), []).append(position)
            for headers, positions in layouts.items():
                columns = column_map(spec, list(headers))
                select = ", ".join(columns[c.name] for c in spec.columns)
                try:
                    # position: the file's place in the batch (file_index: in this scan). No row_number() here: it
                    # makes the scan single-threaded. The table's rowid numbers the rows in the scan's order instead
                    # (preserve_insertion_order, DuckDB's default, set below): each file one block, checked.
                    with self.timed("scan_csv"):
                        con.execute(f"insert into incoming select {select}, (?::integer[])[file_index::bigint + 1] "
                                    f"from {CSV_SCAN_FILES}",
                                    [positions, [str(batch[p][0]) for p in positions], csv_columns(list(headers))])
                except duckdb.Error as error:
                    if len(batch) == 1:  # the file's own fault: refused; in a larger batch, find it file by file
                        con.rollback()
                        raise _Unreadable(0, error) from error
                    raise
            with self.timed("insert_raw"):  # row numbers per file, one insert into raw
                found = {position: (first, last, rows) for position, first, last, rows in con.execute(
                    "select position, min(rowid), max(rowid), count(*) from incoming group by position").fetchall()}
                if any(last - first + 1 != rows for first, last, rows in found.values()):
                    raise RuntimeError("a file's rows did not arrive in one ordered block; loading file by file")
                stats = {str(batch[position][0]): value for position, value in found.items()}
                con.execute("create or replace temp table incoming_files as select unnest(?::integer[]) as position, "
                            "unnest(?::bigint[]) as file_id, unnest(?::bigint[]) as first_g",
                            [list(found), [file_ids[p] for p in found], [first for first, _, _ in found.values()]])
                con.execute(f"insert into {spec.raw_table} ({names}, _file_id, _row_number, _loaded_at) "
                            f"select {names}, file_id, (incoming.rowid - first_g + 2)::integer, ? from incoming "
                            "join incoming_files using (position)", [now])
                con.execute("drop table incoming; drop table incoming_files")
            rejects = rejects_by_file(con)
            verdicts: list[Verdict] = []
            for (path, sha, parsed) in batch:
                parsed.issues.extend(issues_from_rejects(rejects.get(str(path), []), path))
                rows = stats.get(str(path), (0, 0, 0))[2]
                if not parsed.issues and rows == 0:
                    parsed.issues.append(NO_ROWS)
                verdict = self._verdict(path, sha, parsed)
                verdict.rows = int(rows)
                verdicts.append(verdict)
            checked = {fid: self.claim(spec, v.file_name) for fid, v in zip(file_ids, verdicts) if v.passed}
            with self.timed("rules"):
                results = evaluate(con, spec.raw_table, spec, checked, today=self.today) if checked else {}
            with self.timed("area"):
                area = self._sql_area_issues(con, spec, {fid: v.rows for fid, v in zip(file_ids, verdicts)
                                                         if fid in results and not results[fid].issues})
            out = []
            refused = []
            passing = []
            for file_id, verdict, (_, _, parsed) in zip(file_ids, verdicts, batch):
                result = results.get(file_id)
                if result is not None:
                    verdict.issues.extend(result.issues)
                    verdict.rules_checked = result.rules_checked
                    verdict.periods = result.periods
                    verdict.issues.extend(area.get(file_id, []))
                if not verdict.passed:
                    refused.append(file_id)
                else:
                    assert result is not None, "every passing file was in `checked`, so it was evaluated"
                    passing.append((file_id, verdict, result.scope, parsed))
                out.append((verdict, parsed))
            if keep and passing:
                with self.timed("audit"):
                    superseded = self._record_loads(con, spec, [(f, v, scope) for f, v, scope, _ in passing], now)
                for file_id, verdict, _, parsed in passing:
                    parsed.outcome = FileOutcome(verdict=verdict, status="loaded", file_id=file_id,
                                                 rows_loaded=verdict.rows, superseded=superseded[file_id])
            if refused:
                con.execute(f"delete from {spec.raw_table} where _file_id in (select unnest(?::bigint[]))", [refused])
            con.commit() if keep else con.rollback()
        except _Unreadable:
            raise
        except BaseException:
            con.rollback()
            raise
        return out

    # -- loading --------------------------------------------------------------------------
    def loaded_hashes(self, con: duckdb.DuckDBPyConnection | None) -> dict[str, int]:
        if con is None:
            return {}
        rows = con.execute("select sha256, file_id, source, received_at from audit.files where status = 'loaded'").fetchall()
        self._sources_by_sha = {sha: source for sha, _, source, _ in rows}
        return {sha: file_id for sha, file_id, _, _ in rows}

    def load(self, con: duckdb.DuckDBPyConnection, verdict: Verdict, parsed: ParsedFile) -> FileOutcome:
        """Load a passing file: raw rows + audit rows in one transaction."""
        received = parsed.frame
        if verdict.source is None or received is None:
            raise ValueError(f"{verdict.file_name}: only a recognised file whose rows were read can be loaded")
        spec = self.catalogue[verdict.source]
        frame = received.copy()
        if spec.person_keys:
            key = self.settings.effective_pseudonym_key()
            if key is None:
                raise ValueError(f"{verdict.file_name}: {spec.name} holds person keys but no pseudonym key "
                                 "is configured (set CSP_PSEUDONYM_KEY)")
            for name in spec.person_keys:
                frame[name] = pseudonymise(frame[name], key)
        frame = frame.astype(object).where(frame.notna(), None)
        frame.index.name = "_row_number"
        frame = frame.reset_index()
        table = pa.Table.from_pandas(frame, preserve_index=False,
                                     schema=pa.schema([("_row_number", pa.int32())] + [(c.name, pa.string()) for c in spec.columns]))
        now = datetime.now()
        scope = ""
        if spec.revision_scope:
            scope = "|".join(sorted({str(v) for v in received[spec.revision_scope].dropna().unique()}))
        con.begin()
        try:
            file_id = con.execute("select nextval('audit.file_id_seq')").fetchall()[0][0]
            con.register("incoming_rows", table)
            names = ", ".join(f'"{c.name}"' for c in spec.columns)
            con.execute(f"insert into {spec.raw_table} ({names}, _file_id, _row_number, _loaded_at) "
                        f"select {names}, ?, _row_number, ? from incoming_rows", [file_id, now])
            con.unregister("incoming_rows")
            superseded = self._record_load(con, spec, file_id, verdict, scope, len(frame), now)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return FileOutcome(verdict=verdict, status="loaded", file_id=file_id, rows_loaded=len(frame), superseded=superseded)

    def _record_load(self, con, spec: SourceSpec, file_id: int, verdict: Verdict, scope: str, rows: int, now: datetime) -> list[int]:
        """Audit rows of a loaded file (inside the caller's transaction); returns the files it supersedes."""
        return self._record_loads(con, spec, [(file_id, verdict, scope)], now, rows={file_id: rows})[file_id]

    def _record_loads(self, con, spec: SourceSpec, loaded: list[tuple[int, Verdict, str]], now: datetime,
                      rows: dict[int, int] | None = None) -> dict[int, list[int]]:
        """Audit rows of loaded files, in order (inside the caller's transaction): {file_id: files it supersedes}.

        A file supersedes every earlier loaded file holding one of its periods for the same scope,
        including earlier files of the same batch.
        """
        holders: dict[tuple[str, str], set[int]] = {}
        periods = sorted({p for _, v, _ in loaded for p in v.periods})
        if periods:
            for period, scope, file_id in con.execute(
                    "select period, scope, file_id from audit.file_periods where source = ? "
                    "and period in (select unnest(?::varchar[])) and scope in (select unnest(?::varchar[]))",
                    [spec.name, periods, sorted({scope for _, _, scope in loaded})]).fetchall():
                holders.setdefault((period, scope), set()).add(file_id)
        earlier: list[int] = []
        if spec.period is None:
            earlier = [row[0] for row in con.execute(
                "select file_id from audit.files where source = ? and status = 'loaded' order by 1", [spec.name]).fetchall()]
        superseded: dict[int, list[int]] = {}
        file_rows, period_rows = [], []
        for file_id, verdict, scope in loaded:
            if verdict.periods:
                superseded[file_id] = sorted(set().union(*(holders.get((p, scope), set()) for p in verdict.periods)))
                for period in verdict.periods:
                    holders.setdefault((period, scope), set()).add(file_id)
            else:
                superseded[file_id] = list(earlier) if spec.period is None else []
                earlier.append(file_id)
            file_rows.append(self._file_row(file_id, verdict, "loaded", now, (rows or {}).get(file_id, verdict.rows),
                                            superseded[file_id]))
            period_rows += [[file_id, spec.name, period, now, scope] for period in verdict.periods or ["*"]]
        _insert_rows(con, "audit.files", file_rows)
        _insert_rows(con, "audit.file_periods", period_rows, ["file_id", "source", "period", "loaded_at", "scope"])
        return superseded

    def record_refusal(self, con: duckdb.DuckDBPyConnection, verdict: Verdict, quarantine_path: str) -> FileOutcome:
        now = datetime.now()
        con.begin()
        try:
            file_id = con.execute("select nextval('audit.file_id_seq')").fetchall()[0][0]
            self._insert_file(con, file_id, verdict, "quarantined", now, rows_loaded=0, superseded=[],
                              quarantine_path=quarantine_path)
            con.executemany("insert into audit.validation_results values (?, ?, ?, ?, ?, ?, ?)", [
                [file_id, verdict.source, issue.rule, issue.column, issue.count or len(issue.rows) or None,
                 list(issue.rows[:50]), issue.sentence(verdict.source, verdict.file_name)]
                for issue in verdict.issues])
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return FileOutcome(verdict=verdict, status="quarantined", file_id=file_id, quarantine_path=quarantine_path)

    def _insert_file(self, con, file_id, verdict: Verdict, status, now, rows_loaded, superseded, quarantine_path=None):
        row = self._file_row(file_id, verdict, status, now, rows_loaded, superseded, quarantine_path)
        con.execute(f"insert into audit.files values ({', '.join(['?'] * len(row))})", row)

    def _file_row(self, file_id, verdict: Verdict, status, now, rows_loaded, superseded, quarantine_path=None) -> list:
        """One audit.files row, in column order."""
        periods = verdict.periods or []
        spec = self.catalogue.sources.get(verdict.source or "")
        claimed = self.claim(spec, verdict.file_name) if spec else None
        return [file_id, verdict.source, verdict.file_name, verdict.path, verdict.sha256, verdict.size_bytes, now, status,
                verdict.reason() or None, verdict.rows, rows_loaded, periods[0] if periods else None,
                periods[-1] if periods else None, periods, claimed, verdict.header_row, verdict.rules_checked,
                superseded, quarantine_path, self.run_id]


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[list], columns: list[str] | None = None) -> None:
    """Many rows in one statement (executemany runs one statement per row)."""
    if not rows:
        return
    columns = columns or [row[0] for row in con.execute(
        "select column_name from duckdb_columns() where schema_name || '.' || table_name = ? order by column_index",
        [table]).fetchall()]
    incoming = pa.Table.from_pylist([dict(zip(columns, row)) for row in rows])
    con.register("incoming_audit_rows", incoming)
    try:
        con.execute(f"insert into {table} by name select * from incoming_audit_rows")
    finally:
        con.unregister("incoming_audit_rows")


class _Unreadable(Exception):
    """DuckDB could not parse file number `index` of a batch (the transaction is already rolled back)."""

    def __init__(self, index: int, error: Exception):
        super().__init__(str(error))
        self.index = index
        self.error = error


def period_claim_issue(spec: SourceSpec, file_name: str) -> Issue:
    """'the file name claims no period ...: name it like da_incidents_2018-02.csv, or --period'."""
    assert spec.period is not None
    example_period = "2018-02" if spec.period.grain == "month" else "2017"
    pattern = spec.file_pattern
    if "????-??" in pattern:
        example = pattern.replace("????-??", example_period).replace("*", "kent")
    else:
        example = pattern.replace("*", example_period, 1).replace("*", "")
    unit = "month" if spec.period.grain == "month" else "year"
    return Issue(rule="period_claim", message=(
        f"the file name claims no period, and a {spec.name} file name must say which {unit} its rows are for: "
        f"name it like '{example}', or give the {unit} when you load it (csp ingest --period {example_period} <file>)"))


def quarantine_target(settings: Settings, verdict: Verdict) -> Path:
    folder = settings.quarantine / (verdict.source or "_unrecognised")
    target = folder / verdict.file_name
    if target.exists() and sha256_file(target) != verdict.sha256:
        stem, suffix = Path(verdict.file_name).stem, Path(verdict.file_name).suffix
        target = folder / f"{stem}.{verdict.sha256[:8]}{suffix}"
    return target


def move_to_quarantine(settings: Settings, verdict: Verdict, target: Path) -> Path:
    """Keep the refused file (moved out of the inbox, copied if it came from elsewhere) with its reports."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = Path(verdict.path)
    inside_inbox = _is_within(source, settings.inbox)
    if source.exists() and source.resolve() != target.resolve():
        if inside_inbox:
            shutil.move(str(source), target)
        else:
            shutil.copy2(source, target)
    write_reports(verdict, target)
    return target


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
