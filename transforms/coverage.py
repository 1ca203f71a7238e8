"""marts.source_coverage: for each monthly source × area × month, what was expected, delivered
(which files), refused, revised and missing.

Expected months: a monthly source that an indicator of a plan for the area uses is expected every
month from the first month any such source delivered to the latest month any of them delivered
(the warehouse's reporting span). A source no file of which ever arrived is therefore "missing"
for every month of that span, and a source that stopped early is missing from the month after its
last file. Months a file delivered outside the span are listed with expected = false.

The same rows feed `csp status` (received months as ranges, and the gaps), the report cards, the
committee summary and the data-quality page, so every output says the same thing.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from expectations.sources import SourceCatalogue, catalogue
from transforms.definitions import IndicatorDefinition, Plan, project_definitions
from warehouse.schema import table_exists, write_table

COVERAGE_TYPES = {
    "source": "varchar", "source_title": "varchar", "area_code": "varchar", "month": "date",
    "expected": "boolean", "delivered": "boolean", "missing": "boolean", "revised": "boolean",
    "files_delivered": "integer", "files": "varchar[]", "file_in_use": "varchar",
    "files_refused": "integer", "refused_files": "varchar[]", "status": "varchar", "indicators": "varchar[]",
}

# Delivered (loaded) files and refused files of every monthly source, by claimed or covered month.
_DELIVERIES_SQL = """
    select periods.source, periods.period as month, files.file_id, files.file_name, periods.scope
    from audit.file_periods as periods
    inner join audit.files as files using (file_id)
    where files.status = 'loaded' and regexp_full_match(periods.period, '\\d{4}-\\d{2}')
"""
_REFUSED_SQL = """
    select source, claimed_period as month, file_id, file_name
    from audit.files
    where status = 'quarantined' and source is not null and regexp_full_match(claimed_period, '\\d{4}-\\d{2}')
    qualify row_number() over (partition by sha256 order by file_id desc) = 1
"""


def indicators_by_source(area_code: str, plans: dict[str, Plan] | None = None,
                         indicators: dict[str, IndicatorDefinition] | None = None) -> dict[str, list[str]]:
    """source → the plan indicators (of the plans for this area; all plans when none is) that use it."""
    if plans is None or indicators is None:
        indicators, _, plans = project_definitions()
    chosen = [plan for plan in plans.values() if plan.area_code == area_code] or list(plans.values())
    out: dict[str, set[str]] = {}
    for plan in chosen:
        for _, _, entry in plan.entries():
            for source in indicators[entry.id].sources:
                out.setdefault(source, set()).add(entry.id)
    return {source: sorted(ids) for source, ids in out.items()}


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, last: date) -> list[date]:
    """First days of the months from first's month to last's month (plain arithmetic: called per window)."""
    first = first.replace(day=1)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [_add_months(first, n) for n in range(max(count, 0))]


def coverage_frame(con: duckdb.DuckDBPyConnection, area_code: str, sources: SourceCatalogue | None = None,
                   needed: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The rows of marts.source_coverage, computed from audit.files and audit.file_periods."""
    sources = sources or catalogue()
    needed = indicators_by_source(area_code) if needed is None else needed
    monthly = [spec for spec in sources if spec.period is not None and spec.period.grain == "month"]
    names = {spec.name for spec in monthly}
    if table_exists(con, "audit", "file_periods"):
        delivered = con.execute(_DELIVERIES_SQL).df()
        refused = con.execute(_REFUSED_SQL).df()
    else:
        delivered = pd.DataFrame(columns=["source", "month", "file_id", "file_name", "scope"])
        refused = pd.DataFrame(columns=["source", "month", "file_id", "file_name"])
    delivered = delivered[delivered["source"].isin(names)]
    refused = refused[refused["source"].isin(names)]
    spanning = delivered[delivered["source"].isin([s for s in names if s in needed])]
    if spanning.empty:
        spanning = delivered
    span = (_months_between(_month(spanning["month"].min()), _month(spanning["month"].max()))
            if not spanning.empty else [])
    # Plain lists per (source, month), in file order: one pass, so the cost grows with files, not files x months.
    got_by: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    for source, month, file_id, file_name, scope in sorted(delivered.itertuples(index=False), key=lambda r: r[2]):
        got_by.setdefault((source, month), []).append((int(file_id), file_name, scope))
    bad_by: dict[tuple[str, str], list[str]] = {}
    for source, month, file_id, file_name in sorted(refused.itertuples(index=False), key=lambda r: r[2]):
        bad_by.setdefault((source, month), []).append(file_name)
    rows = []
    for spec in sorted(monthly, key=lambda s: s.name):
        uses = needed.get(spec.name, [])
        mine = {_month(month) for source, month in got_by if source == spec.name}
        mine |= {_month(month) for source, month in bad_by if source == spec.name}
        months = set(span if uses else []) | mine
        for month in sorted(months):
            key = month.strftime("%Y-%m")
            got = got_by.get((spec.name, key), [])
            bad = bad_by.get((spec.name, key), [])
            expected = bool(uses) and month in span
            latest: dict[str, int] = {}
            for file_id, _, scope in got:
                latest[scope] = max(latest.get(scope, file_id), file_id)
            in_use = list(dict.fromkeys(name for file_id, name, _ in got if file_id in set(latest.values())))
            revised = len(got) > len(latest)
            status = ("revised" if revised else "received") if got else (
                "refused" if bad else ("missing" if expected else "not expected"))
            rows.append({
                "source": spec.name, "source_title": spec.title, "area_code": area_code, "month": month,
                "expected": expected, "delivered": bool(got), "missing": expected and not got,
                "revised": revised, "files_delivered": len({file_id for file_id, _, _ in got}),
                "files": list(dict.fromkeys(name for _, name, _ in got)), "file_in_use": ", ".join(in_use) or None,
                "files_refused": len(bad), "refused_files": bad, "status": status,
                "indicators": uses,
            })
    return pd.DataFrame(rows, columns=list(COVERAGE_TYPES))


