"""Charts a reader can read: contrast by computation, whole-number ticks on counts, axis titles,
legend at body size, no overlapping labels, the forecast band drawn as the model gives it, MDC
icons drawn as shapes, and alt text that describes the series."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from itertools import combinations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.lines import Line2D
from matplotlib.text import Text

from reporting.chart_text import chart_alt_text
from reporting.charts import BODY_PT, CHART_SIZE_IN, axis_title, spc_figure
from reporting.colours import DATA_STYLES, WHITE, contrast_ratio, relative_luminance
from reporting.mdc_icons import ICON_KEYS, icon_svg
from transforms.spc import points_to_frame, rebase_groups_for, xmr

FIRST = [100, 104, 98, 103, 99, 102, 97, 101, 100, None, 103, 99,
         140, 101, 98, 102, 100, 99, 103, 97, 101, 100, 102, 98]
SECOND = [9, 12, 7, 11, 8, 10, 3, 9, 11, 7, 10, 8, 12, 9, 7, 11, 8, 10, 9, 11, 7, 10, 8, 9]
MONTHS = pd.date_range("2021-04-01", periods=48, freq="MS")


@pytest.fixture
def points() -> pd.DataFrame:
    groups = rebase_groups_for(MONTHS, [dt.date(2023, 4, 1)])
    return points_to_frame(xmr(FIRST + SECOND, "decrease", groups), MONTHS)


@pytest.fixture
def forecast() -> pd.DataFrame:
    # A band whose lower edge the model puts below zero.
    return pd.DataFrame({"month": pd.date_range("2025-04-01", periods=12, freq="MS"),
                         "forecast": [9.0] * 12, "lower": [-3.0] * 12, "upper": [21.0] * 12})


def _figure(points: pd.DataFrame, forecast: pd.DataFrame | None = None,
            title: str = "Victims refusing to take DA incidents forward to prosecution (NFA)"):
    return spc_figure(points, title, "decrease", target=20.0, forecast_df=forecast,
                      subtitle="Source: Kent Police · monthly", y_label=axis_title("count", "incidents"),
                      whole_numbers=True)


def _composite(colour, alpha: float) -> str:
    """A colour drawn with transparency over white, as the eye sees it."""
    r, g, b, a = to_rgba(colour, alpha)
    return to_hex((r * a + (1 - a), g * a + (1 - a), b * a + (1 - a)))


def test_wcag_formula_on_published_values():
    # WCAG 2.x definitions: black on white is 21:1, white on white 1:1; #767676 is the well-known
    # lightest grey passing 4.5:1 (4.54), and the MDC orange #fab428 is 1.81:1 (issue 18).
    assert contrast_ratio("#000000", WHITE) == pytest.approx(21.0)
    assert contrast_ratio(WHITE, WHITE) == pytest.approx(1.0)
    assert contrast_ratio("#767676") == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#fab428") == pytest.approx(1.81, abs=0.01)
    assert relative_luminance("#ffffff") == pytest.approx(1.0)


def test_every_data_style_outline_passes_3_to_1():
    failing = {name: round(contrast_ratio(style.outline), 2) for name, style in DATA_STYLES.items()
               if contrast_ratio(style.outline) < 3.0}
    assert not failing


def test_every_mark_drawn_on_the_chart_passes_3_to_1(points, forecast):
    fig = _figure(points, forecast)
    ax = fig.axes[0]
    checked = 0
    for line in ax.get_lines():
        colour = _composite(line.get_color(), line.get_alpha() if line.get_alpha() is not None else 1.0)
        assert contrast_ratio(colour) >= 3.0, (line.get_label(), colour)
        checked += 1
    for collection in ax.collections:
        if isinstance(collection, PathCollection):  # the points: their outline bounds them
            for edge in collection.get_edgecolor():
                assert contrast_ratio(to_hex(edge)) >= 3.0, to_hex(edge)
                checked += 1
    assert checked >= 8


def test_axis_titles_units_and_whole_number_ticks_for_counts(points):
    fig = _figure(points)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Incidents per month"
    assert ax.get_xlabel() == "Month"
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert len(ticks) >= 3 and all(float(t).is_integer() for t in ticks), ticks
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert all("." not in label for label in labels), labels
    assert axis_title("rate", "per 1,000 residents") == "Monthly rate per 1,000 residents"
    assert axis_title("proportion", "% of incidents") == "% of incidents (monthly)"


def test_legend_is_body_size_at_print_width(points, forecast):
    fig = _figure(points, forecast)
    # A4 less two 13 mm margins is 184 mm = 7.24 in: the chart prints at (at least) 100%.
    assert CHART_SIZE_IN[0] <= 184 / 25.4
    legend = fig.legends[0]
    assert all(t.get_fontsize() >= BODY_PT for t in legend.get_texts())
    assert BODY_PT >= 9.5  # the print stylesheet's body size


def test_no_text_overlaps_another_or_a_point(points, forecast):
    fig = _figure(points, forecast)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert any(t.get_text() == "Rebased" for t in texts)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    overlaps = [(a, b) for (a, box_a), (b, box_b) in combinations(boxes, 2) if box_a.overlaps(box_b)]
    assert not overlaps
    width, height = fig.get_figwidth() * fig.dpi, fig.get_figheight() * fig.dpi
    outside = [name for name, box in boxes if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height]
    assert not outside, "text cut off at the edge of the chart"
    # Icons (their ring) do not sit under any text either.
    rings = [a.get_window_extent(renderer) for a in fig.axes[1:]]
    assert rings and not [(n, b) for n, b in boxes for r in rings if b.overlaps(r) and n not in ("H", "L", "P", "F", "?")
                          and not n.startswith(("Common", "Improvement", "Concern", "Hit", "Consistently", "Neutral"))]
    ax = fig.axes[0]
    xy = np.vstack([c.get_offsets() for c in ax.collections if isinstance(c, PathCollection)])
    pixels = ax.transData.transform(np.column_stack([matplotlib.dates.date2num(xy[:, 0]) if xy.dtype == object
                                                     else xy[:, 0], xy[:, 1]]).astype(float))
    for name, box in boxes:
        inside = [(x, y) for x, y in pixels if box.x0 - 4 <= x <= box.x1 + 4 and box.y0 - 4 <= y <= box.y1 + 4]
        assert not inside, f"label {name!r} covers a data point"


def test_forecast_band_is_not_cut_flat_at_zero(points, forecast):
    fig = _figure(points, forecast)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] < -2  # the band's lower edge (-3) is on the chart
    edges = [line for line in ax.get_lines() if np.nanmin(np.asarray(line.get_ydata(), dtype=float)) == -3.0]
    assert edges, "the lower edge of the band is drawn where the model puts it"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any("reaches below zero" in label for label in labels)


@pytest.mark.parametrize("key", ICON_KEYS)
def test_mdc_icons_are_drawn_shapes(key):
    svg = str(icon_svg(key, "caption"))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    tags = [el.tag.replace(ns, "") for el in root.iter()]
    assert tags.count("circle") == 1 + 7  # the ring and seven points
    assert "polyline" in tags
    ring = root.find("circle") if root.find("circle") is not None else root.find(f"{ns}circle")
    assert ring is not None and contrast_ratio(ring.get("stroke")) >= 3.0
    letters = [el.text for el in root.iter() if el.tag.endswith("text")]
    expected = {"common_cause": [], "consistent_pass": ["P"], "consistent_fail": ["F"], "hit_or_miss": ["?"]}
    assert letters == expected.get(key, ["H" if key.endswith("_high") else "L"])
    assert ("line" in tags) == (key in ("consistent_pass", "consistent_fail", "hit_or_miss"))  # target line
    assert 'role="img"' in svg and 'aria-label="caption"' in svg
    assert 'aria-hidden="true"' in str(icon_svg(key))


def test_icon_colours_follow_the_signal():
    assert DATA_STYLES["concern"].outline in str(icon_svg("special_cause_concern_high"))
    assert DATA_STYLES["improvement"].outline in str(icon_svg("special_cause_improvement_low"))
    assert DATA_STYLES["concern"].outline not in str(icon_svg("common_cause"))
    with pytest.raises(ValueError, match="no Making Data Count icon"):
        icon_svg("special_cause_whatever")


def test_alt_text_describes_the_series():
    data = pd.DataFrame({
        "month": [dt.date(2017, 9, 1), dt.date(2017, 10, 1), dt.date(2017, 11, 1), dt.date(2017, 12, 1),
                  dt.date(2018, 1, 1), dt.date(2018, 2, 1)],
        "value": [250.0, 310.0, None, 198.0, 260.0, 287.0],
        "centre": [260.0] * 6, "lower_limit": [200.5] * 6, "upper_limit": [319.5] * 6,
        "point_type": ["common_cause", "common_cause", None, "special_cause_concern", "common_cause",
                       "special_cause_improvement"],
        "rebase_group": [0, 0, 0, 0, 1, 1]})
    forecast = [{"month": dt.date(2019, 2, 1), "forecast": 280.4, "lower": 150.2, "upper": 410.9}]
    text = chart_alt_text("Number of reported DA incidents", "count", "incidents", data, forecast)
    assert text == (
        "Statistical process control chart of Number of reported DA incidents, incidents, one point a month, "
        "Sep 2017 to Feb 2018 (5 months). First 250 (Sep 2017), latest 287 (Feb 2018); lowest 198 (Dec 2017), "
        "highest 310 (Oct 2017). Current mean 260, process limits 200 to 320. Limits rebased 1 time. "
        "Latest month: special cause, improvement. Baseline forecast to Feb 2019: 280 (95% prediction interval "
        "150 to 411). Every value is in indicators.xlsx, sheet “Chart data”.")


def test_legend_entries_match_marks(points):
    fig = _figure(points)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Special cause – concern" in labels or "Special cause – improvement" in labels
    handles = fig.legends[0].legend_handles
    points_handles = [h for h in handles if isinstance(h, Line2D) and h.get_marker() == "o"]
    assert all(contrast_ratio(to_hex(h.get_markeredgecolor())) >= 3.0 for h in points_handles)


def test_peer_chart_bars_are_outlined_and_its_alt_text_names_the_extremes():
    from reporting.figures import value_shown
    from reporting.peer_chart import draw_peer_chart

    rates = {"Ashford": 5.25, "Maidstone": 7.5, "Swale": 9.75, "Dover": 6.0}
    group = {"group": "Kent", "peer_value": value_shown("rate", 7.1),
             "areas": [{"name": n, "home": n == "Maidstone", "rate": value_shown("rate", r), "ci_lower": r - 1,
                        "ci_upper": r + 1} for n, r in rates.items()]}
    draw_peer_chart(group, "Maidstone")
    assert group["chart_alt"] == (
        "Bar chart: Maidstone vs Kent districts, rate per 1,000 residents for 4 areas, lowest at the bottom: "
        "lowest Ashford (5.25), highest Swale (9.75). Maidstone is 2 of 4 from the highest (7.50). The peer "
        "value, 7.10, is the dashed line. Every figure is in the table above.")
    assert contrast_ratio(DATA_STYLES["peer_other"].outline) >= 3.0 > contrast_ratio(DATA_STYLES["peer_other"].fill)
