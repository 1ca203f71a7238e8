"""Peer comparison: each area's rate per 1,000 with CI against its peer group (marts.indicator_peers).

For every police.uk-based count indicator of the plan and every rolling 12-month window: the area's
rate = count / mid-year population × 1,000 (95% CI exact Poisson under 10, Byar from 10); the peer value
is the group's pooled rate (Σ counts / Σ population × 1,000, as HMICFRS weights MSG averages); rank 1 is
the lowest rate (ties share the lower rank); the Fingertips-style comparison sets the area's CI against
the peer VALUE (higher / similar / lower), and the plan's aim turns it into better / worse / similar.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import cast

import duckdb
import numpy as np
import pandas as pd
import yaml

from transforms import stats
from transforms.coverage import SYNTHETIC_POPULATION_NOTE, population_is_synthetic
from transforms.definitions import project_definitions
from warehouse.schema import write_table

PEER_GROUPS_FILE = Path(__file__).with_name("peer_groups.yml")
PEER_TYPES = {
    "plan_year": "varchar", "indicator_id": "varchar", "aim": "varchar", "peer_group": "varchar",
    "period_type": "varchar", "period_end": "date", "area_code": "varchar", "area_name": "varchar",
    "count": "double", "population": "double", "rate_per_1000": "double", "ci_lower": "double",
    "ci_upper": "double", "peer_value": "double", "peer_count": "double", "peer_population": "double",
    "rank": "integer", "n_areas": "integer", "comparison": "varchar", "judgement": "varchar",
    "population_note": "varchar",
}
PEER_COLUMNS = list(PEER_TYPES)


def compare_group(frame: pd.DataFrame, aim: str | None) -> pd.DataFrame:
    """One window of one indicator for one peer group: frame has area_code, count, population."""
    out = frame.copy()
    valid = out["population"].notna() & (out["population"] > 0)
    count = out["count"].to_numpy(dtype=float)
    population = out["population"].to_numpy(dtype=float)
    lower, upper = stats.rate_ci(count, population, multiplier=1000)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["rate_per_1000"] = np.where(valid, count / population * 1000, np.nan)
    out["ci_lower"], out["ci_upper"] = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    pooled = out[valid]
    peer_count, peer_population = float(pooled["count"].sum()), float(pooled["population"].sum())
    peer_value = peer_count / peer_population * 1000 if peer_population else np.nan
    out["peer_value"], out["peer_count"], out["peer_population"] = peer_value, peer_count, peer_population
    out["rank"] = out["rate_per_1000"].rank(method="min").astype("Int64")
    out["n_areas"] = int(valid.sum())
    polarity = stats.aim_to_polarity(aim)
    out["comparison"] = [stats.benchmark_judgement(lo, hi, peer_value, "none") for lo, hi in zip(out["ci_lower"], out["ci_upper"])]
    out["judgement"] = [stats.benchmark_judgement(lo, hi, peer_value, polarity) for lo, hi in zip(out["ci_lower"], out["ci_upper"])]
    return out


def force_areas(con: duckdb.DuckDBPyConnection, min_share: float) -> list[str]:
    """Districts that hold at least min_share of their force's placed police.uk rows."""
    rows = con.execute("""
        with counted as (
            select falls_within, lad_code, count(*) as n from intermediate.int_police__street_crimes_placed
            where lad_code is not null group by all
        )
        select lad_code from counted
        qualify n >= ? * sum(n) over (partition by falls_within)
        order by lad_code""", [min_share]).fetchall()
    return [row[0] for row in rows]


def load_groups(path: Path | None = None) -> dict:
    return yaml.safe_load((path or PEER_GROUPS_FILE).read_text(encoding="utf-8"))


def build_peers(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Write marts.indicator_peers for every police.uk count indicator of every plan."""
    indicators, _, _ = project_definitions()
    config = load_groups()
    members = {"force": force_areas(con, float(config.get("min_share", 0.01)))}
    for name, group in config["groups"].items():
        if group.get("rule") != "force":
            members[name] = list(group["areas"])
    names = dict(con.execute("select lad_code, lad_name from staging.stg_reference__districts").fetchall())
    values = con.execute("""
        select plan_year, indicator_id, aim, area_code, period_type, period_end, numerator
        from marts.indicator_values
        where area_type = 'district' and period_type = '12m'
        qualify row_number() over (partition by plan_year, indicator_id, area_code, period_end order by priority_id) = 1
        order by plan_year, indicator_id, area_code, period_end
    """).df()
    populations = con.execute("select area_code, year, population from marts.population_by_area_year where area_type = 'district'").df()
    police_uk = {i for i, d in indicators.items() if d.method == "count" and set(d.sources) == {"police_street"}}
    values = values[values["indicator_id"].isin(police_uk)]
    if values.empty:
        _write(con, pd.DataFrame(columns=PEER_COLUMNS))
        return {"indicator_peers": 0}
    values["year"] = pd.to_datetime(values["period_end"]).dt.year
    populations = populations.sort_values("year")
    values = values.sort_values("year")
    merged = pd.merge_asof(values, populations.rename(columns={"year": "pop_year"}), left_on="year", right_on="pop_year",
                           by="area_code", direction="backward")
    merged = merged.rename(columns={"numerator": "count"})
    frames = []
    for group, areas in members.items():
        subset = merged[merged["area_code"].isin(areas)]
        for (plan_year, indicator_id, period_end), window in subset.groupby(["plan_year", "indicator_id", "period_end"]):
            compared = compare_group(window[["area_code", "count", "population", "aim", "period_type"]], window["aim"].iloc[0])
            compared["plan_year"], compared["indicator_id"] = str(plan_year), str(indicator_id)
            compared["period_end"] = cast(date, period_end)
            compared["peer_group"] = group
            frames.append(compared)
    peers = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=PEER_COLUMNS)
    peers["area_name"] = peers["area_code"].map(names)
    peers["population_note"] = SYNTHETIC_POPULATION_NOTE if population_is_synthetic(con) else None
    _write(con, peers[PEER_COLUMNS])
    return {"indicator_peers": len(peers), "force_areas": len(members["force"])}


def _write(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    write_table(con, "marts.indicator_peers", frame, PEER_TYPES, order_by="plan_year, indicator_id, peer_group, period_end, rank")
