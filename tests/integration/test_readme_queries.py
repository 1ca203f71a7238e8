"""The README's example queries run, as written, on the demo warehouse and return rows."""

from __future__ import annotations

import re

import duckdb
import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("demo")]


def readme_queries() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Querying the warehouse", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)


def test_readme_has_six_queries():
    assert len(readme_queries()) >= 6


@pytest.mark.parametrize("index", range(6))
def test_readme_query_runs_and_answers(demo_warehouse, index):
    query = readme_queries()[index]
    with duckdb.connect(str(demo_warehouse["settings"].warehouse_path), read_only=True) as con:
        rows = con.execute(query).fetchall()
    assert rows, query
