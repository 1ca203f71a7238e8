"""The Strategic Assessment's figures, read from the published warehouse (marts only, read-only).

Total recorded crime and every police.uk crime type for the window against the same months a year
earlier; the victim-based split; the latest quarter against the same quarter; rates per 1,000 for the
force's districts; the monthly series for the SPC charts; wards by violence and ASB; the survey's
perceptions by ward. Counts here are true values: disclosure control is applied where they are shown
(reporting.assessment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from transforms.assessment import Comparison, Window, compare_windows, month_ranges
from transforms.coverage import SYNTHETIC_POPULATION_NOTE, population_is_synthetic
from transforms.crime_types import crime_type_map
from transforms.definitions import project_definitions
from transforms.peers import force_areas

TOTAL_LABEL = "Total recorded crime"
VIOLENCE = "Violence and sexual offences"
ASB = "Anti-social behaviour"
FORCE_SHARE = 0.01  # a district holding under 1% of its force's rows is a cross-border stray, not a peer


@dataclass(frozen=True)
class CountRow:
    """One line of a window table: a crime type (or a total) and its comparison."""

    label: str
    group: str
    comparison: Comparison


@dataclass
class AssessmentData:
    """Everything the pack shows, before disclosure control."""

    area_code: str
    area_name: str
    plan_year: str
    window: Window
    quarter: Window
    received: set[date]
    by_type: list[CountRow]
    asb: CountRow
    split: list[CountRow]
    quarter_rows: list[CountRow]
    district_rates: pd.DataFrame
    population_note: str
    series: dict[str, pd.DataFrame]
    wards: pd.DataFrame
    survey_wards: pd.DataFrame
    survey_note: str
    notes: list[str] = field(default_factory=list)
    type_counts: dict[str, CountRow] = field(default_factory=dict)


def received_months(con: duckdb.DuckDBPyConnection) -> set[date]:
    """Months for which a police.uk file was loaded (the mart is zero-filled for exactly those)."""
    rows = con.execute("select distinct month from marts.crimes_by_type_area_month").fetchall()
    return {row[0] for row in rows}


def latest_complete_month(con: duckdb.DuckDBPyConnection) -> date:
    """The latest month police.uk data was received for: the default end of the window."""
    months = received_months(con)
    if not months:
        raise ValueError("the warehouse holds no police.uk street-level crime (marts.crimes_by_type_area_month is "
                         "empty): load the police.uk files and run the monthly flow first")
    return max(months)


def _area_name(con: duckdb.DuckDBPyConnection, area_code: str) -> str:
    try:
        found = con.execute("select any_value(lad_name) from staging.stg_reference__districts where lad_code = ?",
                            [area_code]).fetchall()
    except duckdb.Error:
        return area_code
    return str(found[0][0]) if found and found[0][0] else area_code


def _type_counts(con: duckdb.DuckDBPyConnection, areas: list[str], window: Window) -> pd.DataFrame:
    """Per crime type: records in the window and in the same months a year earlier, over district rows."""
    earlier = window.year_earlier()
    return con.execute("""
        select crime_type, bool_or(is_asb) as is_asb,
               sum(records) filter (where month between ? and ?) as current,
               sum(records) filter (where month between ? and ?) as previous,
        from marts.crimes_by_type_area_month
        where area_type = 'district' and area_code in (select unnest(?::varchar[]))
        group by crime_type order by crime_type""",
                       [window.start, window.end, earlier.start, earlier.end, areas]).df()


def _int(x: object) -> int:
    return 0 if x is None or pd.isna(x) else int(x)  # type: ignore[arg-type]


def _rows(counts: pd.DataFrame, window: Window, received: set[date]) -> tuple[list[CountRow], CountRow, list[CountRow]]:
    """(every crime type + the total, the ASB row, the victim-based split) for one window."""
    mapping = crime_type_map()
    groups = mapping.groups
    by_type: list[CountRow] = []
    asb = CountRow(ASB, groups["not_crime"], compare_windows(0, 0, window, received))
    totals = {key: [0, 0] for key in ("all", "victim_based", "non_victim_based", "unmapped")}
    for row in counts.itertuples():
        current, previous = _int(row.current), _int(row.previous)
        comparison = compare_windows(current, previous, window, received)
        if row.is_asb:
            asb = CountRow(str(row.crime_type), groups["not_crime"], comparison)
            continue
        group = mapping.crime_types.get(str(row.crime_type))
        by_type.append(CountRow(str(row.crime_type), groups[group] if group else "Not mapped to the Home Office split",
                                comparison))
        for key in ("all", group or "unmapped"):
            if key in totals:
                totals[key][0] += current
                totals[key][1] += previous
    total = CountRow(TOTAL_LABEL, "", compare_windows(*totals["all"], window, received))
    split = [CountRow(groups["victim_based"], "", compare_windows(*totals["victim_based"], window, received)),
             CountRow(groups["non_victim_based"], "", compare_windows(*totals["non_victim_based"], window, received))]
    if totals["unmapped"] != [0, 0]:
        split.append(CountRow("Not mapped (see transforms/crime_types.yml)", "",
                              compare_windows(*totals["unmapped"], window, received)))
    return [total, *by_type], asb, [total, *split]


def _population(con: duckdb.DuckDBPyConnection, year: int) -> tuple[pd.DataFrame, int | None]:
    """District populations for the window's year, or the latest earlier year loaded (None if none)."""
    try:
        years = [row[0] for row in con.execute("""select distinct year from marts.population_by_area_year
                                                  where area_type = 'district' order by year""").fetchall()]
    except duckdb.Error:
        return pd.DataFrame(columns=["area_code", "population"]), None
    usable = [y for y in years if y <= year] or years[:1]
    if not usable:
        return pd.DataFrame(columns=["area_code", "population"]), None
    used = max(usable)
    frame = con.execute("""select area_code, population from marts.population_by_area_year
                           where area_type = 'district' and year = ?""", [used]).df()
    return frame, int(used)


