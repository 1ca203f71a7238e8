"""Indicator engine: windows, values, CIs, change tests and status, on series worked by hand, and the
all-areas-at-once computation against a plain per-area, per-window one."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from transforms import stats
from transforms.definitions import IndicatorDefinition, RecordingChange
from transforms.engine import (
    PERIOD_TYPES,
    Window,
    crosses,
    indicator_rows,
    measure_grid,
    status_for,
    statuses,
    windows_for,
)


def months(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def definition(**overrides) -> IndicatorDefinition:
    base = {"id": "toy", "title": "Toy", "definition": "Toy", "sources": ["police_street"],
                "numerator": {"mart": "m", "measure": "x"}, "method": "count", "unit": "things"}
    base.update(overrides)
    return IndicatorDefinition.model_validate(base)


def long_form(measure: str, series: pd.Series, area_code: str = "E07000110", area_type: str = "district") -> pd.DataFrame:
    return pd.DataFrame({"mart": "m", "measure": measure, "area_type": area_type, "area_code": area_code,
                         "month": series.index, "value": series.to_numpy()})


def series_rows(spec: IndicatorDefinition, numerator: pd.Series, denominator: pd.Series | None = None,
                populations: pd.DataFrame | None = None, period_types: tuple[str, ...] = ("12m",)) -> list[dict]:
    """The engine's rows for one district's series, with None where a value is missing."""
    frames = [long_form("x", numerator)] + ([long_form("n", denominator)] if denominator is not None else [])
    grid = measure_grid(pd.concat(frames, ignore_index=True))
    rows = indicator_rows(spec, {}, grid, pd.DataFrame() if populations is None else populations, period_types=period_types)
    return rows.astype(object).where(rows.notna(), None).to_dict("records")


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
    columns = statuses(pd.Series([aim]), pd.Series([change], dtype=float), pd.Series([significant], dtype=object),
                       pd.Series([crossing]))
    assert list(columns) == [expected]


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
    got = stats.rate_change_p_value(np.array([x1], float), np.ones(1), np.array([x0], float), np.ones(1))[0]
    expected = 1.0 if x1 + x0 == 0 else scipy_stats.binomtest(x1, x1 + x0, 0.5).pvalue
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_a_rate_change_uses_the_exact_conditional_test_with_the_populations():
    # 9 events in a population of 1,000 vs 3 in 2,000: x1 ~ Binomial(12, 1/3); statsmodels'
    # test_poisson_2indep(9, 1000, 3, 2000, method='exact-cond') gives p = 0.0039 (R's
    # binom.test(9, 12, 1/3) too); the doubled smaller tail would have given 0.0077.
    index = months("2016-01-01", 24)
    values = pd.Series([0.0] * 11 + [3.0] + [0.0] * 11 + [9.0], index=index)
    populations = pd.DataFrame({"area_code": ["E07000110"] * 2, "area_type": ["district"] * 2, "year": [2016, 2017],
                                "population": [2_000, 1_000], "population_16_plus": [1_600, 800]})
    spec = definition(method="rate", multiplier=1000, denominator={"population": "all"})
    last = series_rows(spec, values, populations=populations)[-1]
    assert (last["numerator"], last["denominator"], last["previous_numerator"], last["previous_denominator"]) == (9, 1000, 3, 2000)
    assert last["change_p_value"] == pytest.approx(0.0039, abs=0.00005)
    assert last["change_significant"] is True


def test_a_definition_that_still_declares_ci_method_fails_loudly():
    # The method alone chooses the interval; a second key saying the same thing is rejected.
    with pytest.raises(ValueError, match="ci_method"):
        definition(ci_method="poisson")


def test_count_series_hand_worked():
    # 24 months: 10 a month in year 1, 20 a month in year 2 -> 12m at month 24 = 240 vs 120.
    index = months("2016-01-01", 24)
    values = pd.Series([10.0] * 12 + [20.0] * 12, index=index)
    rows = series_rows(definition(), values)
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
    spec = definition(method="proportion", multiplier=100,
                      denominator={"mart": "m", "measure": "n"})
    last = series_rows(spec, numerator, denominator)[-1]
    assert last["value"] == pytest.approx(78 / 240 * 100) and last["previous_value"] == pytest.approx(25.0)
    # Pooled z: p1=.325, p0=.25, pbar=.2875, se=sqrt(.2875*.7125*(2/240))=.04132 -> z=1.815, p=.0695
    assert last["change_p_value"] == pytest.approx(0.0695, abs=0.0005)
    assert last["change_significant"] is False


def test_mean_series_is_the_average_monthly_stock():
    index = months("2016-01-01", 24)
    values = pd.Series([100.0, 110.0] * 6 + [130.0, 140.0] * 6, index=index)
    spec = definition(method="mean")
    last = series_rows(spec, values)[-1]
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
    last = series_rows(spec, values, populations=populations)[-1]
    assert last["value"] == pytest.approx(600 / 160_000 * 1000)
    assert last["previous_value"] == pytest.approx(600 / 150_000 * 1000)


@pytest.mark.parametrize("bad, fragment", [
    ({"colour": "red"}, "colour"),
    ({"method": "ratio"}, "method"),
    ({"method": "proportion"}, "needs a measure denominator"),
    ({"method": "rate"}, "needs a population denominator"),
    ({"denominator": {"population": "all"}}, "has no denominator"),
])
def test_definition_schema_rejects_bad_declarations(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        definition(**bad)


# -- all areas at once against a plain per-area, per-window computation --------------------------
KENT_CHANGE = RecordingChange(id="kent", date=date(2017, 4, 1), title="t", description="d", source="police_street")
AREA_MONTHS = months("2015-11-01", 30)  # Nov 2015 .. Apr 2018: 12m windows with previous ones, FY 2016/17 and 2017/18


def toy_counts() -> dict[tuple[str, str], pd.Series]:
    """Monthly counts of four areas, each with its own quirk."""
    n = len(AREA_MONTHS)
    steady = pd.Series([12.0 + (i % 5) for i in range(n)], index=AREA_MONTHS)
    sparse = pd.Series([0.0 if i % 3 else 2.0 for i in range(n)], index=AREA_MONTHS)   # mostly zero months
    sparse.iloc[:4] = 0.0                                                               # zero windows, zero previous
    gappy = pd.Series([30.0 + i for i in range(n)], index=AREA_MONTHS).drop(AREA_MONTHS[14])  # Jan 2017 not delivered
    late = pd.Series([5.0] * 16, index=AREA_MONTHS[-16:])                               # starts Jan 2017
    return {("district", "E07000001"): steady, ("district", "E07000002"): sparse, ("district", "E07000003"): gappy,
            ("ward", "E05000001"): late}


TOY_POPULATIONS = pd.DataFrame({
    "area_code": ["E07000001", "E07000001", "E07000002", "E05000001"],
    "area_type": ["district", "district", "district", "ward"],
    "year": [2016, 2017, 2017, 2016],
    "population": [100_000.0, 110_000.0, 50_000.0, 8_000.0],
    "population_16_plus": [80_000.0, 88_000.0, 40_000.0, 6_000.0],
})  # E07000003 has no population: its rates are missing


def plain_population(area_code: str, year: int) -> float:
    """The area's population in that year, else its latest earlier year, else its earliest."""
    rows = TOY_POPULATIONS[TOY_POPULATIONS["area_code"] == area_code].set_index("year")["population"]
    if rows.empty:
        return float("nan")
    earlier = rows[rows.index <= year]
    return float(earlier.iloc[-1] if len(earlier) else rows.iloc[0])


