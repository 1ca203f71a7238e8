"""Statistical disclosure control for every output that leaves the warehouse (METHODS.md §3).

The warehouse keeps true values; this module only decides what an output may *display*.

Markers (all configurable through :class:`DisclosureRules`):

* ``<5``  -- primary suppression: a count from ``min_count`` to ``max_small`` (1..4). 0 is shown.
* ``[c]`` -- secondary suppression: a figure withheld only because, together with a shown total or
  another shown figure, it would let a reader work out a ``<5`` cell (GSS shorthand for
  "confidential").
* ``*``   -- a percentage or rate whose base (denominator) is under ``min_base_for_rate``.
* ``[x]`` -- not available (missing input).

Secondary suppression algorithm (:func:`suppress_table`)
--------------------------------------------------------
A table is a grid of non-negative whole counts with optional margins: ``total_col`` holds each
row's total and the ``row_total`` row holds each column's total. Every published total gives a
*line*: "these components add up to this total". Rows, columns, the total column (its entries add
up to the grand total) and the total row are all lines.

1. Primary: every cell, totals included, whose value is small (1..4) is suppressed.
2. Heuristic pass, repeated until nothing changes: for every line with exactly one withheld
   figure (a withheld component with its total shown, or a withheld total with all components
   shown) that figure could be recovered by subtraction, so withhold one more figure in that
   line: the smallest non-zero shown component (ties: first in table order); if every other
   component is zero, withhold the total itself. A newly withheld figure can leave another line
   with a single unknown, which the next sweep catches; this is how suppression cascades
   between rows and columns.
3. Audit: subtraction is not the only attack. Readers know a ``<5`` cell lies in 1..4 and (if
   they know this algorithm) that a ``[c]`` cell is at least 5. With the line equations that can
   still pin a cell: e.g. a row ``[1, 5, 10 | 16]`` after step 2 shows ``<5, [c], 10 | 16``, so
   x + y = 6 with x >= 1 and y >= 5, forcing x = 1. For each primary cell a linear programme
   (scipy HiGHS) finds its smallest and largest value consistent with everything shown; if the
   range holds a single whole number the cell is exposed and one more figure is withheld in a
   line through it (same choice rule as step 2; if those lines are already fully withheld, the
   smallest candidate in any line), for every exposed cell whose lines were not already changed
   in this round; then back to step 2. Each round withholds at least one more figure, so this
   stops; the result passes :func:`audit_suppression` by construction.

Limits (by design, documented for the lead): the guarantee is "no small count can be worked
out exactly from this table", not a minimum width for the range a reader can deduce; and it
covers one table at a time. The same cell published in two outputs must use the same pattern
(compute it once and reuse it), and a total published elsewhere in the report must be passed in
as a total here.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

SHOWN, PRIMARY, SECONDARY = 0, 1, 2

Cell = tuple[int, int]
Line = tuple[list[Cell], Cell]  # (components, total): sum(components) == total


@dataclass(frozen=True)
class DisclosureRules:
    """Thresholds and markers for suppressing counts and rates in published outputs."""

    min_count: int = 1
    max_small: int = 4
    min_base_for_rate: int = 10
    secondary_marker: str = "[c]"
    rate_marker: str = "*"
    missing_marker: str = "[x]"

    def __post_init__(self) -> None:
        """Reject thresholds that would make the rules meaningless or the scanner unreliable."""
        if self.min_count < 1:
            raise ValueError("min_count must be >= 1: zero is always shown")
        if self.max_small < self.min_count:
            raise ValueError("max_small must be >= min_count")
        if self.min_base_for_rate < 1:
            raise ValueError("min_base_for_rate must be >= 1")
        for m in (self.secondary_marker, self.rate_marker, self.missing_marker):
            # A digit inside a marker would be read as a count by the scanners.
            if not m or any(ch.isdigit() for ch in m):
                raise ValueError(f"markers must be non-empty and contain no digits: {m!r}")

    @property
    def marker(self) -> str:
        """Display text for a primary-suppressed small count, e.g. '<5'."""
        return f"<{self.max_small + 1}"

    @property
    def markers(self) -> tuple[str, ...]:
        """Every marker string this rule set can emit."""
        return (self.marker, self.secondary_marker, self.rate_marker, self.missing_marker)

    def is_small(self, n: float) -> bool:
        """True if a count must be hidden under primary suppression."""
        return self.min_count <= n <= self.max_small

    @property
    def explanation(self) -> str:
        """Plain-English note for the foot of every report explaining the suppression rules."""
        low, high = self.min_count, self.max_small
        counts = f"{low}" if low == high else f"{low} to {high}"
        return (
            f'To protect people\'s privacy, counts of {counts} are shown as "{self.marker}" and '
            f'any other figure that could be used to work one out is shown as '
            f'"{self.secondary_marker}"; percentages and rates are shown as "{self.rate_marker}" '
            f"when the number they are calculated from is less than {self.min_base_for_rate}."
        )


DEFAULT_RULES = DisclosureRules()


# --------------------------------------------------------------------------- single values


def is_missing(x: Any) -> bool:
    """True for None / NaN / pandas NA."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _as_count(x: Any) -> int:
    """Coerce a count to int, refusing negatives and fractions (they are not counts)."""
    f = float(x)
    if not math.isfinite(f) or f < 0 or f != int(f):
        raise ValueError(f"counts must be non-negative whole numbers, got {x!r}")
    return int(f)


