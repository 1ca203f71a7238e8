"""Source declarations (expectations/sources.yml) as a typed, validated catalogue."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from expectations.yaml_files import load_yaml_file, while_unchanged

SOURCES_FILE = Path(__file__).with_name("sources.yml")

ColumnType = Literal["string", "integer", "decimal", "date", "month", "boolean"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Strict):
    """One column of an extract: its header as received and the rules its values follow."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    header: str
    type: ColumnType
    required: bool = True
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    person_key: bool = False
    unit: str | None = None
    description: str = ""
    label: str = ""  # short wording for reports (e.g. a survey question's row label)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    @field_validator("allowed", mode="before")
    @classmethod
    def _as_strings(cls, value: object) -> object:
        if isinstance(value, list):
            return tuple(str(item) for item in value)
        return value

    @property
    def is_computed(self) -> bool:
        """Columns whose header starts with '_' are derived by the reader (e.g. centroids)."""
        return self.header.startswith("_")


class PeriodSpec(_Strict):
    """Which column places a row in time, at what grain, and how a file name claims a period."""

    column: str
    grain: Literal["month", "year"]
    filename_regex: str | None = None


class AreaSpec(_Strict):
    """The columns that place a row in an area, and whose area a file's rows must be in.

    scope `csp`: every row's area must lie in the CSP's district; `force`: in the police force area
    (of the force the row's `force` column names, else of the CSP's force). `tolerance` is the share
    of a file's rows that may lie outside (legitimate cross-border rows); more than that refuses the file.
    """

    lsoa_code: str | None = None
    lsoa_name: str | None = None
    ward_code: str | None = None
    district_code: str | None = None
    force: str | None = None
    scope: Literal["csp", "force"] = "csp"
    tolerance: float = Field(default=0.0, ge=0.0, lt=1.0)

    @property
    def code_column(self) -> str | None:
        """The column whose code places a row (LSOA, else ward, else district)."""
        return self.lsoa_code or self.ward_code or self.district_code

    def columns(self) -> list[str]:
        return [c for c in (self.lsoa_code, self.lsoa_name, self.ward_code, self.district_code, self.force) if c]


class ReportingLag(_Strict):
    """The newest months of a source are known to be incomplete for this many months."""

    months: int = Field(ge=1, le=24)
    note: str = Field(min_length=1)  # what is still incomplete, in a councillor's words


class SourceSpec(_Strict):
    """A source: one kind of extract, declared once."""

    name: str = ""
    title: str
    publisher: str
    family: Literal["police", "health", "cgl", "council", "survey", "reference", "partnership"]
    format: Literal["csv", "xlsx", "geojson"]
    file_pattern: str
    grain: str
    period: PeriodSpec | None = None
    unique: tuple[str, ...] = ()
    revision_scope: str | None = None  # column whose value says whose file it is (e.g. the force)
    # great_expectations: GX runs the suite on the parsed rows. duckdb: the same suite compiled to SQL and run
    # inside DuckDB on rows loaded straight from the CSV (national-scale files; CSV without person keys only).
    validation: Literal["great_expectations", "duckdb"] = "great_expectations"
    area: AreaSpec | None = None
    # Some fields of the newest months are still filling in (e.g. outcomes under investigation).
    reporting_lag: ReportingLag | None = None
    # Published openly at source, row by row (data.police.uk street crime): an indicator computed only
    # from public sources is shown without disclosure control, labelled as public data.
    public: bool = False
    columns: tuple[ColumnSpec, ...]

    @model_validator(mode="after")
    def _consistent(self) -> SourceSpec:
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate column names")
        headers = [column.header for column in self.columns]
        if len(set(headers)) != len(headers):
            raise ValueError(f"{self.name}: duplicate headers")
        for key in self.unique:
            if key not in names:
                raise ValueError(f"{self.name}: unique key '{key}' is not a column")
        if self.revision_scope and self.revision_scope not in names:
            raise ValueError(f"{self.name}: revision_scope '{self.revision_scope}' is not a column")
        if self.validation == "duckdb" and (self.format != "csv" or self.person_keys
                                            or any(c.is_computed for c in self.columns)):
            raise ValueError(f"{self.name}: validation 'duckdb' needs a CSV source without person keys or computed columns")
        if self.period and self.period.column not in names:
            raise ValueError(f"{self.name}: period column '{self.period.column}' is not a column")
        if self.area:
            for value in self.area.columns():
                if value not in names:
                    raise ValueError(f"{self.name}: area column '{value}' is not a column")
            if self.area.code_column is None:
                raise ValueError(f"{self.name}: area needs an lsoa_code, ward_code or district_code column")
        return self

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    @property
    def headers(self) -> list[str]:
        """Headers expected in the file (computed columns excluded)."""
        return [column.header for column in self.columns if not column.is_computed]

    @property
    def person_keys(self) -> list[str]:
        return [column.name for column in self.columns if column.person_key]

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    def claimed_period(self, file_name: str) -> str | None:
        """The period a file name claims (YYYY-MM or YYYY), if the declaration reads one."""
        if not self.period or not self.period.filename_regex:
            return None
        match = re.search(self.period.filename_regex, file_name)
        return match.group("period") if match else None

    def matches_name(self, file_name: str) -> bool:
        return fnmatch.fnmatch(file_name, self.file_pattern)


class SourceCatalogue(_Strict):
    version: Literal[1]
    # Police force areas as districts, by the force name police.uk writes in `Falls within`.
    forces: dict[str, tuple[str, ...]] = {}
    sources: dict[str, SourceSpec]

    def force_of(self, district: str) -> str | None:
        """The force whose area holds this district, if declared."""
        return next((force for force, districts in self.forces.items() if district in districts), None)

    @model_validator(mode="after")
    def _named(self) -> SourceCatalogue:
        for key, spec in self.sources.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", key):
                raise ValueError(f"source name '{key}' must be snake_case")
            object.__setattr__(spec, "name", key)
        return self

    def __getitem__(self, name: str) -> SourceSpec:
        try:
            return self.sources[name]
        except KeyError:
            known = ", ".join(sorted(self.sources))
            raise KeyError(f"unknown source '{name}' (known: {known})") from None

    def __iter__(self):
        return iter(self.sources.values())

    def recognise(self, headers: list[str], file_name: str = "") -> SourceSpec | None:
        """The source whose declared headers are exactly these; else best partial match by name."""
        wanted = [h.strip() for h in headers]
        for spec in self:
            if spec.format != "geojson" and spec.headers == wanted:
                return spec
        for spec in self:
            if spec.format != "geojson" and set(spec.headers) == set(wanted):
                return spec
        # Headers damaged: fall back to the file name, then to a near-identical header, so the
        # report can say which column is wrong instead of "unrecognised".
        by_name = [spec for spec in self if file_name and spec.matches_name(file_name)]
        if len(by_name) == 1:
            return by_name[0]
        scored = sorted(
            ((len(set(spec.headers) & set(wanted)) / len(set(spec.headers) | set(wanted)), spec.name)
             for spec in self if spec.format != "geojson"),
            reverse=True,
        )
        if scored and scored[0][0] >= 0.9:
            return self[scored[0][1]]
        return None


def load_catalogue(path: Path | None = None) -> SourceCatalogue:
    """Parse and validate a sources file (unknown keys fail)."""
    path = path or SOURCES_FILE
    return SourceCatalogue.model_validate(load_yaml_file(path))


@while_unchanged(lambda: [SOURCES_FILE])
def catalogue() -> SourceCatalogue:
    """The project's source catalogue (kept while expectations/sources.yml is unchanged)."""
    return load_catalogue()
