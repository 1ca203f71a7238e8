"""Generate national-scale data.police.uk street-level files in the real format (for benchmarks only).

    python -m benchmarks.generate OUT_DIR --months 2025-01..2025-12 --rows-per-month 500000

One file per force per month, ``<out>/<YYYY-MM>/<YYYY-MM>-<force-slug>-street.csv``, with the real
header and value domains:

* the 14 police.uk crime categories in the proportions of the real Kent files (ASB ≈ 15 %);
* ASB rows have an empty Crime ID and an empty Last outcome category; every other row has a
  64-hex Crime ID and one of the real outcome categories;
* ≈ 1.1 % "No Location" rows: empty Longitude, Latitude, LSOA code and LSOA name (at the end of each
  force's file, as police.uk writes them);
* LSOA codes and names are the real 2011 LSOAs of England and Wales from the ONS lookup
  ``jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv``, so every located row can be placed in a ward and
  a district; each LSOA has four anonymised map points ("On or near <street>") inside UK ranges.

Forces: the 43 territorial forces of England and Wales. Kent (Kent + Medway), the Metropolitan
Police (London boroughs), the City of London and the four Welsh forces hold their real districts;
the other 33 forces hold whole counties of their real region, split by LSOA count (approximate
geography; the benchmark only needs realistic volumes and valid codes). Rows per force are
proportional to its share of LSOA crime weight.

Deterministic: the same seed and month always give the same bytes, whatever other months are
generated with it (each month has its own random stream).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.config import PROJECT_ROOT

DEFAULT_ONS_DIR = PROJECT_ROOT.parent / "shared" / "real" / "ons"
LSOA_LOOKUP = "jtrim_csv_135_LSOA11_WD19_LAD19_EW_LU.csv"
LA_CODES = "drkane_la_all_codes.csv"

HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
          "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]

# Share of each category in the real Kent files (2022-2025), ASB first.
CRIME_TYPES = {
    "Anti-social behaviour": 0.1545, "Violence and sexual offences": 0.3941, "Criminal damage and arson": 0.0949,
    "Shoplifting": 0.0770, "Other theft": 0.0680, "Public order": 0.0516, "Vehicle crime": 0.0458,
    "Burglary": 0.0309, "Other crime": 0.0294, "Drugs": 0.0281, "Possession of weapons": 0.0084,
    "Robbery": 0.0069, "Bicycle theft": 0.0056, "Theft from the person": 0.0047,
}
OUTCOMES = {
    "Unable to prosecute suspect": 155701, "Investigation complete; no suspect identified": 122163,
    "Under investigation": 19655, "Awaiting court outcome": 13817, "Court result unavailable": 11976,
    "Status update unavailable": 9737, "Action to be taken by another organisation": 9114,
    "Local resolution": 9027, "Further investigation is not in the public interest": 4185,
    "Offender given a caution": 3513, "Further action is not in the public interest": 879,
    "Formal action is not in the public interest": 343, "Offender given a drugs possession warning": 50,
    "Suspect charged as part of another case": 15, "Offender given penalty notice": 6,
}
NO_LOCATION_SHARE = 0.011
POINTS_PER_LSOA = 4

# (slug, name, region code or a fixed rule); the order within a region is the order counties are dealt.
FORCES = [
    ("cleveland", "Cleveland Police", "E12000001"), ("durham", "Durham Constabulary", "E12000001"),
    ("northumbria", "Northumbria Police", "E12000001"),
    ("cheshire", "Cheshire Constabulary", "E12000002"), ("cumbria", "Cumbria Constabulary", "E12000002"),
    ("greater-manchester", "Greater Manchester Police", "E12000002"), ("lancashire", "Lancashire Constabulary", "E12000002"),
    ("merseyside", "Merseyside Police", "E12000002"),
    ("humberside", "Humberside Police", "E12000003"), ("north-yorkshire", "North Yorkshire Police", "E12000003"),
    ("south-yorkshire", "South Yorkshire Police", "E12000003"), ("west-yorkshire", "West Yorkshire Police", "E12000003"),
    ("derbyshire", "Derbyshire Constabulary", "E12000004"), ("leicestershire", "Leicestershire Police", "E12000004"),
    ("lincolnshire", "Lincolnshire Police", "E12000004"), ("northamptonshire", "Northamptonshire Police", "E12000004"),
    ("nottinghamshire", "Nottinghamshire Police", "E12000004"),
    ("staffordshire", "Staffordshire Police", "E12000005"), ("warwickshire", "Warwickshire Police", "E12000005"),
    ("west-mercia", "West Mercia Police", "E12000005"), ("west-midlands", "West Midlands Police", "E12000005"),
    ("bedfordshire", "Bedfordshire Police", "E12000006"), ("cambridgeshire", "Cambridgeshire Constabulary", "E12000006"),
    ("essex", "Essex Police", "E12000006"), ("hertfordshire", "Hertfordshire Constabulary", "E12000006"),
    ("norfolk", "Norfolk Constabulary", "E12000006"), ("suffolk", "Suffolk Constabulary", "E12000006"),
    ("city-of-london", "City of London Police", "city"), ("metropolitan", "Metropolitan Police Service", "met"),
    ("hampshire", "Hampshire Constabulary", "E12000008"), ("kent", "Kent Police", "kent"),
    ("surrey", "Surrey Police", "E12000008"), ("sussex", "Sussex Police", "E12000008"),
    ("thames-valley", "Thames Valley Police", "E12000008"),
    ("avon-and-somerset", "Avon and Somerset Constabulary", "E12000009"),
    ("devon-and-cornwall", "Devon & Cornwall Police", "E12000009"), ("dorset", "Dorset Police", "E12000009"),
    ("gloucestershire", "Gloucestershire Constabulary", "E12000009"), ("wiltshire", "Wiltshire Police", "E12000009"),
    ("north-wales", "North Wales Police", "wales"), ("dyfed-powys", "Dyfed-Powys Police", "wales"),
    ("gwent", "Gwent Police", "wales"), ("south-wales", "South Wales Police", "wales"),
]
WALES = {
    "north-wales": {"W06000001", "W06000002", "W06000003", "W06000004", "W06000005", "W06000006"},
    "dyfed-powys": {"W06000008", "W06000009", "W06000010", "W06000023"},
    "gwent": {"W06000018", "W06000019", "W06000020", "W06000021", "W06000022"},
}
# Rough centres (lon, lat) for a few forces so their points sit in the right place; others are drawn.
CENTRES = {"kent": (0.72, 51.24), "metropolitan": (-0.12, 51.50), "city-of-london": (-0.09, 51.515),
           "greater-manchester": (-2.24, 53.48), "west-midlands": (-1.89, 52.48), "west-yorkshire": (-1.55, 53.80),
           "south-wales": (-3.35, 51.55), "north-wales": (-3.70, 53.10), "dyfed-powys": (-4.10, 52.20),
           "gwent": (-3.00, 51.65), "northumbria": (-1.60, 55.00), "cumbria": (-3.00, 54.55)}
STREET_WORDS = [
    "High", "Station", "Church", "Mill", "Park", "Victoria", "Queen", "King", "London", "Manor", "School", "Green",
    "Grange", "Chapel", "North", "South", "West", "East", "Albert", "York", "Windsor", "Orchard", "Meadow", "Castle",
    "Bridge", "Market", "Hill", "Oak", "Elm", "Ash", "Willow", "Cedar", "Beech", "Springfield", "Highfield", "Kingsway",
    "Bramley", "Trinity", "George", "Nelson", "Stanley", "Clarence", "Cromwell", "Russell", "Grosvenor", "Priory",
    "Abbey", "Forest", "Lake", "River", "Brook", "Rose", "Holly", "Lime", "Chestnut", "Heather", "Woodland",
    "Cobbs", "Pound", "Taylers",
]
STREET_SUFFIXES = ["Road", "Street", "Lane", "Close", "Avenue", "Way", "Drive", "Gardens", "Court", "Crescent"]
PLACES = ["Supermarket", "Parking Area", "Petrol Station", "Nightclub", "Sports/Recreation Area", "Shopping Area",
          "Further/Higher Educational Building", "Hospital", "Police Station", "Theatre/Concert Hall", "Pedestrian Subway"]


def month_range(first: str, last: str) -> list[str]:
    """'2025-01', '2025-12' -> every month between them, inclusive."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def months_ending(last: str, count: int) -> list[str]:
    """The `count` months ending with `last` (inclusive), oldest first."""
    y, m = int(last[:4]), int(last[5:7])
    index = y * 12 + m - 1 - (count - 1)
    return [f"{(index + i) // 12:04d}-{(index + i) % 12 + 1:02d}" for i in range(count)]


