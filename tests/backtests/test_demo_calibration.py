"""Back-test of the demo inbox against the SMP Strategic Assessment 2018.

Every figure is recomputed straight from the generated files with the csv module and
openpyxl (no pipeline code), so the test checks the files an analyst would receive.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import re
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import yaml

from demo.generator import generate_demo_inbox

ROOT = Path(__file__).resolve().parents[2]
REAL_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "real"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo_calibration")]
# Sources the demo deliberately ships no file for: the 2022 ward lookup (the demo keeps 2019 wards) and the
# stakeholders' priority scores (filled in by the partnership for the annual assessment; csp assess writes the
# blank template, and the pack says the capacity and vulnerability criteria were not scored).
NOT_IN_DEMO = {"reference_lsoa21_ward_lad", "partnership_priority_scores"}
SOURCES = {name: spec for name, spec in yaml.safe_load(
    (ROOT / "expectations" / "sources.yml").read_text(encoding="utf-8"))["sources"].items()
    if name not in NOT_IN_DEMO}


def _months(first: str = "2013-04", last: str = "2018-02") -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


MONTHS = _months()
MONTHLY_NAME = {
    "police_street": "{m}-kent-street.csv",
    "police_da_incidents": "da_incidents_{m}.csv",
    "police_drug_offences": "drug_offences_{m}.csv",
    "police_s136": "s136_{m}.csv",
    "marac_cases": "marac_{m}.xlsx",
    "health_ae": "ae_attendances_{m}.csv",
    "health_admissions": "admissions_{m}.csv",
    "health_mh_referrals": "mh_referrals_{m}.csv",
    "cgl_treatment": "cgl_treatment_{m}.xlsx",
    "cgl_needle_exchange": "needle_exchange_{m}.csv",
    "council_needle_finds": "needle_finds_{m}.csv",
}
REAL_COPIES = {
    "reference_lsoa11_ward_lad": "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv",
    "reference_ward_lad": "jtrim_csv_056_WD19_LAD19_UK_LU.csv",
    "reference_lad": "drkane_la_all_codes.csv",
    "reference_lsoa21_boundaries": "drkane_boundaries_lsoa_E07000110.geojson",
    "reference_lsoa11_boundaries": "drkane_boundaries_lsoa11_E07000110.geojson",
}
W1, W2 = ("2015-11", "2016-10"), ("2016-11", "2017-10")


def headers(source: str) -> list[str]:
    return [c["header"] for c in SOURCES[source]["columns"]]


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_xlsx(path: Path, header_row: int) -> tuple[list[list], list[dict]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    raw = [list(r) for r in ws.iter_rows(values_only=True)]
    wb.close()
    head = raw[header_row - 1]
    body = [dict(zip(head, r)) for r in raw[header_row:] if any(v is not None for v in r)]
    return raw, body


@functools.cache
def monthly(inbox: Path, source: str) -> dict[str, list[dict]]:
    out = {}
    for m in MONTHS:
        p = inbox / source / MONTHLY_NAME[source].format(m=m)
        if p.suffix == ".xlsx":
            out[m] = read_xlsx(p, 3 if source == "marac_cases" else 1)[1]
        else:
            out[m] = read_csv(p)
    return out


def in_win(key: str, win: tuple[str, str]) -> bool:
    return win[0] <= key[:7] <= win[1]


def all_rows(by_month: dict[str, list[dict]]) -> list[dict]:
    return [r for m in MONTHS for r in by_month[m]]


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    inbox = tmp_path_factory.mktemp("demo_a") / "inbox"
    t0 = time.perf_counter()
    summary = generate_demo_inbox(inbox, REAL_DIR)
    elapsed = time.perf_counter() - t0
    print(f"\ndemo inbox generated in {elapsed:.1f} s")
    return inbox, summary, elapsed


@pytest.fixture(scope="module")
def inbox(generated) -> Path:
    return generated[0]


# --------------------------------------------------------------------------------------
# shape, contract, determinism
# --------------------------------------------------------------------------------------

def test_summary_counts_files_and_rows(generated):
    inbox, summary, _ = generated
    assert summary["faults"] == []
    for source in SOURCES:
        assert source in summary, source
        files = [p for p in (inbox / source).iterdir() if p.is_file()]
        assert summary[source]["files"] == len(files), source
        assert summary[source]["rows"] > 0
    for source in MONTHLY_NAME:
        assert summary[source]["files"] == 59
    assert summary["police_street"]["rows"] == sum(
        len(v) for v in monthly(inbox, "police_street").values())


def _check_value(col: dict, value, where: str) -> None:
    v = "" if value is None else str(value)
    if v == "":
        assert col.get("required", True) is False, f"{where}: empty required value"
        return
    t = col["type"]
    if t == "integer":
        assert re.fullmatch(r"-?\d+", v), f"{where}: {v!r} not an integer"
        num = int(v)
    elif t == "decimal":
        num = float(v)
    elif t == "date":
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", v), f"{where}: {v!r} not a date"
        date.fromisoformat(v)
        num = None
    elif t == "month":
        assert re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v), f"{where}: {v!r} not a month"
        num = None
    elif t == "boolean":
        assert v in ("Y", "N"), f"{where}: {v!r} not Y/N"
        num = None
    else:
        num = None
    if "allowed" in col:
        assert v in [str(a) for a in col["allowed"]], f"{where}: {v!r} not allowed"
    if "pattern" in col:
        assert re.fullmatch(col["pattern"], v), f"{where}: {v!r} does not match"
    if num is not None and "min" in col:
        assert num >= col["min"], f"{where}: {v} < min"
    if num is not None and "max" in col:
        assert num <= col["max"], f"{where}: {v} > max"


def test_every_file_matches_its_contract(inbox):
    for source, spec in SOURCES.items():
        folder = inbox / source
        files = sorted(p for p in folder.iterdir() if p.is_file())
        assert files, source
        cols = spec["columns"]
        head = [c["header"] for c in cols]
        for p in files:
            assert Path(p.name).match(spec["file_pattern"]), p
            if p.suffix == ".csv":
                data = p.read_bytes()
                assert not data.startswith(b"\xef\xbb\xbf") and b"\r\n" not in data, p
                with open(p, newline="", encoding="utf-8") as f:
                    rd = csv.reader(f)
                    assert next(rd) == head, p
                    if source.startswith("reference_lsoa11_ward") or source in (
                            "reference_ward_lad", "reference_lad"):
                        continue  # real ONS files, copied unchanged
                    for i, row in enumerate(rd, start=2):
                        assert len(row) == len(head), f"{p.name}:{i}"
                        for col, v in zip(cols, row):
                            _check_value(col, v, f"{p.name}:{i}:{col['header']}")
            elif p.suffix == ".xlsx":
                hr = 3 if source in ("marac_cases", "action_progress") else 1  # both open with a title
                raw, body = read_xlsx(p, hr)
                assert list(raw[hr - 1]) == head, p
                for i, row in enumerate(body, start=hr + 1):
                    for col in cols:
                        _check_value(col, row[col["header"]], f"{p.name}:{i}:{col['header']}")


def test_reference_files_are_byte_copies(inbox):
    for source, name in REAL_COPIES.items():
        assert (inbox / source / name).read_bytes() == (REAL_DIR / "ons" / name).read_bytes()


def test_monthly_rows_stay_in_their_month(inbox):
    period_col = {"police_street": "Month", "police_da_incidents": "Incident Date",
                  "police_drug_offences": "Offence Date", "police_s136": "Detention Date",
                  "marac_cases": "Meeting Date", "health_ae": "Attendance Date",
                  "health_admissions": "Month", "health_mh_referrals": "Month",
                  "cgl_treatment": "Month", "cgl_needle_exchange": "Month",
                  "council_needle_finds": "Find Date"}
    for source, col in period_col.items():
        for m, rows in monthly(inbox, source).items():
            assert all(str(r[col])[:7] == m for r in rows), (source, m)


def test_references_are_unique_across_files(inbox):
    for source, col in [("police_da_incidents", "Incident Reference"),
                        ("police_drug_offences", "Crime Reference"),
                        ("police_s136", "Detention Reference"), ("marac_cases", "Case Reference"),
                        ("health_ae", "Attendance Ref"),
                        ("council_needle_finds", "Find Reference")]:
        refs = [r[col] for r in all_rows(monthly(inbox, source))]
        assert len(refs) == len(set(refs)), source
    ids = [r["Crime ID"] for r in all_rows(monthly(inbox, "police_street")) if r["Crime ID"]]
    assert len(ids) == len(set(ids))


def test_determinism(generated, tmp_path):
    inbox = generated[0]
    again = tmp_path / "inbox"
    generate_demo_inbox(again, REAL_DIR)
    assert tree_hashes(again) == tree_hashes(inbox)


def test_faults_only_with_flag_and_good_files_unchanged(generated, tmp_path):
    inbox, summary, _ = generated
    faulty = tmp_path / "inbox"
    res = generate_demo_inbox(faulty, REAL_DIR, with_faults=True)
    faults = res["faults"]
    assert 6 <= len(faults) <= 8
    good, bad = tree_hashes(inbox), tree_hashes(faulty)
    fault_files = {f["file"] for f in faults}
    assert set(bad) - set(good) == fault_files
    assert all(bad[k] == v for k, v in good.items())  # no good file overwritten or changed
    assert not fault_files & set(good)
    for f in faults:
        assert f["file"].split("/")[0] == f["source"] and f["rule"]
        assert Path(f["file"]).match(SOURCES[f["source"]]["file_pattern"]), f
    by_source = {f["source"]: faulty / f["file"] for f in faults}
    assert "very high" in by_source["police_da_incidents"].read_text(encoding="utf-8")
    assert any(int(r["Admissions"]) < 0 for r in read_csv(by_source["health_admissions"]))
    refs = [r["Case Reference"] for r in read_xlsx(by_source["marac_cases"], 3)[1]]
    assert len(refs) != len(set(refs))
    assert any(r["Safe Night"] == "7" for r in read_csv(by_source["survey_responses"]))
    street = read_csv(by_source["police_street"])
    assert by_source["police_street"].name.startswith("2018-02") and {
        r["Month"] for r in street} == {"2018-01"}
    raw = by_source["council_needle_finds"].read_bytes()
    assert "café".encode("cp1252") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    with open(by_source["police_s136"], newline="", encoding="utf-8") as f:
        assert "Patient Name" in next(csv.reader(f))
    # calibration holds on the good files of the faulty inbox too (they are identical)
    assert res["police_da_incidents"] == summary["police_da_incidents"]


# --------------------------------------------------------------------------------------
# police
# --------------------------------------------------------------------------------------

def test_police_street_calibration_and_format(inbox):
    by_month = monthly(inbox, "police_street")
    rows = all_rows(by_month)
    cnt = Counter()
    for r in rows:
        for i, w in enumerate((W1, W2)):
            if in_win(r["Month"], w):
                cnt[(r["Crime type"], i)] += 1
    assert cnt[("Anti-social behaviour", 0)] == 3697
    assert cnt[("Anti-social behaviour", 1)] == 3243
    assert cnt[("Drugs", 0)] == 345
    assert cnt[("Drugs", 1)] == 342
    assert cnt[("Violence and sexual offences", 0)] == 3390
    assert cnt[("Violence and sexual offences", 1)] == 4833
    assert {r["Crime type"] for r in rows} == set(SOURCES["police_street"]["columns"][9]["allowed"])
    # step up in violence from April 2017 (individual offence recording)
    vso = Counter(r["Month"] for r in rows if r["Crime type"] == "Violence and sexual offences")
    before = [vso[m] for m in _months("2016-04", "2017-03")]
    after = [vso[m] for m in _months("2017-04", "2018-02")]
    assert max(before) < 360 and min(after) > 400
    lsoa = set()
    n_noloc = 0
    for m, rs in by_month.items():
        assert 1000 <= len(rs) <= 1500, (m, len(rs))
        names = [r["LSOA name"] for r in rs]
        located = [n for n in names if n]
        assert located == sorted(located) and names[:len(located)] == located  # no-location last
        noloc = [r for r in rs if not r["LSOA code"]]
        assert all(r["Location"] == "No Location" and not r["Longitude"] for r in noloc)
        n_noloc += len(noloc)
        for r in rs:
            assert r["Reported by"] == r["Falls within"] == "Kent Police"
            assert r["Context"] == ""
            if r["Crime type"] == "Anti-social behaviour":
                assert r["Crime ID"] == "" and r["Last outcome category"] == ""
            else:
                assert re.fullmatch(r"[0-9a-f]{64}", r["Crime ID"]) and r["Last outcome category"]
            if r["LSOA code"]:
                assert r["Location"].startswith("On or near ")
                assert r["LSOA name"].startswith("Maidstone ")
                lsoa.add(r["LSOA code"])
    assert len(lsoa) == 95
    assert 0.005 < n_noloc / len(rows) < 0.02  # police.uk: about 1% of rows have no location


def test_drug_offences_agree_with_police_uk(inbox):
    street = monthly(inbox, "police_street")
    drugs = monthly(inbox, "police_drug_offences")
    for m in MONTHS:
        assert len(drugs[m]) == sum(r["Crime type"] == "Drugs" for r in street[m]), m
    grp = Counter()
    for r in all_rows(drugs):
        for i, w in enumerate((W1, W2)):
            if in_win(r["Offence Date"], w):
                grp[(r["Offence Group"], i)] += 1
    assert grp[("possession", 0)] == 288 and grp[("trafficking", 0)] == 57
    assert grp[("possession", 1)] == 251 and grp[("trafficking", 1)] == 91


def _repeat_flags(rows: list[dict]) -> list[bool]:
    """Repeat = same victim had another DA incident 1-365 days earlier."""
    hist = defaultdict(list)
    for r in rows:
        hist[r["Victim ID"]].append(date.fromisoformat(r["Incident Date"]))
    flags = []
    for r in rows:
        d = date.fromisoformat(r["Incident Date"])
        flags.append(any(1 <= (d - e).days <= 365 for e in hist[r["Victim ID"]]))
    return flags


def test_domestic_abuse_incidents(inbox):
    rows = all_rows(monthly(inbox, "police_da_incidents"))
    flags = _repeat_flags(rows)
    for w, total, repeats, pct in ((W1, 2683, 708, 26.4), (W2, 3096, 796, 25.7)):
        sel = [f for r, f in zip(rows, flags) if in_win(r["Incident Date"], w)]
        assert len(sel) == total
        assert sum(sel) == repeats
        assert round(100 * sum(sel) / total, 1) == pct
    # no victim has two incidents on one day
    assert len({(r["Victim ID"], r["Incident Date"]) for r in rows}) == len(rows)
    assert all(re.fullmatch(r"P\d{7}", r["Victim ID"]) for r in rows)
    n = len(rows)
    nfa = sum(r["Outcome"] == "victim_does_not_support_nfa" for r in rows) / n
    high = sum(r["DASH Risk"] == "high" for r in rows) / n
    bme = sum(r["Victim Ethnicity"] in ("mixed", "asian", "black", "other") for r in rows) / n
    assert 0.30 <= nfa <= 0.40 and 0.07 <= high <= 0.13 and 0.08 <= bme <= 0.12
    assert sum(flags) / n > 0.2  # repeat victims throughout, not only in the windows


def test_marac_cases(inbox):
    raw, _ = read_xlsx(inbox / "marac_cases" / "marac_2016-10.xlsx", 3)
    assert raw[0][0] == "Maidstone MARAC - cases heard - October 2016"
    assert all(v is None for v in raw[1])
    assert list(raw[2]) == headers("marac_cases")
    wb = openpyxl.load_workbook(inbox / "marac_cases" / "marac_2016-10.xlsx", read_only=True)
    assert wb.sheetnames == ["Cases"]
    wb.close()
    rows = all_rows(monthly(inbox, "marac_cases"))
    for w, total, reps in ((("2015-10", "2016-09"), 161, 29), (("2016-10", "2017-09"), 177, 58)):
        sel = [r for r in rows if in_win(r["Meeting Date"], w)]
        assert len(sel) == total
        assert sum(r["Repeat"] == "Y" for r in sel) == reps
    # Repeat flag consistent with the data once a year of history exists
    seen = defaultdict(list)
    for r in rows:
        d = date.fromisoformat(r["Meeting Date"])
        had = any(1 <= (d - e).days <= 365 for e in seen[r["Victim ID"]])
        if d >= date(2014, 4, 1):
            assert had == (r["Repeat"] == "Y"), r
        seen[r["Victim ID"]].append(d)
    assert all(re.fullmatch(r"P\d{7}", r["Victim ID"]) for r in rows)
    da_keys = {r["Victim ID"] for r in all_rows(monthly(inbox, "police_da_incidents"))}
    linked = sum(r["Victim ID"] in da_keys for r in rows) / len(rows)
    assert linked > 0.95


def test_s136_financial_years(inbox):
    rows = all_rows(monthly(inbox, "police_s136"))
    for w, total in ((("2013-04", "2014-03"), 52), (("2016-04", "2017-03"), 72),
                     (("2017-04", "2018-02"), 67)):
        assert sum(in_win(r["Detention Date"], w) for r in rows) == total


# --------------------------------------------------------------------------------------
# health, CGL
# --------------------------------------------------------------------------------------

def test_hospital_admissions(inbox):
    by_month = monthly(inbox, "health_admissions")
    for rs in by_month.values():
        assert len(rs) == 2 * 8 * 2
        assert len({(r["Condition"], r["Age Band"], r["Sex"]) for r in rs}) == 32
    rows = all_rows(by_month)

    def total(cond, w):
        return sum(int(r["Admissions"]) for r in rows
                   if r["Condition"] == cond and in_win(r["Month"], w))
    assert total("psychoactive_substances", ("2015-09", "2016-08")) == 504
    assert total("psychoactive_substances", ("2016-09", "2017-08")) == 583
    a1 = total("alcohol_related", ("2015-04", "2016-03"))
    a2 = total("alcohol_related", ("2016-04", "2017-03"))
    assert 100 * a2 == 112 * a1


def test_mental_health_referrals(inbox):
    rows = all_rows(monthly(inbox, "health_mh_referrals"))

    def total(group, w):
        return sum(int(r["Referrals"]) for r in rows
                   if r["Age Group"] == group and in_win(r["Month"], w))
    fy15, fy16 = ("2015-04", "2016-03"), ("2016-04", "2017-03")
    assert total("young_adults", fy16) == 1232 and total("young_adults", fy15) == 1383
    assert total("older_adults", fy16) == 756 and total("older_adults", fy15) == 698


def test_cgl_calendar_2017_vs_2016(inbox):
    nx = all_rows(monthly(inbox, "cgl_needle_exchange"))
    t16 = sum(int(r["Transactions"]) for r in nx if r["Month"].startswith("2016"))
    t17 = sum(int(r["Transactions"]) for r in nx if r["Month"].startswith("2017"))
    assert 100 * t17 == 113 * t16
    assert len({r["Site ID"] for r in nx}) >= 10
    tr = all_rows(monthly(inbox, "cgl_treatment"))
    c16 = sum(int(r["Clients in Treatment"]) for r in tr if r["Month"].startswith("2016"))
    c17 = sum(int(r["Clients in Treatment"]) for r in tr if r["Month"].startswith("2017"))
    assert 100 * c17 == 129 * c16
    n16 = sum(int(r["New Presentations"]) for r in tr if r["Month"].startswith("2016"))
    n17 = sum(int(r["New Presentations"]) for r in tr if r["Month"].startswith("2017"))
    assert n17 < n16
    for r in tr:
        assert int(r["Successful Completions"]) <= int(r["Exits"])
        assert int(r["Outreach Engaged"]) <= int(r["Outreach Referrals"])


# --------------------------------------------------------------------------------------
# population and survey
# --------------------------------------------------------------------------------------

def test_population(inbox):
    ward_codes = {r["WD19CD"] for r in read_csv(
        inbox / "reference_ward_lad" / REAL_COPIES["reference_ward_lad"])
        if r["LAD19CD"] == "E07000110"}
    assert len(ward_codes) == 26
    for year in range(2013, 2026):
        rows = read_csv(inbox / "reference_population" / f"population_{year}_synthetic.csv")
        districts = {r["Area Code"] for r in rows if r["Area Type"] == "district"}
        assert len(districts) == 13 and "E07000110" in districts and "E06000035" in districts
        assert {r["Area Code"] for r in rows if r["Area Type"] == "ward"} == ward_codes
        dist = {(r["Age Band"], r["Sex"]): int(r["Population"]) for r in rows
                if r["Area Code"] == "E07000110"}
        wards = Counter()
        for r in rows:
            if r["Area Type"] == "ward":
                wards[(r["Age Band"], r["Sex"])] += int(r["Population"])
        assert dict(wards) == dist and len(dist) == 16
        if year == 2016:
            assert 165_000 <= sum(dist.values()) <= 167_000
        if year == 2021:
            assert sum(dist.values()) == 175_800


def _survey(inbox: Path, wave: int) -> list[dict]:
    return read_csv(inbox / "survey_responses" / f"resident_survey_{wave}.csv")


def _pop_shares(inbox: Path, year: int) -> dict[tuple[str, str], float]:
    rows = read_csv(inbox / "reference_population" / f"population_{year}_synthetic.csv")
    pop = {(r["Age Band"], r["Sex"]): int(r["Population"]) for r in rows
           if r["Area Code"] == "E07000110" and r["Age Band"] != "0-15"}
    tot = sum(pop.values())
    return {k: v / tot for k, v in pop.items()}


def _weighted(rows, weights, col, codes, sex=None) -> float:
    num = den = 0.0
    for r, w in zip(rows, weights):
        if r[col] == "" or (sex and r["Gender"] != sex):
            continue
        den += w
        num += w * (int(r[col]) in codes)
    return 100 * num / den


def _poststratify(rows, shares):
    cells = Counter((r["Age Band"], r["Gender"]) for r in rows)
    n = len(rows)
    return [shares[(r["Age Band"], r["Gender"])] / (cells[(r["Age Band"], r["Gender"])] / n)
            for r in rows]


def test_survey_2017_weighted_results(inbox):
    allrows = _survey(inbox, 2017)
    assert len(allrows) == 2350
    assert [r["Respondent ID"] for r in allrows] == [f"R{i:05d}" for i in range(1, 2351)]
    both = [r for r in allrows if r["Age Band"] and r["Gender"]]
    assert len(both) == 2008
    shares = _pop_shares(inbox, 2016)
    w = _poststratify(both, shares)
    checks = [
        ("Safe Home", {1, 2}, None, 93.0), ("Safe Day", {1, 2}, None, 94.0),
        ("Safe Day", {1}, None, 53.0), ("Safe Night", {1, 2}, None, 59.8),
        ("Safe Night", {4, 5}, None, 21.5), ("Safe Night", {1, 2}, "male", 68.6),
        ("Safe Night", {1, 2}, "female", 51.1), ("Worry Burglary", {1, 2}, None, 45.8),
        ("Worry Assault", {1, 2}, None, 29.2), ("Worry Car Theft", {1, 2}, None, 33.4),
        ("Worry Fraud", {1, 2}, None, 56.4), ("Worry Pestered", {1, 2}, None, 38.0),
    ]
    for col, codes, sex, target in checks:
        got = _weighted(both, w, col, codes, sex)
        assert abs(got - target) <= 0.5, (col, codes, sex, got, target)
    men = _weighted(both, w, "Safe Night", {1, 2}, "male")
    women = _weighted(both, w, "Safe Night", {1, 2}, "female")
    assert abs((men - women) - 17.5) <= 0.5
    # weighting matters: the unweighted night-safety share is at least a point away
    unweighted = _weighted(both, [1.0] * len(both), "Safe Night", {1, 2})
    assert abs(unweighted - _weighted(both, w, "Safe Night", {1, 2})) >= 1.0
    # realistic profile and some item non-response
    n = len(allrows)
    white = sum(r["Ethnic Group"] == "white" for r in allrows) / sum(
        r["Ethnic Group"] != "" for r in allrows)
    dis = sum(r["Disability"] == "Y" for r in allrows) / sum(r["Disability"] != "" for r in allrows)
    assert 0.92 <= white <= 0.96 and 0.14 <= dis <= 0.24
    for col in ("Safe Night", "Worry Car Theft", "Tenure"):
        assert 0 < sum(r[col] == "" for r in allrows) < 0.1 * n
    assert {r["Ward Code"] for r in allrows if r["Ward Code"]} <= {
        r["WD19CD"] for r in read_csv(inbox / "reference_ward_lad" / REAL_COPIES[
            "reference_ward_lad"]) if r["LAD19CD"] == "E07000110"}


def test_survey_2015_is_an_earlier_different_wave(inbox):
    rows = _survey(inbox, 2015)
    assert 2000 <= len(rows) <= 2200 and {r["Wave"] for r in rows} == {"2015"}
    both = [r for r in rows if r["Age Band"] and r["Gender"]]
    w = _poststratify(both, _pop_shares(inbox, 2014))
    assert abs(_weighted(both, w, "Safe Night", {1, 2}) - 63.0) <= 0.5
