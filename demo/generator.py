"""Deterministic demo inbox for the Safer Maidstone Partnership (as on 5 March 2018).

``generate_demo_inbox(inbox, real_dir)`` writes the partner extracts a Safer Maidstone
Partnership (SMP) analyst would hold on 5 March 2018 (Maidstone borough, district
E07000110, Kent), one folder per source declared in ``expectations/sources.yml``:
``inbox/<source_name>/<file>``.  Monthly sources cover April 2013 to February 2018
(59 months).  The files follow the contract in ``sources.yml`` exactly (headers and
their order, allowed values, patterns; dates ``YYYY-MM-DD``, months ``YYYY-MM``,
booleans ``Y``/``N``, empty string for a missing optional value).
The headers (and the source order of the summary) are read from the contracts
(``expectations.sources.catalogue()``), not retyped here.

Layout: this module writes the faults and holds the two entry points; ``demo.calibration``
holds the published figures and profiles as data; ``demo.common`` the shared helpers and
the geography; one module per partner family writes its extracts (``demo.police``,
``demo.health``, ``demo.cgl``, ``demo.council``, ``demo.survey``, ``demo.reference``).

What is real and what is synthetic
----------------------------------
* **Real** (copied byte for byte from ``real_dir/ons``): the LSOA 2011 -> ward 2019 ->
  district lookup, the ward -> district lookup, the district code list and the 2011 /
  2021 LSOA boundary GeoJSON files.  LSOA names, ward codes and LSOA centroids used by
  the generator come from those files.  The street names offered for each LSOA (and the
  relative crime volume of each LSOA) were taken from data.police.uk Kent street-level
  files for 2022 (Open Government Licence v3.0) and are embedded below.
* **Synthetic**: every partner extract (police, MARAC, health, CGL, council, survey)
  and the population files.  **The population_YYYY.csv files are synthetic demo values,
  not ONS mid-year estimates** (no ONS estimate for Maidstone exists in the repository):
  district totals are Census-2021-scale rounded totals scaled back / forward by a
  constant growth rate (0.7 %/yr for every district except Maidstone, which grows
  ~1.15 %/yr so that mid-2016 is ~166,000), split by a plausible but invented age x sex
  structure; ward rows split each district age x sex cell over the 26 Maidstone 2019
  wards (in proportion to their number of best-fit 2011 LSOAs, plus 0.6 so that small
  single-LSOA wards are not too small, and a ward age profile) so that
  wards sum exactly to the district for every age band and sex.

Calibration
-----------
The synthetic extracts are calibrated so that the figures published in the SMP
Strategic Assessment 2018 hold *exactly* in the files (windows are inclusive month
ranges by each row's month or date): DA incidents and repeat-victim counts
(Nov-Oct years), MARAC cases and repeats (Oct-Sep years), ASB, Drugs and Violence and
sexual offences on police.uk (Nov-Oct years), drug possession / trafficking, s136
detentions (financial years), psychoactive-substance admissions (Sep-Aug years),
alcohol-related admissions (+12 % FY 2016/17 on 2015/16), mental-health referrals
(financial years), CGL needle-exchange transactions (+13 %) and clients in treatment
(+29 %) in calendar 2017 vs 2016, and the 2017 resident survey (weighted by age x sex
to ``population_2016_synthetic.csv`` of this inbox).  Monthly counts inside a calibration window
are drawn as a seasonal, trending expected series with multiplicative noise and then
allocated to the window total by largest remainder, so the total is exact; months
outside the windows are Poisson draws around the same expected series.  Where the
publication gives only a ratio the demo picks totals that make it exact: alcohol-related
(narrow) admissions 850 -> 952 (the Fingertips scale for Maidstone, ~510 per 100,000),
needle-exchange transactions 9,600 -> 10,848, clients-in-treatment month-sums
6,600 -> 8,514, new presentations 552 -> 498.  The survey is calibrated by allocating
answer codes deterministically within each age x sex cell (a tilted 5-point
distribution per cell, then single-answer moves) so that the post-stratified shares hit
the published figures; the sample is deliberately older and more female than the
population, so the unweighted results differ (night safety by about 3 points).

Design choices worth knowing
----------------------------
* police.uk "No Location" rows (about 1 % of rows, empty coordinates and LSOA) are only
  given to crime types that are not calibrated (not ASB, Drugs, Violence and sexual
  offences), so the calibrated counts are the same whether or not a consumer keeps
  rows without an LSOA.
* A DA incident is a *repeat* when the same ``Victim ID`` had another DA incident on a
  strictly earlier date no more than 365 days before.  The generator never gives one
  victim two incidents on the same day, gives repeat incidents a previous incident at
  most 330 days earlier, and re-uses a victim as a non-repeat only after a gap of more
  than 400 days, so the repeat status is robust to small differences in the window
  definition (365/366 days, "12 months").
* MARAC ``Repeat`` is consistent with the data from April 2014 on (``Y`` exactly when the
  victim had a MARAC case 42-330 days before, mostly with a new DA incident since; ``N``
  cases have none in the previous 400 days).  In the first year of the extract (April
  2013 - March 2014) a ``Y`` case may have no earlier case in the files: its previous
  referral predates the extract.
  Every MARAC victim key is a police DA victim key; most are victims with a high DASH
  risk incident in the six weeks before the meeting.
* MARAC and CGL workbooks store dates and months as text (``YYYY-MM-DD`` / ``YYYY-MM``)
  so that they match the contract literally; counts are numeric cells.
* Everything is deterministic: one ``numpy.random.default_rng`` stream per source
  (seeded by ``[seed, source number]``), sorted iteration, no wall-clock timestamps
  (the workbooks carry ``created = 2018-03-05``), CSVs written by the csv module with
  ``\\n`` line endings, UTF-8, no BOM.
* ``with_faults=True`` adds a handful of broken files (named so they never overwrite a
  good file); the good files are byte-identical with or without them.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

from demo.calibration import FAKE_NAMES
from demo.cgl import gen_cgl_treatment, gen_needle_exchange
from demo.common import _Geo, _rng, _Summary, _write_csv, _write_xlsx, headers
from demo.council import gen_needle_finds
from demo.health import gen_admissions, gen_ae, gen_mh
from demo.partnership import gen_action_progress
from demo.police import (
    _DA,
    gen_da_incidents,
    gen_drug_offences,
    gen_marac,
    gen_police_street,
    gen_s136,
)
from demo.reference import copy_reference, gen_population
from demo.survey import gen_survey
from expectations.sources import catalogue

__all__ = ["generate_demo_inbox", "generate_reference_inbox"]


def _write_faults(inbox: Path, seed: int, street_rows, da: _DA, marac_rows, s136_rows,
                  nf_rows, survey_rows) -> list[dict]:
    rng = _rng(seed, "faults")
    faults = []

    def note(source: str, path: Path, rule: str, detail: str) -> None:
        faults.append({"source": source, "file": path.relative_to(inbox).as_posix(),
                       "rule": rule, "detail": detail})

    # 1. DA resend with an unknown DASH risk grading
    da_rows = [list(r) for r in da.month_rows[-1]]
    k = int(rng.integers(0, len(da_rows)))
    da_rows[k][5] = "very high"
    p = inbox / "police_da_incidents" / "da_incidents_2018-02_resend.csv"
    _write_csv(p, headers("police_da_incidents"), da_rows)
    note("police_da_incidents", p, "allowed_values",
         f"row {k + 1}: DASH Risk 'very high' is not one of standard, medium, high")

    # 2. admissions resend with a negative count
    with open(inbox / "health_admissions" / "admissions_2018-02.csv", newline="",
              encoding="utf-8") as f:
        admission_rows = list(csv.reader(f))[1:]
    k = int(rng.integers(0, len(admission_rows)))
    admission_rows[k][4] = "-3"
    p = inbox / "health_admissions" / "admissions_2018-02_resend.csv"
    _write_csv(p, headers("health_admissions"), admission_rows)
    note("health_admissions", p, "min", f"row {k + 1}: Admissions -3 is below the minimum 0")

    # 3. MARAC workbook with a duplicated case reference
    case_rows = [list(r) for r in marac_rows[-1]]
    case_rows[1][0] = case_rows[0][0]
    p = inbox / "marac_cases" / "marac_2018-02_resend.xlsx"
    _write_xlsx(p, "Cases", headers("marac_cases"), case_rows,
                title="Maidstone MARAC - cases heard - February 2018")
    note("marac_cases", p, "unique", f"rows 1 and 2: Case Reference {case_rows[0][0]} appears twice")

    # 4. late survey returns with an out-of-range answer
    late_rows = [list(r) for r in survey_rows[2017][:40]]
    for i, r in enumerate(late_rows):
        r[0] = f"R{2351 + i:05d}"
    k = int(rng.integers(0, len(late_rows)))
    late_rows[k][headers("survey_responses").index("Safe Night")] = 7
    p = inbox / "survey_responses" / "resident_survey_2017_late.csv"
    _write_csv(p, headers("survey_responses"), late_rows)
    note("survey_responses", p, "max", f"row {k + 1}: Safe Night 7 is above the maximum 5")

    # 5. police.uk file whose name claims February 2018 but whose rows are January 2018
    p = inbox / "police_street" / "2018-02-kent-resend-street.csv"
    _write_csv(p, headers("police_street"), street_rows[-2])
    note("police_street", p, "period_mismatch",
         "file name says 2018-02 but every row has Month 2018-01")

    # 6. needle finds saved in Windows-1252 with a 'café' location type
    find_rows = [list(r) for r in nf_rows[-1]] or [["NF999999", "2018-02-14", "E05004996", "street", 2]]
    k = int(rng.integers(0, len(find_rows)))
    find_rows[k][3] = "café"
    p = inbox / "council_needle_finds" / "needle_finds_2018-02_cp1252.csv"
    _write_csv(p, headers("council_needle_finds"), find_rows, encoding="cp1252")
    note("council_needle_finds", p, "encoding",
         f"file is not UTF-8 (cp1252); row {k + 1} Location Type 'café' is also not allowed")

    # 7. s136 extract with a patient-name column (PII)
    named_rows = [list(r) + [FAKE_NAMES[int(rng.integers(0, len(FAKE_NAMES)))]] for r in s136_rows[-1]]
    p = inbox / "police_s136" / "s136_2018-02_resend.csv"
    _write_csv(p, headers("police_s136") + ["Patient Name"], named_rows)
    note("police_s136", p, "pii_column",
         "column 'Patient Name' looks like a person's name (and is not in the contract)")
    return faults


def generate_demo_inbox(inbox: Path, real_dir: Path, with_faults: bool = False,
                        seed: int = 20180305) -> dict:
    """Write the demo inbox (``inbox/<source>/<file>``) and return
    ``{source: {"files": n, "rows": n}, ..., "faults": [...]}``.

    ``rows`` counts data rows (not headers or title rows) of the good files; ``faults``
    lists the deliberately broken files written when ``with_faults`` is true (each with
    source, file relative to the inbox, the rule it breaks and a detail), else ``[]``.
    """
    inbox = Path(inbox)
    real_dir = Path(real_dir)
    inbox.mkdir(parents=True, exist_ok=True)
    summary = _Summary()
    geo = _Geo(real_dir, _rng(seed, "geo"))
    drug_lsoas, street_rows = gen_police_street(inbox, geo, seed, summary)
    gen_drug_offences(inbox, seed, drug_lsoas, summary)
    da = gen_da_incidents(inbox, geo, seed, summary)
    s136_rows = gen_s136(inbox, seed, summary)
    marac_rows = gen_marac(inbox, seed, da, summary)
    gen_ae(inbox, geo, seed, summary)
    gen_admissions(inbox, seed, summary)
    gen_mh(inbox, seed, summary)
    gen_cgl_treatment(inbox, seed, summary)
    gen_needle_exchange(inbox, seed, summary)
    nf_rows = gen_needle_finds(inbox, geo, seed, summary)
    pops = gen_population(inbox, geo, seed, summary)
    survey_rows = gen_survey(inbox, geo, seed, pops, summary)
    gen_action_progress(inbox, summary)
    copy_reference(inbox, real_dir, summary)
    faults = (_write_faults(inbox, seed, street_rows, da, marac_rows, s136_rows, nf_rows,
                            survey_rows) if with_faults else [])
    result: dict = {s: dict(summary[s]) for s in catalogue().sources if s in summary}
    result["faults"] = faults
    return result


def generate_reference_inbox(inbox: Path, real_dir: Path, seed: int = 20180305) -> dict:
    """Only the reference files: the ONS lookups (real, copied) and the population estimates
    (synthetic, 2013-2025, every Kent district + Maidstone wards) - for runs on real police.uk files."""
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    summary = _Summary()
    geo = _Geo(Path(real_dir), _rng(seed, "geo"))
    gen_population(inbox, geo, seed, summary)
    copy_reference(inbox, Path(real_dir), summary, live=True)
    return {s: dict(summary[s]) for s in catalogue().sources if s in summary}


if __name__ == "__main__":  # pragma: no cover - convenience: python -m demo.generator OUT
    import sys
    import time

    here = Path(__file__).resolve().parents[1]
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "data" / "inbox"
    t0 = time.perf_counter()
    res = generate_demo_inbox(out, here.parent / "shared" / "real",
                              with_faults="--faults" in sys.argv)
    print(json.dumps(res, indent=1))
    print(f"{time.perf_counter() - t0:.1f} s")
