"""The SQL layers read downwards only: raw → staging → placements → intermediate → marts.

Each model's `schema.table` references are parsed from its file (comments ignored) and checked
against transforms.build.LAYER_READS, plus the rules STYLE.md sets for staging.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from transforms.build import (
    LAYER_READS,
    SQL_LAYERS,
    STORED_MODELS,
    TRANSFORMS_DIR,
    build_order,
    model_paths,
    references,
)

MODELS = [(layer, path) for layer, _ in SQL_LAYERS for path in model_paths(layer)]
MODEL_NAMES = {(layer, path.stem) for layer, path in MODELS}
PYTHON_MODELS = {("reference", "lsoa_placements")}


def _sql(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _code(path: Path) -> str:
    return "\n".join(line.split("--", 1)[0] for line in _sql(path).splitlines()).lower()


def test_every_layer_has_models():
    assert {layer for layer, _ in MODELS} == {"staging", "intermediate", "marts"}


@pytest.mark.parametrize(("layer", "path"), MODELS, ids=lambda value: getattr(value, "stem", value))
def test_a_model_reads_only_the_layers_below_it(layer: str, path: Path):
    read = {schema for schema, _ in references(_sql(path))}
    assert read <= LAYER_READS[layer], f"{layer}/{path.name} reads {sorted(read - LAYER_READS[layer])}"


@pytest.mark.parametrize(("layer", "path"), MODELS, ids=lambda value: getattr(value, "stem", value))
def test_a_model_reads_only_models_that_are_built(layer: str, path: Path):
    """Catches typos and reads of the legacy aliases, which exist only for code outside transforms/."""
    modelled = {"staging", "intermediate", "marts", "reference"}
    unknown = {ref for ref in references(_sql(path)) if ref[0] in modelled and ref not in MODEL_NAMES | PYTHON_MODELS}
    assert not unknown, f"{layer}/{path.name} reads {sorted(unknown)}, which no model builds"


def test_marts_skip_intermediate_only_for_sources_with_nothing_in_between():
    through_intermediate = {
        table for path in model_paths("intermediate") for schema, table in references(_sql(path)) if schema == "staging"
    }
    skips = {
        (path.name, table)
        for path in model_paths("marts")
        for schema, table in references(_sql(path))
        if schema == "staging" and table in through_intermediate
    }
    assert not skips, f"marts read staging where an intermediate model sits between: {sorted(skips)}"


@pytest.mark.parametrize("path", model_paths("staging"), ids=lambda path: path.stem)
def test_staging_reads_one_raw_table_without_joins_or_windows(path: Path):
    refs = references(_sql(path))
    raw = {table for schema, table in refs if schema == "raw"}
    assert len(raw) == 1 or (not raw and path.stem.startswith("stg_audit__")), f"{path.name} reads raw tables {raw}"
    code = _code(path)
    joined = re.findall(r"\bjoin\s+([\w.]+)", code)
    assert all(target.startswith("audit.") for target in joined), f"{path.name} joins {joined} (only audit, for revisions)"
    windows = re.findall(r"\bover\s*\(([^)]*)\)", code)
    revision_only = [w for w in windows if re.fullmatch(r"\s*partition by \w+ order by _file_id desc\s*", w)]
    assert windows == revision_only, f"{path.name} has windows other than the latest revision: {windows}"


@pytest.mark.parametrize(("layer", "path"), MODELS, ids=lambda value: getattr(value, "stem", value))
def test_a_model_opens_with_its_grain_and_uses_lower_case_keywords(layer: str, path: Path):
    lines = _sql(path).splitlines()
    leading = next(i for i, line in enumerate(lines) if not line.startswith("--"))
    assert 1 <= leading <= 3, f"{layer}/{path.name} opens with {leading} comment lines (1 to 3: grain and purpose)"
    assert lines[0].startswith("-- Grain:"), f"{layer}/{path.name} does not open with its grain"
    code = re.sub(r"'[^']*'", "''", "\n".join(line.split("--", 1)[0] for line in lines))
    upper = re.findall(r"\b(SELECT|FROM|WHERE|JOIN|GROUP|ORDER|WITH|UNION|AS|AND|OR|CASE|WHEN|OVER)\b", code)
    assert not upper, f"{layer}/{path.name} has upper-case keywords {upper}"


def test_layers_are_ordered_within_themselves():
    for layer, _ in SQL_LAYERS:
        order = [path.stem for path in build_order(model_paths(layer), layer)]
        for position, stem in enumerate(order):
            path = TRANSFORMS_DIR / layer / f"{stem}.sql"
            later = {table for schema, table in references(_sql(path)) if schema == layer} & set(order[position:])
            assert later <= {stem}, f"{layer}.{stem} is built before {sorted(later - {stem})}"


def test_placements_read_staging_only():
    source = (TRANSFORMS_DIR / "geography.py").read_text(encoding="utf-8")
    read = {ref for ref in references(source) if ref != ("reference", "lsoa_placements")}
    assert read and {schema for schema, _ in read} == {"staging"}, f"geography.py reads {sorted(read)}"


def test_references_ignore_comments_and_case():
    sql = "-- reads raw.police_street\nselect * from STAGING.Stg_X join intermediate.int_y using (id)"
    assert references(sql) == {("staging", "stg_x"), ("intermediate", "int_y")}


def test_stored_models_are_models():
    assert {tuple(name.split(".")) for name in STORED_MODELS} <= MODEL_NAMES
