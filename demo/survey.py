"""Demo resident survey microdata, calibrated so the weighted shares hit the published figures."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from demo.calibration import (
    AGE16,
    DISABILITY_P,
    DISTRICT,
    ECON,
    ECON_P,
    ETHNIC,
    SEXES,
    SURVEY_QUESTIONS,
    SURVEY_WAVES,
    TENURE,
    TENURE_P,
)
from demo.common import _cat, _Geo, _lr, _pick, _rng, _Summary, _write_csv, headers


def _tilt(pi, theta: float) -> np.ndarray:
    w = np.asarray(pi, dtype=float) * np.exp(theta * (np.arange(5) - 2))
    return w / w.sum()


def _weighted_shares(counts, w, targets):
    out = []
    for mask, filt, _t in targets:
        num = (w[filt][:, None] * counts[filt][:, mask]).sum()
        den = (w[filt] * counts[filt].sum(axis=1)).sum()
        out.append(100.0 * num / den)
    return np.array(out)


def _greedy(counts: np.ndarray, w: np.ndarray, targets) -> np.ndarray:
    """Move single answers between adjacent codes within cells until the weighted
    shares are as close as possible to their targets."""
    counts = counts.copy()
    goal = np.array([t for _m, _f, t in targets])
    masks = np.array([m for m, _f, _t in targets], dtype=float)       # T x 5
    filts = np.array([f for _m, f, _t in targets], dtype=float)       # T x C
    dens = np.array([(w * f * counts.sum(axis=1)).sum() for _m, f, _t in targets])
    moves = [(a, a + 1) for a in range(4)] + [(a + 1, a) for a in range(4)]
    for _ in range(5000):
        cur = _weighted_shares(counts, w, [(m.astype(bool), f.astype(bool), t)
                                           for m, f, t in zip(masks, filts, goal)])
        err = ((cur - goal) ** 2).sum()
        best, best_err = None, err - 1e-12
        for a, b in moves:
            # effect on each target share of moving one answer a -> b in each cell
            step = (masks[:, b] - masks[:, a])[:, None] / dens[:, None]
            delta = 100.0 * (filts * w[None, :]) * step
            new_err = ((cur[:, None] + delta - goal[:, None]) ** 2).sum(axis=0)
            new_err[counts[:, a] == 0] = np.inf
            c = int(np.argmin(new_err))
            if new_err[c] < best_err:
                best, best_err = (c, a, b), new_err[c]
        if best is None:
            break
        c, a, b = best
        counts[c, a] -= 1
        counts[c, b] += 1
    return counts


def gen_survey(inbox: Path, geo: _Geo, seed: int, pops: dict, summary: _Summary) -> dict:
    rng = _rng(seed, "survey_responses")
    cells = [(a, s) for a in AGE16 for s in SEXES]
    out = {}
    for wave in sorted(SURVEY_WAVES):
        spec = SURVEY_WAVES[wave]
        py = spec["pop_year"]
        P = np.array([pops[(py, DISTRICT, a, s)] for a, s in cells], dtype=float)
        P /= P.sum()
        samp = np.array([spec["age"][i] * (spec["female"] if s == "female" else 1 - spec["female"])
                         for i, _a in enumerate(AGE16) for s in SEXES])
        n_cell = _lr(spec["n_both"], samp)
        w = P / (n_cell / spec["n_both"])
        n_extra = spec["n"] - spec["n_both"]
        extra_cells = rng.choice(len(cells), size=n_extra, p=samp / samp.sum())
        # respondent records: true cell, what they reported
        resp_cell = np.concatenate([np.repeat(np.arange(len(cells)), n_cell), extra_cells])
        n = len(resp_cell)
        show_age = np.ones(n, dtype=bool)
        show_sex = np.ones(n, dtype=bool)
        nb = spec["n_both"]
        ms, ma = spec["miss_sex"], spec["miss_age"]
        show_sex[nb:nb + ms] = False
        show_age[nb + ms:nb + ms + ma] = False
        show_age[nb + ms + ma:] = False
        show_sex[nb + ms + ma:] = False
        z = rng.normal(0.0, 1.0, n)                        # latent anxiety
        answers = np.zeros((len(SURVEY_QUESTIONS), n), dtype=np.int64)   # 0 = no answer
        for qi, (col, kind, pi, age_eff, sex_eff, nonresp) in enumerate(SURVEY_QUESTIONS):
            theta = np.array([age_eff[i] + sex_eff[0 if s == "female" else 1]
                              for i, _a in enumerate(AGE16) for s in SEXES])
            tlist = spec["targets"][col]
            is_f = np.array([s == "female" for _a, s in cells])
            # continuous pre-calibration of the cell distributions
            groups = ([("male", ~is_f), ("female", is_f)] if any(t[1] for t in tlist)
                      else [(None, np.ones(len(cells), dtype=bool))])
            dist = np.zeros((len(cells), 5))
            for sex, gm in groups:
                codes, _s, target = next(t for t in tlist if t[1] == sex)
                lo, hi = -6.0, 6.0
                for _ in range(60):
                    mid = (lo + hi) / 2
                    d = np.array([_tilt(pi, th + mid) for th in theta[gm]])
                    hit = d[:, [c - 1 for c in codes]].sum(axis=1)
                    share = 100.0 * (P[gm] * hit).sum() / P[gm].sum()
                    lo, hi = (mid, hi) if share > target else (lo, mid)
                dist[gm] = np.array([_tilt(pi, th + (lo + hi) / 2) for th in theta[gm]])
            answered = rng.random(n) >= nonresp
            m_cell = np.array([int((answered[:nb] & (resp_cell[:nb] == c)).sum())
                               for c in range(len(cells))])
            counts = np.array([_lr(m_cell[c], dist[c]) for c in range(len(cells))])
            targets = []
            for codes, sex, target in tlist:
                mask = np.zeros(5, dtype=bool)
                mask[[c - 1 for c in codes]] = True
                filt = np.ones(len(cells), dtype=bool) if sex is None else (
                    is_f if sex == "female" else ~is_f)
                targets.append((mask, filt, target))
            counts = _greedy(counts, w, targets)
            key = (z if kind == "safe" else -z) + rng.normal(0.0, 0.8, n)
            for c in range(len(cells)):
                idx = np.flatnonzero(answered[:nb] & (resp_cell[:nb] == c))
                idx = idx[np.argsort(key[idx], kind="stable")]
                answers[qi, idx] = np.repeat(np.arange(1, 6), counts[c])
            cum = np.cumsum(dist[resp_cell[nb:]], axis=1)
            extra = 1 + np.minimum((rng.random(n - nb)[:, None] > cum).sum(axis=1), 4)
            answers[qi, nb:] = np.where(answered[nb:], extra, 0)
        # other demographics
        order = rng.permutation(n)
        wpop = np.array([sum(pops[(py, wc, a, s)] for a in AGE16 for s in SEXES)
                         for wc in geo.wards], dtype=float)
        ward = rng.choice(len(geo.wards), size=n, p=wpop / wpop.sum())
        u = rng.random((n, 5))
        eth = _pick(rng, *ETHNIC, size=n)
        u_econ, u_ten, u_miss = rng.random(n), rng.random(n), rng.random(n)
        rows = []
        for rank, j in enumerate(order, start=1):
            j = int(j)
            ai = int(resp_cell[j]) // 2
            a, s = cells[int(resp_cell[j])]
            econ = ECON[int(_cat(u_econ[j], ECON_P[ai]))]
            ten = TENURE[int(_cat(u_ten[j], TENURE_P[ai]))]
            row = [f"R{rank:05d}", wave,
                   "" if u[j, 0] < 0.015 else geo.wards[int(ward[j])],
                   a if show_age[j] else "", s if show_sex[j] else "",
                   "" if u[j, 1] < 0.015 else eth[j],
                   "" if u[j, 2] < 0.02 else ("Y" if u[j, 3] < DISABILITY_P[ai] else "N"),
                   "" if u[j, 4] < 0.02 else econ,
                   "" if u_miss[j] < 0.02 else ten]
            row += ["" if answers[qi, j] == 0 else int(answers[qi, j])
                    for qi in range(len(SURVEY_QUESTIONS))]
            rows.append(row)
        summary.add("survey_responses", _write_csv(
            inbox / "survey_responses" / f"resident_survey_{wave}.csv", headers("survey_responses"), rows))
        out[wave] = rows
    return out
