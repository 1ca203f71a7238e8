"""Assessment windows, comparisons against a year earlier, and the Home Office victim-based split."""

from __future__ import annotations

from datetime import date

from scipy.stats import binomtest

from transforms.assessment import compare_windows, month_ranges, window_ending
from transforms.crime_types import crime_type_map, victim_split


def months(first: str, last: str) -> set[date]:
    y, m = map(int, first.split("-"))
    out = set()
    while (y, m) <= tuple(map(int, last.split("-"))):
        out.add(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_window_days_and_year_earlier():
    window = window_ending(date(2025, 12, 1))
    assert (window.start, window.end, window.days) == (date(2025, 1, 1), date(2025, 12, 1), 365)
    earlier = window.year_earlier()
    assert (earlier.start, earlier.end, earlier.days) == (date(2024, 1, 1), date(2024, 12, 1), 366)  # leap year
    nov_oct = window_ending(date(2017, 10, 1))
    assert nov_oct.label == "November 2016 to October 2017"
    assert window.last_months(3).label == "October 2025 to December 2025"


def test_incomplete_earlier_window_is_not_assessed():
    received = months("2024-01", "2024-04") | months("2025-01", "2025-12")  # the real police.uk files
    result = compare_windows(1200, 400, window_ending(date(2025, 12, 1)), received)
    assert not result.assessed and result.current == 1200 and result.previous is None and result.change is None
    assert "8 of 12 months were not received (2024-05..2024-12)" in result.note


def test_incomplete_current_window_shows_no_figure():
    received = months("2024-01", "2025-11")
    result = compare_windows(1100, 1000, window_ending(date(2025, 12, 1)), received)
    assert not result.assessed and result.current is None and "2025-12" in result.note


def test_complete_comparison_hand_worked():
    window = window_ending(date(2019, 12, 1))  # 2019 and 2018: 365 days each
    result = compare_windows(120, 100, window, months("2018-01", "2019-12"))
    assert result.assessed and result.change == 20 and result.change_pct == 20.0
    assert abs(result.change_per_day - 20 / 365) < 1e-12
    # equal exposure: the exact conditional test is the two-sided binomial test of 120 of 220 at 1/2
    assert abs(result.p_value - binomtest(120, 220, 0.5).pvalue) < 1e-12
    assert result.significant is False  # p = 0.19


def test_month_ranges():
    assert month_ranges([date(2024, 5, 1), date(2024, 6, 1), date(2024, 8, 1)]) == "2024-05..2024-06, 2024-08"


def test_victim_split_hand_made_table():
    counts = {"Violence and sexual offences": 10, "Burglary": 3, "Shoplifting": 5, "Drugs": 4, "Public order": 2,
              "Other crime": 1, "Anti-social behaviour": 50, "Invented type": 7}
    # victim-based 10 + 3 + 5 = 18; non-victim-based 4 + 2 + 1 = 7; ASB in neither; the unknown type named
    assert victim_split(counts) == {"victim_based": 18, "non_victim_based": 7, "unmapped": {"Invented type": 7}}


def test_every_current_police_uk_type_is_mapped():
    current = ["Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other crime",
               "Other theft", "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person",
               "Vehicle crime", "Violence and sexual offences"]
    split = victim_split({name: 1 for name in current})
    assert split == {"victim_based": 9, "non_victim_based": 4, "unmapped": {}}
    assert crime_type_map().crime_types["Anti-social behaviour"] == "not_crime"
