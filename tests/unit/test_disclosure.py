"""Disclosure control: every expected pattern below was worked out by hand from the rules."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from reporting.disclosure import (
    DisclosureRules,
    add_totals,
    audit_suppression,
    find_unsuppressed_small_counts,
    scan_csv_counts,
    scan_html_counts,
    scan_manifest,
    scan_xlsx_counts,
    suppress_change,
    suppress_count,
    suppress_rate,
    suppress_series_with_total,
    suppress_table,
)

RULES = DisclosureRules()


def _row_table(values: list[int]) -> pd.DataFrame:
    """One-row table with columns a, b, c, ... and an exact Total column."""
    cols = [chr(ord("a") + k) for k in range(len(values))]
    df = pd.DataFrame([values], columns=cols, index=["A"])
    df["Total"] = sum(values)
    return df


def _shown_row(values: list[int]) -> list[str]:
    """Display strings of the single row after suppression with a row total."""
    df = _row_table(values)
    masked, _ = suppress_table(df, list(df.columns[:-1]), total_col="Total")
    return list(masked.loc["A"])


# --------------------------------------------------------------------------- rules


def test_defaults_and_derived_marker() -> None:
    assert (RULES.min_count, RULES.max_small, RULES.min_base_for_rate) == (1, 4, 10)
    assert RULES.marker == "<5"
    assert DisclosureRules(max_small=9).marker == "<10"


def test_explanation_names_both_rules() -> None:
    text = RULES.explanation
    assert "1 to 4" in text and '"<5"' in text
    assert '"*"' in text and "less than 10" in text


def test_rules_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        DisclosureRules(min_count=0)
    with pytest.raises(ValueError):
        DisclosureRules(rate_marker="5")


# --------------------------------------------------------------------------- single values


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, ("0", False)),  # zero is shown
        (1, ("<5", True)),
        (3, ("<5", True)),  # single small cell
        (4, ("<5", True)),  # exactly the threshold: suppressed
        (5, ("5", False)),  # first count shown
        (1234, ("1,234", False)),
        (None, ("[x]", False)),
    ],
)
def test_suppress_count(count: int | None, expected: tuple[str, bool]) -> None:
    assert suppress_count(count, RULES) == expected


def test_suppress_count_rejects_non_counts() -> None:
    with pytest.raises(ValueError):
        suppress_count(2.5, RULES)
    with pytest.raises(ValueError):
        suppress_count(-1, RULES)


@pytest.mark.parametrize(
    ("value", "base", "kwargs", "expected"),
    [
        (0.5, 9, {}, ("*", True)),  # base under 10
        (0.5, 10, {}, ("50.0%", False)),  # base of exactly 10 is shown
        (0.0, 0, {}, ("*", True)),
        # 3 of 20 = 15.0% with the base shown would reveal the numerator 3.
        (0.15, 20, {"numerator": 3}, ("[c]", True)),
        (0.25, 20, {"numerator": 5}, ("25.0%", False)),
        (0.25, 20, {"numerator_suppressed": True}, ("[c]", True)),
        (12.345, 1500, {"fmt": "{:.1f}"}, ("12.3", False)),
        (None, 20, {}, ("[x]", False)),
    ],
)
def test_suppress_rate(value, base, kwargs, expected) -> None:
    assert suppress_rate(value, base, RULES, **kwargs) == expected


@pytest.mark.parametrize(
    ("current", "previous", "kwargs", "expected"),
    [
        (3, 12, {}, ("[c]", True)),  # 12 - 9 would give away the 3
        (12, 3, {}, ("[c]", True)),
        (15, 12, {}, ("+3", False)),  # both shown, the change may be small
        (12, 15, {}, ("-3", False)),
        (12, 12, {}, ("0", False)),
        (0, 12, {}, ("-12", False)),  # zero is shown, so is its change
        (20, 12, {"current_suppressed": True}, ("[c]", True)),  # secondary in its table
        (15, 12, {"as_percent": True}, ("+25.0%", False)),  # 3 / 12
        (15, 8, {"as_percent": True}, ("*", True)),  # % on a base under 10
        (15, 0, {"as_percent": True}, ("[x]", False)),
    ],
)
def test_suppress_change(current, previous, kwargs, expected) -> None:
    assert suppress_change(current, previous, RULES, **kwargs) == expected


# --------------------------------------------------------------------------- tables


def test_single_small_cell_without_totals_only_primary() -> None:
    df = pd.DataFrame({"a": [3, 8], "b": [7, 9]}, index=["A", "B"])
    masked, flags = suppress_table(df, ["a", "b"], rules=RULES)
    assert masked.to_dict("index") == {"A": {"a": "<5", "b": "7"}, "B": {"a": "8", "b": "9"}}
    assert flags.to_dict("index") == {"A": {"a": True, "b": False}, "B": {"a": False, "b": False}}


def test_small_cell_revealed_by_total_secondary_on_next_smallest() -> None:
    # 22 - 7 - 12 = 3, so the smallest other non-zero cell (7) is withheld too;
    # a reader then has x + y = 10, x in 1..4, y >= 5: x can still be any of 1..4.
    assert _shown_row([3, 7, 12]) == ["<5", "[c]", "12", "22"]


def test_two_small_cells_in_a_row_need_no_secondary() -> None:
    # x + y = 5 with both in 1..4: (1,4), (2,3), (3,2), (4,1) all possible.
    assert _shown_row([2, 3, 10]) == ["<5", "<5", "10", "15"]


def test_zero_is_shown_and_never_used_as_the_secondary_cell() -> None:
    # Withholding the 0 would not hide the 3 honestly; the 9 is the next smallest non-zero.
    assert _shown_row([0, 3, 9]) == ["0", "<5", "[c]", "12"]


def test_threshold_four_suppressed_five_shown_in_table() -> None:
    assert _shown_row([4, 5, 6]) == ["<5", "[c]", "6", "15"]
    assert _shown_row([5, 6, 7]) == ["5", "6", "7", "18"]


def test_audit_catches_what_subtraction_alone_misses() -> None:
    # After the subtraction rule the row is <5, [c], 10 | 16: x + y = 6, x >= 1, y >= 5
    # forces x = 1, y = 5. Withholding the 10 as well leaves x + y + z = 16: x in 1..4.
    assert _shown_row([1, 5, 10]) == ["<5", "[c]", "[c]", "16"]


def test_two_way_table_rectangle() -> None:
    # Row r1 needs a second cell (8); columns a and b then each have one unknown, so 6 and 7
    # go too. Setting r1.a = t: r1.b = 11 - t, r2.a = 9 - t, r2.b = 4 + t, so t in 1..4.
    df = add_totals(pd.DataFrame({"a": [3, 6], "b": [8, 7], "c": [10, 9]}, index=["r1", "r2"]),
                    ["a", "b", "c"])
    masked, flags = suppress_table(df, ["a", "b", "c"], "Total", "Total", RULES)
    assert masked.to_dict("index") == {
        "r1": {"a": "<5", "b": "[c]", "c": "10", "Total": "21"},
        "r2": {"a": "[c]", "b": "[c]", "c": "9", "Total": "22"},
        "Total": {"a": "9", "b": "15", "c": "19", "Total": "43"},
    }
    assert int(flags.to_numpy().sum()) == 4
    assert audit_suppression(df, ["a", "b", "c"], flags, "Total", "Total", RULES) == []


def test_total_is_masked_when_only_zeros_could_protect() -> None:
    #        a  b | Total        Column b: 5 is withheld with the 3; its other cell is 0, so
    #   r1   3  5 | 8            the column total 5 must go. Row r2: 6 is withheld for column a
    #   r2   6  0 | 6            and the other cell is 0, so the row total 6 must go. Those two
    #   Tot  9  5 | 14           leave the total row and total column one unknown each, so the
    # 9 and the 8 go as well. Everything hidden sums to 14 with the 3 free over 1..4.
    df = add_totals(pd.DataFrame({"a": [3, 6], "b": [5, 0]}, index=["r1", "r2"]), ["a", "b"])
    masked, flags = suppress_table(df, ["a", "b"], "Total", "Total", RULES)
    assert masked.to_dict("index") == {
        "r1": {"a": "<5", "b": "[c]", "Total": "[c]"},
        "r2": {"a": "[c]", "b": "0", "Total": "[c]"},
        "Total": {"a": "[c]", "b": "[c]", "Total": "14"},
    }
    assert audit_suppression(df, ["a", "b"], flags, "Total", "Total", RULES) == []


def test_mostly_small_table_is_protected_without_getting_stuck() -> None:
    # Seven of the twelve figures are small, so nearly everything must go; whatever the
    # pattern, no small count may be shown and none may be recoverable.
    df = add_totals(pd.DataFrame({"a": [0, 1], "b": [6, 1], "c": [1, 1]}, index=["r0", "r1"]),
                    ["a", "b", "c"])
    masked, flags = suppress_table(df, ["a", "b", "c"], "Total", "Total", RULES)
    for col in ["a", "b", "c", "Total"]:
        small = df[col].between(1, 4)
        assert flags.loc[small, col].all()
    assert masked.at["r0", "a"] == "0"
    assert audit_suppression(df, ["a", "b", "c"], flags, "Total", "Total", RULES) == []


def test_small_total_is_itself_suppressed() -> None:
    assert _shown_row([3, 0, 0]) == ["<5", "0", "0", "<5"]


def test_audit_reports_primary_only_pattern_as_leaky() -> None:
    df = _row_table([3, 7, 12])
    flags = pd.DataFrame({"a": [True], "b": [False], "c": [False], "Total": [False]}, index=["A"])
    assert audit_suppression(df, ["a", "b", "c"], flags, total_col="Total", rules=RULES) == [
        ("A", "a")
    ]


def test_inexact_total_is_refused() -> None:
    df = pd.DataFrame({"a": [3], "b": [7], "Total": [11]}, index=["A"])
    with pytest.raises(ValueError, match="remainder"):
        suppress_table(df, ["a", "b"], total_col="Total", rules=RULES)


def test_other_columns_are_left_alone() -> None:
    df = _row_table([3, 7, 12])
    df.insert(0, "ward", ["Abbey"])
    masked, flags = suppress_table(df, ["a", "b", "c"], total_col="Total", rules=RULES)
    assert masked.at["A", "ward"] == "Abbey"
    assert "ward" not in flags.columns
    assert df.at["A", "a"] == 3  # input not modified


# --------------------------------------------------------------------------- series


def test_series_with_total() -> None:
    out = suppress_series_with_total({"Abbey": 3, "Brook": 7, "Castle": 12}, 22, RULES)
    assert out == {
        "Abbey": ("<5", True),
        "Brook": ("[c]", True),
        "Castle": ("12", False),
        "Total": ("22", False),
    }


def test_series_without_total_is_primary_only() -> None:
    out = suppress_series_with_total({"Abbey": 3, "Brook": 7}, None, RULES)
    assert out == {"Abbey": ("<5", True), "Brook": ("7", False)}


def test_series_total_must_match() -> None:
    with pytest.raises(ValueError):
        suppress_series_with_total({"Abbey": 3, "Brook": 7}, 12, RULES)


# --------------------------------------------------------------------------- scanners

LEAKY_HTML = """
<table>
  <tr><th>Ward</th><th class="count">Crimes</th><th class="rate">Rate</th></tr>
  <tr><td>Abbey</td><td class="count">3</td><td class="rate">2.0</td></tr>
  <tr><td>Brook</td><td class="count">&lt;5</td><td class="rate">*</td></tr>
  <tr><td>Castle</td><td class="count">1,234</td><td class="rate">4</td></tr>