def build_source_coverage(con: duckdb.DuckDBPyConnection, area_code: str) -> dict[str, int]:
    """Write marts.source_coverage for the CSP area; counts of expected and missing source-months."""
    frame = coverage_frame(con, area_code)
    write_table(con, "marts.source_coverage", frame, COVERAGE_TYPES, order_by="source, month")
    return {"source_months": len(frame), "expected": int(frame["expected"].sum()),
            "missing": int(frame["missing"].sum())}


VALUE_COVERAGE_TYPES = {
    "months_expected": "integer", "months_present": "integer", "previous_months_expected": "integer",
    "previous_months_present": "integer", "data_status": "varchar", "data_status_reason": "varchar",
}


def window_months(period_type: str, end: date) -> list[date]:
    """The months of a window ending at `end` (first day of the final month)."""
    if period_type == "month":
        start = end
    elif period_type == "12m":
        start = _add_months(end, -11)
    elif period_type in ("fy", "fytd"):
        start = date(end.year if end.month >= 4 else end.year - 1, 4, 1)
    else:
        raise ValueError(period_type)
    return _months_between(start, end)


def delivered_months(coverage: pd.DataFrame) -> dict[str, set[date]]:
    """source → the months at least one loaded file covers (every monthly source, even if none)."""
    out: dict[str, set[date]] = {source: set() for source in coverage["source"].unique()}
    for source, month in coverage.loc[coverage["delivered"], ["source", "month"]].itertuples(index=False):
        out[source].add(pd.Timestamp(month).date())
    return out


def window_coverage(delivered: dict[str, set[date]], titles: dict[str, str], sources: list[str], period_type: str,
                    end: date) -> dict[str, object]:
    """Months expected and present in a window and in its comparison window (12 months earlier), and the data
    status: 'source not received', 'stale' (a source's latest month is before the window's end), 'incomplete'
    (months missing inside the window) or 'complete', with the reason in plain words."""
    monthly = [s for s in sources if s in delivered]
    if not monthly or period_type not in ("month", "12m", "fy", "fytd"):  # survey waves: no monthly delivery
        return {"months_expected": None, "months_present": None, "previous_months_expected": None,
                "previous_months_present": None, "data_status": "complete", "data_status_reason": None}
    months = window_months(period_type, end)
    previous = [_add_months(m, -12) for m in months]
    out: dict[str, object] = {"months_expected": len(months), "previous_months_expected": len(previous)}
    out["months_present"] = sum(all(m in delivered[s] for s in monthly) for m in months)
    out["previous_months_present"] = sum(all(m in delivered[s] for s in monthly) for m in previous)
    never = [s for s in monthly if not delivered[s]]
    late = [s for s in monthly if delivered[s] and max(delivered[s]) < end]
    gaps = [s for s in monthly if any(m not in delivered[s] for m in months)]
    label = end.strftime("%Y-%m")
    reasons = [f"{titles.get(s, s)} has never been received" for s in never]
    reasons += [f"{titles.get(s, s)}: latest month received is {max(delivered[s]):%Y-%m}, before {label}" for s in late]
    reasons += [f"{titles.get(s, s)}: missing {describe_ranges([m for m in months if m not in delivered[s]])}"
                for s in gaps if s not in never and s not in late]
    if never:
        status = "source not received"
    elif late:
        status = "stale"
    elif gaps:
        status = "incomplete"
    else:
        status = "complete"
    if out["previous_months_present"] != len(previous) and status == "complete":
        reasons.append(f"the comparison window ({describe_ranges(previous)}) has {out['previous_months_present']} of "
                       f"{len(previous)} months, so the change is not judged")
    return out | {"data_status": status, "data_status_reason": "; ".join(reasons) or None}


