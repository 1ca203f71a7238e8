"""OBA "turn the curve" baseline: where an indicator goes if we stay on our current course.

METHODS.md §4: baseline = history + forecast; success is doing better than the baseline.

Model choice, by the number of *observed* (non-missing) months n:

* n >= 2 x seasonal_periods (24 by default): ETS, additive error, damped additive trend, additive
  seasonality ('ets_damped_trend_seasonal'). Initial states use statsmodels' heuristic
  decomposition, because estimating 11 free seasonal starting values from two years of data
  would over-fit.
* 12 <= n < 24: ETS, additive error, damped additive trend, no seasonality ('ets_damped_trend').
  Damping because a straight trend extrapolated 12 months from one or two years of monthly
  crime data overstates the future.
* 3 <= n < 12, a failed ETS fit, or a history with no variation at all (the ETS likelihood is
  undefined when every residual is 0): ordinary least squares straight line ('linear_trend').
  A failed seasonal fit is retried without seasonality before dropping to the straight line.
* n < 3: empty frame (no honest baseline).

Intervals are prediction intervals at ``level`` (0.95 default; 0.8 is the other common choice).
For the ETS models they are statsmodels' exact (analytic) intervals, available for these additive
models, so results are deterministic without any random seed. For the line they are the classic
OLS prediction interval, yhat +/- t(n-2) * s * sqrt(1 + 1/n + (x0 - xbar)^2 / Sxx), where s is the
residual standard error.

Missing months (None/NaN values, or months absent from ``months``) between the first and last
observation are filled by linear interpolation *for the ETS fit only*, because ETS needs an
unbroken monthly series; the straight line is fitted to observed points only (it does not need
a regular series, and interpolated points would add weight the data does not have). Interpolated
months never count towards n. The forecast starts the month after the last observed value, so a
trailing run of missing months is forecast rather than treated as history.

Forecast, lower and upper are clipped to ``floor`` (0 by default: counts cannot be negative) and
to ``ceiling`` if given (e.g. 100 for a percentage).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

METHOD_SEASONAL = "ets_damped_trend_seasonal"
METHOD_DAMPED = "ets_damped_trend"
METHOD_LINEAR = "linear_trend"
COLUMNS = ["month", "forecast", "lower", "upper", "method"]

MIN_POINTS = 3
MIN_ETS_POINTS = 12


def _first_of_month(d: date) -> date:
    """Normalise a date, datetime or Timestamp to the first of its month."""
    return date(d.year, d.month, 1)


def _add_months(d: date, k: int) -> date:
    """The first of the month k months after d."""
    m = d.year * 12 + (d.month - 1) + k
    return date(m // 12, m % 12 + 1, 1)


def _month_offset(start: date, d: date) -> int:
    """Whole months from start to d."""
    return (d.year - start.year) * 12 + (d.month - start.month)


def _empty() -> pd.DataFrame:
    """Empty result with the documented columns."""
    return pd.DataFrame({
        "month": pd.Series([], dtype=object),
        "forecast": pd.Series([], dtype=float),
        "lower": pd.Series([], dtype=float),
        "upper": pd.Series([], dtype=float),
        "method": pd.Series([], dtype=object),
    })


def _fit_ets(y: np.ndarray, horizon: int, level: float, seasonal_periods: int | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """ETS forecast with exact intervals, or None if the fit fails or gives non-finite output."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    seasonal = seasonal_periods is not None
    try:
        with warnings.catch_warnings():
            # Convergence chatter is normal on short monthly series; bad fits are caught below.
            warnings.simplefilter("ignore")
            model = ETSModel(
                pd.Series(y, dtype=float),  # RangeIndex: prediction needs a pandas index
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add" if seasonal else None,
                seasonal_periods=seasonal_periods if seasonal else None,
                initialization_method="heuristic" if seasonal else "estimated",
            )
            res = model.fit(disp=False)
            pred = res.get_prediction(start=len(y), end=len(y) + horizon - 1)
            frame = pred.summary_frame(alpha=1 - level)
    except Exception:  # noqa: BLE001 - statsmodels raises many types on degenerate data
        return None
    mean = frame["mean"].to_numpy(dtype=float)
    lower = frame["pi_lower"].to_numpy(dtype=float)
    upper = frame["pi_upper"].to_numpy(dtype=float)
    if len(mean) != horizon or not np.all(np.isfinite(np.r_[mean, lower, upper])):
        return None
    return mean, lower, upper


