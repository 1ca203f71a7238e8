"""Demo police extracts: police.uk street-level crime, drug offences, domestic-abuse incidents,
s136 detentions and MARAC cases."""
from __future__ import annotations

import bisect
import hashlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from demo.calibration import (
    DA_AGE,
    DA_ETH,
    DA_OUT_CRIME,
    DA_OUT_INCIDENT,
    DA_SEX,
    DA_WINDOWS,
    DASH,
    MARAC_AGENCY,
    MARAC_AGENCY_P_NEW,
    MARAC_AGENCY_P_REP,
    MARAC_WINDOWS,
    MKEYS,
    MONTH_NAMES,
    MONTHS,
    NM,
    OUTCOMES,
    S136_WINDOWS,
    STREET_TYPES,
    STREET_WINDOWS,
    UNDER_INVESTIGATION,
)
from demo.common import (
    _cat,
    _Geo,
    _midx,
    _pick,
    _rand_dates,
    _rng,
    _seas,
    _series,
    _Summary,
    _write_csv,
    _write_xlsx,
    _years_from,
    headers,
)


def _outcome_table(profile: str, months_before_end: int):
    labels = [o for o, _ in OUTCOMES[profile]]
    p = np.array([w for _, w in OUTCOMES[profile]], dtype=float)
    p /= p.sum()
    ui = {0: 0.50, 1: 0.34, 2: 0.22, 3: 0.12, 4: 0.06}.get(months_before_end, 0.0)
    if ui:
        k = labels.index(UNDER_INVESTIGATION)
        p = p * (1.0 - ui)
        p[k] += ui
    return labels, p


def gen_police_street(inbox: Path, geo: _Geo, seed: int, summary: _Summary):
    rng = _rng(seed, "police_street")
    counts = {}
    for name, lvl, trend, amp, peak, step, _conc, _nl, _prof in STREET_TYPES:
        exp = [lvl * (1 + trend) ** _years_from(y, m) * _seas(m, amp, peak)
               * (step if (y, m) >= (2017, 4) else 1.0) for y, m in MONTHS]
        counts[name] = _series(rng, exp, STREET_WINDOWS.get(name, ()), noise=0.07)
    lsoa_ps = {t[0]: geo.lsoa_p(t[6]) for t in STREET_TYPES}
    out_dir = inbox / "police_street"
    drug_lsoas: list[list[str]] = []
    month_rows: list[list[list[str]]] = []
    for t, (y, m) in enumerate(MONTHS):
        mkey = MKEYS[t]
        located, noloc = [], []
        for name, _l, _tr, _a, _pk, _st, _conc, nl_rate, prof in STREET_TYPES:
            n = int(counts[name][t])
            li = rng.choice(len(geo.lsoa), size=n, p=lsoa_ps[name])
            pi = rng.choice(8, size=n, p=geo.point_p)
            nl = rng.random(n) < nl_rate
            sk = rng.random(n)
            if prof is None:
                outs = [""] * n
            else:
                labels, p = _outcome_table(prof, NM - 1 - t)
                outs = [labels[int(k)] for k in rng.choice(len(labels), size=n, p=p)]
            for j in range(n):
                if nl[j]:
                    noloc.append((float(sk[j]), name, outs[j], "", "", "No Location", "", ""))
                else:
                    code = geo.lsoa[int(li[j])]
                    lon, lat, loc = geo.points[int(li[j])][int(pi[j])]
                    located.append((geo.lsoa_name[code], float(sk[j]), name, outs[j],
                                    lon, lat, loc, code))
        located.sort()
        noloc.sort()
        rows, drugs = [], []
        # Located rows first (sorted by LSOA name), then rows without a location, as police.uk does.
        ordered = [(lname, name, out, lon, lat, loc, code)
                   for lname, _sk, name, out, lon, lat, loc, code in located]
        ordered += [(lname, name, out, lon, lat, loc, code)
                    for _sk, name, out, lon, lat, loc, code, lname in noloc]
        for seq, (lname, name, out, lon, lat, loc, code) in enumerate(ordered, start=1):
            cid = "" if name == "Anti-social behaviour" else hashlib.sha256(
                f"smp-demo|{seed}|{mkey}|{seq:05d}".encode()).hexdigest()
            rows.append([cid, mkey, "Kent Police", "Kent Police", lon, lat, loc, code, lname,
                         name, out, ""])
            if name == "Drugs":
                drugs.append(code)
        summary.add("police_street",
                    _write_csv(out_dir / f"{mkey}-kent-street.csv", headers("police_street"), rows))
        drug_lsoas.append(drugs)
        month_rows.append(rows)
    return drug_lsoas, month_rows