def coverage_unsettled_after(coverage: pd.DataFrame | None, sources_of: dict[str, list[str]], since: date,
                             sources: SourceCatalogue | None = None) -> dict[str, date | None]:
    """For an incremental engine run from `since`: per indicator, the month after which its windows ending before
    `since` may have a different coverage now (None: every such window may); indicators left out never change.

    Such a window reads, per monthly source, only the months of itself and of its comparison window (all before
    `since`, which the marts builds since the last engine run left as they were: they start at the earliest month
    whose files changed), whether the source was ever received, and its latest month when that is before the
    window's end. A source that delivered a month before `since` was received then and now, and its latest month
    is at least that month both times: a window ending in or before that month reads the same coverage as before.
    """
    monthly = {spec.name for spec in (sources or catalogue()) if spec.period is not None and spec.period.grain == "month"}
    delivered = delivered_months(coverage) if coverage is not None and not coverage.empty else {}
    settled = {name: max((m for m in delivered.get(name, ()) if m < since), default=None) for name in monthly}
    out: dict[str, date | None] = {}
    for indicator_id, names in sources_of.items():
        months = [settled[name] for name in names if name in monthly]
        if months:
            out[indicator_id] = None if any(m is None for m in months) else min(m for m in months if m is not None)
    return out


def attach_value_coverage(values: pd.DataFrame, coverage: pd.DataFrame | None,
                          sources_of: dict[str, list[str]], titles: dict[str, str]) -> pd.DataFrame:
    """indicator_values rows with their window's coverage (VALUE_COVERAGE_TYPES columns)."""
    out = values.copy()
    if coverage is None or coverage.empty or out.empty:
        for column in VALUE_COVERAGE_TYPES:
            out[column] = "complete" if column == "data_status" else None
        return out
    delivered = delivered_months(coverage)
    keys = out[["indicator_id", "period_type", "period_end"]].drop_duplicates()
    found_by: dict[tuple, dict[str, object]] = {}  # indicators with the same sources share a window's coverage
    rows = []
    for i, p, e in keys.itertuples(index=False):
        sources = sources_of.get(i, [])
        key = (tuple(sources), p, e)
        if key not in found_by:
            found_by[key] = window_coverage(delivered, titles, sources, p, pd.Timestamp(e).date().replace(day=1))
        rows.append({"indicator_id": i, "period_type": p, "period_end": e, **found_by[key]})
    found = pd.DataFrame(rows, columns=["indicator_id", "period_type", "period_end", *VALUE_COVERAGE_TYPES])
    return out.merge(found, on=["indicator_id", "period_type", "period_end"], how="left", sort=False)


SYNTHETIC_POPULATION_NOTE = ("Rates per 1,000 and peer ranks use synthetic population estimates (not ONS figures; "
                             "files named *_synthetic.csv): for testing only, not for publication")


def population_is_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a population file the figures read now is flagged synthetic (its name says so)."""
    if not table_exists(con, "audit", "file_periods"):
        return False
    rows = con.execute("""
        select count(*) from audit.files
        where file_id in (select file_id from audit.latest_files('reference_population'))
          and lower(file_name) like '%synthetic%'""").fetchall()  # fetched to the end (DuckDB 2.0)
    return bool(rows[0][0])


def month_ranges(months: list[date]) -> list[tuple[date, date]]:
    """Consecutive months as (first, last) ranges, in order."""
    ranges: list[tuple[date, date]] = []
    for month in sorted(set(months)):
        if ranges:
            first, last = ranges[-1]
            step = (month.year - last.year) * 12 + month.month - last.month
            if step == 1:
                ranges[-1] = (first, month)
                continue
        ranges.append((month, month))
    return ranges


def describe_ranges(months: list[date]) -> str:
    """'2022-01..2022-11, 2024-01..2024-04' (a single month as '2023-05'); '' for none."""
    parts = []
    for first, last in month_ranges(months):
        a, b = first.strftime("%Y-%m"), last.strftime("%Y-%m")
        parts.append(a if a == b else f"{a}..{b}")
    return ", ".join(parts)


__all__ = [
    "COVERAGE_TYPES",
    "SYNTHETIC_POPULATION_NOTE",
    "VALUE_COVERAGE_TYPES",
    "attach_value_coverage",
    "build_source_coverage",
    "coverage_frame",
    "coverage_unsettled_after",
    "delivered_months",
    "describe_ranges",
    "indicators_by_source",
    "month_ranges",
    "population_is_synthetic",
    "window_coverage",
    "window_months",
]