class Geography:
    """LSOAs, their forces, weights and map points (fixed per seed and force count)."""

    def __init__(self, ons_dir: Path, forces: int, seed: int):
        con = duckdb.connect()
        rows = con.execute(f"""
            select l.LSOA11CD, l.LSOA11NM, l.LAD19CD, coalesce(d.UTLACD, l.LAD19CD), coalesce(d.RGNCD, 'W')
            from read_csv('{ons_dir / LSOA_LOOKUP}', all_varchar = true) as l
            left join (select distinct LADCD, UTLACD, RGNCD from read_csv('{ons_dir / LA_CODES}', all_varchar = true)) as d
                on d.LADCD = l.LAD19CD
            order by l.LSOA11CD""").fetchall()
        con.close()
        self.codes = np.array([r[0] for r in rows], dtype=object)
        self.names = np.array([r[1] for r in rows], dtype=object)
        lad = [r[2] for r in rows]
        utla = [r[3] for r in rows]
        region = [r[4] for r in rows]
        rng = np.random.default_rng([seed, 0])
        chosen = FORCES if forces >= len(FORCES) else _subset(forces)
        self.force_slugs = [f[0] for f in chosen]
        self.force_names = [f[1] for f in chosen]
        force_of = _assign(chosen, lad, utla, region)
        keep = np.array([f is not None for f in force_of])
        index_of = {slug: i for i, slug in enumerate(self.force_slugs)}
        self.codes, self.names = self.codes[keep], self.names[keep]
        self.force = np.array([index_of[f] for f in force_of if f is not None], dtype=np.int32)
        n = len(self.codes)
        self.weight = rng.gamma(2.0, 0.5, n)
        self.weight /= self.weight.sum()
        self.name_rank = np.argsort(np.argsort(self.names.astype(str), kind="stable"), kind="stable")
        # Map points: per force a centre, per LSOA a base point near it, per LSOA four snapped points.
        centres = np.array([CENTRES.get(slug, (rng.uniform(-3.8, 1.2), rng.uniform(50.7, 54.8)))
                            for slug in self.force_slugs])
        base_lon = centres[self.force, 0] + rng.normal(0, 0.18, n)
        base_lat = centres[self.force, 1] + rng.normal(0, 0.12, n)
        lon = np.clip(base_lon[:, None] + rng.normal(0, 0.01, (n, POINTS_PER_LSOA)), -5.7, 1.76)
        lat = np.clip(base_lat[:, None] + rng.normal(0, 0.007, (n, POINTS_PER_LSOA)), 49.9, 55.8)
        streets = [f"On or near {a} {b}" for a in STREET_WORDS for b in STREET_SUFFIXES] + [f"On or near {p}" for p in PLACES]
        street = rng.integers(0, len(streets), (n, POINTS_PER_LSOA))
        # Dictionaries of per-point strings (index = lsoa * POINTS_PER_LSOA + point).
        self.lon_text = pa.array([f"{v:.6f}" for v in lon.ravel()], pa.string())
        self.lat_text = pa.array([f"{v:.6f}" for v in lat.ravel()], pa.string())
        self.location_dict = pa.array(streets + ["No Location"], pa.string())
        self.point_street = street.ravel().astype(np.int32)
        self.code_dict = pa.array(list(self.codes), pa.string())
        self.name_dict = pa.array(list(self.names), pa.string())

    def force_lsoa_counts(self) -> np.ndarray:
        return np.bincount(self.force, minlength=len(self.force_slugs))


