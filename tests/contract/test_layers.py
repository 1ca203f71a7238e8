"""The layer rules: a package imports only packages below it, and no module imports itself back.

Layers, top to bottom (README "Layout"): benchmarks → cli → flows → reporting → survey →
transforms → warehouse | demo → expectations. Packages on one line of that order (warehouse and
demo) do not import each other. Imports inside functions count the same as imports at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import PROJECT_ROOT

LAYERS: list[set[str]] = [
    {"benchmarks"},
    {"cli"},
    {"flows"},
    {"reporting"},
    {"survey"},
    {"transforms"},
    {"warehouse", "demo"},
    {"expectations"},
]
RANK = {package: len(LAYERS) - position for position, layer in enumerate(LAYERS) for package in layer}
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    found = {}
    for package in RANK:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) for every import of a project module in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name.split(".")[0] in RANK:
                found.append((node.lineno, name))
    return sorted(set(found))


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {target for _, target in _imports(path, modules) if target != name}
            for name, path in modules.items()}


def test_no_package_imports_a_layer_above_it():
    modules = _modules()
    upward = []
    for name, path in modules.items():
        package = name.split(".")[0]
        for line, target in _imports(path, modules):
            other = target.split(".")[0]
            if other != package and RANK[other] >= RANK[package]:
                upward.append(f"{path.relative_to(PROJECT_ROOT)}:{line} imports {target} "
                              f"({other} is not below {package})")
    assert upward == []


def test_no_import_cycles_between_modules():
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target.rpartition(".")[0] == node or node.rpartition(".")[0] == target:
                continue  # a package and its own modules (__init__ re-exports)
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def test_every_package_has_a_layer():
    packages = {path.parent.name for path in PROJECT_ROOT.glob("*/__init__.py")}
    assert packages <= set(RANK), f"give {sorted(packages - set(RANK))} a layer in README and here"


def test_no_module_is_over_800_lines():
    long = {str(path.relative_to(PROJECT_ROOT)): count for path in _modules().values()
            if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
