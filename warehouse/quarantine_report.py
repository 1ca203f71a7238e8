"""The report kept next to a refused file: JSON for machines, one self-contained HTML page for people."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from expectations.problems import Verdict
from warehouse.retention import configured_retention_days, delete_after, holds_personal_data

_env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(["html", "j2"]))


def write_reports(verdict: Verdict, kept_file: Path, retention_days: int | None = None,
                  now: datetime | None = None) -> tuple[Path, Path]:
    """Write <file>.errors.json and <file>.errors.html beside the kept file.

    A file refused for personal data (warehouse.retention) gets the date it will be deleted in both.
    """
    now = now or datetime.now()
    days = configured_retention_days() if retention_days is None else retention_days
    json_path = kept_file.with_name(kept_file.name + ".errors.json")
    html_path = kept_file.with_name(kept_file.name + ".errors.html")
    data = verdict_json(verdict)
    data["kept_as"] = str(kept_file)
    data["refused_at"] = now.isoformat(timespec="seconds")
    personal = holds_personal_data(issue.rule for issue in verdict.issues)
    data["personal_data"] = personal
    deletion = delete_after(now, days) if personal else None
    data["retention_days"] = days if personal else None
    data["delete_after"] = deletion.isoformat(timespec="seconds") if deletion else None
    json_path.write_text(dumps(data), encoding="utf-8")
    html = _env.get_template("quarantine.html.j2").render(
        v=verdict, checked_at=now.strftime("%Y-%m-%d %H:%M"), retention_days=days,
        delete_after=deletion.strftime("%d %B %Y at %H:%M") if deletion else None)
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path


def verdict_json(verdict: Verdict) -> dict:
    return {
        "file": verdict.file_name,
        "path": verdict.path,
        "source": verdict.source,
        "sha256": verdict.sha256,
        "size_bytes": verdict.size_bytes,
        "rows": verdict.rows,
        "rules_checked": verdict.rules_checked,
        "refused": not verdict.passed,
        "problems": [dict(issue.to_dict(), sentence=issue.sentence(verdict.source, verdict.file_name)) for issue in verdict.issues],
    }


def dumps(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