def _subset(count: int) -> list[tuple[str, str, str]]:
    """Fewer forces (smoke runs): Kent first, then the others in order."""
    kent = [f for f in FORCES if f[0] == "kent"]
    others = [f for f in FORCES if f[0] != "kent"]
    return (kent + others)[:max(count, 1)]


def _assign(forces: list[tuple[str, str, str]], lad: list[str], utla: list[str], region: list[str]) -> list[str | None]:
    """Force slug of every LSOA (None when the force is not generated)."""
    wanted = {f[0] for f in forces}
    fixed: list[str | None] = []
    for lad_code, utla_code in zip(lad, utla):
        if utla_code == "E10000016" or lad_code == "E06000035":
            fixed.append("kent")
        elif lad_code == "E09000001":
            fixed.append("city-of-london")
        elif lad_code.startswith("E09"):
            fixed.append("metropolitan")
        elif lad_code.startswith("W"):
            fixed.append(next((slug for slug, codes in WALES.items() if lad_code in codes), "south-wales"))
        else:
            fixed.append(None)
    # Deal the remaining counties of each region to that region's forces, balanced by LSOA count.
    by_region: dict[str, list[str]] = {}
    for slug, _, rule in FORCES:
        if rule.startswith("E12"):
            by_region.setdefault(rule, []).append(slug)
    county_size: dict[tuple[str, str], int] = {}
    for i, f in enumerate(fixed):
        if f is None:
            county_size[(region[i], utla[i])] = county_size.get((region[i], utla[i]), 0) + 1
    county_force: dict[tuple[str, str], str] = {}
    for reg, slugs in by_region.items():
        counties = sorted(k for k in county_size if k[0] == reg)
        cumulative = np.cumsum([county_size[k] for k in counties])
        cuts = [0]
        for j in range(1, len(slugs)):
            cut = int(np.searchsorted(cumulative, j * cumulative[-1] / len(slugs)))
            cuts.append(min(max(cut, cuts[-1] + 1), len(counties) - (len(slugs) - j)))
        cuts.append(len(counties))
        for j, slug in enumerate(slugs):
            for key in counties[cuts[j]:cuts[j + 1]]:
                county_force[key] = slug
    out: list[str | None] = []
    for i, f in enumerate(fixed):
        slug = f if f is not None else county_force.get((region[i], utla[i]), by_region["E12000008"][0])
        out.append(slug if slug in wanted else None)
    if all(f is None for f in out):
        raise ValueError("no LSOA belongs to the chosen forces")
    # With a force subset every chosen force must still own LSOAs (a region's counties may all go to one).
    missing = wanted - set(out)
    if missing:
        spare = [i for i, f in enumerate(fixed) if f is None and out[i] is None]
        for slug, chunk in zip(sorted(missing), np.array_split(np.array(spare, dtype=int), len(missing))):
            for i in chunk:
                out[i] = slug
    return out


