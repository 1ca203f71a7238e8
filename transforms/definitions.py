"""Indicator definitions (transforms/indicators/*.yml), recording changes and OBA plans (plans/*.yml),
each checked by a typed model: unknown keys fail, references must resolve."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from expectations import sources
from expectations.sources import catalogue
from expectations.yaml_files import load_yaml_file, while_unchanged

ROOT = Path(__file__).resolve().parents[1]
INDICATORS_DIR = ROOT / "transforms" / "indicators"
PLANS_DIR = ROOT / "plans"
RECORDING_CHANGES_FILE = ROOT / "transforms" / "recording_changes.yml"
SPC_RECALCULATIONS_FILE = ROOT / "transforms" / "spc_recalculations.yml"

# The method alone decides how an indicator is computed, its confidence interval and its test of a
# change (transforms/engine.py docstring): there is no separate ci_method to keep in step with it.
Method = Literal["count", "rate", "proportion", "mean", "survey_share"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MeasureRef(_Strict):
    """A measure of a mart (marts.monthly_measures holds them all in long form)."""

    mart: str
    measure: str


class Denominator(_Strict):
    mart: str | None = None
    measure: str | None = None
    population: Literal["all", "16_plus"] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Denominator:
        if (self.measure is None) == (self.population is None):
            raise ValueError("a denominator is either a mart measure or a population, not both or neither")
        if self.measure is not None and self.mart is None:
            raise ValueError("a measure denominator needs its mart")
        return self


class SurveyRef(_Strict):
    question_id: str
    answer_group: str


class IndicatorDefinition(_Strict):
    """One indicator, fully described as data."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    definition: str
    sources: tuple[str, ...]
    numerator: MeasureRef | None = None
    denominator: Denominator | None = None
    survey: SurveyRef | None = None
    method: Method
    multiplier: float = 1
    unit: str
    breakdowns: tuple[Literal["ward"], ...] = ()
    recording_changes: tuple[str, ...] = ()
    rebase_dates: tuple[date, ...] = ()
    caveats: tuple[str, ...] = ()
    # The indicator reads the late-arriving fields of a source that declares a reporting_lag
    # (expectations/sources.yml), so its newest months may be incomplete.
    affected_by_reporting_lag: bool = False
    # How the plan's wording is read when the data cannot say it word for word; shown on the card.
    interpretation: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> IndicatorDefinition:
        if self.method == "survey_share":
            if self.survey is None or self.numerator is not None:
                raise ValueError(f"{self.id}: a survey_share indicator names survey (question, answer group) and no numerator")
            return self
        if self.numerator is None:
            raise ValueError(f"{self.id}: numerator is required")
        if self.method == "proportion" and (self.denominator is None or self.denominator.measure is None):
            raise ValueError(f"{self.id}: a proportion needs a measure denominator")
        if self.method == "rate" and (self.denominator is None or self.denominator.population is None):
            raise ValueError(f"{self.id}: a rate needs a population denominator")
        if self.method in {"count", "mean"} and self.denominator is not None:
            raise ValueError(f"{self.id}: a {self.method} has no denominator")
        return self


class RecordingChange(_Strict):
    id: str
    date: date
    title: str
    description: str
    source: str


class SpcRecalculation(_Strict):
    """A recorded decision to recalculate SPC limits from `date` (Making Data Count practice:
    after a sustained, explained change in the process, never automatically)."""

    date: date
    indicators: tuple[str, ...] = Field(min_length=1)
    reason: str = Field(min_length=1)
    agreed_by: str = Field(min_length=1)


class Lead(_Strict):
    name: str
    agency: str


class ExpectedRange(_Strict):
    """A band the plan expects the value to sit in (e.g. MARAC repeats 28–40%, SafeLives), in the
    indicator's own unit; inside it the indicator is "within the expected range"."""

    low: float
    high: float
    source: str = Field(min_length=1)  # who says so, e.g. "SafeLives"

    @model_validator(mode="after")
    def _ordered(self) -> ExpectedRange:
        if not self.low < self.high:
            raise ValueError(f"expected_range needs low < high, got {self.low} and {self.high}")
        return self