def format_count(n: int, thousands: bool = True) -> str:
    """Render a shown count; thousands separators are optional for machine-read CSVs."""
    return f"{n:,}" if thousands else str(n)


def suppress_count(
    x: float | None, rules: DisclosureRules = DEFAULT_RULES, thousands: bool = True
) -> tuple[str, bool]:
    """Primary suppression of one count: (display text, suppressed?)."""
    if is_missing(x):
        return rules.missing_marker, False
    n = _as_count(x)
    if rules.is_small(n):
        return rules.marker, True
    return format_count(n, thousands), False


def suppress_rate(
    value: float | None,
    base: float | None,
    rules: DisclosureRules = DEFAULT_RULES,
    fmt: str | Callable[[float], str] = "{:.1%}",
    *,
    numerator: float | None = None,
    numerator_suppressed: bool = False,
) -> tuple[str, bool]:
    """Hide a rate/percentage on a small base, or one that would reveal a hidden numerator."""
    if is_missing(value) or is_missing(base):
        return rules.missing_marker, False
    if float(base) < rules.min_base_for_rate:
        return rules.rate_marker, True
    # rate x shown base = numerator, so a rate must go wherever its numerator is withheld.
    if numerator_suppressed or (not is_missing(numerator) and rules.is_small(float(numerator))):
        return rules.secondary_marker, True
    text = fmt(float(value)) if callable(fmt) else fmt.format(float(value))
    return text, False


def suppress_change(
    current: float | None,
    previous: float | None,
    rules: DisclosureRules = DEFAULT_RULES,
    *,
    current_suppressed: bool = False,
    previous_suppressed: bool = False,
    as_percent: bool = False,
) -> tuple[str, bool]:
    """Difference (or % change) between two counts, withheld if either count is withheld."""
    if is_missing(current) or is_missing(previous):
        return rules.missing_marker, False
    cur, prev = _as_count(current), _as_count(previous)
    # Shown count +/- shown change = the other count, so a change can never be shown next to a
    # withheld count; the *_suppressed flags carry secondary suppression from the caller's table.
    if current_suppressed or previous_suppressed or rules.is_small(cur) or rules.is_small(prev):
        return rules.secondary_marker, True
    if as_percent:
        if prev == 0:
            return rules.missing_marker, False  # undefined, not a disclosure issue
        if prev < rules.min_base_for_rate:
            return rules.rate_marker, True
        return f"{(cur - prev) / prev:+.1%}", False
    diff = cur - prev
    return ("0" if diff == 0 else f"{diff:+,d}"), False


# --------------------------------------------------------------------------- tables


