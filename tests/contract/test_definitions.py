"""Contracts between plans, indicator definitions, sources, marts and the required ids."""

from __future__ import annotations

import re

import pytest
import yaml

from transforms.definitions import (
    INDICATORS_DIR,
    PLANS_DIR,
    check_references,
    load_indicators,
    project_definitions,
)

REQUIRED_IDS = {
    "da_incidents", "da_repeat_victim_pct", "da_nfa_victim_declined", "da_ae_attendances", "da_marac_cases",
    "da_marac_repeat_pct", "da_bme_pct", "asb_incidents", "drug_offences", "drug_possession_offences",
    "drug_trafficking_offences", "vatp_offences", "psychoactive_admissions", "alcohol_admissions", "s136_detentions",
    "mh_referrals_young_adults", "mh_referrals_older_adults", "cgl_clients_in_treatment", "cgl_new_presentations",
    "cgl_needle_exchange_transactions", "needle_finds",
}


def test_required_indicator_ids_exist():
    assert REQUIRED_IDS <= set(load_indicators())


def test_every_plan_indicator_has_a_definition_and_every_source_exists():
    indicators, changes, plans = project_definitions()
    check_references(indicators, changes, plans)
    assert "2018-19" in plans


def test_domestic_abuse_outcome_1_is_exactly_as_published():
    _, _, plans = project_definitions()
    (priority,) = [p for p in plans["2018-19"].priorities if p.id == "domestic_abuse"]
    assert [(lead.name, lead.agency) for lead in priority.leads] == [("Paul Kennedy", "Kent County Council"),
                                                                     ("Stacey Stewart", "Golding Homes")]
    outcome = priority.outcomes[0]
    assert outcome.statement == ("All communities residing in the Borough can live their lives in safety without "
                                 "the fear or experience of Domestic Abuse")
    assert not outcome.draft
    published = [(i.id, i.data_source, i.aim) for i in outcome.indicators if not i.draft]
    assert published == [("da_incidents", "Kent Police", "increase"), ("da_nfa_victim_declined", "Kent Police", "decrease"),
                         ("da_ae_attendances", "NHS Trust", "decrease"), ("da_marac_cases", "Kent Police", "decrease"),
                         ("da_bme_pct", "Kent Police", "increase")]


def test_other_priorities_are_marked_draft():
    _, _, plans = project_definitions()
    for priority in plans["2018-19"].priorities:
        for outcome in priority.outcomes:
            if priority.id != "domestic_abuse":
                assert outcome.draft, outcome.id


def test_plan_with_unknown_indicator_fails(tmp_path):
    indicators, changes, _plans = project_definitions()
    text = (PLANS_DIR / "2018-19.yml").read_text().replace("id: s136_detentions", "id: no_such_indicator", 1)
    (tmp_path / "2019-20.yml").write_text(text.replace('plan_year: "2018-19"', 'plan_year: "2019-20"'))
    from transforms.definitions import load_plans

    with pytest.raises(ValueError, match="no_such_indicator"):
        check_references(indicators, changes, load_plans(tmp_path))


def test_every_definition_measure_is_a_marts_column():
    marts = {}
    for path in (INDICATORS_DIR.parent / "marts").glob("*.sql"):
        marts[path.stem] = path.read_text()
    for definition in load_indicators().values():
        refs = [r for r in (definition.numerator, definition.denominator) if r is not None and getattr(r, "measure", None)]
        for ref in refs:
            assert ref.mart in marts, f"{definition.id}: unknown mart {ref.mart}"
            assert re.search(rf"\bas {ref.measure}\b", marts[ref.mart]), f"{definition.id}: {ref.mart} has no {ref.measure}"


@pytest.mark.parametrize("path", sorted(INDICATORS_DIR.glob("*.yml")), ids=lambda p: p.stem)
def test_indicator_file_name_is_its_id(path):
    assert yaml.safe_load(path.read_text())["id"] == path.stem