def _ref_counter(rng, lo: int, hi: int, gap_hi: int):
    """Per-year increasing reference numbers with random gaps (force-wide numbering)."""
    state: dict[int, int] = {}

    def nxt(year: int) -> int:
        if year not in state:
            state[year] = int(rng.integers(lo, hi))
        state[year] += int(rng.integers(1, gap_hi + 1))
        return state[year]
    return nxt


def gen_drug_offences(inbox: Path, seed: int, drug_lsoas, summary: _Summary):
    rng = _rng(seed, "police_drug_offences")
    windows = [("2015-11", "2016-10", 57), ("2016-11", "2017-10", 91)]
    n_per = [len(x) for x in drug_lsoas]
    traff = [np.zeros(n, dtype=bool) for n in n_per]
    for t, (y, m) in enumerate(MONTHS):
        p = 0.17 if (y, m) < (2017, 1) else 0.26
        traff[t] = rng.random(n_per[t]) < p
    for start, end, total in windows:
        s, e = _midx(start), _midx(end)
        slots = [(t, j) for t in range(s, e + 1) for j in range(n_per[t])]
        for t in range(s, e + 1):
            traff[t][:] = False
        for k in sorted(rng.choice(len(slots), size=total, replace=False)):
            t, j = slots[int(k)]
            traff[t][j] = True
    ref = _ref_counter(rng, 1000, 6000, 60)
    classes = ["A", "B", "C", "unknown"]
    for t, (y, m) in enumerate(MONTHS):
        n = n_per[t]
        dates = _rand_dates(rng, y, m, n)
        order = rng.permutation(n)
        u = rng.random(n)
        cls = np.where(traff[t], _cat(u, [0.62, 0.32, 0.02, 0.04]),
                       _cat(u, [0.22, 0.68, 0.05, 0.05]))
        rows = []
        for j, d in zip(order, dates):
            j = int(j)
            grp = "trafficking" if traff[t][j] else "possession"
            rows.append([f"CR/{y:04d}/{ref(y):06d}", d.isoformat(), grp, classes[int(cls[j])],
                         drug_lsoas[t][j]])
        summary.add("police_drug_offences",
                    _write_csv(inbox / "police_drug_offences" / f"drug_offences_{MKEYS[t]}.csv",
                               headers("police_drug_offences"), rows))


def _person_ids(rng, n: int) -> list[str]:
    """Unique force-style person ids 'P' + 7 digits, in random order."""
    draws = rng.integers(1_000_000, 10_000_000, size=int(n * 1.3) + 100)
    uniq = list(dict.fromkeys(int(x) for x in draws))[:n]
    return [f"P{x:07d}" for x in uniq]


class _DA:
    """What MARAC needs to know about the DA incidents."""

    def __init__(self) -> None:
        self.ords: list[int] = []        # incident date ordinals, chronological
        self.victim: list[int] = []      # victim index per incident
        self.dash: list[str] = []
        self.keys: list[str] = []        # victim index -> key
        self.by_victim: dict[int, list[int]] = {}
        self.spare_ids: list[str] = []   # unused person ids (for MARAC victims before the extract)
        self.month_rows: list[list[list[str]]] = []  # the rows written, per month of the extract