def _crime_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random 64-hex ids as a contiguous (n*64) byte buffer."""
    raw = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    out = np.empty((n, 64), dtype=np.uint8)
    out[:, 0::2] = hexdigits[raw >> 4]
    out[:, 1::2] = hexdigits[raw & 15]
    return out


def _string_column(data: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Fixed-width byte rows -> arrow strings, null where not valid."""
    n, width = data.shape
    offsets = np.arange(n + 1, dtype=np.int32) * width
    array = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data).ravel()))
    return pa.compute.if_else(pa.array(valid), array, pa.scalar(None, pa.string()))


def _take(dictionary: pa.Array, indices: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    idx = pa.array(indices.astype(np.int32), mask=None if valid is None else ~valid)
    return dictionary.take(idx)


def month_table(geo: Geography, month: str, rows: int, seed: int) -> tuple[pa.Table, np.ndarray]:
    """One month of rows for every force, sorted by force then LSOA name (no-location rows last)."""
    import pyarrow.compute  # noqa: F401  (registers pa.compute)

    rng = np.random.default_rng([seed, int(month[:4]), int(month[5:7])])
    lsoa = rng.choice(len(geo.codes), size=rows, p=geo.weight).astype(np.int64)
    force = geo.force[lsoa]
    located = rng.random(rows) >= NO_LOCATION_SHARE
    order = np.lexsort((geo.name_rank[lsoa], ~located, force))
    lsoa, force, located = lsoa[order], force[order], located[order]
    types = list(CRIME_TYPES)
    type_p = np.array(list(CRIME_TYPES.values()))
    crime_type = rng.choice(len(types), size=rows, p=type_p / type_p.sum())
    is_crime = crime_type != 0
    outcome_names = list(OUTCOMES)
    outcome_p = np.array(list(OUTCOMES.values()), dtype=float)
    outcome = rng.choice(len(outcome_names), size=rows, p=outcome_p / outcome_p.sum())
    point = lsoa * POINTS_PER_LSOA + rng.integers(0, POINTS_PER_LSOA, rows)
    location = np.where(located, geo.point_street[point], len(geo.location_dict) - 1)
    columns = {
        "Crime ID": _string_column(_crime_ids(rng, rows), is_crime),
        "Month": pa.repeat(pa.scalar(month, pa.string()), rows),
        "Reported by": _take(pa.array(geo.force_names, pa.string()), force),
        "Falls within": _take(pa.array(geo.force_names, pa.string()), force),
        "Longitude": _take(geo.lon_text, point, located),
        "Latitude": _take(geo.lat_text, point, located),
        "Location": _take(geo.location_dict, location),
        "LSOA code": _take(geo.code_dict, lsoa, located),
        "LSOA name": _take(geo.name_dict, lsoa, located),
        "Crime type": _take(pa.array(types, pa.string()), crime_type),
        "Last outcome category": _take(pa.array(outcome_names, pa.string()), outcome, is_crime),
        "Context": pa.nulls(rows, pa.string()),
    }
    return pa.table(columns), force


def generate_national(out_dir: Path, months: list[str], rows_per_month: int, forces: int = 43, seed: int = 1,
                      ons_dir: Path | None = None) -> list[Path]:
    """Write one police.uk street file per force per month; returns the paths (sorted by month, force)."""
    out_dir = Path(out_dir)
    geo = Geography(Path(ons_dir or DEFAULT_ONS_DIR), forces, seed)
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    paths: list[Path] = []
    for month in months:
        table, force = month_table(geo, month, rows_per_month, seed)
        folder = out_dir / month
        folder.mkdir(parents=True, exist_ok=True)
        bounds = np.searchsorted(force, np.arange(len(geo.force_slugs) + 1))
        for number, slug in enumerate(geo.force_slugs):
            start, stop = int(bounds[number]), int(bounds[number + 1])
            if stop <= start:
                continue
            path = folder / f"{month}-{slug}-street.csv"
            con.register("force_rows", table.slice(start, stop - start))
            con.execute(f"copy force_rows to '{path}' (format csv, header true, delimiter ',', quote '\"')")
            con.unregister("force_rows")
            paths.append(path)
    con.close()
    return paths


def count_rows(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")) - 1
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--months", default="2025-01..2025-12", help="FIRST..LAST, e.g. 2025-01..2025-12")
    parser.add_argument("--rows-per-month", type=int, default=500_000)
    parser.add_argument("--forces", type=int, default=43)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    first, _, last = args.months.partition("..")
    started = time.perf_counter()
    paths = generate_national(args.out_dir, month_range(first, last or first), args.rows_per_month, args.forces, args.seed)
    print(f"{len(paths)} files, {count_rows(paths):,} rows in {time.perf_counter() - started:.1f} s -> {args.out_dir}")
    with open(paths[0], newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == HEADER
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
