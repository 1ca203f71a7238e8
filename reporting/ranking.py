"""Order that carries no information about a withheld value.

A table ranked by value leaks a withheld figure through its position: rows sorted 4, 3, 2, 1 and shown
as "<5" still come out in value order. Every ranked list of the reports is therefore ordered by
``publication_order``: the rows whose figure is shown, ranked by value; then every withheld row, in
alphabetical order, as one block. A top-N list takes its N from the shown rows only; when fewer than N
are shown it is filled with withheld rows in alphabetical order, so which withheld rows make the list
depends on their names, never on their values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

__all__ = ["WITHHELD_ORDER_NOTE", "publication_order", "top_n"]

T = TypeVar("T")

WITHHELD_ORDER_NOTE = ("Rows whose figure is withheld are not ranked: they follow the ranked rows in "
                       "alphabetical order, so their position says nothing about their size.")


def publication_order(rows: Sequence[T], withheld: Callable[[T], bool], value: Callable[[T], float],
                      name: Callable[[T], str], descending: bool = True) -> list[T]:
    """Shown rows by value (ties by name), then the withheld rows by name alone."""
    sign = -1.0 if descending else 1.0
    shown = sorted((r for r in rows if not withheld(r)), key=lambda r: (sign * value(r), name(r)))
    hidden = sorted((r for r in rows if withheld(r)), key=name)
    return shown + hidden


def top_n(rows: Sequence[T], withheld: Callable[[T], bool], n: int) -> list[T]:
    """The first n shown rows of a publication-ordered list, filled up to n with withheld rows by name.

    Membership is decided among the shown rows only: a withheld row never displaces a shown one, so
    whether it appears says nothing about its value.
    """
    shown = [r for r in rows if not withheld(r)][:n]
    return shown + [r for r in rows if withheld(r)][: n - len(shown)]
