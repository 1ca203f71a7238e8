"""Helpers shared by the demo source writers: RNG streams, exact allocation, seasonal series,
dates, CSV/XLSX writers, the run summary, the geography, and each source's headers read from
the contracts (expectations/sources.yml).
"""
from __future__ import annotations

import csv
import json
import math
from datetime import date, datetime
from pathlib import Path

import numpy as np
import xlsxwriter

from demo.calibration import (
    DISTRICT,
    LSOA11_GEOJSON,
    LSOA11_LOOKUP,
    LSOA_STREETS,
    MKEYS,
    STREAM,
    WARD_LOOKUP,
)
from expectations.sources import catalogue

# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------

def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAM[name]])


def _lr(total: int, weights) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    raw = w * total
    base = np.floor(raw).astype(np.int64)
    rem = int(total - base.sum())
    if rem:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rem]] += 1
    return base


def _seas(month: int, amp: float, peak: int) -> float:
    return 1.0 + amp * math.cos(2.0 * math.pi * (month - peak) / 12.0)


def _midx(key: str) -> int:
    return MKEYS.index(key)


def _series(rng, expected, windows=(), noise: float = 0.06) -> np.ndarray:
    """Poisson counts around ``expected``; inside each (start, end, total) window the
    counts are noisy shares of the window total, so the window sums exactly."""
    expected = np.asarray(expected, dtype=float)
    counts = rng.poisson(expected).astype(np.int64)
    for start, end, total in windows:
        s, e = _midx(start), _midx(end)
        w = expected[s:e + 1] * rng.lognormal(0.0, noise, e - s + 1)
        counts[s:e + 1] = _lr(total, w)
    return counts


def _ndays(y: int, m: int) -> int:
    nxt = date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)
    return (nxt - date(y, m, 1)).days


def _rand_dates(rng, y: int, m: int, n: int) -> list[date]:
    days = np.sort(rng.integers(1, _ndays(y, m) + 1, size=n))
    return [date(y, m, int(d)) for d in days]


def _years_from(y: int, m: int, y0: int = 2016, m0: int = 5) -> float:
    return ((y - y0) * 12 + (m - m0)) / 12.0


def _write_csv(path: Path, header, rows, encoding: str = "utf-8") -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return len(rows)


def _write_xlsx(path: Path, sheet: str, header, rows, title: str | None = None) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"title": title or sheet, "author": "Safer Maidstone Partnership (demo)",
                       "created": datetime(2018, 3, 5)})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    r0 = 0
    if title:
        ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 13}))
        r0 = 2
    for j, h in enumerate(header):
        ws.write_string(r0, j, h, bold)
    for i, row in enumerate(rows, start=r0 + 1):
        for j, v in enumerate(row):
            if isinstance(v, str):
                if v:
                    ws.write_string(i, j, v)
            else:
                ws.write_number(i, j, int(v))
    ws.set_column(0, len(header) - 1, 20)
    wb.close()
    return len(rows)


def _pick(rng, items, probs, size=None):
    p = np.asarray(probs, dtype=float)
    idx = rng.choice(len(items), size=size, p=p / p.sum())
    if size is None:
        return items[int(idx)]
    return [items[int(i)] for i in idx]


def _cat(u, probs):
    """Category indices for uniform draws ``u`` (inverse of the cumulative ``probs``)."""
    c = np.cumsum(np.asarray(probs, dtype=float))
    c /= c[-1]
    return np.minimum(np.searchsorted(c, u, side="right"), len(c) - 1)


class _Summary(dict):
    def add(self, source: str, rows: int, files: int = 1) -> None:
        s = self.setdefault(source, {"files": 0, "rows": 0})
        s["files"] += files
        s["rows"] += int(rows)


# --------------------------------------------------------------------------------------
# geography
# --------------------------------------------------------------------------------------

class _Geo:
    def __init__(self, real_dir: Path, rng: np.random.Generator):
        ons = real_dir / "ons"
        table = {}
        for line in LSOA_STREETS.strip().splitlines():
            code, weight, names = line.split(" ", 2)
            table[code] = (float(weight), names.split("|"))
        rows = []
        with open(ons / LSOA11_LOOKUP, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                if r["LAD19CD"] == DISTRICT:
                    rows.append(r)
        rows.sort(key=lambda r: r["LSOA11CD"])
        self.lsoa = [r["LSOA11CD"] for r in rows]
        self.lsoa_name = {r["LSOA11CD"]: r["LSOA11NM"] for r in rows}
        self.lsoa_ward = {r["LSOA11CD"]: r["WD19CD"] for r in rows}
        with open(ons / LSOA11_GEOJSON, encoding="utf-8") as f:
            gj = json.load(f)
        cent = {ft["properties"]["LSOA11CD"]: (float(ft["properties"]["LONG"]),
                                                float(ft["properties"]["LAT"]))
                for ft in gj["features"]}
        wards = []
        with open(ons / WARD_LOOKUP, newline="", encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                if r["LAD19CD"] == DISTRICT:
                    wards.append((r["WD19CD"], r["WD19NM"]))
        wards.sort()
        self.wards = [w for w, _ in wards]
        self.ward_name = dict(wards)
        self.ward_nlsoa = np.array([sum(1 for c in self.lsoa if self.lsoa_ward[c] == w)
                                    for w in self.wards], dtype=float)
        n = len(self.lsoa)
        self.weight = np.array([table.get(c, (100.0, []))[0] for c in self.lsoa])
        generic = ["Parking Area", "Shopping Area", "Supermarket", "Petrol Station",
                   "Park/Open Space", "Sports/Recreation Area",
                   "Further/Higher Educational Building",
                   "Hospital"]
        self.points = []  # per LSOA: list of 8 (lon, lat, location)
        jit = rng.normal(0.0, 1.0, size=(n, 8, 2))
        for i, c in enumerate(self.lsoa):
            lon, lat = cent[c]
            streets = list(table.get(c, (0, []))[1])
            k = 0
            while len(streets) < 8:
                streets.append(generic[k % len(generic)])
                k += 1
            spread = 0.0022 if self.weight[i] > 250 else 0.0035
            self.points.append([
                (f"{lon + spread * jit[i, j, 0]:.6f}", f"{lat + 0.62 * spread * jit[i, j, 1]:.6f}",
                 f"On or near {streets[j]}") for j in range(8)])
        p = 1.0 / (np.arange(8) + 1.0) ** 0.9
        self.point_p = p / p.sum()

    def lsoa_p(self, conc: float) -> np.ndarray:
        w = self.weight ** conc
        return w / w.sum()


def headers(source: str) -> list[str]:
    """The source's column headers as received, in contract order (expectations/sources.yml)."""
    return [column.header for column in catalogue()[source].columns]
