"""Disclosure control of the assessment's tables on hand-made counts: small counts, secondary suppression
against the total, changes next to withheld counts, the victim-based split and the ward table."""

from __future__ import annotations

from datetime import date

import pandas as pd

from reporting.assessment_data import CountRow
from reporting.assessment_tables import guard_split, shown_rows, shown_wards
from transforms.assessment import compare_windows, window_ending

WINDOW = window_ending(date(2019, 12, 1))
RECEIVED = {date(y, m, 1) for y in (2018, 2019) for m in range(1, 13)}


def row(label: str, current: int, previous: int) -> CountRow:
    return CountRow(label, "", compare_windows(current, previous, WINDOW, RECEIVED))


def test_small_count_and_secondary_suppression_against_the_total():
    # 100 = 3 + 47 + 50: '3' is withheld, so one more cell must go or 100 - 47 - 50 gives it back
    table = shown_rows([row("Total", 100, 90), row("A", 3, 10), row("B", 47, 40), row("C", 50, 40)])
    current = {r.label: r.current for r in table}
    assert current["Total"].text == "100" and current["A"].text == "<5"
    assert sorted(c.text for c in (current["B"], current["C"])).count("[c]") == 1
    a = table[1]
    assert (a.change.text, a.change_pct.text, a.per_day.text, a.significance.text) == ("[c]", "[c]", "[c]", "[c]")
    assert [r.previous.text for r in table] == ["90", "10", "40", "40"]  # 90 = 10 + 40 + 40: nothing small


def test_split_is_withheld_where_a_type_is():
    by_type = shown_rows([row("Total", 100, 90), row("A", 3, 10), row("B", 47, 40), row("C", 50, 40)])
    split = guard_split(shown_rows([row("Total", 100, 90), row("Victim-based", 53, 50), row("Other", 47, 40)]), by_type)
    assert [r.current.text for r in split] == ["100", "[c]", "[c]"]
    assert [r.previous.text for r in split] == ["90", "50", "40"]
    assert split[1].change.text == "[c]"


def test_wards_small_counts_withheld_and_listed_last():
    wards = pd.DataFrame({"ward_code": ["W1", "W2", "W3"], "ward_name": ["Abbey", "Bridge", "Castle"],
                          "violence": [3, 20, 30], "asb": [10, 12, 14]})
    shown = shown_wards(wards, pd.DataFrame())
    by_code = {r["code"]: r for r in shown}
    assert by_code["W1"]["violence"].text == "<5" and by_code["W2"]["violence"].text == "[c]"  # the next smallest
    assert [r["code"] for r in shown] == ["W3", "W1", "W2"]  # shown by value, then withheld by name
