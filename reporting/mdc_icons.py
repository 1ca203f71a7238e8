"""The Making Data Count icons, drawn here from the shapes NHS England's guidance publishes.

Variation icons: a ring in the signal's colour around a short run of points; the latest points
(in colour) show the signal, the earlier ones are grey. Common cause: a level, grey run. Special
cause: the latest points run high (H) or low (L), in blue (improvement), orange (concern) or purple
(neutral, no aim). Assurance icons: a ring around a dashed target line and a run of points that
stays on the passing side (P, blue), on the failing side (F, orange) or crosses it (?, grey).

One geometry (:func:`icon_shapes`, a 100 x 100 box, y down) is drawn two ways: as inline SVG for the
HTML (:func:`icon_svg`) and into a matplotlib figure for the chart files (:func:`draw_icon`). Ring,
points and letter use the outline colours of :mod:`reporting.colours`, which pass 3:1 on white.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from markupsafe import Markup

from reporting.colours import DATA_STYLES, MDC

__all__ = ["ICON_KEYS", "IconShapes", "draw_icon", "icon_shapes", "icon_svg"]

_GREY = DATA_STYLES["common_cause"]
_STYLE = {"improvement": DATA_STYLES["improvement"], "concern": DATA_STYLES["concern"],
          "neutral": DATA_STYLES["neutral"], "common": _GREY}
_X = (20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0)
# Runs of seven points, y down: level; rising to the top (high); falling to the bottom (low).
_LEVEL = (60.0, 54.0, 61.0, 55.0, 60.0, 54.0, 58.0)
_HIGH = (66.0, 70.0, 65.0, 69.0, 52.0, 46.0, 40.0)
_LOW = (48.0, 44.0, 49.0, 45.0, 62.0, 68.0, 74.0)
_PASS = (38.0, 34.0, 39.0, 35.0, 38.0, 34.0, 37.0)
_FAIL = (66.0, 70.0, 65.0, 69.0, 66.0, 70.0, 67.0)
_MISS = (38.0, 60.0, 42.0, 62.0, 36.0, 58.0, 40.0)
TARGET_Y = 53.0

ICON_KEYS = ("common_cause", "special_cause_improvement_high", "special_cause_improvement_low",
             "special_cause_concern_high", "special_cause_concern_low", "special_cause_neutral_high",
             "special_cause_neutral_low", "consistent_pass", "hit_or_miss", "consistent_fail")


@dataclass(frozen=True)
class IconShapes:
    ring: str  # outline colour of the ring (and the letter)
    fill: str  # pale fill inside the ring
    points: tuple[tuple[float, float, str], ...]  # (x, y, colour) joined by a grey line
    letter: str
    letter_y: float
    target: bool  # a dashed target line (assurance icons)


def icon_shapes(key: str) -> IconShapes:
    """The geometry of one MDC icon by its key (a variation or an assurance icon key)."""
    if key not in ICON_KEYS:
        raise ValueError(f"no Making Data Count icon {key!r}; expected one of {', '.join(ICON_KEYS)}")
    if key in ("consistent_pass", "hit_or_miss", "consistent_fail"):
        kind, ys, letter = {"consistent_pass": ("improvement", _PASS, "P"),
                            "consistent_fail": ("concern", _FAIL, "F"),
                            "hit_or_miss": ("common", _MISS, "?")}[key]
        style = _STYLE[kind]
        points = tuple((x, y, style.outline) for x, y in zip(_X, ys, strict=True))
        return IconShapes(style.outline, "#ffffff", points, letter, 90.0 if key != "consistent_fail" else 30.0,
                          True)
    if key == "common_cause":
        points = tuple((x, y, _GREY.outline) for x, y in zip(_X, _LEVEL, strict=True))
        return IconShapes(_GREY.outline, "#ffffff", points, "", 0.0, False)
    kind = key.split("_")[2]  # special_cause_<kind>_<side>
    high = key.endswith("_high")
    style = _STYLE[kind]
    ys = _HIGH if high else _LOW
    points = tuple((x, y, style.outline if i >= 4 else _GREY.outline)
                   for i, (x, y) in enumerate(zip(_X, ys, strict=True)))
    return IconShapes(style.outline, "#ffffff", points, "H" if high else "L", 86.0 if high else 34.0, False)


def icon_svg(key: str, label: str = "") -> Markup:
    """Inline SVG of the icon for the HTML reports: named by ``label``, or hidden from screen readers
    when no label is given because its caption is written next to it."""
    s = icon_shapes(key)
    name = f'role="img" aria-label="{escape(label)}"' if label else 'aria-hidden="true"'
    parts = [f'<svg class="mdc-icon" viewBox="0 0 100 100" width="30" height="30" {name} data-icon="{key}">',
             f'<circle cx="50" cy="50" r="44" fill="{s.fill}" stroke="{s.ring}" stroke-width="8"/>']
    if s.target:
        parts.append(f'<line x1="16" y1="{TARGET_Y:g}" x2="84" y2="{TARGET_Y:g}" stroke="{MDC["red"]}" '
                     f'stroke-width="3" stroke-dasharray="6 4"/>')
    line = " ".join(f"{x:g},{y:g}" for x, y, _ in s.points)
    parts.append(f'<polyline points="{line}" fill="none" stroke="{_GREY.fill}" stroke-width="2.5"/>')
    parts += [f'<circle cx="{x:g}" cy="{y:g}" r="5" fill="{c}"/>' for x, y, c in s.points]
    if s.letter:
        parts.append(f'<text x="50" y="{s.letter_y:g}" text-anchor="middle" font-family="Arial,sans-serif" '
                     f'font-weight="bold" font-size="26" fill="{s.ring}">{escape(s.letter)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def draw_icon(fig: Any, key: str, rect: tuple[float, float, float, float], caption: str) -> Any:
    """Draw the icon into ``fig`` in an axes at ``rect`` (figure fractions), caption underneath."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle

    s = icon_shapes(key)
    ax = fig.add_axes(rect)
    ax.set_xlim(0, 100)
    ax.set_ylim(100, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_patch(Circle((50, 50), 44, facecolor=s.fill, edgecolor=s.ring, linewidth=2.6))
    if s.target:
        ax.add_line(Line2D([16, 84], [TARGET_Y, TARGET_Y], color=MDC["red"], linewidth=1.0, linestyle=(0, (3, 2))))
    ax.plot([p[0] for p in s.points], [p[1] for p in s.points], color=_GREY.fill, linewidth=0.9)
    ax.scatter([p[0] for p in s.points], [p[1] for p in s.points], s=9, c=[p[2] for p in s.points], zorder=3)
    if s.letter:
        ax.text(50, s.letter_y, s.letter, ha="center", va="baseline", fontsize=9, fontweight="bold", color=s.ring)
    ax.text(50, 104, caption, ha="center", va="top", fontsize=8, color=MDC["black"], clip_on=False)
    return ax
