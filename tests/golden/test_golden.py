"""Nothing published changes unless we mean it to: the demo run against its golden snapshot."""

from __future__ import annotations

import difflib

import pytest

from tests.golden.snapshot import read, snapshot

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]


def _first_differences(name: str, expected: str, actual: str, limit: int = 12) -> str:
    diff = difflib.unified_diff(
        expected.splitlines(), actual.splitlines(), f"golden/{name}", f"run/{name}", lineterm="", n=0
    )
    lines = [line[:300] for _, line in zip(range(limit), diff)]
    return "\n".join(lines)


def test_demo_run_matches_the_golden_snapshot(demo_warehouse):
    golden = read()
    assert golden, "no golden snapshot: run `python -m tests.golden.record`"
    actual = snapshot(demo_warehouse["settings"].data_dir)

    missing = sorted(set(golden) - set(actual))
    extra = sorted(set(actual) - set(golden))
    changed = sorted(name for name in set(golden) & set(actual) if golden[name] != actual[name])
    report = []
    if missing:
        report.append(f"missing from this run: {missing}")
    if extra:
        report.append(f"new in this run: {extra}")
    for name in changed[:8]:
        report.append(_first_differences(name, golden[name], actual[name]))
    if len(changed) > 8:
        report.append(f"... and {len(changed) - 8} more changed files: {changed[8:]}")
    assert not report, "the demo run differs from tests/golden/demo:\n" + "\n\n".join(report)
