"""Declaration files are parsed once per process while unchanged, and read again as soon as they change."""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path

import pytest
import yaml

from expectations.yaml_files import WhileUnchanged, load_yaml_file
from transforms import crime_types, definitions

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOUR_NS = 3600 * 10**9


def _write(path: Path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def _aged_copy(source: Path, folder: Path) -> tuple[Path, int]:
    """A copy of a declaration file, last modified an hour ago (so its stat is trusted); the copy and that mtime."""
    copy = folder / source.name
    shutil.copyfile(source, copy)
    an_hour_ago = time.time_ns() - HOUR_NS
    os.utime(copy, ns=(an_hour_ago, an_hour_ago))
    return copy, an_hour_ago


def _edit_keeping_size(path: Path, old: str, new: str, mtime_ns: int) -> None:
    """Replace `old` once by `new` padded to its length: only the stat's mtime can tell the file changed."""
    text = path.read_text(encoding="utf-8")
    assert old in text and len(new) <= len(old)
    _write(path, text.replace(old, new.ljust(len(old)), 1), mtime_ns)


def _counting(path: Path):
    reads: list[str] = []

    def load() -> str:
        reads.append(path.read_text(encoding="utf-8"))
        return reads[-1]
    return WhileUnchanged(load, lambda: [path]), reads


def test_an_unchanged_file_is_read_once_and_a_changed_one_again(tmp_path):
    path = tmp_path / "a.yml"
    an_hour_ago = time.time_ns() - HOUR_NS
    _write(path, "value: 1\n", an_hour_ago)
    loader, reads = _counting(path)
    first = loader()
    assert loader() is first and reads == ["value: 1\n"]
    # same size, written later (as any write is): read again
    _write(path, "value: 2\n", an_hour_ago + 10**9)
    assert loader() == "value: 2\n" and len(reads) == 2
    assert loader() == "value: 2\n" and len(reads) == 2
    loader.cache_clear()
    assert loader() == "value: 2\n" and len(reads) == 3


def test_a_file_rewritten_within_one_timestamp_tick_is_never_served_stale(tmp_path):
    """Same size and the very same mtime_ns (a second write inside the file system's granularity): the stat
    cannot tell, so a file modified in the last RACY_NS is read on every call."""
    path = tmp_path / "a.yml"
    now = time.time_ns()
    _write(path, "value: 1\n", now)
    loader, reads = _counting(path)
    assert loader() == "value: 1\n"
    _write(path, "value: 2\n", now)
    assert loader() == "value: 2\n"
    assert len(reads) == 2


def test_a_file_added_to_or_removed_from_the_folder_is_seen(tmp_path):
    an_hour_ago = time.time_ns() - HOUR_NS
    _write(tmp_path / "a.yml", "a: 1\n", an_hour_ago)
    loader = WhileUnchanged(lambda: sorted(p.name for p in tmp_path.glob("*.yml")), lambda: sorted(tmp_path.glob("*.yml")))
    assert loader() == ["a.yml"]
    _write(tmp_path / "b.yml", "b: 1\n", an_hour_ago)
    assert loader() == ["a.yml", "b.yml"]
    (tmp_path / "a.yml").unlink()
    assert loader() == ["b.yml"]


def test_project_definitions_follow_a_changed_recording_changes_file(tmp_path, monkeypatch):
    changes, an_hour_ago = _aged_copy(definitions.RECORDING_CHANGES_FILE, tmp_path)
    monkeypatch.setattr(definitions, "RECORDING_CHANGES_FILE", changes)
    try:
        first = definitions.project_definitions()
        assert first[1]["kent_individual_offence_recording"].date == date(2017, 4, 1)
        assert definitions.project_definitions() is first  # unchanged: kept, not parsed again
        _edit_keeping_size(changes, "date: 2017-04-01", "date: 2014-01-01", an_hour_ago + 10**9)
        assert definitions.project_definitions()[1]["kent_individual_offence_recording"].date == date(2014, 1, 1)
    finally:
        monkeypatch.undo()
        definitions.project_definitions.cache_clear()
    assert definitions.project_definitions()[1]["kent_individual_offence_recording"].date == date(2017, 4, 1)


@pytest.mark.parametrize("path", sorted(p.relative_to(PROJECT_ROOT) for folder in ("expectations", "transforms", "plans")
                                        for p in (PROJECT_ROOT / folder).rglob("*.yml")), ids=str)
def test_the_fast_loader_reads_every_declaration_as_safe_load_does(path):
    with open(PROJECT_ROOT / path, encoding="utf-8") as handle:
        expected = yaml.safe_load(handle)
    loaded = load_yaml_file(PROJECT_ROOT / path)
    assert loaded == expected and repr(loaded) == repr(expected)  # same values and types (dates stay dates)


def test_a_syntax_error_reads_as_safe_load_reports_it(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("id: a\ntitle: [unclosed\nsources: x\n", encoding="utf-8")
    with open(path, encoding="utf-8") as handle, pytest.raises(yaml.YAMLError) as expected:
        yaml.safe_load(handle)
    with pytest.raises(yaml.YAMLError) as raised:
        load_yaml_file(path)
    assert str(raised.value) == str(expected.value) and str(path) in str(raised.value)


def test_the_crime_type_map_follows_a_changed_mapping_file(tmp_path, monkeypatch):
    """A long-lived worker sees an edited crime_types.yml at once (it used to keep the first read for ever)."""
    mapping_file, an_hour_ago = _aged_copy(crime_types.CRIME_TYPES_PATH, tmp_path)
    monkeypatch.setattr(crime_types, "CRIME_TYPES_PATH", mapping_file)
    try:
        first = crime_types.crime_type_map()
        assert first.crime_types["Drugs"] == "non_victim_based"
        assert crime_types.crime_type_map() is first  # unchanged: kept
        _edit_keeping_size(mapping_file, "Drugs: non_victim_based", "Drugs: victim_based", an_hour_ago + 10**9)
        assert crime_types.crime_type_map().crime_types["Drugs"] == "victim_based"
        assert crime_types.victim_split({"Drugs": 4})["victim_based"] == 4
    finally:
        monkeypatch.undo()
        crime_types.crime_type_map.cache_clear()
    assert crime_types.crime_type_map().crime_types["Drugs"] == "non_victim_based"
