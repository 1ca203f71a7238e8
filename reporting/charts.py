"""SPC charts in NHS England "Making Data Count" style, written as PNG and SVG.

Uses matplotlib's object API with the Agg canvas (never pyplot), so rendering needs no
display, keeps no global figure state and cannot touch the network.  Output is
byte-for-byte reproducible: the SVG hash salt is fixed, the date metadata is dropped
and text is written as real <text> (svg.fonttype 'none') so reports stay searchable
and accessible.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = ["ASSURANCE_LABELS", "COLOURS", "VARIATION_LABELS", "spc_chart"]

# Making Data Count palette.
COLOURS = {
    "common_cause": "#7b7d7d",
    "improvement": "#289de0",
    "concern": "#fab428",
    "neutral": "#361475",
    "centre": "#231f20",
    "limit": "#7b7d7d",
    "target": "#d5281b",
    "forecast": "#425563",
    "forecast_band": "#aeb7bd",
}
POINT_COLOURS = {
    "common_cause": COLOURS["common_cause"],
    "special_cause_improvement": COLOURS["improvement"],
    "special_cause_concern": COLOURS["concern"],
    "special_cause_neutral_high": COLOURS["neutral"],
    "special_cause_neutral_low": COLOURS["neutral"],
}
POINT_LABELS = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause – improvement",
    "special_cause_concern": "Special cause – concern",
    "special_cause_neutral_high": "Special cause – neutral",
    "special_cause_neutral_low": "Special cause – neutral",
}
# icon key → (badge text, badge colour, caption)
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
    "font.size": 9,
    "path.simplify": True,
}
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


def _badge(fig: Figure, x: float, y: float, spec: tuple[str, str, str]) -> None:
    """Draw a small MDC-style circle badge with a caption underneath."""
    letter, colour, caption = spec
    fig.text(x, y, letter, ha="center", va="center", color="white", fontsize=13,
             fontweight="bold",
             bbox={"boxstyle": "circle,pad=0.35", "facecolor": colour, "edgecolor": colour})
    fig.text(x, y - 0.058, caption, ha="center", va="top", fontsize=7.5, color="#231f20")


def spc_chart(
    points_df: pd.DataFrame,
    title: str,
    improvement: str,
    out_stem: Path,
    target: float | None = None,
    forecast_df: pd.DataFrame | None = None,
    subtitle: str | None = None,
    min_points: int = 13,
) -> dict[str, Path]:
    """Render an XmR chart to <out_stem>.png and <out_stem>.svg; return both paths."""
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

    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    paths = {"png": out_stem.parent / f"{out_stem.name}.png",
             "svg": out_stem.parent / f"{out_stem.name}.svg"}

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(10, 5.6), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.07, 0.22, 0.90, 0.56))
        handles: list[Any] = []

        # Data line first so limits and points sit on top; NaN leaves a visible gap.
        ax.plot(months, values, color=COLOURS["common_cause"], linewidth=1.4, zorder=3)

        groups = list(dict.fromkeys(frame["rebase_group"].tolist()))
        any_limits = False
        for g_index, group in enumerate(groups):
            part = frame[frame["rebase_group"] == group]
            x = part["month"].to_numpy()
            centre = _num(part["centre"])
            if np.all(np.isnan(centre)):
                ax.text(x[0], 0.97, f"Trial limits (<{min_points} points)",
                        transform=ax.get_xaxis_transform(), ha="left", va="top",
                        fontsize=8, color=COLOURS["common_cause"], style="italic")
            else:
                any_limits = True
                ax.plot(x, centre, color=COLOURS["centre"], linewidth=1.1, zorder=2)
                for col in ("upper_limit", "lower_limit"):
                    ax.plot(x, _num(part[col]), color=COLOURS["limit"], linewidth=1.1,
                            linestyle=(0, (5, 3)), zorder=2)
                for col in ("upper_2sigma", "lower_2sigma"):
                    ax.plot(x, _num(part[col]), color=COLOURS["limit"], linewidth=0.8,
                            linestyle=":", alpha=0.5, zorder=2)
            if g_index > 0:
                # Break halfway between the last month of the old group and the new one.
                prev_last = frame[frame["rebase_group"] == groups[g_index - 1]]["month"].iloc[-1]
                cut = (mdates.date2num(prev_last) + mdates.date2num(part["month"].iloc[0])) / 2
                ax.axvline(cut, color="#231f20", linestyle=":", linewidth=1.0, zorder=1)
                ax.text(cut, 0.02, " Rebased", transform=ax.get_xaxis_transform(),
                        rotation=90, ha="right", va="bottom", fontsize=8, color="#231f20")

        if any_limits:
            handles += [
                Line2D([], [], color=COLOURS["centre"], linewidth=1.1, label="Mean"),
                Line2D([], [], color=COLOURS["limit"], linestyle=(0, (5, 3)),
                       label="Process limits (3σ)"),
                Line2D([], [], color=COLOURS["limit"], linestyle=":", alpha=0.5,
                       label="2σ limits"),
            ]

        if forecast_df is not None and not forecast_df.empty:
            fx = pd.to_datetime(forecast_df["month"]).to_numpy()
            if {"lower", "upper"} <= set(forecast_df.columns):
                ax.fill_between(fx, _num(forecast_df["lower"]), _num(forecast_df["upper"]),
                                color=COLOURS["forecast_band"], alpha=0.3, linewidth=0,
                                zorder=1)
            ax.plot(fx, _num(forecast_df["forecast"]), color=COLOURS["forecast"],
                    linestyle="--", linewidth=1.3, zorder=3)
            handles.append(Line2D([], [], color=COLOURS["forecast"], linestyle="--",
                                  label=FORECAST_LABEL))

        if target is not None:
            ax.axhline(target, color=COLOURS["target"], linestyle="--", linewidth=1.2, zorder=2)
            handles.append(Line2D([], [], color=COLOURS["target"], linestyle="--",
                                  label=f"Target ({target:g})"))

        # Points last, coloured by MDC classification; trial/gap points stay grey.
        kinds = frame["point_type"].where(frame["point_type"].notna(), "common_cause")
        seen: list[str] = []
        for kind, colour in POINT_COLOURS.items():
            mask = (kinds == kind).to_numpy() & ~np.isnan(values)
            if mask.any():
                ax.scatter(months[mask], values[mask], s=26, color=colour,
                           edgecolors=colour, zorder=4)
                if POINT_LABELS[kind] not in seen:
                    seen.append(POINT_LABELS[kind])
                    handles.append(Line2D([], [], marker="o", linestyle="none", color=colour,
                                          markersize=6, label=POINT_LABELS[kind]))

        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 4, 7, 10)))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        for label in ax.get_xticklabels():
            label.set_rotation(45)
            label.set_ha("right")
        ax.grid(axis="y", color="#e8edee", linewidth=0.8)
        ax.set_axisbelow(True)
        for spine in ("top", "right"):
            ax.spines[spine].set_visible(False)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4,
                  frameon=False, fontsize=7.5)

        fig.text(0.07, 0.95, title, ha="left", va="top", fontsize=13, fontweight="bold",
                 color="#231f20")
        if subtitle:
            fig.text(0.07, 0.895, subtitle, ha="left", va="top", fontsize=9, color="#425563")

        variation = _variation_key(frame, improvement)
        if variation is not None:
            _badge(fig, 0.80, 0.905, VARIATION_LABELS[variation])
        assurance = _assurance_key(frame, target, improvement)
        if assurance is not None:
            _badge(fig, 0.92, 0.905, ASSURANCE_LABELS[assurance])

        fig.savefig(paths["png"], format="png", dpi=150, metadata={"Software": None})
        fig.savefig(paths["svg"], format="svg", metadata={"Date": None})
    return paths
