"""The committee front page: what it lists and why, the action plan read when present and named
as absent when not, and a full front page (every list at its cap, long lines) on one A4 page."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from pypdf import PdfReader

from reporting.disclosure import DEFAULT_RULES
from reporting.front_page import (
    LIMITS,
    NO_ACTION_PLAN,
    ActionPlanState,
    build_front_page,
    read_plan_actions,
)
from reporting.outputs import template_env
from reporting.pdf import render_pdf
from tests.renderer import chromium_binary

FEB = date(2018, 2, 1)
ACTIONS_DDL = """
create schema marts;
create table marts.plan_actions (area_code varchar, plan_year varchar, priority_id varchar, outcome_id varchar,
  action_id varchar, action_text varchar, lead_agency varchar, by_when_label varchar, due_date date,
  status varchar, latest_note varchar, latest_update_on date, is_overdue boolean)
"""
MAPPING = ("Complete a mapping exercise to establish incidence of DA across the Borough, establishing hot spots "
           "within local communities and identifying cultural/minority subsets that could require a bespoke approach")


def _shown(text: str) -> SimpleNamespace:
    return SimpleNamespace(text=text)


def _card(iid: str, status: str, variation: str | None, draft: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        indicator_id=iid, label=f"Indicator {iid}", status=status, draft=draft, unit="incidents", method="count",
        aim="decrease", window_label="12 months to Feb 2018", value=_shown("1,150"), previous=_shown("947"),
        change_pct=_shown("+21.4%"), variation=SimpleNamespace(key=variation) if variation else None)


def _priorities(cards: list[SimpleNamespace]) -> list[SimpleNamespace]:
    return [SimpleNamespace(priority_id="domestic_abuse", title="Domestic Abuse", indicators=cards)]


def _dq(gaps: int = 0, refused: int = 0) -> dict:
    gap = SimpleNamespace(kind="late", indicators=["DA incidents", "DA repeats", "DA NFA", "DA high risk"])
    return {"gaps": [SimpleNamespace(title=f"Source {i}", publisher="Kent Police", state="late: latest month "
                                     "received is Dec 2017", gap=gap) for i in range(gaps)],
            "refused": [{"title": "Kent Police DA extract", "file_name": f"da_incidents_2018-02_{i}.csv"}
                        for i in range(refused)]}


def test_no_actions_table_means_no_action_plan_loaded():
    con = duckdb.connect()
    state = read_plan_actions(con, "2018-19", "E07000110")
    assert state == ActionPlanState(loaded=False)
    page = build_front_page(_priorities([]), _dq(), state, FEB)
    assert page.actions_note == NO_ACTION_PLAN + "."
    assert page.actions == []


def test_actions_table_read_for_the_area_and_year_with_overdue_ones_listed():
    con = duckdb.connect()
    con.execute(ACTIONS_DDL)
    con.execute("""insert into marts.plan_actions values
      ('E07000110', '2018-19', 'domestic_abuse', 'da_1', 'da_map', ?, 'Kent Police', 'Summer 2018',
       date '2018-08-31', 'not_started', null, null, true),
      ('E07000110', '2018-19', 'domestic_abuse', 'da_1', 'da_training', 'Train front-line staff', 'MBC',
       'March 2019', date '2019-03-31', 'on_track', 'Two sessions held', date '2018-01-20', false),
      ('E07000105', '2018-19', 'domestic_abuse', 'da_1', 'other', 'Another CSP''s action', 'X', 'May 2018',
       date '2018-05-31', 'late', null, null, true)""", [MAPPING])
    state = read_plan_actions(con, "2018-19", "E07000110")
    assert state.loaded and state.total == 2
    assert [a["action_id"] for a in state.overdue] == ["da_map"]
    page = build_front_page(_priorities([]), _dq(), state, FEB)
    assert page.actions_note == "1 of 2 actions in the plan are overdue."
    assert page.actions[0].title == MAPPING
    assert page.actions[0].why == ("Kent Police, due Summer 2018 (31 Aug 2018), status not started at Feb 2018; "
                                   "no progress note received.")
    # The table exists but holds nothing for this area: still "no action plan", not "nothing overdue".
    assert not read_plan_actions(con, "2018-19", "E06000001").loaded
    con.execute("update marts.plan_actions set is_overdue = false")
    page = build_front_page(_priorities([]), _dq(), read_plan_actions(con, "2018-19", "E07000110"), FEB)
    assert page.actions_note == "No action is overdue (2 actions in the plan)."


def test_indicators_listed_when_worsening_or_special_cause_concern_only():
    cards = [_card("a", "worsening", "common_cause"), _card("b", "no_significant_change", "special_cause_concern_high"),
             _card("c", "improving", "special_cause_improvement_low"), _card("d", "no_significant_change", None),
             _card("e", "worsening", "special_cause_concern_low", draft=True)]
    page = build_front_page(_priorities(cards), _dq(), ActionPlanState(False), FEB)
    assert [i.title for i in page.indicators] == ["Indicator a · Domestic Abuse", "Indicator b · Domestic Abuse",
                                                  "Indicator e (draft aim) · Domestic Abuse"]
    assert page.indicators[0].why == ("Worsening: 1,150 incidents in the 12 months to Feb 2018 against 947 the year "
                                      "before, +21.4% (significant).")
    assert page.indicators[1].why == "SPC special-cause concern in Feb 2018: unusually high for this series."
    assert page.indicators[2].why.endswith("; SPC special-cause concern in Feb 2018: unusually low for this series.")


def test_lists_are_capped_and_the_rest_counted():
    cards = [_card(str(i), "worsening", None) for i in range(LIMITS["indicators"] + 4)]
    page = build_front_page(_priorities(cards), _dq(gaps=5, refused=3), ActionPlanState(False), FEB)
    assert len(page.indicators) == LIMITS["indicators"] and page.indicators_more == 4
    assert page.indicators_total == LIMITS["indicators"] + 4
    assert len(page.data) == LIMITS["data"] and page.data_more == 5 + 3 - LIMITS["data"]
    assert page.data[0].why == ("Late: latest month received is Dec 2017. Affects 4 indicators: DA incidents; "
                                "DA repeats; DA NFA and 1 more.")


def _long_actions(n: int) -> ActionPlanState:
    overdue = [{"action_text": MAPPING, "lead_agency": "Kent Police", "by_when_label": "Summer 2018",
                "due_date": date(2018, 8, 31), "status": "behind", "latest_note": "Data sharing agreement awaited "
                "from two partners; analyst time agreed for the spring; ward-level counts drafted.",
                "latest_update_on": date(2018, 1, 20), "priority_id": "domestic_abuse"} for _ in range(n)]
    return ActionPlanState(True, n + 2, overdue)


@pytest.mark.browser
def test_a_full_front_page_fits_one_a4_page(tmp_path: Path):
    chromium = chromium_binary()
    cards = [_card(str(i), "worsening", "special_cause_concern_high") for i in range(LIMITS["indicators"] + 3)]
    for c in cards:
        c.label = "Admissions for mental and behavioural disorders due to psychoactive substances, all ages"
    front = build_front_page(_priorities(cards), _dq(gaps=4, refused=4), _long_actions(LIMITS["actions"] + 2), FEB)
    env = template_env()
    template = env.from_string('{% extends "_base.html.j2" %}{% block main %}{% include "_front_page.html.j2" %}'
                               '<h2>NEXT SECTION</h2><p>The pages that follow.</p>{% endblock %}')
    info = SimpleNamespace(partnership="Safer Maidstone Partnership", title="Community Safety Plan 2018-19")
    html = template.render(front=front, cards=cards, period_label="February 2018", info=info,
                           print_title="Committee summary", area_name="Maidstone", area_code="E07000110",
                           classification="OFFICIAL", explanation="Small counts are withheld.", rules=DEFAULT_RULES,
                           generated="2 March 2018 07:00", dq={"last_run": None})
    page = tmp_path / "front.html"
    page.write_text(html, encoding="utf-8")
    (Path("/tmp/pdftest") / "front.html").write_text(html, encoding="utf-8")
    texts = [p.extract_text() for p in PdfReader(str(render_pdf(page, tmp_path / "front.pdf", chromium))).pages]
    first = " ".join(texts[0].split())
    assert "NEXT SECTION" not in first and "NEXT SECTION" in " ".join(texts[1].split())
    # Every capped item and every "and N more" line is on page 1.
    assert first.count("SPC special-cause concern in Feb 2018") == LIMITS["indicators"]
    assert first.count("Summer 2018 (31 Aug 2018)") == LIMITS["actions"]
    assert "And 3 more: see" in first and "And 2 more: see" in first and "And 2 more: see the report cards" in first
    assert f"{LIMITS['actions'] + 2} of {LIMITS['actions'] + 4} actions in the plan are overdue" in first