def _fit_linear(x: np.ndarray, y: np.ndarray, x_new: np.ndarray, level: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS straight line with the textbook prediction interval."""
    n = len(x)
    slope, intercept = np.polyfit(x, y, 1)
    fitted = intercept + slope * x
    mean = intercept + slope * x_new
    dof = n - 2
    s = math.sqrt(float(np.sum((y - fitted) ** 2)) / dof)
    sxx = float(np.sum((x - x.mean()) ** 2))
    t_crit = stats.t.ppf(0.5 + level / 2, dof)
    half = t_crit * s * np.sqrt(1 + 1 / n + (x_new - x.mean()) ** 2 / sxx)
    return mean, mean - half, mean + half


def baseline_forecast(
    months: Sequence[date],
    values: Sequence[float | None],
    horizon: int = 12,
    seasonal_periods: int = 12,
    level: float = 0.95,
    floor: float | None = 0.0,
    ceiling: float | None = None,
    clip_interval: bool = True,
) -> pd.DataFrame:
    """Baseline for ``horizon`` months after the last observation (see module docstring).

    clip_interval=False keeps the prediction interval as the model gives it (only the forecast
    itself is held within floor/ceiling): the charts draw it so, rather than flat at zero.
    """
    if len(months) != len(values):
        raise ValueError("months and values must be the same length")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1, e.g. 0.95")
    if horizon < 1:
        return _empty()

    observed: dict[date, float] = {}
    for d, v in zip(months, values, strict=True):
        m = _first_of_month(d)
        if m in observed:
            raise ValueError(f"month {m} appears more than once")
        observed[m] = np.nan if v is None or pd.isna(v) else float(v)
    points = sorted((m, v) for m, v in observed.items() if not math.isnan(v))
    if len(points) < MIN_POINTS:
        return _empty()

    start, last = points[0][0], points[-1][0]
    x_obs = np.array([_month_offset(start, m) for m, _ in points], dtype=float)
    y_obs = np.array([v for _, v in points], dtype=float)
    n_obs = len(points)
    span = _month_offset(start, last) + 1
    future = [_add_months(last, k) for k in range(1, horizon + 1)]

    # Unbroken monthly series for ETS: gaps (absent months or None) filled by interpolation.
    full = pd.Series(np.nan, index=range(span), dtype=float)
    full.iloc[x_obs.astype(int)] = y_obs
    y_full = full.interpolate(method="linear").to_numpy()

    result = None
    method = METHOD_LINEAR
    if n_obs >= MIN_ETS_POINTS and np.ptp(y_obs) > 0:
        if seasonal_periods and seasonal_periods > 1 and n_obs >= 2 * seasonal_periods:
            result = _fit_ets(y_full, horizon, level, seasonal_periods)
            method = METHOD_SEASONAL
        if result is None:
            result = _fit_ets(y_full, horizon, level, None)
            method = METHOD_DAMPED
    if result is None:
        x_new = np.arange(span, span + horizon, dtype=float)
        result = _fit_linear(x_obs, y_obs, x_new, level)
        method = METHOD_LINEAR

    mean, lower, upper = (np.asarray(a, dtype=float) for a in result)
    if floor is not None or ceiling is not None:
        mean = np.clip(mean, floor, ceiling)
        if clip_interval:
            lower, upper = (np.clip(a, floor, ceiling) for a in (lower, upper))
    return pd.DataFrame({
        "month": pd.Series(future, dtype=object),
        "forecast": mean,
        "lower": lower,
        "upper": upper,
        "method": pd.Series([method] * horizon, dtype=object),
    })
