"""SPC charts in NHS England "Making Data Count" style, written as PNG and SVG.

Uses matplotlib's object API with the Agg canvas (never pyplot), so rendering needs no
display, keeps no global figure state and cannot touch the network.  Output is
byte-for-byte reproducible: the SVG hash salt is fixed, the date metadata is dropped
and text is written as real <text> (svg.fonttype 'none') so reports stay searchable
and accessible.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from reporting.colours import DATA_STYLES, MDC
from reporting.mdc_icons import draw_icon

__all__ = ["ASSURANCE_LABELS", "BODY_PT", "CHART_SIZE_IN", "COLOURS", "VARIATION_LABELS", "axis_title", "spc_chart",
           "spc_figure"]

# Making Data Count palette; every data mark is outlined in a shade that passes 3:1 on white
# (reporting.colours).
COLOURS = {
    "common_cause": MDC["grey"],
    "improvement": MDC["blue"],
    "concern": MDC["orange"],
    "neutral": MDC["purple"],
    "centre": MDC["black"],
    "limit": MDC["grey"],
    "target": MDC["red"],
    "forecast": MDC["slate"],
    "forecast_band": MDC["pale_slate"],
}
_POINT_STYLES = {
    "common_cause": DATA_STYLES["common_cause"],
    "special_cause_improvement": DATA_STYLES["improvement"],
    "special_cause_concern": DATA_STYLES["concern"],
    "special_cause_neutral_high": DATA_STYLES["neutral"],
    "special_cause_neutral_low": DATA_STYLES["neutral"],
}
POINT_COLOURS = {kind: style.fill for kind, style in _POINT_STYLES.items()}
POINT_LABELS = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause – improvement",
    "special_cause_concern": "Special cause – concern",
    "special_cause_neutral_high": "Special cause – neutral",
    "special_cause_neutral_low": "Special cause – neutral",
}
# icon key → (letter, colour, caption); the icons themselves are drawn by reporting.mdc_icons.
VARIATION_LABELS = {
    "common_cause": ("~", COLOURS["common_cause"], "Common cause"),
    "special_cause_improvement_high": ("H", COLOURS["improvement"], "Improvement (high)"),
    "special_cause_improvement_low": ("L", COLOURS["improvement"], "Improvement (low)"),
    "special_cause_concern_high": ("H", COLOURS["concern"], "Concern (high)"),
    "special_cause_concern_low": ("L", COLOURS["concern"], "Concern (low)"),
    "special_cause_neutral_high": ("H", COLOURS["neutral"], "Neutral (high)"),
    "special_cause_neutral_low": ("L", COLOURS["neutral"], "Neutral (low)"),
}
ASSURANCE_LABELS = {
    "consistent_pass": ("P", COLOURS["improvement"], "Consistently passing"),
    "hit_or_miss": ("?", COLOURS["common_cause"], "Hit or miss"),
    "consistent_fail": ("F", COLOURS["concern"], "Consistently failing"),
}
FORECAST_LABEL = "Baseline forecast if we stay on our current course"

_RC = {
    "svg.hashsalt": "csp-indicators",  # fixed ids → identical SVG bytes on every run
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",  # bundled with matplotlib, so no host-font drift
    "font.size": 9.5,
    "path.simplify": True,
}
# The figure is as wide as the printable width of an A4 page (210 mm less 2 x 13 mm margins =
# 7.24 in), so it prints at about 100%: its text is then the size of the body text (9.5 pt).
CHART_SIZE_IN = (7.2, 5.3)
BODY_PT = 9.5
_REQUIRED = ("month", "value", "rebase_group", "centre", "upper_limit", "lower_limit",
             "upper_2sigma", "lower_2sigma", "point_type")


def _num(series: pd.Series) -> np.ndarray:
    """Column as float array with None → NaN so matplotlib breaks lines at gaps."""
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _variation_key(frame: pd.DataFrame, improvement: str) -> str | None:
    """Variation icon key from the last non-missing point (None for trial groups)."""
    present = frame[frame["value"].notna()]
    if present.empty:
        return None
    kind = present["point_type"].iloc[-1]
    if not isinstance(kind, str):
        return None
    if kind == "common_cause" or kind.startswith("special_cause_neutral"):
        return kind
    if "direction" in present.columns and pd.notna(present["direction"].iloc[-1]):
        high = float(present["direction"].iloc[-1]) > 0
    else:
        # Improvement is on the improving side by definition; concern on the other.
        improving_high = improvement == "increase"
        high = improving_high if kind == "special_cause_improvement" else not improving_high
    return f"{kind}_{'high' if high else 'low'}"


def _assurance_key(frame: pd.DataFrame, target: float | None, improvement: str) -> str | None:
    """Assurance icon key from the target and the last group's limits."""
    if target is None or improvement not in ("increase", "decrease") or frame.empty:
        return None
    upl, lpl = frame["upper_limit"].iloc[-1], frame["lower_limit"].iloc[-1]
    if pd.isna(upl) or pd.isna(lpl):
        return None
    fail, ok = (target > upl, target < lpl) if improvement == "increase" else (target < lpl,
                                                                               target > upl)
    return "consistent_fail" if fail else "consistent_pass" if ok else "hit_or_miss"


