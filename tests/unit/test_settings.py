"""Settings from the environment: the writer's DuckDB memory limit (CSP_MEMORY_LIMIT)."""

from __future__ import annotations

import duckdb
import pytest
from pydantic import ValidationError

from tests.conftest import scoped_env
from warehouse.config import load_settings
from warehouse.pipeline import warehouse_for_writing


def test_the_memory_limit_is_read_from_the_environment_and_applied_to_the_writer(tmp_path):
    with scoped_env(CSP_MEMORY_LIMIT="200MB"):
        settings = load_settings(data_dir=tmp_path)
    assert settings.memory_limit == "200MB" and settings.describe()["memory_limit"] == "200MB"
    with warehouse_for_writing(settings) as con:
        limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    assert limit == "190.7 MiB"  # DuckDB reports 200MB in MiB: 200e6 / 2**20 = 190.73


def test_a_memory_limit_that_is_not_a_size_is_refused_with_the_variable_named(tmp_path):
    with scoped_env(CSP_MEMORY_LIMIT="lots"), pytest.raises(ValidationError, match="CSP_MEMORY_LIMIT 'lots'"):
        load_settings(data_dir=tmp_path)


def test_the_default_limit_is_a_size_duckdb_accepts():
    settings = load_settings(data_dir="/tmp/unused")
    with duckdb.connect() as con:
        con.execute(f"set memory_limit = '{settings.memory_limit}'")