def district_rates(con: duckdb.DuckDBPyConnection, districts: list[str], window: Window,
                   received: set[date]) -> tuple[pd.DataFrame, str]:
    """Total recorded crime per 1,000 residents for each district of the force, ranked (1 = highest)."""
    counts = con.execute("""
        select area_code, sum(records) as crimes from marts.crimes_by_type_area_month
        where area_type = 'district' and not is_asb and month between ? and ?
          and area_code in (select unnest(?::varchar[]))
        group by area_code""", [window.start, window.end, districts]).df()
    population, year = _population(con, window.end.year)
    names = {code: _area_name(con, code) for code in districts}
    frame = counts.merge(population, on="area_code", how="left")
    frame["area_name"] = frame["area_code"].map(names)
    frame["rate_per_1000"] = 1000.0 * frame["crimes"] / frame["population"]
    complete = not [m for m in window.months if m not in received]
    if not complete:
        frame["rate_per_1000"] = float("nan")
    frame = frame.sort_values(["rate_per_1000", "area_name"], ascending=[False, True], na_position="last")
    frame["rank"] = frame["rate_per_1000"].rank(method="min", ascending=False)
    if year is None:
        note = "No population estimates are loaded: rates per 1,000 cannot be shown."
    else:
        synthetic = population_is_synthetic(con)
        note = (f"Population: mid-{year} estimates by district (marts.population_by_area_year)"
                + (f". {SYNTHETIC_POPULATION_NOTE}." if synthetic else ", ONS mid-year estimates as loaded."))
        if year != window.end.year:
            note += f" No estimate for {window.end.year} is loaded, so mid-{year} is used."
    if not complete:
        note += f" Not assessed: the window is incomplete ({month_ranges(m for m in window.months if m not in received)})."
    return frame.reset_index(drop=True), note


def monthly_series(con: duckdb.DuckDBPyConnection, areas: list[str]) -> pd.DataFrame:
    """Total recorded crime per month (ASB excluded) summed over the areas, for the months received."""
    return con.execute("""
        select month, sum(records) as value from marts.crimes_by_type_area_month
        where area_type = 'district' and not is_asb and area_code in (select unnest(?::varchar[]))
        group by month order by month""", [areas]).df()


