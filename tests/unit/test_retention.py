"""Retention of files refused for personal data (issue 15, item 4): the date in the reports, the purge.

Hand-worked dates: refused 5 March 2018 06:00, kept 30 days -> deleted on 4 April 2018 06:00.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from cli.main import main
from expectations.problems import Issue, Verdict
from reporting.data_quality import deletion_text
from warehouse.quarantine_report import write_reports
from warehouse.retention import configured_retention_days, purge_quarantine

REFUSED = datetime(2018, 3, 5, 6, 0)


def _verdict(name: str, rule: str) -> Verdict:
    return Verdict(path=f"/inbox/{name}", file_name=name, source="police_da_incidents", sha256="0" * 64,
                   size_bytes=10, rows=3, issues=[Issue(rule=rule, message="looks like personal data",
                                                        column="Notes", rows=(4,), count=1)])


def _kept(folder, name: str, rule: str, refused_at: datetime):
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / name
    kept.write_text("Notes\nJane Doe 943 476 5919\n", encoding="utf-8")
    write_reports(_verdict(name, rule), kept, retention_days=30, now=refused_at)
    return kept


def test_reports_of_a_personal_data_refusal_say_when_it_is_deleted(tmp_path):
    kept = _kept(tmp_path, "da.csv", "pii_value", REFUSED)
    data = json.loads((tmp_path / "da.csv.errors.json").read_text(encoding="utf-8"))
    assert data["personal_data"] is True and data["retention_days"] == 30
    assert data["refused_at"] == "2018-03-05T06:00:00" and data["delete_after"] == "2018-04-04T06:00:00"
    html = kept.with_name("da.csv.errors.html").read_text(encoding="utf-8")
    assert "will be deleted on 04 April 2018 at 06:00" in html and "30 days after it was refused" in html


def test_other_refusals_have_no_deletion_date(tmp_path):
    kept = _kept(tmp_path, "bad.csv", "allowed_values", REFUSED)
    data = json.loads((tmp_path / "bad.csv.errors.json").read_text(encoding="utf-8"))
    assert data["personal_data"] is False and data["delete_after"] is None
    assert "will be deleted" not in kept.with_name("bad.csv.errors.html").read_text(encoding="utf-8")


def test_purge_deletes_only_expired_personal_data_files_with_their_reports(tmp_path):
    q = tmp_path / "quarantine" / "police_da_incidents"
    now = datetime(2018, 6, 1, 12, 0)
    old = _kept(q, "old.csv", "pii_column", now - timedelta(days=31))
    young = _kept(q, "young.csv", "pii_value", now - timedelta(days=29))
    other = _kept(q, "other.csv", "allowed_values", now - timedelta(days=300))
    dry = purge_quarantine(tmp_path / "quarantine", 30, now=now, dry_run=True)
    assert [i.kept_file for i in dry] == [old] and old.exists()
    done = purge_quarantine(tmp_path / "quarantine", 30, now=now)
    assert [i.kept_file for i in done] == [old] and len(done[0].files) == 3
    assert sorted(p.name for p in q.iterdir()) == sorted(
        [f"{n}{ext}" for n in ("young.csv", "other.csv") for ext in ("", ".errors.json", ".errors.html")])
    assert young.exists() and other.exists()
    # --older-than 0 takes every personal-data file, never the others
    assert [i.kept_file for i in purge_quarantine(tmp_path / "quarantine", 0, now=now)] == [young]
    assert other.exists()


def test_csp_quarantine_purge_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CSP_DATA", str(tmp_path))
    monkeypatch.delenv("CSP_PERSONAL_DATA_RETENTION_DAYS", raising=False)
    kept = _kept(tmp_path / "quarantine" / "police_da_incidents", "names.csv", "pii_column", REFUSED)
    assert main(["quarantine", "purge", "--dry-run"]) == 0
    assert "would delete" in capsys.readouterr().out and kept.exists()
    assert main(["quarantine", "purge", "--older-than", "100000"]) == 0
    assert kept.exists()
    assert main(["quarantine", "purge"]) == 0  # refused in 2018: far older than the default 30 days
    assert not kept.exists() and not list(kept.parent.iterdir())


def test_retention_setting_and_data_quality_sentence(monkeypatch):
    monkeypatch.delenv("CSP_PERSONAL_DATA_RETENTION_DAYS", raising=False)
    assert configured_retention_days() == 30
    monkeypatch.setenv("CSP_PERSONAL_DATA_RETENTION_DAYS", "7")
    assert configured_retention_days() == 7
    monkeypatch.setenv("CSP_PERSONAL_DATA_RETENTION_DAYS", "a month")
    with pytest.raises(ValueError, match="not a whole number of days"):
        configured_retention_days()
    assert "to be deleted on 04 April 2018 at 06:00" in deletion_text("2018-03-05 06:00:00", ["pii_column"], 30)
    assert "to be deleted on 12 March 2018 at 06:00" in deletion_text("2018-03-05 06:00:00", ["unknown_column", "pii_value"], 7)
    assert deletion_text("2018-03-05 06:00:00", ["allowed_values"], 30) == ""
