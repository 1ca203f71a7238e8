"""Kill the monthly run at every stage boundary: the published warehouse stays the previous good one,
and the next run completes cleanly. Then: three runs of the same period give identical indicators."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import textwrap

import duckdb
import pytest

from demo.generator import generate_reference_inbox
from tests.conftest import POLICE_DIR, REAL_DIR
from tests.integration.prefect_processes import run_in_own_group

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Names in flows.monthly's namespace, in the order the flow calls them.
BOUNDARIES = ["load_files", "build_sql_models", "build_survey", "compute_indicators", "build_spc_charts_data",
              "build_peer_comparison", "record_run"]

RUNNER = textwrap.dedent("""
    import os, sys
    import flows.monthly as monthly
    kill_after = sys.argv[1]
    if kill_after != "none":
        real = getattr(monthly, kill_after)
        def dying(*args, **kwargs):
            result = real(*args, **kwargs)
            os._exit(9)  # the process is killed right after this stage
        setattr(monthly, kill_after, dying)
    try:
        monthly.monthly_flow(period="latest", reports=False)
    except monthly.StagesFailed as error:
        print(error)
""")


def run_flow(data, kill_after: str) -> int:
    """Run the flow in its own process group; afterwards stop what the killed run left (its temporary Prefect server)."""
    env = dict(os.environ, CSP_DATA=str(data), PREFECT_LOGGING_LEVEL="ERROR")
    return run_in_own_group([sys.executable, "-c", RUNNER, kill_after], env, timeout=600)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash") / "data"
    generate_reference_inbox(root / "inbox", REAL_DIR)
    (root / "inbox" / "police_street").mkdir(parents=True)
    shutil.copy(POLICE_DIR / "2022-01-kent-street.csv", root / "inbox" / "police_street")
    assert run_flow(root, "none") == 0
    return root


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_kill_after_stage_leaves_the_published_warehouse(data, boundary):
    published = data / "csp.duckdb"
    before = sha(published)
    shutil.copy(POLICE_DIR / "2022-02-kent-street.csv", data / "inbox" / "police_street")
    assert run_flow(data, boundary) == 9
    assert sha(published) == before
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(distinct month) from raw.police_street").fetchone()[0] == 1


def test_next_run_completes_cleanly_after_the_kills(data):
    assert run_flow(data, "none") == 0
    assert not (data / "csp.duckdb.building").exists()
    with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
        assert con.execute("select count(distinct month) from raw.police_street").fetchone()[0] == 2
        assert con.execute("select count(*) from audit.files where file_name = '2022-02-kent-street.csv'").fetchone()[0] == 1


def content_hash(path) -> tuple[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        digest = con.execute("""select md5(string_agg(row_text, '\n' order by row_text)), count(*)
                                from (select cast(values as varchar) as row_text from marts.indicator_values as values)""").fetchone()
    return digest


def test_three_runs_of_the_same_period_give_identical_indicators_and_no_duplicates(data):
    hashes = []
    for _ in range(3):
        assert run_flow(data, "none") == 0
        hashes.append(content_hash(data / "csp.duckdb"))
    assert hashes[0] == hashes[1] == hashes[2]
    with duckdb.connect(str(data / "csp.duckdb"), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where schema_name in ('raw','marts','audit','reference')").fetchall()
        for schema, table in tables:
            total, distinct = con.execute(f"select count(*), (select count(*) from (select distinct * from {schema}.{table})) from {schema}.{table}").fetchone()
            assert total == distinct, f"{schema}.{table} has duplicate rows"
        assert con.execute("select count(*) from audit.files where status = 'loaded'").fetchone()[0] == \
            con.execute("select count(distinct sha256) from audit.files where status = 'loaded'").fetchone()[0]
