"""The resident-survey section: the latest wave's estimates, the notable group differences and the
weighting, as shown on the committee summary and on the cards of the priorities that ask for it.

Where the words come from: a question's short label is data, declared with the question in the
source contract (``label`` on the ``survey_responses`` columns in expectations/sources.yml). Which
priorities show the section is plan data (``survey_section: true`` on a priority in
plans/<year>.yml), plus any priority with a survey indicator. The answer-group and group labels
below stay here: the groups themselves are defined in code (:mod:`survey.estimates`), not in a
data file, so these are the report's wording for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from expectations.sources import catalogue as source_catalogue
from reporting.cells import finite, whole
from reporting.disclosure import DisclosureRules, suppress_rate
from reporting.figures import FLAG_BASE, Shown, missing_shown, primary_count, withheld_shown
from reporting.snapshot import PlanInfo, Snapshot

__all__ = ["SURVEY_SOURCE", "survey_priority_ids", "survey_questions", "survey_section"]

SURVEY_SOURCE = "survey_responses"  # the source whose labelled columns are the survey's questions

SURVEY_ANSWERS = {
    "very_or_fairly_safe": "Very or fairly safe",
    "very_safe": "Very safe",
    "unsafe_or_very_unsafe": "Fairly or very unsafe",
    "very_or_somewhat_worried": "Very or fairly worried",
}
SURVEY_GROUPS = {
    ("sex", "female"): "Women", ("sex", "male"): "Men",
    ("ethnic_group", "bme"): "BME residents", ("ethnic_group", "white"): "White residents",
    ("disability", "disabled"): "Disabled residents", ("disability", "not_disabled"): "Residents without a disability",
    ("economic_activity", "economically_active"): "Economically active",
    ("economic_activity", "economically_inactive"): "Economically inactive",
}




def survey_questions() -> dict[str, str]:
    """Question id -> short label, in the order the source contract declares the questions."""
    return {column.name: column.label for column in source_catalogue()[SURVEY_SOURCE].columns if column.label}


def survey_priority_ids(info: PlanInfo, catalogue: pd.DataFrame) -> set[str]:
    """Priorities whose card shows the survey section: asked for in the plan, or with a survey indicator."""
    asked = {str(p["id"]) for p in info.priorities if p.get("survey_section")}
    return asked | set(catalogue.loc[catalogue["method"] == "survey_share", "priority_id"])


def _survey_group_label(breakdown: str, value: str, ward_names: Mapping[str, str]) -> str:
    if (breakdown, value) in SURVEY_GROUPS:
        return SURVEY_GROUPS[(breakdown, value)]
    if breakdown == "age_band":
        return f"Aged {value}"
    if breakdown == "ward":
        return ward_names.get(value, value)
    return f"{breakdown.replace('_', ' ').capitalize()}: {str(value).replace('_', ' ')}"


def survey_section(snap: Snapshot, month_end: date, rules: DisclosureRules) -> dict[str, Any]:
    """Appendix-4 style table of the latest survey wave on or before the report month.

    One row per question x answer group (breakdown 'all'); differences against the rest of the
    respondents listed only when over 8 points AND significant. Percentages on an unweighted base
    under ``rules.min_base_for_rate`` are '*'; respondent counts go through the count rule.
    """
    est = snap.survey_estimates
    if est.empty:
        return {"available": False, "note": "Resident survey: no survey estimates in this warehouse "
                "(marts.survey_estimates), so this section is not shown."}
    est = est[est["wave"].astype(int) <= month_end.year]
    if est.empty:
        return {"available": False, "note": f"Resident survey: no survey wave on or before {month_end.year}."}
    wave = int(est["wave"].max())
    est = est[est["wave"].astype(int) == wave]
    diffs = snap.survey_differences
    if not diffs.empty:
        diffs = diffs[(diffs["wave"].astype(int) == wave) & diffs["over_8_points"].fillna(False).astype(bool)
                      & diffs["significant"].fillna(False).astype(bool)]

    def pct(value: Any, base: Any) -> Shown:
        v, n = finite(value), finite(base)
        if v is None or n is None:
            return missing_shown(rules, "rate")
        text, suppressed = suppress_rate(v, n, rules, fmt=lambda x: f"{x:.1f}%")
        return withheld_shown(text, FLAG_BASE, "rate") if suppressed else Shown(text, round(v, 6), None, "rate", "0.0",
                                                                            f"{v:.1f}")

    questions = survey_questions()
    order_q = list(questions)
    order_a = list(SURVEY_ANSWERS)
    est = est.assign(_q=est["question_id"].map(lambda q: order_q.index(q) if q in order_q else len(order_q)),
                     _a=est["answer_group"].map(lambda a: order_a.index(a) if a in order_a else len(order_a)))
    rows = []
    for r in est.sort_values(["_q", "question_id", "_a", "answer_group"]).itertuples():
        value = pct(r.estimate_pct, r.n)
        shown = value.number is not None
        lo, hi, moe = finite(r.ci_lower), finite(r.ci_upper), finite(r.margin_of_error)
        ci = f"{lo:.1f}% to {hi:.1f}%" if shown and lo is not None and hi is not None else "–"
        moe_text = f"±{moe:.1f} pts" if shown and moe is not None else "–"
        groups = []
        if shown and not diffs.empty:
            part = diffs[(diffs["question_id"] == r.question_id) & (diffs["answer_group"] == r.answer_group)]
            for d in part.sort_values(["breakdown", "group_value"]).itertuples():
                base = finite(getattr(d, "n", None))
                if base is not None and base < rules.min_base_for_rate:
                    continue  # a group percentage on a small base is not published
                gp, rp, dp = finite(d.estimate_pct), finite(d.comparison_pct), finite(d.difference_points)
                if gp is None or rp is None or dp is None:
                    continue
                sign = "−" if dp < 0 else "+"
                groups.append(f"{_survey_group_label(str(d.breakdown), str(d.group_value), snap.ward_names)} "
                              f"{gp:.1f}% vs rest {rp:.1f}% ({sign}{abs(dp):.1f} pts)")
        rows.append({"question_id": str(r.question_id),
                     "question": questions.get(str(r.question_id), str(r.question_id)),
                     "answer": SURVEY_ANSWERS.get(str(r.answer_group), str(r.answer_group).replace("_", " ")),
                     "answer_group": str(r.answer_group), "value": value, "ci": ci, "moe": moe_text,
                     "n": primary_count(r.n, rules), "differences": groups})
    weighting: dict[str, Any] | None = None
    w = snap.survey_weighting
    if not w.empty and (w["wave"].astype(int) == wave).any():
        row = w[w["wave"].astype(int) == wave].iloc[0]
        n_weighted = whole(row["n_weighted"]) if finite(row["n_weighted"]) is not None else None
        deff, moe_design = finite(row.get("design_effect")), finite(row.get("margin_of_error_p50"))
        srs = 100 * 1.96 * math.sqrt(0.25 / n_weighted) if n_weighted else None
        weighting = {"vintage": str(row["target_vintage"]), "scheme": str(row.get("scheme") or "age_sex"),
                     "n_responses": primary_count(row.get("n_responses"), rules),
                     "n_weighted": primary_count(row["n_weighted"], rules),
                     "n_dropped": primary_count(row["n_dropped"], rules),
                     "design_effect": f"{deff:.2f}" if deff is not None else "–",
                     "moe_srs": f"±{srs:.1f}" if srs is not None else "–",
                     "moe_design": f"±{moe_design:.1f}" if moe_design is not None else "–"}
    return {"available": True, "wave": wave, "rows": rows, "weighting": weighting, "note": ""}


