"""Contract: the survey indicator definitions and their plan entries (plans/2018-19.yml)."""

from __future__ import annotations

from survey.estimates import QUESTIONS
from transforms.definitions import project_definitions

SURVEY_INDICATORS = {
    "survey_safe_night_pct": ("q_safe_night", "very_or_fairly_safe"),
    "survey_unsafe_night_pct": ("q_safe_night", "unsafe_or_very_unsafe"),
    "survey_safe_day_pct": ("q_safe_day", "very_or_fairly_safe"),
    "survey_safe_home_pct": ("q_safe_home", "very_or_fairly_safe"),
    "survey_worry_burglary_pct": ("q_worry_burglary", "very_or_somewhat_worried"),
    "survey_worry_assault_pct": ("q_worry_assault", "very_or_somewhat_worried"),
}
PLAN_ENTRIES = {
    ("vulnerability", "vulnerability_outcome_1", "survey_safe_night_pct", "increase"),
    ("vulnerability", "vulnerability_outcome_1", "survey_safe_day_pct", "increase"),
    ("vulnerability", "vulnerability_outcome_1", "survey_safe_home_pct", "increase"),
    ("asb_reoffending", "asb_outcome_1", "survey_worry_assault_pct", "decrease"),
    ("asb_reoffending", "asb_outcome_1", "survey_worry_burglary_pct", "decrease"),
}


def _fresh():
    # the definitions are cached per process; re-read the files as they are now
    project_definitions.cache_clear()
    return project_definitions()


def test_plan_still_validates_with_the_survey_indicators():
    indicators, _, plans = _fresh()
    assert "2018-19" in plans
    assert set(SURVEY_INDICATORS) <= set(indicators)


def test_survey_definitions_name_a_known_question_and_answer_group():
    indicators, _, _ = _fresh()
    for indicator_id, (question, group) in SURVEY_INDICATORS.items():
        definition = indicators[indicator_id]
        assert definition.method == "survey_share"
        assert (definition.survey.question_id, definition.survey.answer_group) == (question, group)
        assert group in QUESTIONS[question], indicator_id
        assert definition.sources == ("survey_responses", "reference_population")
        assert definition.numerator is None and definition.multiplier == 100


def test_survey_plan_entries_are_draft_with_their_aims():
    indicators, _, plans = _fresh()
    entries = {(p.id, o.id, e.id, e.aim): e for p, o, e in plans["2018-19"].entries()
               if indicators[e.id].method == "survey_share"}
    assert set(entries) == PLAN_ENTRIES
    assert all(e.draft and e.data_source == "Resident survey" for e in entries.values())
