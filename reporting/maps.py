"""Ward maps with hotspots for a card's indicator: a choropleth of rates per 1,000 (counts where no ward
population exists), a Getis-Ord Gi* hotspot layer (transforms.hotspots) and a text table as the
map's alternative.

Disclosure: the map and the table show only what the card's ward table may show. A ward whose count
is withheld (fewer than 5, or withheld so a total cannot reveal one) is drawn as its own class,
"fewer than 5: withheld", with no value, no interval and no hotspot label. Rates and intervals are
given only for wards whose count is shown. The table is in ward-name order, never ranked.

The boundaries are the real ONS ward polygons (reference_ward_boundaries, 2022 wards) matched by
ward code. A ward code changes whenever its boundary does, so a 2019 ward with the same code has the
same polygon; wards whose code has no polygon are listed in the table and said to be missing from
the map. Ward populations are synthetic in the demo and for Maidstone only: the map says so.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from datetime import date

import duckdb
import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
from libpysal.weights import Queen
from shapely.geometry import shape

from reporting.cards import IndicatorCard, WardRow, ward_withheld
from reporting.figures import NOT_APPLICABLE, Shown, decimals_for, value_shown
from transforms.coverage import population_is_synthetic
from transforms.hotspots import FDR, HOTSPOT_CLASSES, PERMUTATIONS, gi_star
from transforms.stats import rate_ci

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

MAP_METHODS = frozenset({"count", "rate"})
SHADES = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]  # sequential blues, light to dark
# One class for both kinds of withheld ward: a count under 5 ("<5") and a count hidden so that a small one
# cannot be worked out from the total ("[c]", which may itself be 5 or more).
WITHHELD_CLASS = "Withheld: fewer than 5, or hidden to protect a small count"
NO_DATA_CLASS = "No data"
HOT_EDGE, COLD_EDGE = "#d5281b", "#212b32"


@dataclass
class MapInputs:
    boundaries: pd.DataFrame  # ward_code, ward_name, geometry (GeoJSON text), for the CSP's district
    populations: dict[str, float]  # ward → mid-year population (the latest year up to the period)
    population_year: int | None
    synthetic: bool


@dataclass
class MapRow:
    code: str
    name: str
    count: Shown
    rate: Shown
    ci: str
    hotspot: str
    on_map: bool


@dataclass
class WardMap:
    png_b64: str
    alt: str
    caption: str
    rows: list[MapRow]
    notes: list[str] = field(default_factory=list)
    measure: str = ""


def read_map_inputs(con: duckdb.DuckDBPyConnection, relations: set[str], area_code: str,
                    period_end: date) -> MapInputs | None:
    if "staging.stg_reference__ward_boundaries" not in relations:
        return None
    boundaries = con.execute("select ward_code, ward_name, geometry from staging.stg_reference__ward_boundaries "
                             "where lad_code = ? order by ward_code", [area_code]).df()
    if boundaries.empty:
        return None
    populations: dict[str, float] = {}
    year = None
    if "marts.population_by_area_year" in relations:
        found = con.execute("""select max(year) from marts.population_by_area_year
                               where area_type = 'ward' and year <= ?""", [period_end.year]).fetchone()
        year = int(found[0]) if found and found[0] is not None else None
        if year is not None:
            populations = {str(code): float(pop) for code, pop in con.execute(
                "select area_code, population from marts.population_by_area_year where area_type = 'ward' and year = ?",
                [year]).fetchall()}
    return MapInputs(boundaries, populations, year, population_is_synthetic(con))


def _interval(low: float, high: float) -> str:
    d = decimals_for("rate")
    return f"{low:,.{d}f} to {high:,.{d}f}"


def _classes(values: list[float]) -> list[float]:
    """Upper edges of up to five quantile classes of the shown values."""
    edges = sorted(set(np.quantile(values, [0.2, 0.4, 0.6, 0.8, 1.0]).round(6).tolist()))
    return edges or [max(values)]


def _shade(value: float, edges: list[float]) -> str:
    index = next((i for i, edge in enumerate(edges) if value <= edge), len(edges) - 1)
    return SHADES[round(index * (len(SHADES) - 1) / max(len(edges) - 1, 1))]


def _hotspots(frame: gpd.GeoDataFrame, values: pd.Series) -> pd.Series:
    """Gi* class per ward with data (true values; withheld wards' labels are dropped by the caller)."""
    have = frame[frame["ward_code"].isin(values.index)].set_index("ward_code")
    if len(have) < 3:
        return pd.Series("none", index=have.index)
    w = Queen.from_dataframe(have, use_index=True, silence_warnings=True)
    result = gi_star(values.reindex(list(w.id_order)).to_numpy(), w)
    return result["hotspot"]


def _draw(frame: gpd.GeoDataFrame, colours: dict[str, str], hatched: set[str], hot: set[str], cold: set[str],
          legend: list[tuple[str, str, str]], title: str) -> str:
    projected = frame.to_crs("EPSG:27700")  # British National Grid: metres, true shape
    with plt.rc_context({"font.family": "DejaVu Sans", "font.size": 10, "path.simplify": True}):
        fig, ax = plt.subplots(figsize=(7.2, 6.2))
        for code, geom in zip(projected["ward_code"], projected.geometry, strict=True):
            gpd.GeoSeries([geom]).plot(ax=ax, color=colours.get(code, "#ffffff"), edgecolor="#768692", linewidth=0.6,
                                       hatch="///" if code in hatched else None)
        for codes, colour, style in ((hot, HOT_EDGE, "solid"), (cold, COLD_EDGE, "dashed")):
            if codes:
                projected[projected["ward_code"].isin(codes)].boundary.plot(ax=ax, color=colour, linewidth=2.4,
                                                                            linestyle=style)
        handles = [Patch(facecolor=face, edgecolor=edge, hatch=hatch, label=label) for label, face, edge, hatch
                   in [(label, face, "#768692", "///" if label == WITHHELD_CLASS else "") for label, face, _ in legend]]
        if hot:
            handles.append(Patch(facecolor="none", edgecolor=HOT_EDGE, linewidth=2.4, label=HOTSPOT_CLASSES["hot"]))
        if cold:
            handles.append(Patch(facecolor="none", edgecolor=COLD_EDGE, linewidth=2.4, linestyle="--",
                                 label=HOTSPOT_CLASSES["cold"]))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=10)
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_axis_off()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def ward_map(card: IndicatorCard, inputs: MapInputs | None, area_name: str) -> WardMap | None:
    """The card's ward map, or None when the indicator has no ward figures, its method is not mapped
    (percentages and survey shares), or no ward boundary is loaded."""
    if inputs is None or card.method not in MAP_METHODS or card.window_type != "12m":
        return None
    named: dict[str, WardRow] = {w.code: w for w in card.wards if not w.is_remainder}
    if not named:
        return None
    pops = inputs.populations
    per_1000 = card.method == "count" and all(pops.get(code, 0) > 0 for code in named)
    frame = gpd.GeoDataFrame(inputs.boundaries[["ward_code", "ward_name"]].copy(),
                             geometry=[shape(json.loads(g)) for g in inputs.boundaries["geometry"]], crs="OGC:CRS84")
    on_map = set(frame["ward_code"])
    truth = pd.Series({code: (w.sort_key / pops[code] * 1000 if per_1000 else
                              float(w.value.number) if card.method == "rate" and w.value.number is not None
                              else w.sort_key) for code, w in named.items()})
    hot_cold = _hotspots(frame, truth[truth.index.isin(on_map)])
    rows: list[MapRow] = []
    shown_values: dict[str, float] = {}
    for code, w in sorted(named.items(), key=lambda item: item[1].name):
        withheld = ward_withheld(w)
        rate, ci = NOT_APPLICABLE, "–"
        if not withheld and per_1000:
            value = w.sort_key / pops[code] * 1000
            lo, hi = rate_ci(w.sort_key, pops[code])
            rate, ci = value_shown("rate", value), _interval(lo, hi)
        elif not withheld and card.method == "rate":
            rate = w.value
            base = w.base.number if w.base.number else None
            if base:
                lo, hi = rate_ci(w.sort_key, base)
                ci = _interval(lo, hi)
        label = WITHHELD_CLASS if withheld else HOTSPOT_CLASSES[str(hot_cold.get(code, "none"))]
        if not withheld and code in on_map:
            shown_values[code] = float(rate.number) if rate.number is not None else float(w.sort_key)
        rows.append(MapRow(code, w.name, w.count, rate, ci, label, code in on_map))
    if not shown_values:
        return None
    edges = _classes(list(shown_values.values()))
    colours = {code: _shade(v, edges) for code, v in shown_values.items()}
    withheld_codes = {r.code for r in rows if r.hotspot == WITHHELD_CLASS}
    colours.update({code: "#d8dde0" for code in withheld_codes})
    measure = ("rate per 1,000 residents" if per_1000 or card.method == "rate" else "count")
    decimals = decimals_for("rate") if measure != "count" else 0
    lower = [min(shown_values.values()), *edges[:-1]]
    legend = [(f"{lo:,.{decimals}f} to {hi:,.{decimals}f}", _shade(hi, edges), "") for lo, hi in zip(lower, edges, strict=True)]
    if withheld_codes:
        legend.append((WITHHELD_CLASS, "#d8dde0", ""))
    if on_map - set(named):
        legend.append((NO_DATA_CLASS, "#ffffff", ""))
    hot = {r.code for r in rows if r.hotspot == HOTSPOT_CLASSES["hot"]}
    cold = {r.code for r in rows if r.hotspot == HOTSPOT_CLASSES["cold"]}
    title = f"{card.label}: {measure}, {card.window_label}"
    png = _draw(frame, colours, withheld_codes, hot, cold, legend, title)
    notes = [(f"Hotspots by Getis-Ord Gi* (wards with their neighbours, {PERMUTATIONS} permutations, fixed seed), "
             f"corrected for testing {len(truth)} wards at once (Benjamini-Hochberg, false discovery rate "
             f"{FDR:.0%}). A withheld ward is shown without a value, an interval or a hotspot label.")]
    if per_1000:
        notes.append(f"Rates per 1,000 residents use {inputs.population_year} ward population estimates"
                     + (" that are synthetic (not ONS figures; for testing only)" if inputs.synthetic else "")
                     + "; 95% confidence intervals are exact Poisson (under 10 events) or Byar.")
    elif card.method == "count":
        notes.append("No ward population is loaded for every ward, so the map shows counts, not rates.")
    missing = sorted(set(named) - on_map)
    if missing:
        notes.append(f"{len(missing)} ward(s) have no boundary in the loaded ward polygons and are in the table only.")
    hot_names = [r.name for r in rows if r.code in hot]
    alt = (f"Map of {area_name}'s {len(on_map)} wards shaded by {card.label.lower()}, {measure}, "
           f"{card.window_label}; {len(withheld_codes)} withheld. "
           + (f"Hotspots: {', '.join(hot_names)}." if hot_names else "No ward is a significant hotspot.")
           + " The table below gives every ward's figure.")
    caption = (f"Ward map, {card.window_label}. {card.ward_vintage}".rstrip(". ") + ". Boundaries: ONS 2022 ward "
               "polygons, matched by ward code (an unchanged code means an unchanged boundary).")
    return WardMap(png, alt, caption, rows, notes, measure)