def axis_title(method: str, unit: str) -> str:
    """The y-axis title: what one monthly point is, in its unit."""
    unit = unit.strip()
    if method == "count":
        return f"{unit[:1].upper()}{unit[1:]} per month" if unit else "Count per month"
    if method == "rate":
        return f"Monthly rate {unit}".strip()
    if method in ("proportion", "survey_share"):
        return f"{unit} (monthly)" if unit.startswith("%") else f"% {unit} (monthly)".strip()
    return f"{unit[:1].upper()}{unit[1:]}" if unit else "Monthly value"


def _month_label(value: float, _pos: int) -> str:
    return mdates.num2date(value).strftime("%b %Y")


def _draw_limits(ax: Any, frame: pd.DataFrame, min_points: int) -> bool:
    """Centre line and limits per rebase group; a label above the plot at each rebase."""
    groups = list(dict.fromkeys(frame["rebase_group"].tolist()))
    any_limits = False
    limit = DATA_STYLES["limit"].outline
    for g_index, group in enumerate(groups):
        part = frame[frame["rebase_group"] == group]
        x = part["month"].to_numpy()
        centre = _num(part["centre"])
        trial = bool(np.all(np.isnan(centre)))
        if not trial:
            any_limits = True
            ax.plot(x, centre, color=DATA_STYLES["centre"].outline, linewidth=1.1, zorder=2)
            for col in ("upper_limit", "lower_limit"):
                ax.plot(x, _num(part[col]), color=limit, linewidth=1.1, linestyle=(0, (5, 3)), zorder=2)
            for col in ("upper_2sigma", "lower_2sigma"):
                ax.plot(x, _num(part[col]), color=limit, linewidth=0.8, linestyle=(0, (1, 2)), zorder=2)
        # Labels sit above the plot area, where no point can be: "Rebased" at the break.
        if g_index > 0:
            prev_last = frame[frame["rebase_group"] == groups[g_index - 1]]["month"].iloc[-1]
            cut = (mdates.date2num(prev_last) + mdates.date2num(part["month"].iloc[0])) / 2
            ax.axvline(cut, color=MDC["black"], linestyle=":", linewidth=1.0, zorder=1)
            ax.text(cut, 1.015, "Rebased" + (f": trial limits (<{min_points} points)" if trial else ""),
                    transform=ax.get_xaxis_transform(), ha="center" if not trial else "left", va="bottom",
                    fontsize=BODY_PT - 1, color=MDC["black"], clip_on=False)
        elif trial:
            ax.text(x[0], 1.015, f"Trial limits (<{min_points} points)", transform=ax.get_xaxis_transform(),
                    ha="left", va="bottom", fontsize=BODY_PT - 1, color=MDC["black"], style="italic")
    return any_limits


