"""Demo council extract: discarded needles found and removed."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from demo.calibration import MKEYS, MONTHS, NF_TYPES, NF_WARD_FACTOR, RURAL_WARDS
from demo.common import (
    _cat,
    _Geo,
    _rand_dates,
    _rng,
    _seas,
    _series,
    _Summary,
    _write_csv,
    _years_from,
    headers,
)


def gen_needle_finds(inbox: Path, geo: _Geo, seed: int, summary: _Summary):
    rng = _rng(seed, "council_needle_finds")
    exp = [14.0 * 1.05 ** _years_from(y, m) * _seas(m, 0.25, 7) for y, m in MONTHS]
    counts = _series(rng, exp)
    w = np.array([geo.ward_nlsoa[i] * NF_WARD_FACTOR.get(
        geo.ward_name[wc], 0.3 if geo.ward_name[wc] in RURAL_WARDS else 1.0)
        for i, wc in enumerate(geo.wards)])
    ref = int(rng.integers(1000, 3000))
    out = []
    for t, (y, m) in enumerate(MONTHS):
        n = int(counts[t])
        dates = _rand_dates(rng, y, m, n)
        gaps = rng.integers(1, 4, size=n)
        ward = _cat(rng.random(n), w)
        kind = _cat(rng.random(n), NF_TYPES[1])
        needles = np.where(rng.random(n) < 0.02, rng.integers(20, 81, size=n),
                           np.minimum(50, rng.geometric(0.42, size=n)))
        rows = []
        for j, d in enumerate(dates):
            ref += int(gaps[j])
            rows.append([f"NF{ref:06d}", d.isoformat(), geo.wards[int(ward[j])],
                         NF_TYPES[0][int(kind[j])], int(needles[j])])
        summary.add("council_needle_finds", _write_csv(
            inbox / "council_needle_finds" / f"needle_finds_{MKEYS[t]}.csv", headers("council_needle_finds"), rows))
        out.append(rows)
    return out