def plain_start(period_type: str, end: pd.Timestamp) -> pd.Timestamp | None:
    if period_type == "month":
        return end
    if period_type == "12m":
        return end - pd.DateOffset(months=11)
    if period_type == "fy":
        return pd.Timestamp(end.year - 1, 4, 1) if end.month == 3 else None
    return pd.Timestamp(end.year if end.month >= 4 else end.year - 1, 4, 1)


def plain_window(counts: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float | None:
    """Sum of the window's months, or None if any month was not delivered."""
    wanted = pd.date_range(start, end, freq="MS")
    if not all(month in counts.index for month in wanted):
        return None
    return float(counts[wanted].sum())


def plain_rows(spec: IndicatorDefinition, counts: dict[tuple[str, str], pd.Series]) -> pd.DataFrame:
    """One window at a time, written out the slow way."""
    rows = []
    for (area_type, area_code), series in sorted(counts.items()):
        for period_type in PERIOD_TYPES:
            if area_type == "ward" and period_type in ("fy", "fytd"):
                continue
            for end in AREA_MONTHS:
                start = plain_start(period_type, end)
                x = None if start is None else plain_window(series, start, end)
                if x is None:
                    continue
                p_start, p_end = start - pd.DateOffset(months=12), end - pd.DateOffset(months=12)
                x0 = plain_window(series, p_start, p_end)
                lower, upper = stats.poisson_count_ci(x)
                if spec.method == "rate":
                    n1, n0 = plain_population(area_code, end.year), plain_population(area_code, p_end.year)
                    value, ci_lower, ci_upper = x / n1 * 1000, lower / n1 * 1000, upper / n1 * 1000
                    before = None if x0 is None else x0 / n0 * 1000
                else:
                    n1 = n0 = 1.0
                    value, ci_lower, ci_upper, before = x, lower, upper, x0
                row = {"area_type": area_type, "area_code": area_code, "period_type": period_type,
                       "period_end": (end + pd.offsets.MonthEnd(0)).date(), "months_in_window": len(pd.date_range(start, end, freq="MS")),
                       "numerator": x, "value": value, "ci_lower": ci_lower, "ci_upper": ci_upper,
                       "previous_value": None, "change": None, "change_p_value": None, "change_significant": None,
                       "recording_changes": []}
                if before is not None and not np.isnan(before) and not np.isnan(value):
                    # Exact conditional test: x1 ~ Binomial(x1 + x0, n1 / (n1 + n0)), scipy's two-sided p.
                    share, total = n1 / (n1 + n0), int(x + x0)
                    p = 1.0 if total == 0 else scipy_stats.binomtest(int(x), total, share).pvalue
                    straddles = p_start < pd.Timestamp(KENT_CHANGE.date) <= end + pd.offsets.MonthEnd(0)
                    crossed = ["kent"] if straddles and "kent" in spec.recording_changes else []
                    row.update(previous_value=before, change=value - before, change_p_value=p,
                               change_significant=p < 0.05, recording_changes=crossed)
                rows.append(row)
    return pd.DataFrame(rows)


@pytest.mark.parametrize("spec", [
    definition(recording_changes=["kent"], breakdowns=["ward"]),
    definition(method="rate", multiplier=1000, denominator={"population": "all"}, breakdowns=["ward"], recording_changes=["kent"]),
], ids=["count", "rate"])
def test_all_areas_at_once_match_a_plain_per_area_computation(spec):
    counts = toy_counts()
    long = pd.concat([long_form("x", series, code, kind) for (kind, code), series in counts.items()], ignore_index=True)
    long = long.sample(frac=1, random_state=3)  # row order of the mart must not matter
    got = indicator_rows(spec, {"kent": KENT_CHANGE}, measure_grid(long), TOY_POPULATIONS)
    expected = plain_rows(spec, counts)

    keys = ["area_type", "area_code", "period_type", "period_end"]
    assert got[keys].values.tolist() == expected[keys].values.tolist()  # same windows, in the same order
    assert set(got["period_type"]) == set(PERIOD_TYPES) and "fy" not in set(got.loc[got["area_type"] == "ward", "period_type"])
    for column in ["months_in_window", "numerator", "value", "ci_lower", "ci_upper", "previous_value", "change", "change_p_value"]:
        np.testing.assert_allclose(got[column].to_numpy(float), pd.to_numeric(expected[column]).to_numpy(float),
                                   rtol=1e-12, atol=0, equal_nan=True, err_msg=column)
    assert got["change_significant"].tolist() == expected["change_significant"].tolist()
    assert got["recording_changes"].tolist() == expected["recording_changes"].tolist()
    # The toy data do reach the edge cases the comparison is meant to cover.
    assert (expected["numerator"] == 0).any() and (expected["change_p_value"] == 1.0).any()
    assert expected["recording_changes"].map(bool).any() and (~expected["recording_changes"].map(bool) & expected["change"].notna()).any()
    if spec.method == "rate":
        assert got.loc[got["area_code"] == "E07000003", "value"].isna().all()
        assert got.loc[got["area_code"] == "E07000001", "denominator"].isin([100_000.0, 110_000.0]).all()


def test_a_proportion_above_its_denominator_is_refused_not_clipped():
    # 12 months of 10 out of 8 (a numerator above its denominator): before Step 11 the engine
    # clipped it to 8/8 and published a CI; now it names the indicator, area and window.
    index = months("2016-01-01", 12)
    spec = definition(method="proportion", multiplier=100, denominator={"mart": "m", "measure": "n"})
    with pytest.raises(ValueError, match=r"E07000110.*2016-01 to 2016-12.*above the denominator"):
        series_rows(spec, pd.Series([10.0] * 12, index=index), pd.Series([8.0] * 12, index=index))