def _draw_forecast(ax: Any, forecast_df: pd.DataFrame, floor: float | None) -> list[Any]:
    """The baseline forecast and its 95% prediction interval, drawn as the model gives it.

    The band is not cut off at zero: where the model's interval reaches below what the measure can
    take (a count below 0), it is drawn there and the legend says so, so the reader sees how
    uncertain the baseline is instead of a flat edge that looks like a certainty.
    """
    handles: list[Any] = []
    style = DATA_STYLES["forecast_band"]
    fx = pd.to_datetime(forecast_df["month"]).to_numpy()
    if {"lower", "upper"} <= set(forecast_df.columns):
        lower, upper = _num(forecast_df["lower"]), _num(forecast_df["upper"])
        ax.fill_between(fx, lower, upper, facecolor=style.fill, alpha=0.35, linewidth=0, zorder=1)
        for edge in (lower, upper):
            ax.plot(fx, edge, color=style.outline, linewidth=0.7, linestyle=(0, (2, 2)), zorder=2)
        below = floor is not None and bool(np.nanmin(lower) < floor)
        label = "95% prediction interval" + ("\n(reaches below zero: that uncertain)" if below else "")
        handles.append(Patch(facecolor=style.fill, edgecolor=style.outline, alpha=0.6, linestyle=(0, (2, 2)),
                             label=label))
        if below:
            ax.axhline(floor, color=MDC["black"], linewidth=0.8, zorder=1)
    ax.plot(fx, _num(forecast_df["forecast"]), color=DATA_STYLES["forecast"].outline, linestyle="--",
            linewidth=1.4, zorder=3)
    handles.insert(0, Line2D([], [], color=DATA_STYLES["forecast"].outline, linestyle="--", label=FORECAST_LABEL))
    return handles


def spc_figure(
    points_df: pd.DataFrame,
    title: str,
    improvement: str,
    target: float | None = None,
    forecast_df: pd.DataFrame | None = None,
    subtitle: str | None = None,
    min_points: int = 13,
    y_label: str = "Monthly value",
    whole_numbers: bool = False,
    floor: float | None = 0.0,
) -> Figure:
    """The XmR chart as a matplotlib Figure (Agg canvas): what :func:`spc_chart` saves."""
    with matplotlib.rc_context(_RC):
        return _spc_figure(points_df, title, improvement, target, forecast_df, subtitle, min_points, y_label,
                           whole_numbers, floor)


def _spc_figure(points_df: pd.DataFrame, title: str, improvement: str, target: float | None,
                forecast_df: pd.DataFrame | None, subtitle: str | None, min_points: int, y_label: str,
                whole_numbers: bool, floor: float | None) -> Figure:
    missing = [c for c in _REQUIRED if c not in points_df.columns]
    if missing:
        raise ValueError(f"points_df is missing columns: {missing}")
    if target is not None and (isinstance(target, float) and math.isnan(target)):
        target = None
    frame = points_df.copy()
    frame["month"] = pd.to_datetime(frame["month"])
    frame = frame.sort_values("month", kind="stable").reset_index(drop=True)
    months = frame["month"].to_numpy()
    values = _num(frame["value"])

    fig = Figure(figsize=CHART_SIZE_IN, dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.105, 0.34, 0.865, 0.45))
    handles: list[Any] = []

    # Data line first so limits and points sit on top; NaN leaves a visible gap.
    ax.plot(months, values, color=DATA_STYLES["series_line"].outline, linewidth=1.3, zorder=3)
    if _draw_limits(ax, frame, min_points):
        limit = DATA_STYLES["limit"].outline
        handles += [Line2D([], [], color=DATA_STYLES["centre"].outline, linewidth=1.1, label="Mean"),
                    Line2D([], [], color=limit, linestyle=(0, (5, 3)), label="Process limits (3σ)"),
                    Line2D([], [], color=limit, linestyle=(0, (1, 2)), label="2σ limits")]
    if forecast_df is not None and not forecast_df.empty:
        handles += _draw_forecast(ax, forecast_df, floor)
    if target is not None:
        ax.axhline(target, color=DATA_STYLES["target"].outline, linestyle="--", linewidth=1.2, zorder=2)
        handles.append(Line2D([], [], color=DATA_STYLES["target"].outline, linestyle="--",
                              label=f"Target ({target:g})"))

    # Points last, coloured by MDC classification and outlined; trial/gap points stay grey.
    kinds = frame["point_type"].where(frame["point_type"].notna(), "common_cause")
    seen: list[str] = []
    for kind, style in _POINT_STYLES.items():
        mask = (kinds == kind).to_numpy() & ~np.isnan(values)
        if mask.any():
            ax.scatter(months[mask], values[mask], s=30, facecolors=style.fill, edgecolors=style.outline,
                       linewidths=1.1, zorder=4)
            if POINT_LABELS[kind] not in seen:
                seen.append(POINT_LABELS[kind])
                handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor=style.fill,
                                      markeredgecolor=style.outline, markersize=6.5, label=POINT_LABELS[kind]))

    ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
    ax.xaxis.set_major_formatter(FuncFormatter(_month_label))
    ax.tick_params(axis="both", labelsize=BODY_PT - 0.5)
    for label in ax.get_xticklabels():
        label.set_rotation(40)
        label.set_ha("right")
    if whole_numbers:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}" if whole_numbers else f"{v:,.6g}"))
    ax.set_ylabel(y_label, fontsize=BODY_PT)
    ax.set_xlabel("Month", fontsize=BODY_PT)
    ax.grid(axis="y", color="#e8edee", linewidth=0.8)
    ax.set_axisbelow(True)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    legend = fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.0), ncol=2, frameon=False,
                        fontsize=BODY_PT, handlelength=2.2, columnspacing=1.2, borderaxespad=0.3)

    # Title and subtitle wrap to the space left of the icons; the subtitle sits under the title.
    header = [fig.text(0.015, 0.975, textwrap.fill(title, 48), ha="left", va="top", fontsize=BODY_PT + 3,
                       fontweight="bold", color=MDC["black"], linespacing=1.15)]
    if subtitle:
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        below = header[0].get_window_extent(renderer).y0 / (fig.get_figheight() * fig.dpi) - 0.012
        header.append(fig.text(0.015, below, textwrap.fill(subtitle, 78), ha="left", va="top",
                               fontsize=BODY_PT - 0.5, color=MDC["slate"]))
    variation = _variation_key(frame, improvement)
    if variation is not None:
        header.append(draw_icon(fig, variation, (0.70, 0.87, 0.07, 0.10), VARIATION_LABELS[variation][2]))
    assurance = _assurance_key(frame, target, improvement)
    if assurance is not None:
        header.append(draw_icon(fig, assurance, (0.87, 0.87, 0.07, 0.10), ASSURANCE_LABELS[assurance][2]))
    _fit_axes(fig, ax, legend, header)
    return fig


