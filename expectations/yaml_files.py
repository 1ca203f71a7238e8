"""YAML declaration files (sources, indicators, plans): parsed quickly, and once per process while unchanged.

A long-lived process (a Prefect worker, `csp serve`, a test session) asks for the source catalogue
and the indicator definitions many times; `WhileUnchanged` keeps a result while the files it was
read from are unchanged and reads them again as soon as one changed, so a definition is never
stale. A file is known unchanged by its stat (device, inode, size, mtime_ns), which a write always
changes - except a second write within the file system's timestamp granularity of the first: a
file modified less than RACY_NS ago is never trusted (git's "racily clean" rule), its result is
recomputed until the file has been quiet that long.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

T = TypeVar("T")

RACY_NS = 2_000_000_000  # far above any file system's mtime granularity
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the same values, ~10x faster


def load_yaml_file(path: Path) -> Any:
    """yaml.safe_load of a file, with libyaml when installed; a file libyaml refuses is parsed again by the
    pure-Python loader, so a syntax error reads as it always did (file name, line, the marked text)."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)
    except yaml.YAMLError:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)


def files_key(paths: Iterable[Path]) -> tuple | None:
    """What the files are now, by stat; None when one was modified too recently to be told apart by its stat."""
    key: list[tuple] = []
    newest_trusted = time.time_ns() - RACY_NS
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            key.append((str(path), None))
            continue
        if stat.st_mtime_ns > newest_trusted:
            return None
        key.append((str(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(key)


class WhileUnchanged(Generic[T]):
    """A no-argument loader whose result is kept while the files `files()` names are unchanged."""

    def __init__(self, load: Callable[[], T], files: Callable[[], list[Path]]):
        self._load = load
        self._files = files
        self._kept: tuple[tuple, T] | None = None
        self.__doc__ = load.__doc__
        self.__name__ = getattr(load, "__name__", "loader")

    def __call__(self) -> T:
        key = files_key(self._files())
        kept = self._kept
        if key is not None and kept is not None and kept[0] == key:
            return kept[1]
        value = self._load()
        self._kept = None if key is None else (key, value)
        return value

    def cache_clear(self) -> None:
        """Forget the kept result (the next call reads the files again)."""
        self._kept = None


def while_unchanged(files: Callable[[], list[Path]]) -> Callable[[Callable[[], T]], WhileUnchanged[T]]:
    """Decorator form of WhileUnchanged: `files` is called on every call, so patched paths are honoured."""
    def wrap(load: Callable[[], T]) -> WhileUnchanged[T]:
        return WhileUnchanged(load, files)
    return wrap