def _pin_repeats(flag: np.ndarray, month_of: np.ndarray, windows, rng: np.random.Generator) -> np.ndarray:
    """Inside each calibration window, set exactly its published number of repeat flags (in place).

    Returns which rows fall in any window.
    """
    in_window = np.zeros(len(flag), dtype=bool)
    for start, end, _total, repeats in windows:
        mask = (month_of >= _midx(start)) & (month_of <= _midx(end))
        idx = np.flatnonzero(mask)
        in_window |= mask
        flag[idx] = False
        flag[rng.choice(idx, size=repeats, replace=False)] = True
    return in_window


def gen_da_incidents(inbox: Path, geo: _Geo, seed: int, summary: _Summary) -> _DA:
    rng = _rng(seed, "police_da_incidents")
    exp = [224.0 * 1.13 ** _years_from(y, m) * _seas(m, 0.07, 7) * (1.05 if m in (12, 1) else 1.0)
           for y, m in MONTHS]
    counts = _series(rng, exp, [(s, e, n) for s, e, n, _r in DA_WINDOWS], noise=0.05)
    dates: list[date] = []
    month_list: list[int] = []
    for t, (y, m) in enumerate(MONTHS):
        ds = _rand_dates(rng, y, m, int(counts[t]))
        dates += ds
        month_list += [t] * len(ds)
    n = len(dates)
    ords = np.array([d.toordinal() for d in dates])
    month_of = np.array(month_list)
    # repeat flags: exact inside the calibration windows
    flag = rng.random(n) < 0.26
    in_window = _pin_repeats(flag, month_of, DA_WINDOWS, rng)
    # victims
    ids = _person_ids(rng, 40_000)
    nv_max = len(ids)
    v_sex = _pick(rng, *DA_SEX, size=nv_max)
    v_age = _pick(rng, *DA_AGE, size=nv_max)
    v_eth = _pick(rng, *DA_ETH, size=nv_max)
    v_home = rng.choice(len(geo.lsoa), size=nv_max, p=geo.lsoa_p(0.55))
    last: list[int] = []
    hist_d: list[int] = []
    hist_v: list[int] = []
    victim = np.empty(n, dtype=np.int64)
    u_pref = rng.random(n)
    for i in range(n):
        d = int(ords[i])
        v = -1
        if flag[i]:
            lo = bisect.bisect_left(hist_d, d - 330)
            hi = bisect.bisect_left(hist_d, d)
            if hi > lo:
                lo2 = max(lo, bisect.bisect_left(hist_d, d - 60))
                for _ in range(30):
                    if lo2 < hi and u_pref[i] < 0.55:
                        k = int(rng.integers(lo2, hi))
                    else:
                        k = int(rng.integers(lo, hi))
                    if last[hist_v[k]] < d:
                        v = hist_v[k]
                        break
                if v < 0:
                    for k in range(hi - 1, lo - 1, -1):
                        if last[hist_v[k]] < d:
                            v = hist_v[k]
                            break
            if v < 0:
                if in_window[i]:
                    raise RuntimeError("DA repeat calibration infeasible")
                flag[i] = False
        if v < 0:
            hi_old = bisect.bisect_left(hist_d, d - 400)
            if hi_old > 0 and rng.random() < 0.10:
                for _ in range(5):
                    cand = hist_v[int(rng.integers(0, hi_old))]
                    if last[cand] < d - 400:
                        v = cand
                        break
            if v < 0:
                v = len(last)
                last.append(d)
        last[v] = d
        hist_d.append(d)
        hist_v.append(v)
        victim[i] = v
    nv = len(last)
    # incident attributes
    post = np.array([MONTHS[t] >= (2017, 4) for t in month_of])
    is_crime = rng.random(n) < np.where(post, 0.70, 0.58)
    u_dash = rng.random(n)
    p_high = np.where(flag, 0.16, 0.07)
    p_med = np.where(flag, 0.32, 0.27)
    dash = np.where(u_dash < p_high, 2, np.where(u_dash < p_high + p_med, 1, 0))
    out_c = _pick(rng, *DA_OUT_CRIME, size=n)
    out_i = _pick(rng, *DA_OUT_INCIDENT, size=n)
    ongoing = rng.random(n) < np.clip((month_of - (NM - 4)) * 0.18, 0, 0.7)
    away = rng.random(n) < 0.15
    away_lsoa = rng.choice(len(geo.lsoa), size=n, p=geo.lsoa_p(1.0))
    no_lsoa = rng.random(n) < 0.02
    ref = _ref_counter(rng, 1000, 9000, 24)
    da = _DA()
    da.keys = ids[:nv]
    da.spare_ids = ids[nv:]
    per_month: list[list[list[str]]] = [[] for _ in range(NM)]
    for i in range(n):
        day = dates[i]
        v = int(victim[i])
        if is_crime[i]:
            rec = "crime"
            out = "investigation_ongoing" if ongoing[i] else out_c[i]
        else:
            rec = "incident"
            out = out_i[i]
        if no_lsoa[i]:
            lsoa = ""
        else:
            lsoa = geo.lsoa[int(away_lsoa[i] if away[i] else v_home[v])]
        per_month[int(month_of[i])].append([
            f"DA/{day.year:04d}/{ref(day.year):06d}", day.isoformat(), ids[v], lsoa, rec,
            DASH[int(dash[i])], out, v_eth[v], v_sex[v], v_age[v]])
        da.ords.append(int(ords[i]))
        da.victim.append(v)
        da.dash.append(DASH[int(dash[i])])
        da.by_victim.setdefault(v, []).append(int(ords[i]))
    for t in range(NM):
        summary.add("police_da_incidents",
                    _write_csv(inbox / "police_da_incidents" / f"da_incidents_{MKEYS[t]}.csv",
                               headers("police_da_incidents"), per_month[t]))
    da.month_rows = per_month
    return da


