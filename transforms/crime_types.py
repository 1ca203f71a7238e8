"""Police.uk crime types and the Home Office split (victim-based / other crimes against society), as data.

The mapping is `transforms/crime_types.yml`; `victim_split` sums a crime-by-type table into the two
groups and names every type it could not place (never guessed).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from expectations.yaml_files import load_yaml_file, while_unchanged

CRIME_TYPES_PATH = Path(__file__).resolve().parent / "crime_types.yml"

Group = Literal["victim_based", "non_victim_based", "not_crime"]


class CrimeTypeMap(BaseModel):
    """The mapping file: group labels and the group of each police.uk crime type."""

    model_config = ConfigDict(extra="forbid")
    groups: dict[Group, str]
    crime_types: dict[str, Group]


def load_crime_type_map(path: Path) -> CrimeTypeMap:
    """The typed mapping of a file (unknown keys or groups fail loudly, naming the file)."""
    try:
        return CrimeTypeMap.model_validate(load_yaml_file(path))
    except ValueError as error:
        raise ValueError(f"{path.name}: {error}") from error


@while_unchanged(lambda: [CRIME_TYPES_PATH])
def crime_type_map() -> CrimeTypeMap:
    """The project's mapping, read again as soon as crime_types.yml changes (never stale in a long-lived worker)."""
    return load_crime_type_map(CRIME_TYPES_PATH)


def victim_split(counts: Mapping[str, int], mapping: CrimeTypeMap | None = None) -> dict[str, object]:
    """Victim-based and non-victim-based totals of a {crime type: count} table, and the unmapped types.

    ASB ('not_crime') is left out of both; a type the mapping does not list is returned under
    `unmapped` with its count and is in neither total.
    """
    mapping = mapping or crime_type_map()
    totals = {"victim_based": 0, "non_victim_based": 0}
    unmapped: dict[str, int] = {}
    for crime_type, count in counts.items():
        group = mapping.crime_types.get(crime_type)
        if group is None:
            unmapped[crime_type] = int(count)
        elif group in totals:
            totals[group] += int(count)
    return {**totals, "unmapped": unmapped}
