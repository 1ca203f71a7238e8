"""Does every row of a file belong where it is loaded? The area check of a source's contract.

A source that declares `area` in expectations/sources.yml names the column that places each row
(an LSOA, ward or district code) and the area its rows must lie in: the CSP's district (`scope: csp`)
or the police force area (`scope: force`, for force-wide sources such as police.uk street crime).
Rows outside it beyond the declared `tolerance` (a share of the file's rows: legitimate cross-border
rows) refuse the file, with one sentence per area the rows belong to: how many rows, which area,
an example row. Both validation engines hand the same groups (value → row count, first rows) to
`area_issues`, so their findings are identical.

Sources whose rows carry no area are checked on what the file declares: a district code or district
name in the file name must be the CSP's (`claimed_area_issue`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from expectations.problems import Issue
from expectations.sources import SourceCatalogue, SourceSpec

MAX_ROWS = 50
_LSOA_NAME_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")
_DISTRICT_CODE = re.compile(r"[EW]0[6-9]\d{6}")


@dataclass(frozen=True)
class AreaGroup:
    """Rows of one file that share an area value: code, LSOA name and force as received."""

    code: str | None
    name: str | None
    force: str | None
    rows: int
    first_rows: tuple[int, ...]


@dataclass
class AreaLookup:
    """Codes → district, from the ONS lookups loaded in the warehouse (empty when none are loaded)."""

    district_names: dict[str, str] = field(default_factory=dict)  # district code → name
    lsoa: dict[str, str] = field(default_factory=dict)  # LSOA (2011 or 2021) code → district code
    wards: dict[str, str] = field(default_factory=dict)  # ward code → district code

    @property
    def loaded(self) -> bool:
        return bool(self.lsoa or self.wards)

    def district_of(self, code: str, name: str | None = None) -> str | None:
        """The district of an LSOA, ward or district code (an LSOA name's district when the code is unknown)."""
        code = code.strip()
        if code[1:3] in {"06", "07", "08", "09"}:
            return code
        found = self.lsoa.get(code) or self.wards.get(code)
        if found is None and name:
            district_name = _LSOA_NAME_SUFFIX.sub("", name.strip())
            found = next((c for c, n in self.district_names.items() if n == district_name), None)
        return found

    def label(self, district: str | None) -> str:
        if district is None:
            return "no area the loaded ONS lookups know"
        name = self.district_names.get(district)
        return f"{name} ({district})" if name else district


def frame_area_groups(spec: SourceSpec, frame: pd.DataFrame) -> list[AreaGroup]:
    """Groups of a parsed file (index = spreadsheet row numbers), for the GX path."""
    assert spec.area is not None
    columns = [spec.area.code_column, spec.area.lsoa_name, spec.area.force]
    parts = pd.DataFrame({f"k{i}": (frame[c].astype(object) if c else None) for i, c in enumerate(columns)},
                         index=frame.index)
    parts = parts.astype(object).where(parts.notna(), None)
    groups: dict[tuple, list[int]] = {}
    for row, key in zip(parts.index, parts.itertuples(index=False, name=None)):
        groups.setdefault(key, []).append(int(row))
    return [AreaGroup(key[0], key[1], key[2], len(rows), tuple(sorted(rows)[:MAX_ROWS])) for key, rows in groups.items()]


def sql_area_groups(spec: SourceSpec, con: duckdb.DuckDBPyConnection, relation: str, file_id: int) -> list[AreaGroup]:
    """The same groups from rows loaded in DuckDB (`relation` with _file_id, _row_number), for the SQL path."""
    assert spec.area is not None
    columns = [spec.area.code_column, spec.area.lsoa_name, spec.area.force]
    selected = ", ".join(f'"{c}"' if c else "null" for c in columns)
    rows = con.execute(
        f"select {selected}, count(*), list(_row_number order by _row_number)[1:{MAX_ROWS}] from {relation} "
        "where _file_id = ? group by all", [file_id]).fetchall()
    return [AreaGroup(code, name, force, int(n), tuple(int(r) for r in first)) for code, name, force, n, first in rows]


def sql_files_refused(spec: SourceSpec, catalogue: SourceCatalogue, con: duckdb.DuckDBPyConnection, relation: str,
                      total_rows: dict[int, int], lookup: AreaLookup, csp_area: str) -> list[int]:
    """The files (of `total_rows`: file id → rows) whose area check finds an issue, from one grouped scan of them all.

    Counts only, no row lists: each distinct area value of the batch is placed once (area_issues'
    rules), and a file is refused when its rows outside exceed the tolerance. Only those files need
    their groups with first rows (sql_area_groups) to word the issues.
    """
    if spec.area is None or not lookup.loaded or not total_rows:
        return []
    columns = [spec.area.code_column, spec.area.lsoa_name, spec.area.force]
    selected = ", ".join(f'"{c}" as __k{i}' if c else f"null::varchar as __k{i}" for i, c in enumerate(columns))
    ids = sorted(total_rows)
    con.execute(f"create or replace temp table __area_groups as select _file_id, {selected}, count(*) as n "
                f"from {relation} where _file_id between ? and ? and _file_id in (select unnest(?::bigint[])) group by all",
                [ids[0], ids[-1], ids])
    try:
        keys = con.execute("select distinct __k0, __k1, __k2 from __area_groups").fetchall()
        outside = [key for key in keys if _outside(spec, catalogue, AreaGroup(key[0], key[1], key[2], 0, ()), lookup, csp_area)[0]]
        if not outside:
            return []
        con.execute("create or replace temp table __area_outside (__k0 varchar, __k1 varchar, __k2 varchar)")
        con.execute("insert into __area_outside select unnest(?::varchar[]), unnest(?::varchar[]), unnest(?::varchar[])",
                    [list(column) for column in zip(*outside)])
        rows_outside = con.execute(
            "select _file_id, sum(n) from __area_groups join __area_outside on __area_groups.__k0 is not distinct from "
            "__area_outside.__k0 and __area_groups.__k1 is not distinct from __area_outside.__k1 and "
            "__area_groups.__k2 is not distinct from __area_outside.__k2 group by 1").fetchall()
        con.execute("drop table __area_outside")
    finally:
        con.execute("drop table __area_groups")
    return sorted(file_id for file_id, rows in rows_outside
                  if total_rows[file_id] and _refuses(spec, int(rows), total_rows[file_id]))


def allowed_districts(spec: SourceSpec, catalogue: SourceCatalogue, csp_area: str, force: str | None) -> tuple[str, ...] | None:
    """The districts a row may lie in; None when the force is not declared (then the rows are not checked)."""
    assert spec.area is not None
    if spec.area.scope == "csp":
        return (csp_area,)
    force = force or catalogue.force_of(csp_area)
    return catalogue.forces.get(force or "")


def _outside(spec: SourceSpec, catalogue: SourceCatalogue, group: AreaGroup, lookup: AreaLookup,
             csp_area: str) -> tuple[bool, str | None]:
    """(outside?, its district) of a group: an empty code or a force whose area is not declared is never outside."""
    if not group.code or not group.code.strip():
        return False, None  # an empty (optional) area: nothing to place
    allowed = allowed_districts(spec, catalogue, csp_area, group.force)
    if allowed is None:
        return False, None  # a force whose area is not declared: trusted (README)
    district = lookup.district_of(group.code, group.name)
    return district not in allowed, district


def _refuses(spec: SourceSpec, outside_rows: int, total_rows: int) -> bool:
    """More rows outside than the source's tolerance allows (any row, when it allows none)."""
    assert spec.area is not None
    return outside_rows > 0 and outside_rows > spec.area.tolerance * total_rows


def area_issues(spec: SourceSpec, catalogue: SourceCatalogue, groups: list[AreaGroup], total_rows: int,
                lookup: AreaLookup, csp_area: str) -> list[Issue]:
    """One issue per area outside the allowed one(s), when the outside rows exceed the tolerance."""
    if spec.area is None or not lookup.loaded or total_rows == 0:
        return []
    column = spec.column(spec.area.code_column or "")
    outside: dict[str | None, list] = {}
    for group in groups:
        is_outside, district = _outside(spec, catalogue, group, lookup, csp_area)
        if not is_outside:
            continue
        entry = outside.setdefault(district, [0, [], group.code])
        entry[0] += group.rows
        entry[1].extend(group.first_rows)
    count = sum(entry[0] for entry in outside.values())
    if not _refuses(spec, count, total_rows):
        return []
    where = (f"this CSP's area, {lookup.label(csp_area)}" if spec.area.scope == "csp"
             else f"the police force area of {_force_words(spec, catalogue, csp_area, groups)}")
    allowance = (f"this source allows at most {spec.area.tolerance:.0%} of a file's rows outside it (cross-border rows); "
                 f"this file has {count:,} ({count / total_rows:.1%})" if spec.area.tolerance
                 else "a file must hold only rows of this area")
    issues = []
    for district, (rows, first_rows, example) in outside.items():
        first = sorted(first_rows)
        issues.append(Issue(
            rule="area", column=column.header, rows=tuple(first[:MAX_ROWS]), values=(example,), count=rows,
            message=(f"{rows:,} of {total_rows:,} rows have {column.header} in {lookup.label(district)}, outside "
                     f"{where} (e.g. row {first[0]:,}: {example}); {allowance} - check the extract's area filter "
                     "and send this area's rows only")))
    return sorted(issues, key=lambda issue: issue.rows[:1])


def _force_words(spec: SourceSpec, catalogue: SourceCatalogue, csp_area: str, groups: list[AreaGroup]) -> str:
    forces = sorted({g.force for g in groups if g.force} or {catalogue.force_of(csp_area) or "the CSP"})
    return ", ".join(forces)


def claimed_area_issue(spec: SourceSpec, file_name: str, lookup: AreaLookup, csp_area: str) -> Issue | None:
    """A file name that declares another district (by code or name) is refused; sources of the CSP only."""
    if spec.family == "reference" or (spec.area is not None and spec.area.scope == "force"):
        return None
    codes = [code for code in _DISTRICT_CODE.findall(file_name) if code != csp_area]
    words = "_" + re.sub(r"[^a-z0-9]+", "_", file_name.lower()) + "_"
    named = [code for code, name in lookup.district_names.items()
             if code != csp_area and name and "_" + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") + "_" in words
             and lookup.district_names.get(csp_area, "").lower() != name.lower()]
    found = codes or named
    if not found:
        return None
    return Issue(rule="claimed_area", message=(
        f"the file name declares {lookup.label(found[0])}, not this CSP's area, {lookup.label(csp_area)}; "
        "a file must hold only this CSP's rows - check you were sent the right partnership's extract"))