def _fit_axes(fig: Figure, ax: Any, legend: Any, header: list[Any]) -> None:
    """Place the plot between the header (title, icons) and the legend, leaving room for the tick
    labels and axis titles, so that no text overlaps another (tests check every pair)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    width, height = fig.get_figwidth() * fig.dpi, fig.get_figheight() * fig.dpi
    gap = 6.0  # pixels at 100 dpi
    top = min(h.get_tightbbox(renderer).y0 for h in header) - gap
    bottom = legend.get_window_extent(renderer).y1 + gap
    pos = ax.get_position()
    tight = ax.get_tightbbox(renderer)
    below = pos.y0 * height - tight.y0
    above = tight.y1 - pos.y1 * height
    left = pos.x0 * width - tight.x0
    right = tight.x1 - pos.x1 * width
    x0 = (left + gap) / width
    x1 = 1 - (max(right, 0.0) + gap) / width
    y0 = (bottom + below) / height
    y1 = (top - above) / height
    ax.set_position((x0, y0, x1 - x0, y1 - y0))


def spc_chart(
    points_df: pd.DataFrame,
    title: str,
    improvement: str,
    out_stem: Path,
    target: float | None = None,
    forecast_df: pd.DataFrame | None = None,
    subtitle: str | None = None,
    min_points: int = 13,
    y_label: str = "Monthly value",
    whole_numbers: bool = False,
) -> dict[str, Path]:
    """Render an XmR chart to <out_stem>.png and <out_stem>.svg; return both paths."""
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    paths = {"png": out_stem.parent / f"{out_stem.name}.png",
             "svg": out_stem.parent / f"{out_stem.name}.svg"}
    with matplotlib.rc_context(_RC):
        fig = spc_figure(points_df, title, improvement, target, forecast_df, subtitle, min_points, y_label,
                         whole_numbers)
        fig.savefig(paths["png"], format="png", dpi=150, metadata={"Software": None})
        fig.savefig(paths["svg"], format="svg", metadata={"Date": None})
    return paths
