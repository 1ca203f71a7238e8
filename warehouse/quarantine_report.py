"""The report kept next to a refused file: JSON for machines, one self-contained HTML page for people."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from expectations.problems import Verdict

_env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(["html", "j2"]))


def write_reports(verdict: Verdict, kept_file: Path) -> tuple[Path, Path]:
    """Write <file>.errors.json and <file>.errors.html beside the kept file."""
    json_path = kept_file.with_name(kept_file.name + ".errors.json")
    html_path = kept_file.with_name(kept_file.name + ".errors.html")
    data = verdict_json(verdict)
    data["kept_as"] = str(kept_file)
    json_path.write_text(dumps(data), encoding="utf-8")
    html = _env.get_template("quarantine.html.j2").render(v=verdict, checked_at=datetime.now().strftime("%Y-%m-%d %H:%M"))
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
