"""The data behind the ward maps and the peer charts, as sheets of a priority's indicators.xlsx.

Both sheets hold the figures exactly as the card's HTML text tables show them: the ward map's table
(ward-name order, never ranked; a withheld ward is its marker and the class maps.WITHHELD_CLASS,
never a value, an interval or a hotspot label) and the peer table under each peer chart (withheld
areas unranked, after the shown ones, judged "Withheld"). They reuse the card's disclosure-controlled
:class:`reporting.figures.Shown` cells, so nothing here can show more than the card does.
"""

from __future__ import annotations

from typing import Any, Protocol

from reporting.cards import PriorityCard
from reporting.figures import Shown

__all__ = ["MAP_COLUMNS", "MAP_COUNT_COLUMNS", "MAP_SHEET", "PEER_COLUMNS", "PEER_COUNT_COLUMNS", "PEER_SHEET",
           "map_sheet_rows", "peer_sheet_rows", "write_map_sheet", "write_peer_sheet"]

MAP_SHEET = "Ward maps"
MAP_COLUMNS = ["Indicator id", "Indicator", "Period", "Ward code", "Ward", "On the map", "Map shows", "Count",
               "Rate per 1,000", "95% CI", "Hotspot (Gi*, FDR-corrected)", "Ward population used",
               "Boundaries and ward vintage"]
MAP_COUNT_COLUMNS = ["Count"]
PEER_SHEET = "Peers"
PEER_COLUMNS = ["Indicator id", "Indicator", "Period", "Peer group", "Rank", "Area", "This CSP", "Count",
                "Rate per 1,000", "95% CI", "Against the peer average", "Peer average", "On the chart"]
PEER_COUNT_COLUMNS = ["Count"]
_FIRST = 3  # 0-based first data row of the shared layout (reporting.workbooks.HEADER_ROW)


class _Book(Protocol):  # the part of reporting.workbooks._Book used here
    def sheet(self, name: str, title: str, note: str, columns: list[str], widths: list[int]) -> Any: ...
    def row(self, ws: Any, r: int, values: list[Any]) -> None: ...


def _population_note(notes: list[str]) -> str:
    """The map's sentence on the ward population behind its rates (synthetic or not), or on its absence."""
    return next((n for n in notes if "ward population" in n), "")


def map_sheet_rows(card: PriorityCard) -> list[list[Any]]:
    """One row per mapped indicator and ward, as the map's text table shows it."""
    rows: list[list[Any]] = []
    for ind in card.indicators:
        wm = ind.ward_map
        if wm is None:
            continue
        rates = wm.measure != "count"
        population = _population_note(wm.notes)
        for r in wm.rows:
            rows.append([ind.indicator_id, ind.label, ind.window_range, r.code, r.name, "Yes" if r.on_map else
                         "No (no boundary loaded)", wm.measure, r.count, r.rate if rates else "",
                         (r.ci if r.ci != "–" else "") if rates else "", r.hotspot, population, wm.caption])
    return rows


def peer_sheet_rows(card: PriorityCard) -> list[list[Any]]:
    """One row per indicator, peer group and area, as the peer table under the peer chart shows it."""
    rows: list[list[Any]] = []
    for ind in card.indicators:
        for g in ind.peers:
            drawn = {id(a) for a in g["areas"] if isinstance(a["rate"], Shown) and a["rate"].number is not None
                     and not a["rate"].suppressed}
            for a in g["areas"]:
                on_chart = "Yes" if g.get("chart_b64") and id(a) in drawn else "No"
                rows.append([ind.indicator_id, ind.label, ind.window_range, g["group"], a["rank"], a["name"],
                             "Yes" if a["home"] else "No", a["count"], a["rate"], a["ci"] if a["ci"] != "–" else "",
                             str(a["judgement"]).capitalize(), g["peer_value"], on_chart])
    return rows


def write_map_sheet(book: _Book, card: PriorityCard, legend: str) -> None:
    ws = book.sheet(MAP_SHEET, f"{card.title}: the data behind the ward maps",
                    legend + " The ward maps as tables: one row per indicator and ward, in ward-name order (never "
                    "ranked). A withheld ward is shown as a class, never a value, an interval or a hotspot label.",
                    MAP_COLUMNS, [24, 40, 20, 12, 30, 12, 22, 11, 12, 18, 30, 50, 60])
    _write_rows(book, ws, map_sheet_rows(card), len(MAP_COLUMNS), "No indicator on this card has a ward map.")


def write_peer_sheet(book: _Book, card: PriorityCard, legend: str) -> None:
    ws = book.sheet(PEER_SHEET, f"{card.title}: the data behind the peer charts",
                    legend + " Rate per 1,000 residents by peer group (1 = lowest rate). Areas whose rate is "
                    "withheld are not ranked, not drawn on the chart and follow in alphabetical order.",
                    PEER_COLUMNS, [24, 40, 20, 24, 8, 30, 10, 11, 12, 18, 24, 12, 12])
    notes = sorted({ind.peer_note for ind in card.indicators if ind.peer_note})
    _write_rows(book, ws, peer_sheet_rows(card), len(PEER_COLUMNS),
                " ".join(notes) or "No indicator on this card has a peer comparison.")


def _write_rows(book: _Book, ws: Any, rows: list[list[Any]], width: int, empty: str) -> None:
    """The sheet's rows from _FIRST, or the sentence saying why there are none; a filter over the columns."""
    for i, values in enumerate(rows):
        book.row(ws, _FIRST + i, values)
    if not rows:
        ws.write_string(_FIRST, 0, empty)
    ws.autofilter(_FIRST - 1, 0, _FIRST + max(len(rows) - 1, 0), width - 1)
