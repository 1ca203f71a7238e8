"""Indicator engine: windows, values, CIs, change tests and status, on series worked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from transforms.definitions import IndicatorDefinition, RecordingChange
from transforms.engine import Window, count_change_p_values, crosses, series_rows, status_for, windows_for


def months(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def definition(**overrides) -> IndicatorDefinition:
    base = dict(id="toy", title="Toy", definition="Toy", sources=["police_street"],
                numerator={"mart": "m", "measure": "x"}, method="count", ci_method="poisson", unit="things")
    base.update(overrides)
    return IndicatorDefinition.model_validate(base)


@pytest.mark.parametrize("period_type, n_months, first_end, count", [
    ("month", 24, "2016-04-01", 24),
    ("12m", 24, "2017-03-01", 13),      # ends Mar-2017 .. Mar-2018
    ("fy", 24, "2017-03-01", 2),        # FY 2016/17 and 2017/18
    ("fytd", 24, "2016-04-01", 24),
])
def test_windows_cover_only_complete_periods(period_type, n_months, first_end, count):
    found = windows_for(months("2016-04-01", n_months), period_type)
    assert len(found) == count
    assert found[0].end == pd.Timestamp(first_end)


def test_a_missing_month_removes_every_window_that_contains_it():
    available = months("2016-01-01", 30).delete(14)  # March 2017 missing
    ends = [w.end for w in windows_for(available, "12m")]
    assert pd.Timestamp("2017-03-01") not in ends and pd.Timestamp("2018-02-01") not in ends
    assert pd.Timestamp("2018-03-01") in ends  # Apr-2017..Mar-2018 is complete again


@pytest.mark.parametrize("aim, change, significant, crossing, expected", [
    ("increase", 10, True, False, "improving"),
    ("increase", -10, True, False, "worsening"),
    ("decrease", -10, True, False, "improving"),
    ("decrease", 10, True, False, "worsening"),
    ("decrease", 10, False, False, "no_significant_change"),
    ("increase", 0, True, False, "no_significant_change"),
    ("increase", 10, True, True, "not_assessed"),     # straddles a recording change
    ("increase", None, None, False, "not_assessed"),  # no previous window
])
def test_status_against_the_aim(aim, change, significant, crossing, expected):
    assert status_for(aim, change, significant, crossing) == expected


def test_recording_change_is_crossed_only_when_it_falls_between_the_windows():
    change = RecordingChange(id="c", date=date(2017, 4, 1), title="t", description="d", source="police_street")
    current = Window("12m", pd.Timestamp("2016-11-01"), pd.Timestamp("2017-10-01"))
    assert crosses([change], current, current.shifted(12)) == ["c"]
    later = Window("12m", pd.Timestamp("2018-05-01"), pd.Timestamp("2019-04-01"))
    assert crosses([change], later, later.shifted(12)) == []
    earlier = Window("12m", pd.Timestamp("2015-03-01"), pd.Timestamp("2016-02-01"))
    assert crosses([change], earlier, earlier.shifted(12)) == []


@pytest.mark.parametrize("x1, x0", [(3096, 2683), (342, 345), (12, 3), (0, 0), (5, 0), (100, 100)])
def test_vectorised_count_test_matches_the_exact_binomial_test(x1, x0):
    got = count_change_p_values(np.array([x1], float), np.ones(1), np.array([x0], float), np.ones(1))[0]
    expected = 1.0 if x1 + x0 == 0 else scipy_stats.binomtest(x1, x1 + x0, 0.5).pvalue
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_count_series_hand_worked():
    # 24 months: 10 a month in year 1, 20 a month in year 2 -> 12m at month 24 = 240 vs 120.
    index = months("2016-01-01", 24)
    values = pd.Series([10.0] * 12 + [20.0] * 12, index=index)
    rows = series_rows(definition(), {}, values, None, pd.DataFrame(), "E07000110", "district", ("12m",))
    last = rows[-1]
    assert (last["value"], last["previous_value"], last["change"], last["change_pct"]) == (240, 120, 120, 100)
    # Byar at x = 240: L = 240(1 - 1/2160 - 1.959964/(3*sqrt(240)))^3 = 210.6 ; U = 241(1 - 1/2169 + 1.959964/(3*sqrt(241)))^3 = 272.3
    assert last["ci_lower"] == pytest.approx(210.6, abs=0.1) and last["ci_upper"] == pytest.approx(272.3, abs=0.1)
    assert last["change_significant"] is True
    assert rows[0]["previous_value"] is None  # the first complete window has no previous one


def test_proportion_series_hand_worked():
    index = months("2016-01-01", 24)
    numerator = pd.Series([5.0] * 12 + [6.5] * 12, index=index)   # 60 then 78
    denominator = pd.Series([20.0] * 24, index=index)             # 240 each year
    spec = definition(method="proportion", multiplier=100, ci_method="wilson",
                      denominator={"mart": "m", "measure": "n"})
    last = series_rows(spec, {}, numerator, denominator, pd.DataFrame(), "E07000110", "district", ("12m",))[-1]
    assert last["value"] == pytest.approx(78 / 240 * 100) and last["previous_value"] == pytest.approx(25.0)
    # Pooled z: p1=.325, p0=.25, pbar=.2875, se=sqrt(.2875*.7125*(2/240))=.04132 -> z=1.815, p=.0695
    assert last["change_p_value"] == pytest.approx(0.0695, abs=0.0005)
    assert last["change_significant"] is False


def test_mean_series_is_the_average_monthly_stock():
    index = months("2016-01-01", 24)
    values = pd.Series([100.0, 110.0] * 6 + [130.0, 140.0] * 6, index=index)
    spec = definition(method="mean", ci_method="t")
    last = series_rows(spec, {}, values, None, pd.DataFrame(), "E07000110", "district", ("12m",))[-1]
    assert last["value"] == 135 and last["previous_value"] == 105
    # sd of [130,140]x6 = sqrt(300/11)=5.222; t(.975,11)=2.201 -> half-width 2.201*5.222/sqrt(12)=3.318
    assert last["ci_upper"] - last["value"] == pytest.approx(3.318, abs=0.001)
    assert last["change_significant"] is True


def test_rate_uses_the_population_of_the_final_year():
    index = months("2016-01-01", 24)
    values = pd.Series([50.0] * 24, index=index)
    populations = pd.DataFrame({"area_code": ["E07000110"] * 2, "area_type": ["district"] * 2, "year": [2016, 2017],
                                "population": [150_000, 160_000], "population_16_plus": [120_000, 128_000]})
    spec = definition(method="rate", multiplier=1000, denominator={"population": "all"})
    last = series_rows(spec, {}, values, None, populations, "E07000110", "district", ("12m",))[-1]
    assert last["value"] == pytest.approx(600 / 160_000 * 1000)
    assert last["previous_value"] == pytest.approx(600 / 150_000 * 1000)


@pytest.mark.parametrize("bad, fragment", [
    (dict(colour="red"), "colour"),
    (dict(method="ratio"), "method"),
    (dict(method="proportion", ci_method="wilson"), "needs a measure denominator"),
    (dict(method="rate", ci_method="poisson"), "needs a population denominator"),
    (dict(denominator={"population": "all"}), "has no denominator"),
])
def test_definition_schema_rejects_bad_declarations(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        definition(**bad)
