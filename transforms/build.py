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
from transforms.geography import build_lsoa_placements

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


def build_models(con: duckdb.DuckDBPyConnection, area_code: str) -> dict[str, object]:
    """Create or replace every staging view, the placements, every intermediate model and marts table,
    and marts.source_coverage (transforms/coverage.py)."""
    params = {"area_code": area_code}
    built: list[str] = []
    placements: dict[str, int] = {}
    for layer, kind in SQL_LAYERS:
        built += _build_layer(con, layer, kind, params)
        if layer == "staging":
            placements = build_lsoa_placements(con)
    coverage = build_source_coverage(con, area_code)  # from audit.*: what each source delivered, month by month
    actions = build_plan_actions(con, area_code)  # the plans' actions, latest progress, overdue by the reporting month
    return {"models": built + ["marts.source_coverage", "marts.plan_actions"], "placements": placements,
            "coverage": coverage, "actions": actions}
