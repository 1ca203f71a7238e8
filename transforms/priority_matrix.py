"""The MoRiLE-style priority-ranking matrix: themes scored on weighted criteria, ranked, stress-tested.

Method (documented in plans/assessment/priority_matrix.yml and the README):
- each criterion's raw value becomes a score from 0 to 100: on a fixed scale [low, high] (stakeholder
  entries, e.g. capacity 1-5: 1 -> 0, 5 -> 100), or relative to the themes (`relative`: the lowest
  value scores 0, the highest 100, straight line between; all equal -> 50 each);
- a theme's total is the weighted mean of the scores it has: sum(weight x score) / sum(weight) over the
  criteria with a value. A missing criterion is left out of both sums (never scored as 0) and named;
  a theme missing a `required` criterion (volume: its data was not received) is not ranked at all;
- themes are ranked by total, highest first; equal totals (to 6 decimals) share a rank ("3=") and are
  listed by name;
- sensitivity: each criterion's weight in turn x0.8 and x1.2 (the others unchanged); the check says
  whether the top five (as a set) changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

ScaleKind = Literal["relative", "fixed"]


@dataclass(frozen=True)
class Criterion:
    """One column of the matrix: its weight and how raw values become 0-100 scores."""

    id: str
    label: str
    weight: float
    scale: tuple[float, float] | None = None  # None = relative to the themes
    required: bool = False  # a theme missing it is not ranked (its evidence is not there)


@dataclass(frozen=True)
class ThemeEvidence:
    """One row of the matrix: a theme's raw value per criterion (None = missing) and what each rests on."""

    id: str
    label: str
    raw: Mapping[str, float | None]
    evidence: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RankedTheme:
    """A scored theme: per-criterion scores, total, rank, tie and missing flags."""

    id: str
    label: str
    scores: dict[str, float | None]
    total: float | None
    rank: int | None
    tied: bool
    missing: list[str]

    @property
    def rank_text(self) -> str:
        if self.rank is None:
            return "not ranked"
        return f"{self.rank}=" if self.tied else str(self.rank)


def criterion_scores(criterion: Criterion, values: Mapping[str, float | None]) -> dict[str, float | None]:
    """0-100 score of each theme on one criterion (None where its value is missing)."""
    present = {key: float(value) for key, value in values.items() if value is not None}
    if criterion.scale is not None:
        low, high = criterion.scale
        if high <= low:
            raise ValueError(f"criterion {criterion.id}: scale [{low}, {high}] must go from low to high")
        for key, value in present.items():
            if not low <= value <= high:
                raise ValueError(f"criterion {criterion.id}: theme {key} has {value:g}, outside its scale {low:g}-{high:g}")
        scaled = {key: 100.0 * (value - low) / (high - low) for key, value in present.items()}
    elif not present:
        scaled = {}
    else:
        low, high = min(present.values()), max(present.values())
        scaled = {key: (50.0 if high == low else 100.0 * (value - low) / (high - low)) for key, value in present.items()}
    return {key: scaled.get(key) for key in values}


def rank_themes(themes: Sequence[ThemeEvidence], criteria: Sequence[Criterion],
                weights: Mapping[str, float] | None = None) -> list[RankedTheme]:
    """Score and rank the themes (weights override the criteria's own, e.g. for the sensitivity check)."""
    if len({theme.id for theme in themes}) != len(themes):
        raise ValueError("priority matrix: a theme id appears twice")
    weight = {c.id: float((weights or {}).get(c.id, c.weight)) for c in criteria}
    for key, value in weight.items():
        if value < 0:
            raise ValueError(f"criterion {key}: weight {value:g} is negative")
    per_criterion = {c.id: criterion_scores(c, {t.id: t.raw.get(c.id) for t in themes}) for c in criteria}
    scored = []
    for theme in themes:
        scores = {c.id: per_criterion[c.id][theme.id] for c in criteria}
        used = [(weight[key], score) for key, score in scores.items() if score is not None and weight[key] > 0]
        total_weight = sum(w for w, _ in used)
        total = sum(w * s for w, s in used) / total_weight if total_weight else None
        if any(c.required and scores[c.id] is None for c in criteria):
            total = None
        scored.append((theme, scores, None if total is None else round(total, 6)))
    ordered = sorted(scored, key=lambda item: (item[2] is None, -(item[2] or 0.0), item[0].label.lower(), item[0].id))
    totals = [item[2] for item in ordered if item[2] is not None]
    ranked = []
    for theme, scores, total in ordered:
        rank = None if total is None else 1 + sum(1 for other in totals if other > total)
        ranked.append(RankedTheme(id=theme.id, label=theme.label, scores=scores, total=total, rank=rank,
                                  tied=total is not None and totals.count(total) > 1,
                                  missing=[key for key, score in scores.items() if score is None]))
    return ranked


def top_ids(ranked: Sequence[RankedTheme], n: int = 5) -> list[str]:
    """The ids of the first n ranked themes (ties at the cut are kept by the listing order)."""
    return [theme.id for theme in ranked if theme.rank is not None][:n]


@dataclass(frozen=True)
class SensitivityRow:
    """One weight moved: which criterion, by how much, the top five it gives, and whether it changed."""

    criterion: str
    factor: float
    weight: float
    top: list[str]
    changed: bool
    entered: list[str]
    left: list[str]


def sensitivity(themes: Sequence[ThemeEvidence], criteria: Sequence[Criterion], n: int = 5,
                factors: Sequence[float] = (0.8, 1.2)) -> list[SensitivityRow]:
    """Move each criterion's weight by each factor in turn; does the top n (as a set) change?"""
    base = top_ids(rank_themes(themes, criteria), n)
    rows = []
    for criterion in criteria:
        for factor in factors:
            moved = criterion.weight * factor
            top = top_ids(rank_themes(themes, criteria, {criterion.id: moved}), n)
            rows.append(SensitivityRow(criterion=criterion.id, factor=factor, weight=moved, top=top,
                                       changed=set(top) != set(base),
                                       entered=[key for key in top if key not in base],
                                       left=[key for key in base if key not in top]))
    return rows
