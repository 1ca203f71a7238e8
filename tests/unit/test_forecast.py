"""Baseline forecasts; expected numbers are worked by hand in the comments."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from reporting.forecast import baseline_forecast


def _months(n: int, start: date = date(2021, 1, 1)) -> list[date]:
    """n consecutive first-of-month dates."""
    return [date(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1, 1)
            for k in range(n)]


def _seasonal(n: int) -> list[float]:
    """Gentle upward trend, +30 every December, +10 every July, small repeating wobble."""
    t = np.arange(n)
    month = t % 12  # 0 = January because the series starts in January
    wobble = ((t * 7) % 5 - 2) * 0.5
    return list(100 + 0.5 * t + np.where(month == 11, 30, 0) + np.where(month == 6, 10, 0) + wobble)


def test_exactly_linear_series_continues_the_line() -> None:
    # 10, 12, ..., 20 over Jan-Jun 2021: slope 2 a month, so Jul-Sep are 22, 24, 26 and
    # every residual is 0, which makes the prediction interval zero width.
    out = baseline_forecast(_months(6), [10, 12, 14, 16, 18, 20], horizon=3)
    assert list(out.columns) == ["month", "forecast", "lower", "upper", "method"]
    assert list(out["month"]) == [date(2021, 7, 1), date(2021, 8, 1), date(2021, 9, 1)]
    assert list(out["method"]) == ["linear_trend"] * 3
    for col in ("forecast", "lower", "upper"):
        assert out[col].tolist() == pytest.approx([22.0, 24.0, 26.0], abs=1e-9)


def test_linear_prediction_interval_from_residual_standard_error() -> None:
    # x = 0..3, y = 1, 3, 2, 4: xbar 1.5, ybar 2.5, Sxx 5, Sxy 4 -> slope 0.8, intercept 1.3.
    # Residuals -0.3, 0.9, -0.9, 0.3: SSR 1.8, s = sqrt(1.8 / 2) = sqrt(0.9).
    # At x0 = 4: yhat = 4.5; s * sqrt(1 + 1/4 + 2.5^2 / 5) = sqrt(0.9 * 2.5) = 1.5.
    # t table, 2 df: 1.886 (80%), 4.303 (95%).
    months = _months(4)
    out80 = baseline_forecast(months, [1, 3, 2, 4], horizon=1, level=0.8)
    assert out80.at[0, "forecast"] == pytest.approx(4.5)
    assert out80.at[0, "lower"] == pytest.approx(4.5 - 1.5 * 1.886, abs=1e-3)
    assert out80.at[0, "upper"] == pytest.approx(4.5 + 1.5 * 1.886, abs=1e-3)
    out95 = baseline_forecast(months, [1, 3, 2, 4], horizon=1, floor=None)
    assert out95.at[0, "lower"] == pytest.approx(4.5 - 1.5 * 4.303, abs=1e-3)  # below 0
    assert out95.at[0, "upper"] == pytest.approx(4.5 + 1.5 * 4.303, abs=1e-3)


def test_seasonal_series_keeps_december_peak() -> None:
    out = baseline_forecast(_months(48), _seasonal(48), horizon=12)
    assert set(out["method"]) == {"ets_damped_trend_seasonal"}
    assert out["month"].iloc[0] == date(2025, 1, 1)
    by_month = dict(zip([m.month for m in out["month"]], out["forecast"], strict=True))
    assert max(by_month, key=by_month.get) == 12
    # December sits about 30 above November, July about 10 above June and August.
    assert 20 < by_month[12] - by_month[11] < 40
    assert by_month[7] - by_month[6] > 5 and by_month[7] - by_month[8] > 5
    assert (out["lower"] <= out["forecast"]).all() and (out["forecast"] <= out["upper"]).all()


@pytest.mark.parametrize(
    ("n", "method"),
    [
        (3, "linear_trend"),
        (11, "linear_trend"),
        (12, "ets_damped_trend"),
        (23, "ets_damped_trend"),
        (24, "ets_damped_trend_seasonal"),
    ],
)
def test_method_by_length(n: int, method: str) -> None:
    out = baseline_forecast(_months(n), _seasonal(n), horizon=2)
    assert list(out["method"]) == [method, method]


def test_fewer_than_three_points_gives_empty_frame() -> None:
    out = baseline_forecast(_months(2), [5, 6])
    assert out.empty
    assert list(out.columns) == ["month", "forecast", "lower", "upper", "method"]
    assert baseline_forecast(_months(5), [None, 4, None, 6, None]).empty


def test_deterministic() -> None:
    a = baseline_forecast(_months(48), _seasonal(48))
    b = baseline_forecast(_months(48), _seasonal(48))
    pd.testing.assert_frame_equal(a, b)


def test_floor_at_zero() -> None:
    # 50, 40, 30, 20, 10 falls 10 a month: next values 0, -10, -20 -> floored to 0, 0, 0.
    out = baseline_forecast(_months(5), [50, 40, 30, 20, 10], horizon=3)
    for col in ("forecast", "lower", "upper"):
        assert out[col].tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    unfloored = baseline_forecast(_months(5), [50, 40, 30, 20, 10], horizon=3, floor=None)
    assert unfloored["forecast"].tolist() == pytest.approx([0.0, -10.0, -20.0], abs=1e-9)


def test_ceiling_for_percentages() -> None:
    out = baseline_forecast(_months(4), [85, 90, 95, 100], horizon=2, ceiling=100)
    assert out["forecast"].tolist() == pytest.approx([100.0, 100.0])


def test_interpolated_months_do_not_count_towards_model_choice() -> None:
    values: list[float | None] = list(_seasonal(24))
    values[5] = None  # 23 observed months: below the 24 needed for seasonality
    out = baseline_forecast(_months(24), values, horizon=1)
    assert out.at[0, "method"] == "ets_damped_trend"


def test_gap_in_months_and_trailing_missing() -> None:
    # Jan, Feb, Apr, May, Jun observed on the line 10 + 2k (March absent from the input);
    # July is given as None, so the baseline starts in July: 10 + 2*6 = 22, then 24.
    months = [date(2021, m, 1) for m in (1, 2, 4, 5, 6, 7)]
    out = baseline_forecast(months, [10, 12, 16, 18, 20, None], horizon=2)
    assert list(out["month"]) == [date(2021, 7, 1), date(2021, 8, 1)]
    assert out["forecast"].tolist() == pytest.approx([22.0, 24.0], abs=1e-9)


def test_months_normalised_and_sorted() -> None:
    # Mid-month dates in reverse order are the same months as 1 Jan..1 Mar: 5, 7, 9 -> 11.
    months = [date(2021, 3, 20), date(2021, 2, 14), date(2021, 1, 31)]
    out = baseline_forecast(months, [9, 7, 5], horizon=1)
    assert out.at[0, "month"] == date(2021, 4, 1)
    assert out.at[0, "forecast"] == pytest.approx(11.0)
    with pytest.raises(ValueError):
        baseline_forecast([date(2021, 1, 1), date(2021, 1, 15), date(2021, 2, 1)], [1, 2, 3])
