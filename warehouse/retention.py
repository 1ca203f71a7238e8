"""How long a file refused for holding personal data is kept in quarantine, and the purge by age.

A file refused because it holds personal data (a column named like one, rule ``pii_column``, or free
text holding an NHS number or an e-mail address, rule ``pii_value``) is kept only as long as it takes
to tell the sender and have it re-sent: ``CSP_PERSONAL_DATA_RETENTION_DAYS`` days (default 30) from
the moment it was refused. Its report (``.errors.json``) says when it will be deleted, so does the
data-quality page; ``csp quarantine purge`` deletes it, with both reports, once that time has passed.
Files refused for other reasons hold no personal data and are kept as the record of what was sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

__all__ = ["DEFAULT_RETENTION_DAYS", "PERSONAL_DATA_RULES", "PurgeItem", "configured_retention_days",
           "delete_after", "holds_personal_data", "purge_quarantine"]

DEFAULT_RETENTION_DAYS = 30
PERSONAL_DATA_RULES = frozenset({"pii_column", "pii_value"})
_ENV = "CSP_PERSONAL_DATA_RETENTION_DAYS"


def configured_retention_days() -> int:
    """CSP_PERSONAL_DATA_RETENTION_DAYS, else 30; a value that is not a whole number of days >= 0 is an error."""
    raw = os.environ.get(_ENV, "").strip()
    if not raw:
        return DEFAULT_RETENTION_DAYS
    if not raw.isdigit():
        raise ValueError(f"{_ENV} '{raw}' is not a whole number of days (e.g. 30)")
    return int(raw)


def holds_personal_data(rules: Iterable[str]) -> bool:
    return any(rule in PERSONAL_DATA_RULES for rule in rules)


def delete_after(refused_at: datetime, days: int) -> datetime:
    return refused_at + timedelta(days=days)


@dataclass(frozen=True)
class PurgeItem:
    kept_file: Path
    refused_at: datetime
    files: tuple[Path, ...]  # the kept file and its reports, those that exist


def _refused_at(report: Path, data: dict) -> datetime:
    stamp = data.get("refused_at")
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp)
        except ValueError:
            pass
    return datetime.fromtimestamp(report.stat().st_mtime)


def purge_quarantine(quarantine: Path, older_than_days: int, now: datetime | None = None,
                     dry_run: bool = False) -> list[PurgeItem]:
    """Delete every quarantined file refused for personal data more than older_than_days ago, with its reports.

    Reads each ``*.errors.json`` under the quarantine folder; returns what was (or, dry run, would be) deleted.
    """
    now = now or datetime.now()
    out: list[PurgeItem] = []
    if not quarantine.exists():
        return out
    for report in sorted(quarantine.rglob("*.errors.json")):
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not holds_personal_data(str(p.get("rule", "")) for p in data.get("problems", [])):
            continue
        refused_at = _refused_at(report, data)
        if now - refused_at < timedelta(days=older_than_days):
            continue
        kept = report.with_name(report.name[: -len(".errors.json")])
        files = tuple(p for p in (kept, report, kept.with_name(kept.name + ".errors.html")) if p.exists())
        if not dry_run:
            for path in files:
                path.unlink()
        out.append(PurgeItem(kept, refused_at, files))
    return out
