"""Demo health extracts: A&E attendances, hospital admissions and mental-health referrals."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from demo.calibration import (
    ADM_PROFILE,
    ADM_WINDOWS,
    AE_AGES,
    AE_CATS,
    AGE_BANDS,
    MH_WINDOWS,
    MKEYS,
    MONTHS,
    NM,
    SEXES,
)
from demo.common import (
    _Geo,
    _pick,
    _rand_dates,
    _rng,
    _seas,
    _series,
    _Summary,
    _write_csv,
    _years_from,
    headers,
)


def gen_ae(inbox: Path, geo: _Geo, seed: int, summary: _Summary):
    rng = _rng(seed, "health_ae")
    exp = [112.0 * 1.03 ** _years_from(y, m) * _seas(m, 0.08, 12) * (1.06 if m in (7, 8) else 1.0)
           for y, m in MONTHS]
    counts = _series(rng, exp)
    ref = 100_000_000 + int(rng.integers(0, 50_000))
    cat_p = np.array([p for _c, p in AE_CATS])
    lsoa_p = geo.lsoa_p(0.6)
    for t, (y, m) in enumerate(MONTHS):
        n = int(counts[t])
        dates = _rand_dates(rng, y, m, n)
        cats = rng.choice(len(AE_CATS), size=n, p=cat_p / cat_p.sum())
        ages = _pick(rng, *AE_AGES, size=n)
        sexes = _pick(rng, ["female", "male", "unknown"], [0.395, 0.60, 0.005], size=n)
        lsoas = rng.choice(len(geo.lsoa), size=n, p=lsoa_p)
        no_lsoa = rng.random(n) < 0.03
        gaps = rng.integers(1, 400, size=n)
        rows = []
        for j in range(n):
            ref += int(gaps[j])
            da, assault, alcohol = AE_CATS[int(cats[j])][0]
            rows.append([f"AE{ref:09d}", dates[j].isoformat(), ages[j], sexes[j],
                         "" if no_lsoa[j] else geo.lsoa[int(lsoas[j])], da, assault, alcohol])
        summary.add("health_ae",
                    _write_csv(inbox / "health_ae" / f"ae_attendances_{MKEYS[t]}.csv", headers("health_ae"), rows))


def gen_admissions(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "health_admissions")
    totals = {
        "psychoactive_substances": _series(rng, [
            44.9 * 1.15 ** _years_from(y, m, 2016, 9) * _seas(m, 0.05, 12) for y, m in MONTHS],
            ADM_WINDOWS["psychoactive_substances"], noise=0.08),
        "alcohol_related": _series(rng, [
            74.9 * 1.12 ** _years_from(y, m, 2016, 4) * _seas(m, 0.06, 12) for y, m in MONTHS],
            ADM_WINDOWS["alcohol_related"], noise=0.08),
    }
    cells = {}
    for cond, (male, ages) in ADM_PROFILE.items():
        cells[cond] = [(a, s, ages[i] * (male if s == "male" else 1 - male))
                       for i, a in enumerate(AGE_BANDS) for s in SEXES]
    for t in range(NM):
        rows = []
        for cond in ("psychoactive_substances", "alcohol_related"):
            p = np.array([c[2] for c in cells[cond]])
            split = rng.multinomial(int(totals[cond][t]), p / p.sum())
            for (a, s, _p), k in zip(cells[cond], split):
                rows.append([MKEYS[t], cond, a, s, int(k)])
        summary.add("health_admissions",
                    _write_csv(inbox / "health_admissions" / f"admissions_{MKEYS[t]}.csv",
                               headers("health_admissions"), rows))


def gen_mh(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "health_mh_referrals")
    series = {
        "children_young_people": _series(rng, [
            88.0 * 1.05 ** _years_from(y, m) * _seas(m, 0.12, 3) for y, m in MONTHS]),
        "young_adults": _series(rng, [
            109.0 * 0.90 ** _years_from(y, m, 2016, 4) * _seas(m, 0.05, 3) for y, m in MONTHS],
            MH_WINDOWS["young_adults"]),
        "older_adults": _series(rng, [
            60.5 * 1.08 ** _years_from(y, m, 2016, 4) * _seas(m, 0.06, 1) for y, m in MONTHS],
            MH_WINDOWS["older_adults"]),
    }
    for t in range(NM):
        rows = [[MKEYS[t], g, int(series[g][t])]
                for g in ("children_young_people", "young_adults", "older_adults")]
        summary.add("health_mh_referrals",
                    _write_csv(inbox / "health_mh_referrals" / f"mh_referrals_{MKEYS[t]}.csv",
                               headers("health_mh_referrals"), rows))
