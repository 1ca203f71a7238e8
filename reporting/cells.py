"""Tolerant readers of warehouse cell values: missing or NaN, whole counts, dates, lists stored as text."""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from reporting.disclosure import is_missing

__all__ = ["as_date", "finite", "required_date", "split_list", "split_sources", "whole"]


def finite(x: Any) -> float | None:
    """A finite float or None."""
    if is_missing(x):
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def whole(x: Any) -> int | None:
    """A non-negative whole number, None when missing; ValueError when it is not a count."""
    value = finite(x)
    if value is None:
        return None
    if value < 0 or abs(value - round(value)) > 1e-6:
        raise ValueError(f"{x!r} is not a count")
    return round(value)


def as_date(x: Any) -> date | None:
    """A date, None when missing."""
    if is_missing(x):
        return None
    if isinstance(x, datetime):
        return x.date()
    if isinstance(x, date):
        return x
    return pd.Timestamp(x).date()


def required_date(x: Any) -> date:
    """A date from a cell that must hold one (a period's start or end)."""
    value = as_date(x)
    if value is None:
        raise TypeError(f"{x!r} is not a date")
    return value



def split_sources(text: Any) -> list[str]:
    if is_missing(text):
        return []
    return [s for s in re.split(r"[,;\s]+", str(text)) if s]


def split_list(text: Any) -> list[str]:
    """A list stored as VARCHAR (JSON list, or lines/semicolons) or a real list."""
    if isinstance(text, (list, tuple, np.ndarray)):
        return [str(t) for t in text if not is_missing(t) and str(t).strip()]
    if is_missing(text):
        return []
    text = str(text).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return [str(t) for t in json.loads(text) if str(t).strip()]
        except json.JSONDecodeError:
            pass
    return [p.strip() for p in text.split("\n") if p.strip()]