def _nth_weekday(y: int, m: int, weekday: int, nth: int) -> date:
    d = date(y, m, 1)
    d += timedelta(days=(weekday - d.weekday()) % 7)
    return d + timedelta(days=7 * (nth - 1))


def gen_marac(inbox: Path, seed: int, da: _DA, summary: _Summary):
    rng = _rng(seed, "marac_cases")
    exp = [13.4 * 1.10 ** _years_from(y, m, 2016, 4) * _seas(m, 0.06, 1) for y, m in MONTHS]
    counts = _series(rng, exp, [(s, e, n) for s, e, n, _r in MARAC_WINDOWS], noise=0.12)
    slots = []  # (meeting date, month index)
    for t, (y, m) in enumerate(MONTHS):
        meet = [_nth_weekday(y, m, 3, 2), _nth_weekday(y, m, 3, 4)]  # 2nd and 4th Thursday
        c = int(counts[t])
        first = c // 2 + (c % 2 if rng.random() < 0.5 else 0)
        slots += [(meet[0], t)] * first + [(meet[1], t)] * (c - first)
    s_month = np.array([t for _d, t in slots])
    flag = np.array([rng.random() < (0.22 if MONTHS[t] < (2015, 10) else 0.32)
                     for _d, t in slots], dtype=bool)
    in_window = _pin_repeats(flag, s_month, MARAC_WINDOWS, rng)
    da_ords = da.ords
    spare = iter(da.spare_ids)
    keys = list(da.keys)
    marac_last: dict[int, int] = {}
    used_day: dict[int, int] = {}

    def new_da_since_last_case(v: int, D: int) -> bool:
        """A DA incident after the victim's last MARAC case and within 8 weeks."""
        lst = da.by_victim.get(v, [])
        k = bisect.bisect_left(lst, max(D - 56, marac_last[v] + 1))
        return k < len(lst) and lst[k] <= D - 3

    def new_case_victim(D: int) -> int:
        for level, back in (("high", 42), ("medium", 42), (None, 120)):
            lo = bisect.bisect_left(da_ords, D - back)
            hi = bisect.bisect_right(da_ords, D - 3)
            cands = []
            seen = set()
            for k in range(lo, hi):
                v = da.victim[k]
                if level is not None and da.dash[k] != level:
                    continue
                if v in seen or used_day.get(v) == D or marac_last.get(v, -10**9) >= D - 400:
                    continue
                seen.add(v)
                cands.append(v)
            if cands:
                return cands[int(rng.integers(0, len(cands)))]
        keys.append(next(spare))
        return len(keys) - 1

    rows_by_month: list[list[list]] = [[] for _ in range(NM)]
    ref_seq: dict[int, int] = {}
    early = date(2014, 4, 1).toordinal()
    for i, (meeting, t) in enumerate(slots):
        D = meeting.toordinal()
        v = -1
        if flag[i]:
            cands = [u for u, last in marac_last.items()
                     if D - 330 <= last <= D - 42 and used_day.get(u) != D]
            if cands:
                pref = [u for u in cands if new_da_since_last_case(u, D)]
                pool = pref if pref and rng.random() < 0.85 else cands
                v = pool[int(rng.integers(0, len(pool)))]
            elif D < early:
                v = new_case_victim(D)  # previous referral predates the extract
            elif in_window[i]:
                raise RuntimeError("MARAC repeat calibration infeasible")
            else:
                flag[i] = False
        if v < 0:
            v = new_case_victim(D)
        marac_last[v] = D
        used_day[v] = D
        ref_seq[meeting.year] = ref_seq.get(meeting.year, 0) + 1
        agency = _pick(rng, MARAC_AGENCY, MARAC_AGENCY_P_REP if flag[i] else MARAC_AGENCY_P_NEW)
        rows_by_month[t].append([f"MARAC-{meeting.year:04d}-{ref_seq[meeting.year]:04d}",
                                 meeting.isoformat(), keys[v], "Y" if flag[i] else "N", agency])
    for t, (y, m) in enumerate(MONTHS):
        summary.add("marac_cases", _write_xlsx(
            inbox / "marac_cases" / f"marac_{MKEYS[t]}.xlsx", "Cases", headers("marac_cases"), rows_by_month[t],
            title=f"Maidstone MARAC - cases heard - {MONTH_NAMES[m - 1]} {y}"))
    return rows_by_month


