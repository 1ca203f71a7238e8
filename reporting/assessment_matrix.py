"""The evidence behind each theme of the priority-ranking matrix, and the ranked matrix itself.

Each criterion's raw value comes with a sentence saying where it came from (or why it is missing):
volume and trend from the crime-by-type table (police.uk themes) or the plan indicator's 12 months to
the window's end (partner themes, marts.indicator_values, with its data status: "not received" when
the partner's extract never arrived); harm from the weight table (labelled placeholder while it is);
public concern from the latest survey wave; vulnerability and capacity from the stakeholders' workbook
(source partnership_priority_scores, marts.priority_scores_by_theme).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from reporting.assessment_data import AssessmentData
from transforms.assessment import compare_windows
from transforms.assessment_config import MatrixSpec, ThemeSpec
from transforms.definitions import project_definitions
from transforms.priority_matrix import (
    RankedTheme,
    SensitivityRow,
    ThemeEvidence,
    rank_themes,
    sensitivity,
)


@dataclass
class ThemeSection:
    """One candidate theme: what the assessment says about it, and its matrix inputs."""

    spec: ThemeSpec
    volume: float | None
    trend: float | None
    evidence: dict[str, str]
    raw: dict[str, float | None]
    status: str  # 'complete' or why not


@dataclass
class MatrixResult:
    """Ranked themes, the sensitivity check, the recommendation and the notes every output repeats."""

    ranked: list[RankedTheme]
    sensitivity: list[SensitivityRow]
    recommended: list[RankedTheme]
    robust: bool
    notes: list[str] = field(default_factory=list)
    sections: dict[str, ThemeSection] = field(default_factory=dict)


def _plan_start_year(plan_year: str) -> int:
    return int(plan_year[:4])


def _indicator_row(con: duckdb.DuckDBPyConnection, indicator_id: str, area_code: str, data: AssessmentData) -> dict | None:
    rows = con.execute("""
        select value, previous_value, change_pct, data_status, data_status_reason, crosses_recording_change
        from marts.indicator_values
        where indicator_id = ? and area_code = ? and area_type = 'district' and period_type = '12m'
          and strftime(period_end, '%Y-%m') = ?
        order by plan_year, priority_id, outcome_id
        limit 1""", [indicator_id, area_code, f"{data.window.end:%Y-%m}"]).fetchall()
    if not rows:
        return None
    value, previous, change_pct, status, reason, crosses = rows[0]
    return {"value": value, "previous": previous, "change_pct": None if crosses else change_pct, "status": status,
            "reason": "the two windows straddle a recording change (not like for like)" if crosses else reason}


def _crime_theme(theme: ThemeSpec, data: AssessmentData) -> tuple[float | None, float | None, dict[str, str], str]:
    rows = [data.type_counts[name] for name in theme.crime_types if name in data.type_counts]
    absent = [name for name in theme.crime_types if name not in data.type_counts]
    if not rows:
        return None, None, {"volume": "No police.uk records of this type in the warehouse",
                            "trend": "No police.uk records of this type"}, "no records"
    current = sum(row.comparison.current or 0 for row in rows)
    previous = sum(row.comparison.previous or 0 for row in rows)
    comparison = compare_windows(current, previous if all(row.comparison.assessed for row in rows) else None,
                                 data.window, data.received)
    evidence = {"volume": f"{', '.join(theme.crime_types)}: police.uk records, {data.window.label}"
                + (f" (none recorded of {', '.join(absent)})" if absent else "")}
    if comparison.current is None:
        return None, None, {"volume": comparison.note, "trend": comparison.note}, comparison.note
    trend = comparison.change_pct if comparison.assessed else None
    evidence["trend"] = (f"{comparison.change_pct:+.1f}% on {data.window.year_earlier().label}"
                         if trend is not None else comparison.note)
    if trend is not None and data.notes:  # the two windows straddle a recording change: not like for like
        trend = None
        evidence["trend"] = "Not comparable: " + " ".join(data.notes)
    return float(comparison.current), trend, evidence, "complete" if comparison.assessed else comparison.note


def _partner_theme(con: duckdb.DuckDBPyConnection, theme: ThemeSpec, data: AssessmentData
                   ) -> tuple[float | None, float | None, dict[str, str], str]:
    assert theme.indicator is not None
    row = _indicator_row(con, theme.indicator, data.area_code, data)
    if row is None:
        why = (f"Not received: no figure for {theme.indicator} for the 12 months to "
               f"{data.window.end:%B %Y} (the partner's data is not in the warehouse)")
        return None, None, {"volume": why, "trend": why}, why
    if row["value"] is None:
        why = f"{str(row['status']).capitalize()}: {row['reason'] or 'no figure for this window'}"
        if row["status"] == "source not received":
            why = f"Not received: {row['reason'] or theme.indicator}"
        return None, None, {"volume": why, "trend": why}, why
    evidence = {"volume": f"{theme.indicator}, 12 months to {data.window.end:%B %Y} (plan indicator)"}
    trend = row["change_pct"]
    evidence["trend"] = (f"{trend:+.1f}% on the previous 12 months" if trend is not None
                         else f"No comparison: {row['reason'] or 'previous 12 months incomplete'}")
    return float(row["value"]), (None if trend is None else float(trend)), evidence, str(row["status"])


def _concern(con: duckdb.DuckDBPyConnection, theme: ThemeSpec, data: AssessmentData) -> tuple[float | None, str]:
    if theme.concern is None:
        return None, "No resident-survey question asks about this theme"
    definition = project_definitions()[0].get(theme.concern)
    if definition is None or definition.survey is None:
        return None, f"{theme.concern} is not a survey indicator"
    try:
        rows = con.execute("""
            select wave, estimate_pct from marts.survey_estimates
            where breakdown = 'all' and group_value = 'all' and question_id = ? and answer_group = ? and wave <= ?
            order by wave desc limit 1""", [definition.survey.question_id, definition.survey.answer_group,
                                            data.window.end.year]).fetchall()
    except duckdb.Error:
        rows = []
    if not rows:
        return None, "Not received: no resident-survey wave up to the end of the window"
    wave, pct = rows[0]
    return float(pct), f"Resident survey {wave}: {pct:.1f}% ({definition.survey.answer_group.replace('_', ' ')})"


def _stakeholder_scores(con: duckdb.DuckDBPyConnection, plan_year: str) -> tuple[dict[str, tuple], list[str]]:
    year = _plan_start_year(plan_year)
    try:
        rows = con.execute("""select theme_id, capacity_to_influence, vulnerability, agencies, agency_names
                              from marts.priority_scores_by_theme where year = ?""", [year]).fetchall()
    except duckdb.Error:
        rows = []
    return {row[0]: row[1:] for row in rows}, []


def build_matrix(con: duckdb.DuckDBPyConnection, data: AssessmentData, matrix: MatrixSpec) -> MatrixResult:
    """Score every theme, rank, run the ±20% sensitivity check and recommend the top themes."""
    scores, notes = _stakeholder_scores(con, data.plan_year)
    year = _plan_start_year(data.plan_year)
    known = {theme.id for theme in matrix.themes}
    stray = sorted(set(scores) - known)
    if stray:
        notes.append(f"The stakeholder workbook for {year} scores themes the matrix does not list, not used: {', '.join(stray)}.")
    if not scores:
        notes.append(f"Stakeholder scores (capacity to influence, vulnerability) not received: no workbook for "
                     f"{data.plan_year} (year {year}) is loaded. Fill in priority_scores_template.xlsx, save it as "
                     f"priority_scores_{data.plan_year}.xlsx in the inbox, and run again. Until then those criteria are "
                     "missing for every theme and the ranking rests on the others.")
    if matrix.harm_is_placeholder:
        notes.append("Harm weights are PLACEHOLDERS (plans/assessment/priority_matrix.yml), not a published crime-harm "
                     "index: the partnership must agree them before the ranking is used.")
    sections: dict[str, ThemeSection] = {}
    themes: list[ThemeEvidence] = []
    for theme in matrix.themes:
        if theme.crime_types:
            volume, trend, evidence, status = _crime_theme(theme, data)
        else:
            volume, trend, evidence, status = _partner_theme(con, theme, data)
        concern, concern_text = _concern(con, theme, data)
        harm = matrix.harm_weights.weights.get(theme.id)
        evidence["harm"] = ("No harm weight given" if harm is None else
                            f"Weight {harm:g}" + (" (placeholder)" if matrix.harm_is_placeholder else
                                                  f" ({matrix.harm_weights.source})"))
        evidence["public_concern"] = concern_text
        score = scores.get(theme.id)
        if score is None:
            evidence["capacity"] = evidence["vulnerability"] = "Not received (stakeholder workbook)"
            capacity = vulnerability = None
        else:
            capacity, vulnerability, agencies, names = score
            evidence["capacity"] = f"Mean of {agencies} {'agency' if agencies == 1 else 'agencies'} ({names})"
            evidence["vulnerability"] = (f"Mean of the agencies that scored it ({names})" if vulnerability is not None
                                         else "Not scored by any agency")
        raw = {"volume": volume, "trend": trend, "harm": harm, "public_concern": concern,
               "vulnerability": None if vulnerability is None else float(vulnerability),
               "capacity": None if capacity is None else float(capacity)}
        raw = {key: value for key, value in raw.items() if key in matrix.criteria}
        sections[theme.id] = ThemeSection(theme, volume, trend, evidence, raw, status)
        themes.append(ThemeEvidence(id=theme.id, label=theme.label, raw=raw, evidence=evidence))
    criteria = matrix.criteria_list()
    ranked = rank_themes(themes, criteria)
    checks = sensitivity(themes, criteria, n=matrix.recommend)
    recommended = [theme for theme in ranked if theme.rank is not None][: matrix.recommend]
    notes.append("Volume compares counts of different things across themes (police.uk records, partner indicators): "
                 "it ranks themes relative to each other, it is not a common unit.")
    return MatrixResult(ranked=ranked, sensitivity=checks, recommended=recommended,
                        robust=not any(row.changed for row in checks), notes=notes, sections=sections)