def _build_grid(
    df: pd.DataFrame,
    value_cols: Sequence[Hashable],
    total_col: Hashable | None,
    row_total: Hashable | None,
) -> tuple[np.ndarray, list[Hashable], list[Hashable], list[Line]]:
    """Validate the table and return (values, row labels, column labels, line equations)."""
    value_cols = list(value_cols)
    if not value_cols:
        raise ValueError("value_cols is empty")
    if not df.index.is_unique:
        raise ValueError("the table index must be unique (it labels the cells)")
    missing = [c for c in value_cols + ([total_col] if total_col is not None else [])
               if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in table: {missing}")
    if total_col is not None and total_col in value_cols:
        raise ValueError("total_col must not also be a value column")
    if row_total is not None and row_total not in df.index:
        raise KeyError(f"row_total {row_total!r} is not an index label")

    cols = value_cols + ([total_col] if total_col is not None else [])
    rows = list(df.index)
    grid = np.empty((len(rows), len(cols)), dtype=np.int64)
    for j, c in enumerate(cols):
        for i, r in enumerate(rows):
            v = df.at[r, c]
            if is_missing(v):
                raise ValueError(f"missing count at ({r!r}, {c!r}); fill zeros before publishing")
            grid[i, j] = _as_count(v)

    nv = len(value_cols)
    tc = nv if total_col is not None else None
    tr = rows.index(row_total) if row_total is not None else None
    data_rows = [i for i in range(len(rows)) if i != tr]

    lines: list[Line] = []
    if tc is not None:
        for i in range(len(rows)):  # includes the total row: column totals add to the grand total
            lines.append(([(i, j) for j in range(nv)], (i, tc)))
    if tr is not None:
        for j in range(len(cols)):  # includes the total column: row totals add to the grand total
            lines.append(([(i, j) for i in data_rows], (tr, j)))

    # A total that is not the exact sum of its parts means there is an unpublished remainder;
    # a reader might know it, so we refuse rather than guess. Add it as an explicit column/row.
    for comps, total in lines:
        s = sum(int(grid[c]) for c in comps)
        if s != grid[total]:
            raise ValueError(
                f"total at ({rows[total[0]]!r}, {cols[total[1]]!r}) is {grid[total]} but its "
                f"components sum to {s}; add the remainder (e.g. 'Not recorded') explicitly"
            )
    return grid, rows, cols, lines


def _pick_candidate(grid: np.ndarray, status: np.ndarray, line: Line,
                    locked: np.ndarray | None = None) -> Cell | None:
    """Cell to withhold next in a line: smallest non-zero shown component, else its total.

    A locked cell (its status fixed by another publication) is never chosen.
    """
    comps, total = line

    def free(c: Cell) -> bool:
        return status[c] == SHOWN and grid[c] > 0 and (locked is None or not locked[c])

    shown = [c for c in comps if free(c)]
    if shown:
        # Smallest keeps information loss down; table order breaks ties deterministically.
        return min(shown, key=lambda c: (int(grid[c]), c))
    if free(total):
        return total
    return None


def _bounds(grid: np.ndarray, status: np.ndarray, cell: Cell, rules: DisclosureRules
            ) -> tuple[float, float | None]:
    """What a reader who knows the markers and this algorithm can infer about a withheld cell."""
    if status[cell] == PRIMARY:
        return float(rules.min_count), float(rules.max_small)
    # Secondary cells are chosen from shown non-zero cells, i.e. non-small ones; with
    # min_count == 1 that means >= max_small + 1. Otherwise 1..min_count-1 are possible too.
    return (float(rules.max_small + 1) if rules.min_count == 1 else 1.0), None


@dataclass
class LinearSystem:
    """What a reader knows about withheld figures, as linear constraints on unknowns x.

    ``eq`` rows say sum(coef * x) == rhs, ``ub`` rows sum(coef * x) <= rhs (coefficients as
    {unknown index: coefficient}); ``bounds`` are each unknown's (low, high or None). The per-table
    audit below builds one from a table's margins; :mod:`reporting.disclosure_attack` builds one
    from every file of a publication (and its neighbours), with order and ratio constraints too.
    """

    bounds: list[tuple[float, float | None]]
    eq: list[tuple[dict[int, float], float]]
    ub: list[tuple[dict[int, float], float]]

    def _matrix(self, rows: list[tuple[dict[int, float], float]]) -> tuple[np.ndarray | None, np.ndarray | None]:
        if not rows:
            return None, None
        a = np.zeros((len(rows), len(self.bounds)))
        for r, (coefs, _) in enumerate(rows):
            for k, v in coefs.items():
                a[r, k] += v
        return a, np.array([rhs for _, rhs in rows], dtype=float)

    def extreme(self, k: int, maximise: bool, integral: bool = False) -> tuple[int, float | None]:
        """(status, optimum) of x_k: status 0 solved, 2 infeasible, 3 unbounded (scipy's codes).

        integral=True solves the mixed-integer programme (every unknown a whole number), exact for
        any constraints; the LP relaxation is exact only for sum equations (totally unimodular).
        """
        obj = np.zeros(len(self.bounds))
        obj[k] = -1.0 if maximise else 1.0
        a_eq, b_eq = self._matrix(self.eq)
        a_ub, b_ub = self._matrix(self.ub)
        if integral:
            cons = []
            if a_eq is not None:
                cons.append(LinearConstraint(a_eq, b_eq, b_eq))
            if a_ub is not None:
                cons.append(LinearConstraint(a_ub, -np.inf, b_ub))
            lo = np.array([b[0] for b in self.bounds])
            hi = np.array([np.inf if b[1] is None else b[1] for b in self.bounds])
            res = milp(obj, constraints=cons, integrality=np.ones(len(self.bounds)), bounds=Bounds(lo, hi))
            if res.status in (1, 4):  # scipy milp: 0 optimal, 2 infeasible, 3 unbounded, 1/4 failed
                raise RuntimeError(f"disclosure audit MILP failed: {res.message}")
            status = res.status
        else:
            res = linprog(obj, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=self.bounds, method="highs")
            status = res.status
        if status != 0:
            return status, None
        return 0, (-res.fun if maximise else res.fun)


def _exposed(grid: np.ndarray, status: np.ndarray, lines: list[Line],
             rules: DisclosureRules) -> list[Cell]:
    """Primary cells whose value is pinned to one whole number by the shown figures."""
    unknown = [tuple(c) for c in np.argwhere(status != SHOWN)]
    if not unknown or not lines:
        return []
    pos = {c: k for k, c in enumerate(unknown)}
    eq: list[tuple[dict[int, float], float]] = []
    for comps, total in lines:
        row: dict[int, float] = {}
        rhs = 0.0
        for c in comps:
            if status[c] == SHOWN:
                rhs -= grid[c]
            else:
                row[pos[c]] = row.get(pos[c], 0.0) + 1.0
        if status[total] == SHOWN:
            rhs += grid[total]
        else:
            row[pos[total]] = row.get(pos[total], 0.0) - 1.0
        if any(row.values()):
            eq.append((row, rhs))
    if not eq:
        return []
    system = LinearSystem([_bounds(grid, status, c, rules) for c in unknown], eq, [])
    exposed = []
    for c in unknown:
        if status[c] != PRIMARY:
            continue  # only small counts need protecting; a recoverable [c] cell is >= 5
        true = float(grid[c])
        # The true value is feasible, so the range spans two whole numbers iff true + 1 or
        # true - 1 is reachable; checking the maximum first usually settles it with one LP.
        # Totals-with-margins constraints are totally unimodular, so LP vertices are whole
        # numbers and the continuous relaxation is exact.
        hi_status, hi = system.extreme(pos[c], maximise=True)
        if hi_status == 3 or (hi_status == 0 and hi is not None and hi >= true + 1 - 1e-9):
            continue  # unbounded above, or can be larger
        lo_status, lo = system.extreme(pos[c], maximise=False)
        if hi_status != 0 or lo_status != 0 or lo is None:
            # The true values are always feasible, so this means a bug: fail closed.
            raise RuntimeError(f"disclosure audit LP failed (status {hi_status} / {lo_status})")
        if lo > true - 1 + 1e-9:
            exposed.append(c)
    return exposed


def _suppress_grid(grid: np.ndarray, lines: list[Line], rules: DisclosureRules,
                   fixed: np.ndarray | None = None) -> np.ndarray:
    """Primary, heuristic secondary and audited suppression; returns the status grid.

    ``fixed`` (same shape, -1 = free) pins the status of cells another publication already
    decided: a figure shown there is known to every reader and cannot protect anything here; one
    withheld there stays withheld here.
    """
    status = np.where((grid >= rules.min_count) & (grid <= rules.max_small), PRIMARY, SHOWN)
    locked = None
    if fixed is not None:
        locked = fixed >= 0
        status = np.where(locked, fixed, status)
    while True:
        changed = True
        while changed:  # step 2: sweep all lines until no line has a single unknown
            changed = False
            for line in lines:
                comps, total = line
                n_unknown = sum(status[c] != SHOWN for c in comps) + (status[total] != SHOWN)
                if n_unknown == 1:
                    cell = _pick_candidate(grid, status, line, locked)
                    if cell is None:
                        # Only possible if every other figure is 0; the unknown is then known.
                        raise RuntimeError("cannot protect a line whose other figures are all 0")
                    status[cell] = SECONDARY
                    changed = True
        exposed = _exposed(grid, status, lines, rules)  # step 3
        if not exposed:
            return status
        # Protect every exposed cell this round, but skip one whose line already gained a cell
        # this round: that may have fixed it, and the next audit will tell.
        touched: set[int] = set()
        for target in exposed:
            through = [k for k, (comps, total) in enumerate(lines)
                       if target in comps or target == total]
            if touched.intersection(through):
                continue
            options = [c for k in through
                       if (c := _pick_candidate(grid, status, lines[k], locked)) is not None]
            if not options:
                # Every line through the cell is fully withheld yet bounds still pin it (e.g.
                # many [c] cells sitting at exactly 5 under a shown grand total): widen to any
                # line; each round withholds at least one more figure, so this terminates.
                options = [c for ln in lines
                           if (c := _pick_candidate(grid, status, ln, locked)) is not None]
            if not options:
                if touched:
                    break  # this round already withheld something; re-audit before giving up
                raise RuntimeError(f"cannot protect cell {target}: nothing left to withhold")
            cell = min(options, key=lambda c: (int(grid[c]), c))
            status[cell] = SECONDARY
            touched.update(k for k, (comps, total) in enumerate(lines)
                           if cell in comps or cell == total)


def suppress_table(
    df: pd.DataFrame,
    value_cols: Sequence[Hashable],
    total_col: Hashable | None = None,
    row_total: Hashable | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
    thousands: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mask a table of counts: (copy with display strings in count columns, bool flags)."""
    grid, rows, cols, lines = _build_grid(df, value_cols, total_col, row_total)
    status = _suppress_grid(grid, lines, rules)
    text = {PRIMARY: rules.marker, SECONDARY: rules.secondary_marker}
    masked = df.copy()
    flags = pd.DataFrame(False, index=df.index, columns=cols, dtype=bool)
    for j, c in enumerate(cols):
        shown = [
            text[int(status[i, j])] if status[i, j] else format_count(int(grid[i, j]), thousands)
            for i in range(len(rows))
        ]
        # object dtype explicitly: pandas 3 would otherwise infer its own string dtype.
        masked[c] = pd.Series(shown, index=df.index, dtype=object)
        flags[c] = status[:, j] != SHOWN
    return masked, flags


def audit_suppression(
    df: pd.DataFrame,
    value_cols: Sequence[Hashable],
    flags: pd.DataFrame,
    total_col: Hashable | None = None,
    row_total: Hashable | None = None,
    rules: DisclosureRules = DEFAULT_RULES,
) -> list[tuple[Hashable, Hashable]]:
    """Check a suppression pattern: (row, column) of every small count a reader could recover."""
    grid, rows, cols, lines = _build_grid(df, value_cols, total_col, row_total)
    status = np.full(grid.shape, SHOWN)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            small = rules.is_small(int(grid[i, j]))
            if small and not bool(flags.at[r, c]):
                status[i, j] = -1  # a small count on display is exposed outright
            elif bool(flags.at[r, c]):
                status[i, j] = PRIMARY if small else SECONDARY
    leaked = [(rows[i], cols[j]) for i, j in np.argwhere(status == -1)]
    status[status == -1] = SHOWN
    leaked += [(rows[i], cols[j]) for i, j in _exposed(grid, status, lines, rules)]
    return leaked


def add_totals(
    df: pd.DataFrame,
    value_cols: Sequence[Hashable],
    total_col: Hashable | None = "Total",
    row_total: Hashable | None = "Total",
) -> pd.DataFrame:
    """Append a row-total column and/or a column-total row so the margins are exact sums."""
    out = df.copy()
    cols = list(value_cols)
    if total_col is not None:
        out[total_col] = out[cols].sum(axis=1)
        cols.append(total_col)
    if row_total is not None:
        out.loc[row_total] = out[cols].sum(axis=0)
    return out


def suppress_series_with_total(
    values: Mapping[str, int],
    total: int | None,
    rules: DisclosureRules = DEFAULT_RULES,
    total_key: str = "Total",
    thousands: bool = True,
) -> dict[str, tuple[str, bool]]:
    """Mask a breakdown (e.g. wards) and its total; the total comes back under ``total_key``."""
    if total_key in values:
        raise ValueError(f"a breakdown item is called {total_key!r}; pass another total_key")
    labels = list(values)
    if total is None:
        # No published total, so no line equation: primary suppression alone is enough.
        return {k: suppress_count(v, rules, thousands) for k, v in values.items()}
    df = pd.DataFrame({"n": [values[k] for k in labels] + [total]}, index=labels + [total_key])
    masked, flags = suppress_table(df, ["n"], row_total=total_key, rules=rules,
                                   thousands=thousands)
    return {k: (masked.at[k, "n"], bool(flags.at[k, "n"])) for k in labels + [total_key]}


# --------------------------------------------------------------------------- scanners
#
# Report-side convention (what makes the scanners exact):
# * HTML: every count -- table cells, totals, and any count quoted in prose -- is the *only*
#   content of an element whose class list contains "count": <td class="count">1,234</td>,
#   <span class="count">&lt;5</span>. Rates/percentages use class="rate", changes class="change".
#   Counts never appear anywhere else (headings, chart labels, alt/title text, data-* attributes).
# * CSV/XLSX: the columns holding counts are listed in a manifest (see scan_manifest); the header
#   is the first row unless the manifest says otherwise.

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")
_SCANNED_ATTRS = ("title", "aria-label", "alt")


def _small_tokens(text: str, rules: DisclosureRules) -> list[str]:
    """Whole-number tokens in a count cell's text that are small counts."""
    for m in sorted(rules.markers, key=len, reverse=True):
        text = text.replace(m, " ")
    found = []
    for tok in _NUMBER.findall(text):
        if tok.endswith("%"):
            continue  # a percentage typed into a count cell is wrong but is not a count
        num = tok.replace(",", "")
        try:
            v = float(num)
        except ValueError:
            continue
        if v == int(v) and rules.is_small(int(v)):
            found.append(tok)
    return found


class _CountCellParser(HTMLParser):
    """Collects the text (and scanned attributes) of every element whose class includes 'count'."""

    _CELL_TAGS: ClassVar[frozenset[str]] = frozenset({"td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[int, str]] = []  # (source line, text)
        self._stack: list[str] = []  # open tags since the current count element opened
        self._tag: str | None = None
        self._line = 0
        self._buf: list[str] = []

    def _close(self) -> None:
        """Finish the current count element."""
        self.cells.append((self._line, "".join(self._buf)))
        self._tag, self._stack, self._buf = None, [], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a count element, or track nesting inside one."""
        if self._tag is not None:
            # HTML lets </td> be omitted: a new cell or row closes the current cell.
            if self._tag in self._CELL_TAGS and tag in self._CELL_TAGS | {"tr"}:
                self._close()
            else:
                self._stack.append(tag)
                self._scan_attrs(attrs)
                return
        classes = (dict(attrs).get("class") or "").split()
        if "count" in classes and "public" not in classes:  # 'public': from public sources only
            self._tag, self._line, self._buf, self._stack = tag, self.getpos()[0], [], []
            self._scan_attrs(attrs)

    def _scan_attrs(self, attrs: list[tuple[str, str | None]]) -> None:
        """Text-bearing and data-* attributes of count elements can leak the raw value."""
        for name, value in attrs:
            if value and (name in _SCANNED_ATTRS or name.startswith("data-")):
                self._buf.append(f" {value} ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Self-closing tags inside a count element only contribute attributes."""
        if self._tag is not None:
            self._scan_attrs(attrs)
        else:
            self.handle_starttag(tag, attrs)
            if self._tag is not None:
                self._close()

    def handle_endtag(self, tag: str) -> None:
        """Close nested tags, and the count element when its own end tag arrives."""
        if self._tag is None:
            return
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
            return
        if tag == self._tag or (self._tag in self._CELL_TAGS and tag in {"tr", "table"}):
            self._close()

    def handle_data(self, data: str) -> None:
        """Accumulate text inside a count element."""
        if self._tag is not None:
            self._buf.append(data)

    def close(self) -> None:
        """Flush an unterminated count element at end of input."""
        super().close()
        if self._tag is not None:
            self._close()


def _html_count_cells(html_text: str) -> list[tuple[int, str]]:
    """(line, text) of every count element in an HTML document or fragment."""
    parser = _CountCellParser()
    parser.feed(html_text)
    parser.close()
    return parser.cells


def find_unsuppressed_small_counts(text: str, rules: DisclosureRules = DEFAULT_RULES) -> list[str]:
    """Small-count tokens (e.g. '3') found inside the labelled count cells of report HTML."""
    return [tok for _, cell in _html_count_cells(text) for tok in _small_tokens(cell, rules)]


def scan_html_counts(html_text: str, rules: DisclosureRules = DEFAULT_RULES) -> list[str]:
    """One message per class="count" element that shows a small count; [] means clean."""
    problems = []
    for n, (line, cell) in enumerate(_html_count_cells(html_text), start=1):
        toks = _small_tokens(cell, rules)
        if toks:
            problems.append(f"count cell {n} (line {line}): {cell.strip()!r} shows {toks}")
    return problems


def _public_row(row: Mapping[str, Any], public: Mapping[str, Any] | None) -> bool:
    """Whether a row is one of the manifest's public rows ({"column": name, "values": [...]})."""
    return bool(public) and str(row.get(public["column"]) or "") in set(public["values"])  # type: ignore[index]


def scan_csv_counts(
    path: str | Path, count_columns: Iterable[str], rules: DisclosureRules = DEFAULT_RULES,
    public: Mapping[str, Any] | None = None,
) -> list[str]:
    """One message per small count in the named columns of a CSV; a missing column is a problem.

    ``public`` ({"column": ..., "values": [...]}) names rows made only from public sources: skipped.
    """
    wanted = list(count_columns)
    problems = []
    with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: Excel-written BOMs
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        for c in wanted:
            if c not in header:
                problems.append(f"{path}: count column {c!r} not found (manifest out of date?)")
        for lineno, row in enumerate(reader, start=2):
            if _public_row(row, public):
                continue
            for c in wanted:
                cell = row.get(c)
                if cell and _small_tokens(cell, rules):
                    problems.append(f"{path}: line {lineno}, column {c!r}: {cell!r}")
    return problems


def scan_xlsx_counts(
    path: str | Path,
    count_columns: Mapping[str, Iterable[str]] | Iterable[str],
    rules: DisclosureRules = DEFAULT_RULES,
    header_row: int = 1,
    public: Mapping[str, Any] | None = None,
) -> list[str]:
    """Like scan_csv_counts for a workbook; columns per sheet, or one list for every sheet."""
    from openpyxl import load_workbook  # deferred: only report tests need it

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if isinstance(count_columns, Mapping):
            per_sheet = {s: list(cs) for s, cs in count_columns.items()}
        else:
            cols = list(count_columns)
            per_sheet = {s: cols for s in wb.sheetnames}
        problems = []
        for sheet, wanted in per_sheet.items():
            if sheet not in wb.sheetnames:
                problems.append(f"{path}: sheet {sheet!r} not found")
                continue
            rows = wb[sheet].iter_rows(min_row=header_row, values_only=True)
            header = [str(h) if h is not None else "" for h in next(rows, ())]
            idx = {}
            for c in wanted:
                if c in header:
                    idx[c] = header.index(c)
                else:
                    problems.append(f"{path}[{sheet}]: count column {c!r} not found")
            for r, values in enumerate(rows, start=header_row + 1):
                if _public_row(dict(zip(header, values, strict=False)), public):
                    continue
                for c, k in idx.items():
                    v = values[k] if k < len(values) else None
                    if v is None or isinstance(v, bool):
                        continue
                    leak = (rules.is_small(v) and float(v) == int(v)
                            if isinstance(v, (int, float)) else bool(_small_tokens(str(v), rules)))
                    if leak:
                        problems.append(f"{path}[{sheet}]: row {r}, column {c!r}: {v!r}")
        return problems
    finally:
        wb.close()


MANIFEST_NAME = "disclosure_manifest.json"


class DisclosureCheckError(RuntimeError):
    """A report failed the disclosure scan; nothing was published."""


def scan_manifest(manifest_path: str | Path, rules: DisclosureRules = DEFAULT_RULES) -> list[str]:
    """Scan every output listed in a manifest, and flag report files the manifest forgot.

    Manifest (JSON, paths relative to the manifest's folder)::

        {"files": [
            {"path": "card_asb.html"},
            {"path": "summary.csv", "count_columns": ["Crimes", "Total"]},
            {"path": "summary.xlsx", "count_columns": {"Wards": ["Crimes"]}, "header_row": 1},
            {"path": "x.csv", "count_columns": ["n"], "public_rows": {"column": "id", "values": ["a"]}}
        ]}

    ``public_rows`` names the rows made only from public sources (police.uk street crime), which are
    shown in full; HTML marks such counts with class "count public".
    """
    manifest_path = Path(manifest_path)
    root = manifest_path.parent
    spec = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems: list[str] = []
    listed = set()
    html_listed = {e["path"] for e in spec.get("files", []) if str(e["path"]).lower().endswith((".html", ".htm"))}
    for entry in spec.get("files", []):
        p = root / entry["path"]
        listed.add(p.resolve())
        if not p.exists():
            problems.append(f"{p}: listed in manifest but missing")
            continue
        suffix = p.suffix.lower()
        if suffix in (".html", ".htm"):
            text = p.read_text(encoding="utf-8")
            problems += [f"{p}: {m}" for m in scan_html_counts(text, rules)]
        elif suffix == ".csv":
            problems += scan_csv_counts(p, entry.get("count_columns", []), rules, entry.get("public_rows"))
        elif suffix == ".xlsx":
            problems += scan_xlsx_counts(p, entry.get("count_columns", []), rules,
                                         entry.get("header_row", 1), entry.get("public_rows"))
        elif suffix == ".pdf":  # a print of a listed page, which is what gets scanned (reporting.pdf)
            if entry.get("rendered_from") not in html_listed:
                problems.append(f"{p}: a PDF must name the listed HTML page it prints (rendered_from)")
        else:
            problems.append(f"{p}: no scanner for {suffix!r} files")
    # An output nobody listed is an output nobody checked.
    for p in sorted(root.rglob("*")):
        if p.suffix.lower() in (".html", ".htm", ".csv", ".xlsx", ".pdf") and p.resolve() not in listed:
            problems.append(f"{p}: report file not listed in {manifest_path.name}")
    return problems
