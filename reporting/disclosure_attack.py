"""The attacker: what a reader can work out about a withheld count from everything published.

:func:`attack_publication` reads every file of a publication folder (the report cards' ward tables,
every CSV and workbook, which charts exist, the manifest) and, when given them, the neighbouring
periods' publications, and tries to recover each figure shown as the small-count marker ("<5"):

(a) **order** -- a ranked table whose withheld rows are not simply an alphabetical block after the
    ranked ones: a withheld row between shown rows is bounded by its neighbours; a withheld block
    out of alphabetical order is taken as sorted by value (a restart of the alphabet means a smaller
    value); a top-N list that holds a withheld row while leaving out a shown one puts the withheld
    row above the shown one.
(b) **differencing** -- the same figure shown in one file and withheld in another (priorities that
    share an indicator, the card against the workbook and the CSV, this period against the previous
    period's publication when the series was not revised); wards plus "not placed" add up to the
    district; a 12-month window is the sum of its months in the workbook's Data sheet, the previous
    12 months too, and so across the windows of two periods' publications; a shown change is the
    latest minus the previous count; a shown percentage or rate with its base bounds the count.
(c) **linear-programming bounds** -- all of the above as one system of linear constraints, with
    what the markers say (``<5``: 1 to 4; ``[c]``: a shown figure chosen for protection, so at least
    5), solved for the smallest and largest whole value of each withheld cell
    (:class:`reporting.disclosure.LinearSystem`, the same solver as the per-table audit).

A withheld small count whose feasible whole values are fewer than two is a finding; publication
fails on any finding (:func:`check_publication`). Figures from public sources (labelled so) are
simply known values to the attacker. What the attacker does not model: forecasts (a model fitted to
the series, not a linear function of it) and the SPC chart of a percentage or rate (it plots a ratio):
a chart is withheld whenever any month it would plot is withheld, and the attacker checks that.
"""

from __future__ import annotations

import calendar
import csv
import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from typing import Any

from reporting.disclosure import (
    DEFAULT_RULES,
    MANIFEST_NAME,
    PRIMARY,
    SECONDARY,
    SHOWN,
    DisclosureCheckError,
    DisclosureRules,
    LinearSystem,
)
from reporting.linked_counts import EarlierCounts

__all__ = ["AttackResult", "Finding", "attack_publication", "check_publication", "earlier_counts",
           "neighbour_publications"]

Key = tuple[str, str, str, str, str]  # (num | den, indicator id, district | ward code | not_placed, start, end)
Node = tuple[str, Key]  # (publication period, key)

ORDER, DIFFERENCING, BOUNDS = "order", "differencing", "linear-programming bounds"
SHOWN_ELSEWHERE, CHART = "shown in another file", "chart of the monthly series"
_EPS = 1e-6


@dataclass(frozen=True)
class Finding:
    """One withheld small count a reader can work out."""

    where: str
    attack: str
    low: float
    high: float | None
    detail: str = ""

    def __str__(self) -> str:
        rng = (f"exactly {round(self.low)}" if self.high is not None and self.high - self.low < 1
               else f"between {math.ceil(self.low - _EPS)} and {self.high}")
        return f"{self.where}: recovered by {self.attack} ({rng}){': ' + self.detail if self.detail else ''}"


@dataclass
class AttackResult:
    """What the attacker found, what it read, and relations it had to drop as untrue."""

    findings: list[Finding]
    files_read: list[str]
    withheld_small: int
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Figure:
    node: Node
    value: int | None
    marker: str
    where: str