class PlanIndicator(_Strict):
    """An indicator as a plan uses it: the aim (and target) belong to the plan, not the definition."""

    id: str
    label: str
    data_source: str
    aim: Literal["increase", "decrease"]
    target: float | None = None
    expected_range: ExpectedRange | None = None
    kind: Literal["indicator", "performance_measure"] = "indicator"
    tag: Literal["how_much", "how_well", "better_off"] | None = None
    draft: bool = False


class ByWhen(_Strict):
    """An action's deadline as the plan writes it ("Summer 2018") and the date it is read as.

    `due` is an interpretation whenever `as_written` is not itself a date: reports show both and say
    so (`interpretation` says how the wording was read, e.g. "summer read as ending 31 August")."""

    as_written: str = Field(min_length=1)
    due: date
    interpretation: str | None = None

    @model_validator(mode="after")
    def _explained(self) -> ByWhen:
        if self.as_written.strip() != self.due.isoformat() and not self.interpretation:
            raise ValueError(f"by_when '{self.as_written}' is read as {self.due.isoformat()}: say how "
                             "(interpretation), since the plan does not give that date")
        return self


ACTION_ID_PATTERN = r"^[A-Z]{2,5}\d{1,2}\.\d{1,2}$"  # e.g. DA1.1: priority code, outcome number, action number


class Action(_Strict):
    """One action of an OBA action plan ("how we will do it"), word for word when published."""

    id: str = Field(pattern=ACTION_ID_PATTERN)
    text: str = Field(min_length=1)
    lead_agency: str = Field(min_length=1)  # the nominated lead / agency, as the plan names it
    by_when: ByWhen
    draft: bool = False  # not word for word in the published action plan
    source: str | None = None  # where the published wording comes from


class Partner(_Strict):
    """A partner of an outcome and the role it plays in delivering it."""

    agency: str = Field(min_length=1)
    role: str = Field(min_length=1)
    draft: bool = False


class WhatWorks(_Strict):
    """A "what works" note: the evidence an outcome's actions draw on, and who says so."""

    note: str = Field(min_length=1)
    source: str = Field(min_length=1)
    draft: bool = False


class Outcome(_Strict):
    id: str
    statement: str
    draft: bool = False
    indicators: tuple[PlanIndicator, ...] = ()
    note: str | None = None
    actions: tuple[Action, ...] = ()
    partners: tuple[Partner, ...] = ()
    what_works: tuple[WhatWorks, ...] = ()