def ward_table(con: duckdb.DuckDBPyConnection, area_code: str, window: Window) -> pd.DataFrame:
    """Each ward of the district: violence and ASB in the window (names from the reference lookups)."""
    frame = con.execute("""
        select area_code as ward_code,
               sum(records) filter (where crime_type = ?) as violence,
               sum(records) filter (where is_asb) as asb,
               sum(records) filter (where not is_asb) as all_crime,
        from marts.crimes_by_type_area_month
        where area_type = 'ward' and district_code = ? and month between ? and ?
        group by all""", [VIOLENCE, area_code, window.start, window.end]).df()
    names: dict[str, str] = {}
    for view in ("staging.stg_reference__lsoa21_lookups", "staging.stg_reference__wards"):
        try:
            names.update({code: name for code, name in con.execute(
                f"select ward_code, any_value(ward_name) from {view} where lad_code = ? group by all",
                [area_code]).fetchall() if code not in names})
        except duckdb.Error:
            continue
    frame["ward_name"] = frame["ward_code"].map(lambda code: names.get(code, code))
    return frame


def survey_by_ward(con: duckdb.DuckDBPyConnection, window: Window) -> tuple[pd.DataFrame, str]:
    """The latest survey wave up to the window's end: % unsafe after dark and % worried about assault, by ward."""
    indicators = project_definitions()[0]
    wanted = {}
    for indicator_id, column in (("survey_unsafe_night_pct", "unsafe_night"), ("survey_worry_assault_pct", "worry_assault")):
        definition = indicators.get(indicator_id)
        if definition is not None and definition.survey is not None:
            wanted[column] = (definition.survey.question_id, definition.survey.answer_group)
    try:
        waves = [row[0] for row in con.execute("select distinct wave from marts.survey_estimates order by wave").fetchall()]
    except duckdb.Error:
        waves = []
    usable = [w for w in waves if int(w) <= window.end.year]
    if not usable or not wanted:
        return pd.DataFrame(), "Resident survey: not received (no survey wave up to the end of the window is loaded)."
    wave = max(usable)
    parts = []
    for column, (question, group) in wanted.items():
        part = con.execute("""select group_value as ward_code, estimate_pct, n from marts.survey_estimates
                              where wave = ? and breakdown = 'ward' and question_id = ? and answer_group = ?""",
                           [wave, question, group]).df()
        parts.append(part.rename(columns={"estimate_pct": f"{column}_pct", "n": f"{column}_n"}).set_index("ward_code"))
    frame = pd.concat(parts, axis=1).reset_index()
    note = (f"Resident survey wave {wave} (weighted to the population by age and sex), beside recorded crime in "
            f"{window.label}: the survey and the window are different periods.")
    return frame, note


def crosses_recording_change(window: Window) -> list[str]:
    """Titles of police.uk recording changes between the earlier window's start and this window's end."""
    _, changes, _ = project_definitions()
    earlier = window.year_earlier()
    return [change.title for change in changes.values()
            if change.source == "police_street" and earlier.start < change.date <= window.end]


def read_assessment(con: duckdb.DuckDBPyConnection, area_code: str, plan_year: str, window: Window) -> AssessmentData:
    """All the figures of one district's assessment for one window."""
    received = received_months(con)
    districts = force_areas(con, FORCE_SHARE)
    if area_code not in districts:
        raise ValueError(f"area {area_code} has no police.uk records in the warehouse (districts found: "
                         f"{', '.join(districts) or 'none'})")
    by_type, asb, split = _rows(_type_counts(con, [area_code], window), window, received)
    quarter = window.last_months(3)
    _, quarter_asb, quarter_split = _rows(_type_counts(con, [area_code], quarter), quarter, received)
    rates, population_note = district_rates(con, districts, window, received)
    survey_frame, survey_note = survey_by_ward(con, window)
    notes = [f"{title}: comparisons that straddle it are not like for like." for title in crosses_recording_change(window)]
    data = AssessmentData(
        area_code=area_code, area_name=_area_name(con, area_code), plan_year=plan_year, window=window,
        quarter=quarter, received=received, by_type=by_type, asb=asb, split=split,
        quarter_rows=[*quarter_split, quarter_asb], district_rates=rates, population_note=population_note,
        series={"force": monthly_series(con, districts), "district": monthly_series(con, [area_code])},
        wards=ward_table(con, area_code, window), survey_wards=survey_frame, survey_note=survey_note, notes=notes)
    data.type_counts = {row.label: row for row in [*by_type, asb]}
    return data
