"""What the reports read: the published warehouse through one read-only connection, the plan's
structure (plans/<year>.yml, else the warehouse catalogue) and the SPC marts for the report month."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from expectations.sources import catalogue as source_catalogue
from reporting.actions import read_plan_actions
from reporting.cells import as_date
from reporting.maps import MapInputs, read_map_inputs
from reporting.months import parse_period
from transforms.definitions import load_indicators, load_plans, load_recording_changes
from transforms.engine import VALUE_ORDER
from transforms.spc_mart import build_spc

__all__ = ["PlanInfo", "Snapshot", "plan_info", "read_snapshot", "spc_source", "spc_suggestions", "spc_summary",
           "ward_vintage_label"]

log = logging.getLogger(__name__)


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    tables = con.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()
    views = con.execute("select schema_name || '.' || view_name from duckdb_views() where not internal").fetchall()
    return {r[0] for r in tables + views}


@dataclass
class Snapshot:
    """What the reports read from the warehouse, taken through one read-only connection."""

    relations: set[str]
    catalogue: pd.DataFrame
    values: pd.DataFrame
    ward_names: dict[str, str]
    area_name: str
    files: pd.DataFrame
    validation: pd.DataFrame
    runs: pd.DataFrame
    loaded_months: dict[str, date]
    notes: list[str]
    peers: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_estimates: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    survey_weighting: pd.DataFrame = field(default_factory=pd.DataFrame)
    coverage: pd.DataFrame = field(default_factory=pd.DataFrame)  # marts.source_coverage for the area
    unplaced: pd.DataFrame = field(default_factory=pd.DataFrame)  # police.uk rows not placed, per month
    ward_vintage: str = ""  # the one ward set every ward figure uses ('2019' or '2022'), from the placements
    plan_actions: pd.DataFrame = field(default_factory=pd.DataFrame)  # marts.plan_actions for the area
    maps: MapInputs | None = None  # ward boundaries and populations for the ward maps (reporting.maps)


def _ward_vintage(con: duckdb.DuckDBPyConnection, rel: set[str]) -> str:
    """The ward vintage of reference.lsoa_placements ('' when there are no placements)."""
    if "reference.lsoa_placements" not in rel:
        return ""
    row = con.execute("select max(ward_vintage) from reference.lsoa_placements").fetchone()
    return str(row[0]) if row and row[0] else ""


def ward_vintage_label(vintage: str) -> str:
    """The words every ward table carries about which ward boundaries its figures use."""
    if vintage == "2022":
        return ("Wards as at 2022 (ONS 2021 LSOA to 2022 ward lookup), for every month, including months "
                "after a 2024 ward review.")
    if vintage == "2019":
        return "Wards as at December 2019 (ONS 2011 LSOA to 2019 ward lookup)."
    return ""


def read_snapshot(con: duckdb.DuckDBPyConnection, plan_year: str, area_code: str, period_end: date) -> Snapshot:
    rel = _relations(con)
    notes: list[str] = []
    for needed in ("marts.indicator_catalogue", "marts.indicator_values"):
        if needed not in rel:
            raise ValueError(f"the warehouse has no {needed}: run the monthly flow before publishing reports")
    catalogue = con.execute("select * from marts.indicator_catalogue where plan_year = ? order by rowid",
                            [plan_year]).df()
    if catalogue.empty:
        raise ValueError(f"marts.indicator_catalogue has no indicators for plan year {plan_year}")
    ward_names: dict[str, str] = {}
    ward_vintage = _ward_vintage(con, rel)
    names_from = "staging.stg_reference__lsoa21_lookups" if ward_vintage == "2022" else "staging.stg_reference__wards"
    if names_from in rel:
        ward_names = dict(con.execute(f"select ward_code, any_value(ward_name) from {names_from} "
                                      "where lad_code = ? group by all", [area_code]).fetchall())
    else:
        notes.append("Ward names are not in this warehouse (staging.stg_reference__wards): codes shown.")
    area_name = area_code
    if "staging.stg_reference__districts" in rel:
        found = con.execute("select any_value(lad_name) from staging.stg_reference__districts where lad_code = ?",
                            [area_code]).fetchall()[0]
        if found and found[0]:
            area_name = str(found[0])
    values = _read_values(con, plan_year, area_code, period_end, ward_names)
    files = con.execute("select * from audit.files order by file_id").df() if "audit.files" in rel else pd.DataFrame()
    validation = (con.execute("select * from audit.validation_results").df()
                  if "audit.validation_results" in rel else pd.DataFrame())
    runs = (con.execute("select * from audit.pipeline_runs order by started_at").df()
            if "audit.pipeline_runs" in rel else pd.DataFrame())
    loaded: dict[str, date] = {}
    if "audit.file_periods" in rel:
        for source, period in con.execute("""
                select source, max(period) from audit.file_periods
                where length(period) = 7 group by all""").fetchall():
            loaded[source] = parse_period(period)[0]
    elif not files.empty:
        for row in files[files["status"] == "loaded"].itertuples():
            if isinstance(row.period_max, str) and re.fullmatch(r"\d{4}-\d{2}", row.period_max):
                m = parse_period(row.period_max)[0]
                loaded[row.source] = max(loaded.get(row.source, m), m)
    peers = pd.DataFrame()
    if "marts.indicator_peers" in rel:
        peers = con.execute("""
            select * from marts.indicator_peers
            where plan_year = ? and period_type = '12m' and period_end = ?
              and peer_group in (select peer_group from marts.indicator_peers where area_code = ?)
        """, [plan_year, period_end, area_code]).df()
    survey: dict[str, pd.DataFrame] = {}
    survey_tables = {"survey_estimates": ("marts.survey_estimates", "and breakdown = 'all'"),
                     "survey_differences": ("marts.survey_differences", "and comparison = 'rest'"),
                     "survey_weighting": ("audit.survey_weighting", "")}
    for name, (table, extra) in survey_tables.items():
        survey[name] = (con.execute(f"select * from {table} where area_code = ? {extra}", [area_code]).df()
                        if table in rel else pd.DataFrame())
    if survey["survey_differences"].shape[0] and "marts.survey_estimates" in rel:
        # the group's own base, so a group percentage on a small base is not shown
        bases = con.execute("select wave, question_id, answer_group, breakdown, group_value, n "
                            "from marts.survey_estimates where area_code = ?", [area_code]).df()
        survey["survey_differences"] = survey["survey_differences"].merge(
            bases, how="left", on=["wave", "question_id", "answer_group", "breakdown", "group_value"])
    coverage = pd.DataFrame()
    if "marts.source_coverage" in rel:
        coverage = con.execute("""select * from marts.source_coverage
                                  where area_code = ? or not exists (select 1 from marts.source_coverage where area_code = ?)
                                  order by source, month""", [area_code, area_code]).df()
    unplaced = pd.DataFrame()
    if "intermediate.int_police__street_crimes_placed" in rel:
        unplaced = con.execute("""
            select month,
                   count(*) filter (where placement_method = 'no_location') as no_location,
                   count(*) filter (where placement_method = 'unplaced') as unknown_lsoa,
                   count(*) filter (where lad_code = ? and ward_code is null) as in_area_no_ward,
            from intermediate.int_police__street_crimes_placed
            where month between ? - interval 11 month and ?
            group by all order by month""", [area_code, period_end.replace(day=1), period_end]).df()
    return Snapshot(rel, catalogue, values, ward_names, area_name, files, validation, runs, loaded, notes, peers,
                    **survey, coverage=coverage, unplaced=unplaced, ward_vintage=ward_vintage,
                    plan_actions=read_plan_actions(con, area_code, rel),
                    maps=read_map_inputs(con, rel, area_code, period_end))


def _read_values(con: duckdb.DuckDBPyConnection, plan_year: str, area_code: str, period_end: date,
                 ward_names: Mapping[str, str]) -> pd.DataFrame:
    """District rows of the area and ward rows of its wards, up to the report month."""
    if ward_names:  # in the order a full rebuild writes (an incremental run appends its windows at the end)
        frame = con.execute(f"""
            select * from marts.indicator_values
            where plan_year = ? and period_end <= ?
              and (area_code = ? or (area_type = 'ward' and area_code in (select unnest(?::varchar[]))))
            order by {VALUE_ORDER}
        """, [plan_year, period_end, area_code, sorted(ward_names)]).df()
    else:
        frame = con.execute(f"""
            select * from marts.indicator_values
            where plan_year = ? and period_end <= ? and (area_code = ? or area_type = 'ward')
            order by {VALUE_ORDER}
        """, [plan_year, period_end, area_code]).df()
    for col in ("period_start", "period_end"):
        frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


LEAD_TO_BE_CONFIRMED = "To be confirmed (the plan names no lead)"


@dataclass
class PlanInfo:
    plan_year: str
    partnership: str
    title: str
    starts: date
    # id, title, kind, leads, survey_section, outcomes: [{id, statement, draft, note}]
    priorities: list[dict[str, Any]]
    recording_changes: dict[str, tuple[str, date]]
    source_titles: dict[str, tuple[str, str, str | None]]  # id -> (title, publisher, period grain)
    caveats: dict[str, list[str]]  # indicator id -> caveats as the definition lists them
    # indicator id -> (months, source title, what is incomplete): its newest months may be incomplete
    lags: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    # indicator id -> label, for indicators computed only from public sources (shown unsuppressed)
    public: dict[str, str] = field(default_factory=dict)


def plan_info(plan_year: str, catalogue: pd.DataFrame) -> PlanInfo:
    """Plan structure from plans/<year>.yml where available, else from the catalogue."""
    plan = None
    changes: dict[str, tuple[str, date]] = {}
    caveats: dict[str, list[str]] = {}
    lagged: dict[str, list[str]] = {}
    source_ids: dict[str, list[str]] = {}
    try:
        plan = load_plans().get(plan_year)
        changes = {k: (v.title, v.date) for k, v in load_recording_changes().items()}
        definitions = load_indicators()
        caveats = {k: list(v.caveats) for k, v in definitions.items()}
        lagged = {k: list(v.sources) for k, v in definitions.items() if v.affected_by_reporting_lag}
        source_ids = {k: list(v.sources) for k, v in definitions.items()}
    except Exception as error:  # noqa: BLE001 - a broken plan file must not stop the reports
        log.warning("plan %s could not be read (%s); using the warehouse catalogue only", plan_year, error)
    sources: dict[str, tuple[str, str, str | None]] = {}
    lags: dict[str, tuple[int, str, str]] = {}
    public: dict[str, str] = {}
    try:
        specs = source_catalogue().sources
        public = public_indicators(source_ids, specs)
        for name, spec in specs.items():
            sources[name] = (spec.title, spec.publisher, spec.period.grain if spec.period else None)
        for indicator_id, source_ids in lagged.items():
            declared = [(specs[x].reporting_lag, specs[x]) for x in source_ids if x in specs and specs[x].reporting_lag]
            if declared:
                lag, spec = max(declared, key=lambda pair: pair[0].months)
                lags[indicator_id] = (lag.months, spec.title, lag.note)
    except Exception as error:  # noqa: BLE001
        log.warning("source declarations could not be read (%s)", error)

    in_catalogue = list(dict.fromkeys(catalogue["priority_id"]))
    priorities: list[dict[str, Any]] = []
    if plan is not None:
        for p in plan.priorities:
            computed = p.id in in_catalogue
            has_entries = any(o.indicators for o in p.outcomes)
            if not computed and has_entries:
                continue  # the warehouse was built from another version of the plan
            priorities.append({
                "id": p.id, "title": p.title, "kind": p.kind,
                "leads": "; ".join(f"{lead.name} ({lead.agency})" for lead in p.leads) or LEAD_TO_BE_CONFIRMED,
                "survey_section": p.survey_section,
                "outcomes": [{"id": o.id, "statement": o.statement, "draft": o.draft, "note": o.note or ""}
                             for o in p.outcomes],
            })
    known = {p["id"] for p in priorities}
    for pid in in_catalogue:
        if pid in known:
            continue
        rows = catalogue[catalogue["priority_id"] == pid]
        outcomes = list(dict.fromkeys(zip(rows["outcome_id"], rows["outcome_statement"], strict=True)))
        priorities.append({
            "id": pid, "title": str(rows["priority_title"].iloc[0]), "kind": "priority",
            "leads": str(rows["lead"].iloc[0] or "") or LEAD_TO_BE_CONFIRMED, "survey_section": False,
            "outcomes": [{"id": o, "statement": s, "draft": False, "note": ""} for o, s in outcomes],
        })
    if plan is not None:
        starts, partnership, title = plan.starts, plan.partnership, plan.title
    else:
        starts = date(int(plan_year[:4]), 4, 1)  # UK plans run with the financial year
        partnership, title = "Community Safety Partnership", f"Community Safety Plan {plan_year}"
    return PlanInfo(plan_year, partnership, title, starts, priorities, changes, sources, caveats, lags, public)


def public_indicators(source_ids: dict[str, list[str]], specs: dict[str, Any]) -> dict[str, str]:
    """Indicator id -> 'public data from <site>' for indicators made only from public sources.

    One non-public source (a partner's extract, a population estimate) keeps disclosure control on.
    """
    out = {}
    for indicator_id, ids in source_ids.items():
        if ids and all(x in specs and specs[x].public for x in ids):
            sites = dict.fromkeys(specs[x].publisher.split("published by ")[-1].strip() for x in ids)
            out[indicator_id] = "public data from " + " and ".join(sites)
    return out



def spc_source(con: duckdb.DuckDBPyConnection, snap: Snapshot, plan_year: str, area_code: str,
                month_start: date) -> tuple[duckdb.DuckDBPyConnection | None, str]:
    """A connection holding SPC marts that end on the report month (warehouse or rebuilt in memory)."""
    if {"marts.indicator_spc", "marts.indicator_spc_summary"} <= snap.relations:
        last = con.execute("select max(month) from marts.indicator_spc where plan_year = ? and area_code = ?",
                           [plan_year, area_code]).fetchall()[0][0]
        if last is not None and as_date(last) == month_start:
            return con, "from marts.indicator_spc"
    monthly = snap.values[(snap.values["period_type"] == "month") & (snap.values["area_type"] == "district")]
    if monthly.empty:
        return None, "No monthly values to compute SPC from."
    mem = duckdb.connect()
    mem.execute("create schema marts")
    frame = monthly[["plan_year", "priority_id", "indicator_id", "area_type", "area_code", "period_type",
                     "period_start", "value"]].copy()
    mem.register("monthly_frame", frame)
    mem.execute("create table marts.indicator_values as select * from monthly_frame")
    mem.unregister("monthly_frame")
    build_spc(mem, area_types=("district",))
    why = ("rebuilt from monthly values up to the report month" if "marts.indicator_spc" in snap.relations
           else "computed at report time (marts.indicator_spc is not in this warehouse)")
    return mem, why


def spc_suggestions(spc_con: duckdb.DuckDBPyConnection | None, plan_year: str, area_code: str) -> list[dict]:
    """Suggested SPC recalculations for the district (marts.indicator_spc_suggestions; [] if absent)."""
    if spc_con is None:
        return []
    try:
        frame = spc_con.execute("""select label, indicator_id, suggested_from, run_months, side, reason
                                   from marts.indicator_spc_suggestions
                                   where plan_year = ? and area_code = ? order by priority_id, indicator_id""",
                                [plan_year, area_code]).df()
    except duckdb.CatalogException:
        return []  # a warehouse built before suggestions existed
    # The same series can sit under two priorities: one suggestion per indicator.
    return frame.drop_duplicates("indicator_id").to_dict("records")


def spc_summary(spc_con: duckdb.DuckDBPyConnection | None, plan_year: str, area_code: str) -> dict:
    if spc_con is None:
        return {}
    frame = spc_con.execute("""select * from marts.indicator_spc_summary where plan_year = ? and area_code = ?""",
                            [plan_year, area_code]).df()
    return {(r["priority_id"], r["indicator_id"]): r for _, r in frame.iterrows()}

