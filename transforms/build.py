"""Build the SQL layers in order: staging views, the LSOA placements, intermediate views, marts tables.

File name = object name (transforms/<layer>/<model>.sql → <layer>.<model>). Within a layer, models
are ordered by the other models of that layer they read. `{{ area_code }}` in SQL is replaced by the
configured CSP area. Which layer may read which is LAYER_READS (tests/contract/test_sql_layers.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from transforms.actions import build_plan_actions
from transforms.coverage import build_source_coverage
from transforms.geography import build_lsoa_placements, placement_counts
from transforms.incremental import (
    AFTER_EVERY_MONTH,
    Refresh,
    decide,
    ensure_state,
    placements_kept,
    record_build,
    shared_fingerprints,
)
from warehouse.open_formats import hint_unchanged_before

TRANSFORMS_DIR = Path(__file__).resolve().parent

# (layer = schema = folder, what each model becomes), in build order; the placements (Python,
# reference.lsoa_placements) are built between staging and intermediate.
SQL_LAYERS: tuple[tuple[str, str], ...] = (("staging", "view"), ("intermediate", "view"), ("marts", "table"))

# Intermediate models are views (each read by one mart per build, no second copy of a source in
# the warehouse) except these, stored as tables because several marts read them and each read
# would scan the largest source again (int_areas: the districts seen in every police.uk row).
STORED_MODELS: frozenset[str] = frozenset({"intermediate.int_areas"})

# The schemas each layer's SQL may read. Marts read staging only for a staging model that no
# intermediate model reads (a source with nothing to place or flag); the contract test checks that.
LAYER_READS: dict[str, frozenset[str]] = {
    "staging": frozenset({"raw", "audit"}),
    "intermediate": frozenset({"staging", "reference", "intermediate"}),
    "marts": frozenset({"intermediate", "staging", "marts"}),
}

_REFERENCE = re.compile(r"\b(raw|audit|staging|reference|intermediate|marts)\.(\w+)", re.IGNORECASE)


def references(sql: str) -> set[tuple[str, str]]:
    """Every `schema.table` a model's SQL names (comments ignored), lower-cased."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return {(schema.lower(), table.lower()) for schema, table in _REFERENCE.findall(code)}


def model_paths(layer: str) -> list[Path]:
    """The SQL models of one layer, sorted by file name."""
    return sorted((TRANSFORMS_DIR / layer).glob("*.sql"))


def _render(path: Path, params: dict[str, str]) -> str:
    text = path.read_text(encoding="utf-8")
    for key, value in params.items():
        text = text.replace("{{ " + key + " }}", value)
    if "{{" in text:
        raise ValueError(f"{path.name}: unknown template parameter in {re.findall(r'{{[^}]*}}', text)}")
    return text


def build_order(paths: list[Path], schema: str) -> list[Path]:
    """Topological order by references to other models of the same schema."""
    names = {p.stem: p for p in paths}
    deps = {
        stem: {table for ref_schema, table in references(path.read_text(encoding="utf-8"))
               if ref_schema == schema and table in names and table != stem}
        for stem, path in names.items()
    }
    ordered: list[Path] = []
    done: set[str] = set()

    def visit(stem: str, trail: tuple[str, ...]) -> None:
        if stem in done:
            return
        if stem in trail:
            raise ValueError(f"circular model references: {' -> '.join(trail + (stem,))}")
        for dep in sorted(deps[stem]):
            visit(dep, trail + (stem,))
        done.add(stem)
        ordered.append(names[stem])

    for stem in sorted(names):
        visit(stem, ())
    return ordered


def _build_layer(con: duckdb.DuckDBPyConnection, layer: str, kind: str, params: dict[str, str]) -> list[str]:
    built: list[str] = []
    for path in build_order(model_paths(layer), layer):
        stored = "table" if f"{layer}.{path.stem}" in STORED_MODELS else kind
        con.execute(f"create or replace {stored} {layer}.{path.stem} as {_render(path, params)}")
        built.append(f"{layer}.{path.stem}")
    return built


def _model_text(params: dict[str, str]) -> str:
    """Every model's rendered SQL, in build order (a change to any makes the next build full)."""
    return "\n".join(f"{layer}.{path.stem}\n{_render(path, params)}" for layer, _ in SQL_LAYERS
                     for path in build_order(model_paths(layer), layer))


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [row[0] for row in con.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ? order by column_index",
        [schema, table]).fetchall()]


def _build_marts(con: duckdb.DuckDBPyConnection, params: dict[str, str], refresh: Refresh) -> list[str]:
    """Marts tables: full → create or replace; incremental → a monthly mart keeps its rows before
    `refresh.since` and recomputes the rest (a mart without a month column is always rebuilt, it is small);
    unchanged → monthly marts are left as they are."""
    built: list[str] = []
    for path in build_order(model_paths("marts"), "marts"):
        table, sql = f"marts.{path.stem}", _render(path, params)
        monthly = refresh.mode != "full" and "month" in _columns(con, "marts", path.stem)
        if not monthly:
            con.execute(f"create or replace table {table} as {sql}")
        elif refresh.mode == "incremental":
            con.execute(f"delete from {table} where month >= ?", [refresh.since])
            con.execute(f"insert into {table} select * from ({sql}) where month >= ?", [refresh.since])
        if monthly:  # the months before are as published: the Parquet export need not read them again
            hint_unchanged_before(con, path.stem, refresh.since or AFTER_EVERY_MONTH)
        built.append(table)
    return built


def build_models(con: duckdb.DuckDBPyConnection, area_code: str, full_refresh: bool = False) -> dict[str, object]:
    """Create or replace every staging view, the placements, every intermediate model; build the marts
    tables in full or incrementally (transforms/incremental.py), and marts.source_coverage
    (transforms/coverage.py). full_refresh=True rebuilds every mart from all months."""
    params = {"area_code": area_code}
    ensure_state(con)
    built = _build_layer(con, "staging", "view", params)
    kept = placements_kept(con, full_refresh)
    placements = placement_counts(con) if kept else build_lsoa_placements(con)
    built += _build_layer(con, "intermediate", "view", params)
    fingerprints = shared_fingerprints(con, _model_text(params))
    refresh = decide(con, fingerprints, [path.stem for path in model_paths("marts")], full_refresh)
    built += _build_marts(con, params, refresh)
    coverage = build_source_coverage(con, area_code)  # from audit.*: what each source delivered, month by month
    actions = build_plan_actions(con, area_code)  # the plans' actions, latest progress, overdue by the reporting month
    build_id = record_build(con, refresh, fingerprints)
    return {"models": built + ["marts.source_coverage", "marts.plan_actions"], "placements": placements,
            "placements_kept": kept,
            "coverage": coverage, "actions": actions, "refresh": refresh.as_dict() | {"build_id": build_id}}
