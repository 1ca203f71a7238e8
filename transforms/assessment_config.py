"""The priority-ranking matrix's settings, as data: plans/assessment/priority_matrix.yml, typed (unknown keys fail)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from transforms.priority_matrix import Criterion

MATRIX_PATH = Path(__file__).resolve().parents[1] / "plans" / "assessment" / "priority_matrix.yml"

CRITERIA = ("volume", "trend", "harm", "public_concern", "vulnerability", "capacity")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CriterionSpec(_Strict):
    label: str
    weight: float = Field(ge=0)
    scale: tuple[float, float] | None = None
    required: bool = False


class HarmWeights(_Strict):
    status: Literal["placeholder", "agreed"]
    source: str
    weights: dict[str, float]


class ThemeSpec(_Strict):
    id: str
    label: str
    crime_types: list[str] = []
    indicator: str | None = None
    concern: str | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> ThemeSpec:
        if bool(self.crime_types) == bool(self.indicator):
            raise ValueError(f"theme {self.id}: give either crime_types or indicator (one of them)")
        return self


class MatrixSpec(_Strict):
    criteria: dict[str, CriterionSpec]
    harm_weights: HarmWeights
    themes: list[ThemeSpec]
    recommend: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> MatrixSpec:
        unknown = sorted(set(self.criteria) - set(CRITERIA))
        if unknown:
            raise ValueError(f"unknown criteria {unknown} (known: {', '.join(CRITERIA)})")
        ids = [theme.id for theme in self.themes]
        if len(set(ids)) != len(ids):
            raise ValueError("a theme id appears twice")
        stray = sorted(set(self.harm_weights.weights) - set(ids))
        if stray:
            raise ValueError(f"harm_weights name themes that are not listed: {stray}")
        return self

    def criteria_list(self) -> list[Criterion]:
        return [Criterion(id=key, label=spec.label, weight=spec.weight, scale=spec.scale,
                          required=spec.required)
                for key, spec in self.criteria.items()]

    @property
    def harm_is_placeholder(self) -> bool:
        return self.harm_weights.status == "placeholder"


def load_matrix(path: Path = MATRIX_PATH) -> MatrixSpec:
    """The matrix settings; a broken file fails with its name and the rule."""
    try:
        return MatrixSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from error
