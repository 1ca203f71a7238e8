"""Demo reference files: synthetic population estimates and the real ONS lookups copied as received."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np

from demo.calibration import (
    AGE_BANDS,
    BAND_SHARE,
    DISTRICT,
    DISTRICTS,
    LIVE_REFERENCE_COPIES,
    MALE_FRAC,
    REFERENCE_COPIES,
    RURAL_WARDS,
    SEXES,
    TOWN_WARDS,
    WARD_PROFILES,
    YOUNG_FAMILY_WARDS,
)
from demo.common import _Geo, _lr, _rng, _Summary, _write_csv, headers


def _district_cells(total: int, year: int, old_tilt: float, young_tilt: float) -> np.ndarray:
    share = np.array(BAND_SHARE, dtype=float)
    share[0] *= 1.0 + 0.002 * (year - 2016)
    share[1:3] *= 1.0 + young_tilt
    share[6:] *= (1.0 + old_tilt) * (1.0 + 0.012 * (year - 2016))
    share /= share.sum()
    cell_w = np.array([share[i] * (1 - MALE_FRAC[i] if s == "female" else MALE_FRAC[i])
                       for i in range(8) for s in SEXES])
    return _lr(total, cell_w)  # order: (band, sex) with sex female, male


def gen_population(inbox: Path, geo: _Geo, seed: int, summary: _Summary) -> dict:
    rng = _rng(seed, "reference_population")
    size = (geo.ward_nlsoa + 0.6) * rng.lognormal(0.0, 0.08, len(geo.wards))
    profiles = []
    for wc in geo.wards:
        name = geo.ward_name[wc]
        kind = ("town" if name in TOWN_WARDS else "family" if name in YOUNG_FAMILY_WARDS
                else "rural" if name in RURAL_WARDS else "other")
        profiles.append(np.array(WARD_PROFILES[kind]) * rng.lognormal(0.0, 0.04, 8))
    prof = np.array(profiles)  # wards x bands
    pops: dict = {}
    for year in range(2013, 2026):
        rows = []
        for code, _name, t2021, growth, old_t, young_t in DISTRICTS:
            total = round(t2021 * (1.0 + growth) ** (year - 2021))
            cells = _district_cells(total, year, old_t, young_t)
            k = 0
            for a in AGE_BANDS:
                for s in SEXES:
                    rows.append([year, code, "district", a, s, int(cells[k])])
                    pops[(year, code, a, s)] = int(cells[k])
                    k += 1
        ward_rows: dict[str, list[list[object]]] = {wc: [] for wc in geo.wards}
        for i, a in enumerate(AGE_BANDS):
            for s in SEXES:
                split = _lr(pops[(year, DISTRICT, a, s)], size * prof[:, i])
                for wi, wc in enumerate(geo.wards):
                    ward_rows[wc].append([year, wc, "ward", a, s, int(split[wi])])
                    pops[(year, wc, a, s)] = int(split[wi])
        for wc in geo.wards:
            rows += ward_rows[wc]
        summary.add("reference_population", _write_csv(
            inbox / "reference_population" / f"population_{year}_synthetic.csv", headers("reference_population"), rows))
    return pops


# --------------------------------------------------------------------------------------
# reference copies, faults, entry point
# --------------------------------------------------------------------------------------

def copy_reference(inbox: Path, real_dir: Path, summary: _Summary, live: bool = False) -> None:
    """Copy the real ONS files as received; live=True (csp reference) adds the 2021 LSOA → 2022 ward lookup."""
    for source, name in REFERENCE_COPIES + (LIVE_REFERENCE_COPIES if live else []):
        src = real_dir / "ons" / name
        dst = inbox / source / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        if name.endswith(".geojson"):
            with open(dst, encoding="utf-8") as f:
                rows = len(json.load(f)["features"])
        else:
            with open(dst, newline="", encoding="utf-8-sig") as f:
                rows = sum(1 for _ in csv.reader(f)) - 1
        summary.add(source, rows)
