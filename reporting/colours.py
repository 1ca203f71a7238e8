"""Chart colours: the Making Data Count palette, each data colour with an outline that reads on white.

WCAG 2.x: a graphical object needs a contrast of at least 3:1 against what surrounds it (success
criterion 1.4.11, non-text contrast). Two MDC colours fail on white (orange #fab428 is 1.81:1, the
blue #289de0 just under 3:1), so every data mark keeps its MDC fill, for recognition, and gets an
outline in a darker shade of the same hue that passes. :func:`contrast_ratio` is the WCAG formula;
tests compute it for every style used for data.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DATA_STYLES", "MDC", "WHITE", "DataStyle", "contrast_ratio", "relative_luminance"]

WHITE = "#ffffff"
# NHS England "Making Data Count" palette (the colours of its icons and charts).
MDC = {"grey": "#7b7d7d", "blue": "#289de0", "orange": "#fab428", "purple": "#361475",
       "black": "#231f20", "red": "#d5281b", "slate": "#425563", "pale_slate": "#aeb7bd"}


@dataclass(frozen=True)
class DataStyle:
    """How one kind of data mark is drawn: MDC fill and an outline that passes 3:1 on white."""

    fill: str
    outline: str


DATA_STYLES = {
    "common_cause": DataStyle(MDC["grey"], "#5a5c5c"),
    "improvement": DataStyle(MDC["blue"], "#1a6fa8"),
    "concern": DataStyle(MDC["orange"], "#a35200"),
    "neutral": DataStyle(MDC["purple"], MDC["purple"]),
    "series_line": DataStyle(MDC["grey"], MDC["grey"]),
    "centre": DataStyle(MDC["black"], MDC["black"]),
    "limit": DataStyle(MDC["grey"], MDC["grey"]),
    "target": DataStyle(MDC["red"], MDC["red"]),
    "forecast": DataStyle(MDC["slate"], MDC["slate"]),
    "forecast_band": DataStyle(MDC["pale_slate"], MDC["slate"]),
    "peer_home": DataStyle("#005eb8", "#003087"),
    "peer_other": DataStyle(MDC["pale_slate"], "#4c6272"),
    "assurance_hit_or_miss": DataStyle(MDC["grey"], "#5a5c5c"),
}


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of an sRGB colour written #rrggbb."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"expected a colour as #rrggbb, got {colour!r}")
    channels = [int(text[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str = WHITE) -> float:
    """WCAG contrast ratio (L1 + 0.05) / (L2 + 0.05), lighter over darker: 1 to 21."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