</table>
<p>Ward 2 had <span class="count">0</span> incidents.</p>
"""


def test_scan_finds_a_leaked_three() -> None:
    # Only count cells are judged: the '2' in prose and the '4' in a rate cell are not counts.
    assert find_unsuppressed_small_counts(LEAKY_HTML, RULES) == ["3"]
    problems = scan_html_counts(LEAKY_HTML, RULES)
    assert len(problems) == 1 and "'3'" in problems[0]


def test_scan_passes_a_clean_table() -> None:
    clean = LEAKY_HTML.replace('class="count">3<', 'class="count">&lt;5<')
    assert find_unsuppressed_small_counts(clean, RULES) == []
    assert scan_html_counts(clean, RULES) == []


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<td class="count num"><b>2</b></td>', ["2"]),  # extra classes, nested markup
        ('<td class="count" data-value="4">[c]</td>', ["4"]),  # raw value in an attribute
        ('<tr><td class="count">1<td class="count">10</tr>', ["1"]),  # omitted </td>
        ('<td class="count">[c]</td><td class="count">[x]</td><td class="count">0</td>', []),
        ('<td class="count">15%</td>', []),  # not a count
    ],
)
def test_scan_edge_cases(html: str, expected: list[str]) -> None:
    assert find_unsuppressed_small_counts(html, RULES) == expected


def test_scan_csv(tmp_path) -> None:
    p = tmp_path / "summary.csv"
    p.write_text("ward,crimes,pct\nAbbey,<5,*\nBrook,2,4\nCastle,17,5\n", encoding="utf-8")
    problems = scan_csv_counts(p, ["crimes"], RULES)
    assert len(problems) == 1 and "line 3" in problems[0]
    assert scan_csv_counts(p, ["ward"], RULES) == []
    assert "not found" in scan_csv_counts(p, ["victims"], RULES)[0]


def test_scan_xlsx_numeric_leak(tmp_path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Wards"
    for row in (["ward", "crimes"], ["Abbey", "<5"], ["Brook", 3], ["Castle", 12]):
        ws.append(row)
    p = tmp_path / "summary.xlsx"
    wb.save(p)
    problems = scan_xlsx_counts(p, {"Wards": ["crimes"]}, RULES)
    assert len(problems) == 1 and "row 3" in problems[0]


def test_scan_manifest_flags_unlisted_files(tmp_path) -> None:
    (tmp_path / "card.html").write_text('<td class="count">7</td>', encoding="utf-8")
    (tmp_path / "summary.csv").write_text("ward,crimes\nAbbey,<5\n", encoding="utf-8")
    (tmp_path / "forgotten.csv").write_text("ward,crimes\nAbbey,2\n", encoding="utf-8")
    manifest = {"files": [{"path": "card.html"},
                          {"path": "summary.csv", "count_columns": ["crimes"]}]}
    (tmp_path / "disclosure_manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    problems = scan_manifest(tmp_path / "disclosure_manifest.json", RULES)
    assert len(problems) == 1 and "forgotten.csv" in problems[0]


def test_masked_table_passes_its_own_scanner(tmp_path) -> None:
    df = add_totals(pd.DataFrame({"a": [3, 6], "b": [8, 7], "c": [10, 9]}, index=["r1", "r2"]),
                    ["a", "b", "c"])
    masked, _ = suppress_table(df, ["a", "b", "c"], "Total", "Total", RULES, thousands=False)
    p = tmp_path / "t.csv"
    masked.to_csv(p, index_label="ward")
    assert scan_csv_counts(p, ["a", "b", "c", "Total"], RULES) == []
