"""Peer tables of one indicator (marts.indicator_peers), counts suppressed against the pooled total."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reporting import disclosure as dc
from reporting.cells import finite, whole
from reporting.disclosure import DisclosureRules
from reporting.figures import FLAG_PRIMARY, FLAG_SECONDARY, rate_shown, shown_count, withheld_shown
from reporting.linked_counts import CountSystem
from reporting.peer_chart import draw_peer_chart
from reporting.ranking import publication_order

__all__ = ["peer_tables"]


def peer_tables(peers: pd.DataFrame, indicator_id: str, num: CountSystem | None, rules: DisclosureRules,
                area_code: str, area_name: str) -> tuple[list[dict[str, Any]], str]:
    """Peer tables of one indicator and a note; none when this area's own count is withheld."""
    if peers.empty or indicator_id not in set(peers["indicator_id"]):
        return [], ""
    if num is not None and num.flagged(("12m", "cur")):
        return [], "Peer comparison withheld: this area's count is withheld for disclosure control."
    out: list[dict[str, Any]] = []
    for group, rows in peers[peers["indicator_id"] == indicator_id].groupby("peer_group", sort=True):
        rows = rows.sort_values(["rank", "area_name"])
        if len(rows) < 2:
            continue
        try:
            read = {str(r.area_code): whole(r.count) for r in rows.itertuples()}
            total = whole(rows["peer_count"].iloc[0])
        except ValueError:
            continue
        counts = {code: n for code, n in read.items() if n is not None}
        if len(counts) < len(read) or total is None or total != sum(counts.values()):
            continue
        shown = dc.suppress_series_with_total(counts, total, rules, total_key="__peer_total__")
        areas: list[dict[str, Any]] = []
        for r in rows.itertuples():
            text, flagged = shown[str(r.area_code)]
            count = (withheld_shown(text, FLAG_PRIMARY if text == rules.marker else FLAG_SECONDARY) if flagged
                     else shown_count(counts[str(r.area_code)]))
            rate = rate_shown(rules, finite(r.rate_per_1000), finite(r.population), flagged, "rate")
            ci = (f"{finite(r.ci_lower):,.2f} to {finite(r.ci_upper):,.2f}" if rate.number is not None
                  and finite(r.ci_lower) is not None and finite(r.ci_upper) is not None else "–")
            shown_ci = rate.number is not None and ci != "–"
            areas.append({"rank": int(r.rank), "name": str(r.area_name), "home": r.area_code == area_code,
                          "count": count, "rate": rate, "ci": ci,
                          "ci_lower": finite(r.ci_lower) if shown_ci else None,
                          "ci_upper": finite(r.ci_upper) if shown_ci else None,
                          "judgement": str(r.judgement or "").replace("_", " ")})
        areas = _rank_shown_only(areas)
        peer_flagged = shown["__peer_total__"][1]
        first = rows.iloc[0]
        peer_value = rate_shown(rules, finite(first["peer_value"]), finite(first["peer_population"]),
                                peer_flagged, "rate")
        entry = {"group": str(group).replace("_", " "), "n_areas": len(rows), "areas": areas,
                 "peer_value": peer_value}
        draw_peer_chart(entry, area_name)
        out.append(entry)
    note = "" if out else ("Peer comparison: only this CSP's data is loaded for its peer groups (add the "
                           "other districts' extracts to compare).")
    return out, note



def _peer_withheld(area: dict[str, Any]) -> bool:
    return bool(area["count"].suppressed or area["rate"].suppressed or area["rate"].number is None)


def _rank_shown_only(areas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ranks among the areas whose rate is shown; withheld areas unranked, after them, by name.

    A rank (or a gap in the ranks) of a withheld area would place its rate between two shown ones, and
    its judgement against the peer average would bound it: both are withheld with the rate.
    """
    ordered = publication_order(areas, _peer_withheld, lambda a: a["rank"], lambda a: a["name"], descending=False)
    shown_ranks = [a["rank"] for a in ordered if not _peer_withheld(a)]
    for a in ordered:
        if _peer_withheld(a):
            a["rank"], a["judgement"] = "–", "withheld"
        else:
            a["rank"] = 1 + sum(1 for other in shown_ranks if other < a["rank"])
    return ordered