class Priority(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    kind: Literal["priority", "cross_cutting"]
    leads: tuple[Lead, ...] = ()
    outcomes: tuple[Outcome, ...]
    # The card shows the resident-survey section even when no survey indicator is on it.
    survey_section: bool = False


class Plan(_Strict):
    plan_year: str = Field(pattern=r"^\d{4}-\d{2}$")
    partnership: str
    area_code: str
    title: str
    starts: date
    ends: date
    priorities: tuple[Priority, ...]

    @model_validator(mode="after")
    def _unique(self) -> Plan:
        ids = [p.id for p in self.priorities]
        if len(ids) != len(set(ids)):
            raise ValueError("priority ids must be unique")
        outcome_ids = [o.id for p in self.priorities for o in p.outcomes]
        if len(outcome_ids) != len(set(outcome_ids)):
            raise ValueError("outcome ids must be unique")
        action_ids = [a.id for _, _, a in self.actions()]
        if len(action_ids) != len(set(action_ids)):
            raise ValueError("action ids must be unique")
        return self

    def actions(self):
        """(priority, outcome, action) for every action of the plan."""
        for priority in self.priorities:
            for outcome in priority.outcomes:
                for action in outcome.actions:
                    yield priority, outcome, action

    def entries(self):
        """(priority, outcome, plan indicator) for every indicator of the plan."""
        for priority in self.priorities:
            for outcome in priority.outcomes:
                for indicator in outcome.indicators:
                    yield priority, outcome, indicator


def _load_yaml(path: Path) -> Any:
    return load_yaml_file(path)


def load_indicators(folder: Path | None = None) -> dict[str, IndicatorDefinition]:
    folder = folder or INDICATORS_DIR
    out: dict[str, IndicatorDefinition] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            definition = IndicatorDefinition.model_validate(_load_yaml(path))
        except Exception as error:
            raise ValueError(f"indicator definition {path.name}: {error}") from error
        if definition.id != path.stem:
            raise ValueError(f"indicator definition {path.name}: id '{definition.id}' must equal the file name")
        out[definition.id] = definition
    return out


def load_recording_changes(path: Path | None = None) -> dict[str, RecordingChange]:
    data = _load_yaml(path or RECORDING_CHANGES_FILE) or {}
    changes = [RecordingChange.model_validate(item) for item in data.get("recording_changes", [])]
    return {change.id: change for change in changes}


def load_spc_recalculations(path: Path | None = None,
                            indicators: dict[str, IndicatorDefinition] | None = None) -> list[SpcRecalculation]:
    """The agreed SPC recalculation points (transforms/spc_recalculations.yml), checked.

    Each entry needs date, indicators, reason and agreed_by; an unknown indicator fails with the
    entry's position, so a typo cannot silently leave a recalculation unapplied.
    """
    path = path or SPC_RECALCULATIONS_FILE
    if not path.exists():
        return []
    data = _load_yaml(path) or {}
    out = []
    for number, item in enumerate(data.get("recalculations") or [], start=1):
        try:
            recalculation = SpcRecalculation.model_validate(item)
        except Exception as error:
            raise ValueError(f"{path.name}: recalculation {number}: {error}") from error
        unknown = [i for i in recalculation.indicators if indicators is not None and i not in indicators]
        if unknown:
            raise ValueError(f"{path.name}: recalculation {number}: unknown indicator(s) {', '.join(unknown)}")
        out.append(recalculation)
    return out


def load_plan(path: Path) -> Plan:
    try:
        return Plan.model_validate(_load_yaml(path))
    except Exception as error:
        raise ValueError(f"plan {path.name}: {error}") from error


def load_plans(folder: Path | None = None) -> dict[str, Plan]:
    plans = [load_plan(path) for path in sorted((folder or PLANS_DIR).glob("*.yml"))]
    return {plan.plan_year: plan for plan in plans}


def _definition_files() -> list[Path]:
    """Every file project_definitions reads (the module paths as they are now: tests patch them)."""
    return [*sorted(INDICATORS_DIR.glob("*.yml")), RECORDING_CHANGES_FILE, *sorted(PLANS_DIR.glob("*.yml")),
            sources.SOURCES_FILE]


@while_unchanged(_definition_files)
def project_definitions() -> tuple[dict[str, IndicatorDefinition], dict[str, RecordingChange], dict[str, Plan]]:
    """Indicators, recording changes and plans of the project, cross-checked."""
    indicators = load_indicators()
    changes = load_recording_changes()
    plans = load_plans()
    check_references(indicators, changes, plans)
    return indicators, changes, plans


def check_references(indicators, changes, plans) -> None:
    sources = set(catalogue().sources)
    for definition in indicators.values():
        for source in definition.sources:
            if source not in sources:
                raise ValueError(f"indicator {definition.id}: unknown source '{source}'")
        if definition.affected_by_reporting_lag and not any(
                catalogue().sources[s].reporting_lag for s in definition.sources):
            raise ValueError(f"indicator {definition.id}: affected_by_reporting_lag, but none of its sources "
                             "declares a reporting_lag in expectations/sources.yml")
        for change in definition.recording_changes:
            if change not in changes:
                raise ValueError(f"indicator {definition.id}: unknown recording change '{change}'")
    for plan in plans.values():
        for _, _, entry in plan.entries():
            if entry.id not in indicators:
                raise ValueError(f"plan {plan.plan_year}: indicator '{entry.id}' has no definition in transforms/indicators/")