@dataclass
class _Evidence:
    rules: DisclosureRules
    figures: list[_Figure] = field(default_factory=list)
    eq: list[tuple[dict[Node, float], float, str]] = field(default_factory=list)
    ub: list[tuple[dict[Node, float], float, str]] = field(default_factory=list)
    order_tables: list[tuple[str, list[tuple[str, _Figure]], list[_Figure]]] = field(default_factory=list)
    windows: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    names: dict[tuple[str, str], dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    methods: dict[str, str] = field(default_factory=dict)
    months: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    parts: dict[tuple[str, str, str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    charted: dict[tuple[str, str], str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def count(self, raw: Any) -> tuple[int | None, str] | None:
        """(value, marker) of a published count cell; None if it holds no count at all."""
        if raw is None or isinstance(raw, bool):
            return None
        if isinstance(raw, (int, float)):
            return (int(raw), "") if float(raw) == int(raw) else None
        text = str(raw).strip()
        if text in (self.rules.marker, self.rules.secondary_marker):
            return None, text
        if re.fullmatch(r"\d{1,3}(,\d{3})+|\d+", text):
            return int(text.replace(",", "")), ""
        return None

    def add(self, node: Node, raw: Any, where: str) -> _Figure | None:
        parsed = self.count(raw)
        if parsed is None:
            return None
        fig = _Figure(node, parsed[0], parsed[1], where)
        self.figures.append(fig)
        return fig


# --------------------------------------------------------------------------- dates


def _iso(x: Any) -> str:
    if isinstance(x, datetime):
        return x.date().isoformat()
    if isinstance(x, date):
        return x.isoformat()
    return str(x).strip()[:10]


def _month_end(year: int, month: int) -> str:
    return date(year, month, calendar.monthrange(year, month)[1]).isoformat()


def _shift(start: str, end: str, months: int) -> tuple[str, str]:
    """A window moved by whole months (the 'previous 12 months' of a window)."""
    s, e = date.fromisoformat(start), date.fromisoformat(end)
    si, ei = s.year * 12 + s.month - 1 + months, e.year * 12 + e.month - 1 + months
    return date(si // 12, si % 12 + 1, 1).isoformat(), _month_end(ei // 12, ei % 12 + 1)


def _month_keys(start: str, end: str) -> list[tuple[str, str]]:
    s, e = date.fromisoformat(start), date.fromisoformat(end)
    out, i = [], s.year * 12 + s.month - 1
    while i <= e.year * 12 + e.month - 1:
        out.append((date(i // 12, i % 12 + 1, 1).isoformat(), _month_end(i // 12, i % 12 + 1)))
        i += 1
    return out


def _signed(text: Any) -> int | None:
    t = str(text or "").strip().replace(",", "").replace("\u2212", "-")
    return int(t) if re.fullmatch(r"[+-]?\d+", t) else None


# --------------------------------------------------------------------------- readers


def _read_csv(ev: _Evidence, pub: str, path: Path, label: str) -> None:
    """indicators.csv: every count of every indicator, area and window, in published order."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    ward_order: dict[str, list[tuple[str, _Figure]]] = defaultdict(list)
    for line, row in enumerate(rows, start=2):
        iid, area_type = row.get("indicator_id", ""), row.get("area_type", "")
        start, end = row.get("period_start", ""), row.get("period_end", "")
        if not iid or not start or not end:
            continue
        ev.methods[iid] = row.get("method", "")
        area = {"district": "district", "not_placed": "not_placed"}.get(area_type, row.get("area_code", ""))
        if area_type == "district":
            ev.windows[(pub, iid)] = (start, end)
        else:
            ev.names[(pub, iid)][row.get("area_name", "")] = area
        prev = _shift(start, end, -12)
        nodes = {}
        for col, meas, (s, e) in (("numerator", "num", (start, end)), ("denominator", "den", (start, end)),
                                  ("previous_numerator", "num", prev), ("previous_denominator", "den", prev)):
            node: Node = (pub, (meas, iid, area, s, e))
            fig = ev.add(node, row.get(col), f"{label} line {line} ({iid}, {row.get('area_name', '')}), column {col}")
            nodes[col] = (node, fig)
            if fig is not None and area != "district":
                ev.parts[(pub, meas, iid, s, e)].add(area)
        if area_type == "ward" and nodes["numerator"][1] is not None:
            ward_order[iid].append((row.get("area_name", ""), nodes["numerator"][1]))
        change = _signed(row.get("change"))
        if change is not None and row.get("method") == "count":
            ev.eq.append(({nodes["numerator"][0]: 1.0, nodes["previous_numerator"][0]: -1.0}, float(change),
                          "a shown change (latest minus previous)"))
        _ratio(ev, row, nodes["numerator"][0], nodes["denominator"][0])
    for iid, order in ward_order.items():
        ev.order_tables.append((f"{label} (ward rows of {iid})", order, []))


def _ratio(ev: _Evidence, row: Mapping[str, str], num: Node, den: Node) -> None:
    """A shown percentage (or rate) with its base: num / den * scale lies within the rounding."""
    method, text = row.get("method", ""), str(row.get("value") or "").strip().replace(",", "")
    if method not in ("proportion", "rate") or not re.fullmatch(r"\d+(\.\d+)?", text):
        return
    scale = 100.0 if method == "proportion" else _rate_scale(row.get("unit", ""))
    if scale is None:
        return
    half = 0.5 * 10.0 ** -(len(text.split(".")[1]) if "." in text else 0)
    v = float(text)
    # (v - half) / scale * den <= num <= (v + half) / scale * den
    ev.ub.append(({den: (v - half) / scale, num: -1.0}, 0.0, "a shown percentage or rate and its base"))
    ev.ub.append(({num: 1.0, den: -(v + half) / scale}, 0.0, "a shown percentage or rate and its base"))


def _rate_scale(unit: str) -> float | None:
    m = re.search(r"per\s+([\d,]+)", unit or "")
    return float(m.group(1).replace(",", "")) if m else None


def _sheet_rows(ws: Any, header_row: int) -> tuple[list[str], list[tuple[int, tuple]]]:
    rows = ws.iter_rows(min_row=header_row, values_only=True)
    header = [str(h) if h is not None else "" for h in next(rows, ())]
    return header, list(enumerate(rows, start=header_row + 1))


def _read_xlsx(ev: _Evidence, pub: str, path: Path, label: str, header_row: int) -> None:
    """Workbooks: outcome sheets and the committee Summary (district), Wards, and Data (months)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for name in wb.sheetnames:
            header, rows = _sheet_rows(wb[name], header_row)
            if "Indicator id" not in header:
                continue
            col = {h: i for i, h in enumerate(header)}
            ward_order: dict[str, list[tuple[str, _Figure]]] = defaultdict(list)
            for r, values in rows:
                def cell(h: str, values: tuple = values, col: dict[str, int] = col) -> Any:
                    return values[col[h]] if h in col and col[h] < len(values) else None
                iid = str(cell("Indicator id") or "")
                window = ev.windows.get((pub, iid))
                where = f"{label} [{name}] row {r} ({iid})"
                if name == "Data" and cell("Month") is not None:
                    s = _iso(cell("Month"))[:7] + "-01"
                    where = f"{label} [{name}] row {r} ({iid}, {s[:7]})"
                    s, e = _month_keys(s, s)[0]
                    for h, meas in (("Numerator", "num"), ("Denominator", "den")):
                        if ev.add((pub, (meas, iid, "district", s, e)), cell(h), f"{where}, column {h}"):
                            ev.months[(pub, meas, iid)].add(s)
                    continue
                if window is None:
                    continue
                prev = _shift(*window, -12)
                area = "district"
                if name in ("Wards", "Ward maps"):  # "Ward maps": the ward maps' text tables (workbook_extras)
                    area = str(cell("Ward code") or "") or ev.names[(pub, iid)].get(str(cell("Ward") or ""), "")
                    area = area or "not_placed"
                    where = f"{label} [{name}] row {r} ({iid}, {cell('Ward') or ''})"
                elif name == "Peers":  # one row per peer area; this CSP's row is the district
                    area = "district" if cell("This CSP") == "Yes" else f"peer:{cell('Area') or ''}"
                    where = f"{label} [{name}] row {r} ({iid}, {cell('Area') or ''})"
                for h, meas, (s, e) in (("Count", "num", window), ("Base", "den", window),
                                        ("Previous count", "num", prev), ("Previous base", "den", prev)):
                    fig = ev.add((pub, (meas, iid, area, s, e)), cell(h), f"{where}, column {h}")
                    if h == "Count" and fig is not None and name == "Wards" and area != "not_placed":
                        ward_order[iid].append((str(cell("Ward") or ""), fig))
            for iid, order in ward_order.items():
                ev.order_tables.append((f"{label} [{name}] (rows of {iid})", order, []))
    finally:
        wb.close()


class _TableParser(HTMLParser):
    """Rows of cell texts of every <table> with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or None
            if self._table:
                self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._table and self._cell is not None and self.tables[self._table]:
            self.tables[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _read_html(ev: _Evidence, pub: str, path: Path, label: str) -> None:
    """Report cards: each indicator's ward table (a top-N list in published order, and its total row)."""
    parser = _TableParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    for table_id, rows in parser.tables.items():
        if not table_id.startswith("wards-") or not rows:
            continue
        iid = table_id.removeprefix("wards-")
        window = ev.windows.get((pub, iid))
        if window is None:
            continue
        header, names = rows[0], ev.names[(pub, iid)]
        cols = {"Latest 12 months": window, "Previous 12 months": _shift(*window, -12)}
        listed: list[tuple[str, _Figure]] = []
        for n, cells in enumerate(rows[1:], start=1):
            if len(cells) != len(header):
                continue
            name = cells[0].removesuffix("(no usable location)").strip()
            total = name.endswith(" total") and name not in names
            area = "district" if total else names.get(name, "not_placed" if "no usable location" in cells[0] else "")
            if not area:
                continue
            for h, (s, e) in cols.items():
                if h in header:
                    fig = ev.add((pub, ("num", iid, area, s, e)), cells[header.index(h)],
                                 f"{label} table {table_id} row {n} ({name}), column {h}")
                    if fig is not None and h == "Latest 12 months" and area not in ("district", "not_placed"):
                        listed.append((name, fig))
        everyone = [f for f in ev.figures if f.node[0] == pub and f.node[1][:2] == ("num", iid)
                    and f.node[1][2] not in ("district", "not_placed") and f.node[1][3:] == window
                    and f.value is not None]
        ev.order_tables.append((f"{label} table {table_id}", listed, everyone))


def _read_publication(ev: _Evidence, pub: str, folder: Path) -> None:
    """Every file under a publication folder, CSVs first (they name the windows and the wards)."""
    manifest = folder / MANIFEST_NAME
    entries = json.loads(manifest.read_text(encoding="utf-8")).get("files", []) if manifest.exists() else []
    header_rows = {e["path"]: int(e.get("header_row", 1)) for e in entries}
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    rank = {".csv": 0, ".xlsx": 1, ".html": 2}
    for p in sorted(files, key=lambda p: (rank.get(p.suffix, 3), str(p))):
        rel = p.relative_to(folder).as_posix()
        label = f"{pub}/{rel}"
        ev.files.append(label)
        if p.suffix == ".csv" and p.name == "indicators.csv":
            _read_csv(ev, pub, p, label)
        elif p.suffix == ".xlsx":
            _read_xlsx(ev, pub, p, label, header_rows.get(rel, 3))
        elif p.suffix == ".html":
            _read_html(ev, pub, p, label)
        elif p.suffix in (".svg", ".png") and p.parent.name == "charts" and not p.stem.endswith("_forecast"):
            ev.charted[(pub, p.stem)] = label
    # Relations a reader knows from the definitions: wards (+ not placed) make the district, and a
    # window is the sum of its months.
    for (p2, meas, iid, s, e), areas in ev.parts.items():
        if p2 != pub:
            continue
        row: dict[Node, float] = {(pub, (meas, iid, "district", s, e)): -1.0}
        row.update({(pub, (meas, iid, a, s, e)): 1.0 for a in areas})
        if "not_placed" in areas:
            ev.eq.append((row, 0.0, "wards and 'not placed' add up to the district"))
        else:
            ev.ub.append((row, 0.0, "wards add up to no more than the district"))
    for node in dict.fromkeys(f.node for f in ev.figures):
        p2, (meas, iid, area, s, e) = node
        if p2 != pub or area != "district" or s[:7] == e[:7]:
            continue
        months = [m for m in _month_keys(s, e)]
        published = [m for m in months if m[0] in ev.months[(pub, meas, iid)]]
        if not published:
            continue
        row = {(pub, (meas, iid, "district", ms, me)): 1.0 for ms, me in published}
        row[node] = -1.0
        if len(published) == len(months):
            ev.eq.append((row, 0.0, "a window is the sum of its months"))
        else:
            ev.ub.append((row, 0.0, "the months shown are part of the window"))


# --------------------------------------------------------------------------- solving


class _Classes:
    """Union-find over nodes: one class per quantity, however many files and periods show it."""

    def __init__(self) -> None:
        self.parent: dict[Node, Node] = {}

    def find(self, n: Node) -> Node:
        self.parent.setdefault(n, n)
        while self.parent[n] != n:
            self.parent[n] = self.parent[self.parent[n]]
            n = self.parent[n]
        return n

    def union(self, a: Node, b: Node) -> None:
        self.parent[self.find(a)] = self.find(b)


def _link_periods(ev: _Evidence, classes: _Classes, pubs: list[str], notes: list[str]) -> None:
    """The same window of the same series in two publications is one quantity, unless revised."""
    by_series: dict[tuple[str, str, str], dict[str, dict[tuple[str, str], list[_Figure]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for f in ev.figures:
        pub, (meas, iid, area, s, e) = f.node
        by_series[(meas, iid, area)][pub][(s, e)].append(f)
    for series, per_pub in by_series.items():
        present = [p for p in pubs if p in per_pub]
        for a, b in pairwise(present):
            common = set(per_pub[a]) & set(per_pub[b])
            revised = [w for w in common
                       if {f.value for f in per_pub[a][w] if f.value is not None}
                       ^ {f.value for f in per_pub[b][w] if f.value is not None}
                       and all(any(f.value is not None for f in per_pub[p][w]) for p in (a, b))]
            if revised:
                notes.append(f"{series[1]} ({series[0]}, {series[2]}): revised between {a} and {b}, so the two "
                             "publications are not combined for it")
                continue
            for w in common:
                classes.union((a, (series[0], series[1], series[2], *w)), (b, (series[0], series[1], series[2], *w)))


def _order_constraints(rows: list[tuple[str, _Figure]], everyone: list[_Figure]
                       ) -> list[tuple[dict[Node, float], float]]:
    """What a ranked table's order says, when it is evidence of ranking by value (see module doc).

    Rows are (name, figure) in published order; ``everyone`` (top-N lists) the shown figures of every
    row the list could have held. Constraints are sum(coef * x) <= rhs over nodes.
    """
    shown = [f.value for _, f in rows if f.value is not None]
    if any(a < b for a, b in pairwise(shown)):
        return []  # not ranked by value (descending): the order is not about the value
    out: list[tuple[dict[Node, float], float]] = []
    first_trailing = 1 + max((i for i, (_, f) in enumerate(rows) if f.value is not None), default=-1)
    block = [name for name, _ in rows[first_trailing:]]
    alphabetical = all(a <= b for a, b in pairwise(block))
    for i in range(len(rows) - 1):
        (na, a), (nb, b) = rows[i], rows[i + 1]
        if a.value is not None and b.value is not None:
            continue
        if i + 1 >= first_trailing and (i < first_trailing or alphabetical):
            # The withheld rows after every ranked row, in alphabetical order: the published rule,
            # no evidence about their values.
            continue
        gap = 1.0 if na > nb else 0.0  # value first, then name: a restart of the alphabet is a drop
        row: dict[Node, float] = {}  # x_b - x_a <= -gap, known values moved to the right-hand side
        rhs = -gap
        if b.value is None:
            row[b.node] = 1.0
        else:
            rhs -= b.value
        if a.value is None:
            row[a.node] = row.get(a.node, 0.0) - 1.0
        else:
            rhs += a.value
        out.append((row, rhs))
    listed = {id(f) for _, f in rows}
    omitted = [f.value for f in everyone if id(f) not in listed and f.value is not None
               and f.node not in {g.node for _, g in rows}]
    if omitted:
        top = max(omitted)
        for _, f in rows:
            if f.value is None:
                out.append(({f.node: -1.0}, -float(top)))  # listed above a shown ward left out
    return out


def _bounds_of(figs: Iterable[_Figure], rules: DisclosureRules) -> tuple[float, float | None]:
    lo, hi = 0.0, None
    for f in figs:
        if f.marker == rules.marker:
            lo, hi = max(lo, rules.min_count), min(hi, rules.max_small) if hi is not None else rules.max_small
        elif f.marker == rules.secondary_marker and rules.min_count == 1:
            lo = max(lo, rules.max_small + 1)
    return float(lo), (float(hi) if hi is not None else None)


def _pinned(system: LinearSystem, k: int) -> tuple[bool, float, float | None]:
    hs, hi = system.extreme(k, maximise=True, integral=True)
    ls, lo = system.extreme(k, maximise=False, integral=True)
    if hs == 2 or ls == 2 or lo is None:
        raise ValueError("infeasible")
    if hs == 3 or hi is None:
        return False, lo, None
    return round(hi) - round(lo) < 1, lo, hi


def attack_publication(folder: Path, period: str, others: Mapping[str, Path] | None = None,
                       rules: DisclosureRules = DEFAULT_RULES) -> AttackResult:
    """Try every attack on the publication in ``folder`` (period ``period``), with ``others``' files."""
    started = time.perf_counter()
    ev = _Evidence(rules)
    pubs = sorted({period, *(others or {})})
    for pub in pubs:
        _read_publication(ev, pub, folder if pub == period else Path((others or {})[pub]))
    notes: list[str] = []
    classes = _Classes()
    for f in ev.figures:
        classes.find(f.node)
    _link_periods(ev, classes, pubs, notes)
    members: dict[Node, list[_Figure]] = defaultdict(list)
    for f in ev.figures:
        members[classes.find(f.node)].append(f)
    known = {c: next(f.value for f in fs if f.value is not None)
             for c, fs in members.items() if any(f.value is not None for f in fs)}
    findings: list[Finding] = []
    small = [f for f in ev.figures if f.marker == rules.marker]  # a neighbour's cell counts too

    for f in small:  # shown elsewhere, or plotted
        c = classes.find(f.node)
        if c in known:
            other = next(g for g in members[c] if g.value is not None)
            findings.append(Finding(f.where, SHOWN_ELSEWHERE, known[c], known[c], other.where))
        pub, (_meas, iid, area, s, e) = f.node
        chart = ev.charted.get((pub, iid))
        if chart and area == "district" and s[:7] == e[:7] and ev.methods.get(iid) in ("count", "mean"):
            findings.append(Finding(f.where, CHART, rules.min_count, rules.max_small, chart))

    constraints: list[tuple[dict[Node, float], float, str, bool]] = []  # (coefs, rhs, family, is_eq)
    for coefs, rhs, fam in ev.eq:
        constraints.append((coefs, rhs, fam, True))
    for coefs, rhs, fam in ev.ub:
        constraints.append((coefs, rhs, fam, False))
    for label, rows, everyone in ev.order_tables:
        table = _order_constraints(rows, everyone)
        if table and _consistent(table, classes, known, members, rules):
            constraints += [(co, rhs, f"{ORDER}: {label}", False) for co, rhs in table]
        elif table:
            notes.append(f"{label}: ranked rows with withheld values that do not fit a ranking by value")

    # Substitute known values; a relation among known values that fails is not a relation.
    reduced: list[tuple[dict[Node, float], float, str, bool]] = []
    for coefs, rhs, fam, is_eq in constraints:
        row, r = _substitute(coefs, rhs, classes, known, members)
        if math.isnan(r):
            continue  # a relation through a figure nobody published: no use to a reader
        row = {c: v for c, v in row.items() if abs(v) > 1e-12}
        if not row:
            if (abs(r) > 1e-6 if is_eq else r < -1e-6) and not fam.startswith(ORDER):
                notes.append(f"published figures do not satisfy '{fam}' (residual {r:g}); not used")
            continue
        reduced.append((row, r, fam, is_eq))

    findings += _solve(ev, classes, members, known, reduced, small, rules, notes)
    return AttackResult(findings, ev.files, len(small), notes, time.perf_counter() - started)


def _substitute(coefs: dict[Node, float], rhs: float, classes: _Classes, known: dict[Node, int],
                members: dict[Node, list[_Figure]] | None = None) -> tuple[dict[Node, float], float]:
    """A relation with every known figure moved to the right-hand side. With ``members``, a figure that is
    neither known nor a published marker makes the right-hand side NaN (the relation is of no use)."""
    row: dict[Node, float] = defaultdict(float)
    r = rhs
    for n, v in coefs.items():
        c = classes.find(n)
        if c in known:
            r -= v * known[c]
        elif members is None or c in members:
            row[c] += v
        else:
            r = math.nan
    return dict(row), r


def _consistent(table: list[tuple[dict[Node, float], float]], classes: _Classes, known: dict[Node, int],
                members: dict[Node, list[_Figure]], rules: DisclosureRules) -> bool:
    """Whether an order hypothesis fits the markers' bounds (else the table is not ranked by value)."""
    rows = [_substitute(coefs, rhs, classes, known) for coefs, rhs in table]
    var = sorted({c for row, _ in rows for c in row})
    if not var:
        return all(r >= -1e-9 for _, r in rows)
    pos = {c: i for i, c in enumerate(var)}
    system = LinearSystem([_bounds_of(members[c], rules) for c in var], [],
                          [({pos[c]: v for c, v in row.items()}, r) for row, r in rows])
    return system.extreme(0, maximise=False)[0] == 0


def _solve(ev: _Evidence, classes: _Classes, members: dict[Node, list[_Figure]], known: dict[Node, int],
           reduced: list[tuple[dict[Node, float], float, str, bool]], small: list[_Figure],
           rules: DisclosureRules, notes: list[str]) -> list[Finding]:
    """Bounds of every withheld small count, one connected system of constraints at a time."""
    comp = _Classes()
    for row, *_ in reduced:
        first = next(iter(row))
        for c in row:
            comp.union(c, first)
    by_comp: dict[Node, list[int]] = defaultdict(list)
    for i, (row, *_) in enumerate(reduced):
        by_comp[comp.find(next(iter(row)))].append(i)
    targets: dict[Node, list[_Figure]] = defaultdict(list)
    for f in small:
        c = classes.find(f.node)
        if c not in known and c in comp.parent:
            targets[comp.find(c)].append(f)
    findings = []
    for root, figs in targets.items():
        rows = [reduced[i] for i in by_comp[root]]
        var = sorted({c for row, *_ in rows for c in row})
        pos = {c: i for i, c in enumerate(var)}
        bounds = [_bounds_of(members[c], rules) for c in var]

        def system(keep: Any, rows: list = rows, pos: dict = pos, bounds: list = bounds) -> LinearSystem:
            chosen = [r for r in rows if keep(r[2])]
            return LinearSystem(bounds, [({pos[c]: v for c, v in row.items()}, rhs) for row, rhs, _, e in chosen if e],
                                [({pos[c]: v for c, v in row.items()}, rhs) for row, rhs, _, e in chosen if not e])

        full = system(lambda fam: True)
        # An order hypothesis is a guess about how a table was sorted; if it contradicts the other
        # relations, the guess is wrong and the system without guesses is the reader's knowledge.
        without_guesses = system(lambda fam: not fam.startswith(ORDER))
        done: set[Node] = set()
        for f in figs:
            c = classes.find(f.node)
            if c in done:
                continue
            done.add(c)
            try:
                hit, lo, hi = _pinned(full, pos[c])
            except ValueError:
                try:
                    hit, lo, hi = _pinned(without_guesses, pos[c])
                except ValueError:
                    notes.append(f"{f.where}: the published figures around it contradict each other; not assessed")
                    continue
            if not hit:
                continue
            attack, families = BOUNDS, sorted({fam for _, _, fam, _ in rows})
            for name, keep in ((ORDER, lambda fam: fam.startswith(ORDER)),
                               (DIFFERENCING, lambda fam: not fam.startswith(ORDER))):
                try:
                    if _pinned(system(keep), pos[c])[0]:
                        attack = name
                        break
                except ValueError:
                    continue
            for g in members[c]:
                if g.node[0] == f.node[0]:
                    findings.append(Finding(g.where, attack, lo, hi, "; ".join(families[:4])))
    return findings


# --------------------------------------------------------------------------- publication


def neighbour_publications(reports_dir: Path, period: str) -> dict[str, Path]:
    """The published folders of the month before and the month after ``period``, where they exist."""
    y, m = int(period[:4]), int(period[5:7])
    out = {}
    for step in (-1, 1):
        i = y * 12 + m - 1 + step
        other = f"{i // 12:04d}-{i % 12 + 1:02d}"
        if (reports_dir / other / MANIFEST_NAME).exists():
            out[other] = reports_dir / other
    return out


def _month_before(period: str) -> str:
    i = int(period[:4]) * 12 + int(period[5:7]) - 2
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def earlier_counts(reports_dir: Path, period: str, rules: DisclosureRules = DEFAULT_RULES
                   ) -> dict[tuple[str, str], EarlierCounts]:
    """What the previous month's publication showed of each district series, for the suppression.

    {(indicator id, 'numerator' | 'denominator'): its months and windows, shown or withheld}. A
    figure any of its files shows counts as shown (every reader has it). Empty when the previous
    month was not published here.
    """
    before = _month_before(period)
    folder = Path(reports_dir) / before
    if not (folder / MANIFEST_NAME).exists():
        return {}
    ev = _Evidence(rules)
    _read_publication(ev, before, folder)
    status: dict[tuple[str, str], dict[tuple[str, str], tuple[int | None, int]]] = defaultdict(dict)
    for f in ev.figures:
        meas, iid, area, s, e = f.node[1]
        if area != "district":
            continue
        code = SHOWN if f.value is not None else PRIMARY if f.marker == rules.marker else SECONDARY
        key = (iid, "numerator" if meas == "num" else "denominator")
        old = status[key].get((s, e))
        if old is None or code == SHOWN:
            status[key][(s, e)] = (f.value, code)
    out = {}
    for key, cells in status.items():
        months = {date.fromisoformat(s): v for (s, e), v in cells.items() if s[:7] == e[:7]}
        windows = {(date.fromisoformat(s), date.fromisoformat(e)): v for (s, e), v in cells.items() if s[:7] != e[:7]}
        out[key] = EarlierCounts(months, windows)
    return out


def check_publication(folder: Path, period: str, reports_dir: Path,
                      rules: DisclosureRules = DEFAULT_RULES) -> AttackResult:
    """Run the attacker against a publication about to land; raise if it recovers anything."""
    result = attack_publication(folder, period, neighbour_publications(reports_dir, period), rules)
    if result.findings:
        shown = "; ".join(str(f) for f in result.findings[:10])
        raise DisclosureCheckError(
            f"reports not published: the attacker recovered {len(result.findings)} withheld small count(s) "
            f"from the published files: {shown}")
    return result
