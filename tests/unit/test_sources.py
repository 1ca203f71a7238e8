"""Source declarations: the catalogue is typed, strict, and every source has its suite."""

from __future__ import annotations

import textwrap

import pytest
from pydantic import ValidationError

from expectations.build import build_suite, load_suite, render, suite_path
from expectations.sources import catalogue, load_catalogue

STEP_1B_SOURCES = {
    "police_da_incidents", "police_s136", "marac_cases", "health_ae", "health_admissions", "health_mh_referrals",
    "cgl_treatment", "cgl_needle_exchange", "council_needle_finds", "survey_responses", "reference_population",
}


def test_catalogue_declares_police_street_in_the_exact_police_uk_format():
    spec = catalogue()["police_street"]
    assert spec.headers == ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                            "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
    assert spec.claimed_period("2017-10-kent-street.csv") == "2017-10"


def test_catalogue_carries_every_partner_source():
    assert STEP_1B_SOURCES <= set(catalogue().sources)


@pytest.mark.parametrize("spec", list(catalogue()), ids=lambda s: s.name)
def test_every_source_has_a_committed_suite_in_sync_with_its_declaration(spec):
    assert suite_path(spec.name).exists(), f"run python -m expectations.build ({spec.name})"
    assert suite_path(spec.name).read_text(encoding="utf-8") == render(build_suite(spec))
    assert load_suite(spec.name)["expectations"]


def _write(tmp_path, body: str):
    path = tmp_path / "sources.yml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


BASE = """
version: 1
sources:
  toy:
    title: Toy
    publisher: Test
    family: police
    format: csv
    file_pattern: "toy_*.csv"
    grain: one row per thing
    columns:
      - {name: thing_id, header: Thing ID, type: string}
"""


def test_minimal_declaration_validates(tmp_path):
    assert load_catalogue(_write(tmp_path, BASE))["toy"].headers == ["Thing ID"]


@pytest.mark.parametrize("mutation, fragment", [
    (("grain: one row per thing", "grain: one row per thing\n    colour: blue"), "colour"),
    (("type: string}", "type: string, secret: true}"), "secret"),
    (("type: string}", "type: text}"), "type"),
    (("format: csv", "format: pdf"), "format"),
    (("columns:", "unique: [missing_column]\n    columns:"), "missing_column"),
    (("columns:", "period: {column: nope, grain: month}\n    columns:"), "nope"),
])
def test_declaration_errors_fail_loudly(tmp_path, mutation, fragment):
    old, new = mutation
    with pytest.raises(ValidationError, match=fragment):
        load_catalogue(_write(tmp_path, BASE.replace(old, new)))


def test_unknown_source_name_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown source 'nope'"):
        catalogue()["nope"]


def test_docs_describe_every_column_and_are_up_to_date():
    from expectations.docs import DOCS_FILE, render

    assert DOCS_FILE.read_text(encoding="utf-8") == render(), "run python -m expectations.docs"
    text = render()
    for spec in catalogue():
        for column in spec.columns:
            assert f"`{column.name}`" in text
