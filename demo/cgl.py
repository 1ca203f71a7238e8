"""Demo CGL extracts: treatment activity workbooks and needle-exchange transactions."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from demo.calibration import (
    CGL_EXIT_SHARE,
    CGL_GROUPS,
    CGL_NEW_SHARE,
    CGL_OUTREACH_SHARE,
    CGL_STOCK_SHARE,
    CGL_SUCCESS,
    CGL_WINDOWS,
    MKEYS,
    MONTHS,
    NM,
    NX_SITES,
    NX_WINDOWS,
)
from demo.common import (
    _lr,
    _rng,
    _seas,
    _series,
    _Summary,
    _write_csv,
    _write_xlsx,
    _years_from,
    headers,
)


def gen_cgl_treatment(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "cgl_treatment")
    stock_exp = []
    for t, (y, m) in enumerate(MONTHS):
        if y < 2017:
            stock_exp.append(566.0 - 0.45 * t)
        else:
            stock_exp.append(602.0 + 19.0 * ((y - 2017) * 12 + m - 1))
    stock = _series(rng, stock_exp, CGL_WINDOWS["clients_in_treatment"], noise=0.012)
    new = _series(rng, [(46.0 if y < 2017 else 41.5) * _seas(m, 0.08, 2) for y, m in MONTHS],
                  CGL_WINDOWS["new_presentations"], noise=0.10)
    exits = _series(rng, [44.0 if y < 2017 else 34.0 for y, m in MONTHS])
    outreach = _series(rng, [20.0 if (y, m) < (2017, 1) else 31.0 for y, m in MONTHS])
    for t in range(NM):
        st = _lr(int(stock[t]), np.array(CGL_STOCK_SHARE) * rng.lognormal(0, 0.03, 4))
        nw = rng.multinomial(int(new[t]), CGL_NEW_SHARE)
        ex = rng.multinomial(int(exits[t]), CGL_EXIT_SHARE)
        ok = rng.binomial(ex, CGL_SUCCESS)
        orf = rng.multinomial(int(outreach[t]), CGL_OUTREACH_SHARE)
        eng = rng.binomial(orf, 0.62)
        rows = [[MKEYS[t], g, int(st[k]), int(nw[k]), int(ex[k]), int(ok[k]), int(orf[k]),
                 int(eng[k])] for k, g in enumerate(CGL_GROUPS)]
        summary.add("cgl_treatment", _write_xlsx(
            inbox / "cgl_treatment" / f"cgl_treatment_{MKEYS[t]}.xlsx", "Activity", headers("cgl_treatment"), rows))


def gen_needle_exchange(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "cgl_needle_exchange")
    exp = [800.0 * 1.10 ** _years_from(y, m, 2016, 7) * _seas(m, 0.04, 1) for y, m in MONTHS]
    totals = _series(rng, exp, NX_WINDOWS, noise=0.05)
    for t in range(NM):
        sites = [s for s in NX_SITES if s[3] <= MKEYS[t]]
        split = _lr(int(totals[t]), np.array([s[2] for s in sites])
                    * rng.lognormal(0.0, 0.12, len(sites)))
        rows = [[MKEYS[t], s[0], s[1], int(k)] for s, k in zip(sites, split)]
        summary.add("cgl_needle_exchange", _write_csv(
            inbox / "cgl_needle_exchange" / f"needle_exchange_{MKEYS[t]}.csv", headers("cgl_needle_exchange"), rows))