def gen_s136(inbox: Path, seed: int, summary: _Summary):
    rng = _rng(seed, "police_s136")
    exp = [(4.3 + 1.85 * (t - 6) / 48.0) * _seas(m, 0.15, 7) for t, (y, m) in enumerate(MONTHS)]
    counts = _series(rng, exp, S136_WINDOWS, noise=0.15)
    ref = _ref_counter(rng, 10, 300, 30)
    ages = ["0-15", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+", "unknown"]
    age_p = [0.03, 0.28, 0.26, 0.20, 0.14, 0.06, 0.02, 0.005, 0.005]
    places = ["health_based_place_of_safety", "emergency_department", "police_custody", "other"]
    out = []
    for t, (y, m) in enumerate(MONTHS):
        f = t / (NM - 1)
        custody = 0.35 - 0.33 * f
        p_place = [0.46 + 0.30 * f, 0.14 + 0.03 * f, custody, 0.05]
        n = int(counts[t])
        dates = _rand_dates(rng, y, m, n)
        pl = _cat(rng.random(n), p_place)
        ag = _cat(rng.random(n), age_p)
        sx = _cat(rng.random(n), [0.43, 0.56, 0.01])
        rows = [[f"S136/{d.year:04d}/{ref(d.year):05d}", d.isoformat(), places[int(pl[j])],
                 ages[int(ag[j])], ["female", "male", "unknown"][int(sx[j])]]
                for j, d in enumerate(dates)]
        summary.add("police_s136",
                    _write_csv(inbox / "police_s136" / f"s136_{MKEYS[t]}.csv", headers("police_s136"), rows))
        out.append(rows)
    return out
