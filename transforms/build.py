"""Build the SQL layers: staging views over raw, the placement lookup, then marts tables.

File name = object name (transforms/staging/stg_x.sql → staging.stg_x). Marts are ordered by the
other marts they read. `{{ area_code }}` in SQL is replaced by the configured CSP area.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from transforms.geography import build_lsoa_placements

TRANSFORMS_DIR = Path(__file__).resolve().parent


def _render(path: Path, params: dict[str, str]) -> str:
    text = path.read_text(encoding="utf-8")
    for key, value in params.items():
        text = text.replace("{{ " + key + " }}", value)
    if "{{" in text:
        raise ValueError(f"{path.name}: unknown template parameter in {re.findall(r'{{[^}]*}}', text)}")
    return text


def _ordered(paths: list[Path], schema: str) -> list[Path]:
    """Topological order by references to other models of the same schema."""
    names = {p.stem: p for p in paths}
    deps = {
        stem: {ref for ref in re.findall(rf"\b{schema}\.(\w+)", path.read_text(encoding="utf-8")) if ref in names and ref != stem}
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


def build_models(con: duckdb.DuckDBPyConnection, area_code: str) -> dict[str, object]:
    """Create or replace every staging view, the placements and every marts table."""
    params = {"area_code": area_code}
    staging = sorted((TRANSFORMS_DIR / "staging").glob("*.sql"))
    reference_first = [p for p in staging if p.stem.startswith("stg_reference__")]
    others = [p for p in staging if p not in reference_first]
    built: list[str] = []
    for path in _ordered(reference_first, "staging"):
        con.execute(f"create or replace view staging.{path.stem} as {_render(path, params)}")
        built.append(f"staging.{path.stem}")
    placements = build_lsoa_placements(con)
    for path in _ordered(others, "staging"):
        con.execute(f"create or replace view staging.{path.stem} as {_render(path, params)}")
        built.append(f"staging.{path.stem}")
    for path in _ordered(sorted((TRANSFORMS_DIR / "marts").glob("*.sql")), "marts"):
        con.execute(f"create or replace table marts.{path.stem} as {_render(path, params)}")
        built.append(f"marts.{path.stem}")
    return {"models": built, "placements": placements}
