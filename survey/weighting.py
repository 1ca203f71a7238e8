"""Resident-survey weighting (METHODS.md §6).

Respondents are weighted to ONS mid-year population shares for adults (16+) by raking
(iterative proportional fitting), using the ``weightipy`` rim-weighting engine. Raking on a
single joint variable (``age_sex``, categories like ``'female|25-34'``) is post-stratification
on the age x sex cells; scheme ``'age+sex'`` rakes the two margins separately, and a ``ward``
margin can be added to either.

As in the 2017 survey ("weights applied to the 2,008 of 2,350 responses that gave both age
and gender"), respondents without an age band or sex -- or without any other variable being
weighted on, e.g. ward -- get NO weight: they are absent from ``WeightingResult.weights`` and
so from every weighted estimate. They are counted in ``n_unweighted_dropped``.

Weights are relative: they have mean 1 over the weighted respondents (so they sum to
``n_weighted``).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import weightipy

__all__ = [
    "ADULT_AGE_BANDS",
    "SCHEMES",
    "SEXES",
    "PopulationTargets",
    "WeightingResult",
    "population_targets",
    "rake",
]

ADULT_AGE_BANDS: tuple[str, ...] = ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+")
SEXES: tuple[str, ...] = ("female", "male")
CHILD_AGE_BAND = "0-15"
JOINT_SEPARATOR = "|"
SCHEMES: tuple[str, ...] = ("age_sex", "age+sex", "age_sex+ward", "age+sex+ward")

# weighting variable -> respondent column(s) it is built from
_VARIABLE_SOURCES: dict[str, tuple[str, ...]] = {
    "age_sex": ("sex", "age_band"),
    "age_band": ("age_band",),
    "sex": ("sex",),
    "ward": ("ward_code",),
}
# a respondent needs both of these to be weighted, whatever the scheme (2017 practice)
_ALWAYS_REQUIRED: tuple[str, ...] = ("age_band", "sex")
_WARD_TOTAL_TOLERANCE = 0.005  # relative gap between sum of wards and the district, 16+


class PopulationTargets(dict):
    """``dict[variable, dict[category, share]]`` (shares sum to 1 per variable) that also
    remembers where it came from; :func:`rake` reads ``vintage`` from it."""

    def __init__(self, data: Mapping[str, Mapping[str, float]], *, vintage: str,
                 area_code: str | None = None, year: int | None = None,
                 scheme: str | None = None):
        super().__init__({k: dict(v) for k, v in data.items()})
        self.vintage = vintage
        self.area_code = area_code
        self.year = year
        self.scheme = scheme


@dataclass
class WeightingResult:
    weights: pd.Series  # indexed like the respondents who got a weight; mean 1
    targets: pd.DataFrame  # variable, category, target_share, achieved_share
    target_vintage: str  # e.g. 'mid-2016 population'
    trimming: dict  # lower, upper, n_trimmed, applied, n_at_cap, iterations_untrimmed
    converged: bool  # every target share met within `tolerance`
    iterations: int  # weightipy iterations of the final (trimmed, if trimmed) run
    max_abs_margin_error: float  # max |achieved_share - target_share| (share units)
    n_weighted: int
    n_unweighted_dropped: int  # missing age band / sex (or another weighting variable)
    method: str = "rake"
    dropped_by_reason: dict = field(default_factory=dict)  # column -> n respondents missing it
    engine_messages: list = field(default_factory=list)  # anything weightipy printed


# --------------------------------------------------------------------------- targets


def population_targets(population_df: pd.DataFrame, area_code: str, year: int,
                       scheme: str = "age_sex", ward_codes: Iterable[str] | None = None
                       ) -> PopulationTargets:
    """Adult (16+) population shares for raking, from ``reference_population`` rows.

    scheme:
      * ``'age_sex'``  -> ``{'age_sex': {'female|16-24': s, ...}}`` (14 joint cells)
      * ``'age+sex'``  -> ``{'age_band': {...}, 'sex': {...}}``
      * ``'age_sex+ward'`` / ``'age+sex+ward'`` -> the above plus ``{'ward': {ward_code: s}}``
        from the ``area_type == 'ward'`` rows of ``year``. ``ward_codes`` restricts the wards
        (default: every ward row of that year in ``population_df``, i.e. the frame is assumed
        to hold this CSP's wards only; a warning is raised if the wards' adult total differs
        from the district's by more than 0.5%).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {SCHEMES}")
    pop = population_df
    year = int(year)
    in_year = pop[pd.to_numeric(pop["year"]) == year]
    adults = in_year[in_year["age_band"].astype(str) != CHILD_AGE_BAND]
    area = adults[adults["area_code"].astype(str) == str(area_code)]
    if area.empty:
        raise ValueError(f"no 16+ population rows for area {area_code!r} in {year}")
    unknown_bands = set(area["age_band"].astype(str)) - set(ADULT_AGE_BANDS)
    if unknown_bands:
        raise ValueError(f"unexpected age bands in population: {sorted(unknown_bands)}")
    population = pd.to_numeric(area["population"]).astype(float)
    total = float(population.sum())
    if total <= 0:
        raise ValueError(f"16+ population of {area_code!r} in {year} is zero")

    sex = area["sex"].astype(str)
    band = area["age_band"].astype(str)
    out: dict[str, dict[str, float]] = {}
    if scheme.startswith("age_sex"):
        cells = population.groupby(sex + JOINT_SEPARATOR + band).sum()
        out["age_sex"] = {
            f"{s}{JOINT_SEPARATOR}{b}": float(cells.get(f"{s}{JOINT_SEPARATOR}{b}", 0.0)) / total
            for s in SEXES for b in ADULT_AGE_BANDS
        }
    else:
        by_band = population.groupby(band).sum()
        by_sex = population.groupby(sex).sum()
        out["age_band"] = {b: float(by_band.get(b, 0.0)) / total for b in ADULT_AGE_BANDS}
        out["sex"] = {s: float(by_sex.get(s, 0.0)) / total for s in SEXES}

    if scheme.endswith("+ward"):
        wards = adults[adults["area_type"].astype(str) == "ward"]
        if ward_codes is not None:
            wanted = {str(c) for c in ward_codes}
            wards = wards[wards["area_code"].astype(str).isin(wanted)]
            missing = wanted - set(wards["area_code"].astype(str))
            if missing:
                raise ValueError(f"no 16+ population rows in {year} for wards {sorted(missing)}")
        if wards.empty:
            raise ValueError(f"scheme {scheme!r} needs area_type='ward' rows for {year}")
        by_ward = pd.to_numeric(wards["population"]).astype(float).groupby(
            wards["area_code"].astype(str)).sum().sort_index()
        ward_total = float(by_ward.sum())
        if abs(ward_total - total) > _WARD_TOTAL_TOLERANCE * total:
            warnings.warn(
                f"16+ population of the wards ({ward_total:,.0f}) differs from {area_code} "
                f"({total:,.0f}) by more than {_WARD_TOTAL_TOLERANCE:.1%}; pass ward_codes",
                UserWarning, stacklevel=2)
        out["ward"] = {code: float(v) / ward_total for code, v in by_ward.items()}

    return PopulationTargets(out, vintage=f"mid-{year} population", area_code=str(area_code),
                             year=year, scheme=scheme)


# --------------------------------------------------------------------------- raking


class _CapRange(tuple):
    """``(lower, upper)`` weight caps for weightipy 0.4.2.

    ``weightipy.internal.rim.Rake.start`` supports a ``(min, max)`` cap tuple (clip, then
    rescale to mean 1, inside every raking iteration), but ``Rake.__init__`` validates the cap
    with scalar comparisons (``cap <= 1``, ``cap < 1.5``) that raise ``TypeError`` on a tuple.
    This tuple answers those comparisons with its upper cap, so the library's own capped IPF
    loop runs unchanged.
    """

    def __lt__(self, other):  # type: ignore[override]
        return self[1] < other

    def __le__(self, other):  # type: ignore[override]
        return self[1] <= other

    def __gt__(self, other):  # type: ignore[override]
        return self[1] > other

    def __ge__(self, other):  # type: ignore[override]
        return self[1] >= other


def _clean_category(values: pd.Series) -> pd.Series:
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def _normalise_targets(targets: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    if not targets:
        raise ValueError("targets is empty")
    out: dict[str, dict[str, float]] = {}
    for var, dist in targets.items():
        if var not in _VARIABLE_SOURCES:
            raise ValueError(f"unknown weighting variable {var!r}; expected one of "
                             f"{sorted(_VARIABLE_SOURCES)}")
        if not dist:
            raise ValueError(f"no categories for weighting variable {var!r}")
        shares = {str(k): float(v) for k, v in dist.items()}
        if any(v < 0 or not np.isfinite(v) for v in shares.values()):
            raise ValueError(f"negative or non-finite target share for {var!r}")
        total = sum(shares.values())
        if total <= 0:
            raise ValueError(f"target shares for {var!r} sum to zero")
        out[var] = {k: v / total for k, v in shares.items()}
    return out


def _weighting_frame(responses_df: pd.DataFrame, variables: Iterable[str]) -> pd.DataFrame:
    frame = {}
    for var in variables:
        cols = _VARIABLE_SOURCES[var]
        missing_cols = [c for c in cols if c not in responses_df.columns]
        if missing_cols:
            raise KeyError(f"responses lack column(s) {missing_cols} needed for {var!r}")
        if var == "age_sex":
            frame[var] = (_clean_category(responses_df["sex"]) + JOINT_SEPARATOR
                          + _clean_category(responses_df["age_band"]))
        else:
            frame[var] = _clean_category(responses_df[cols[0]])
    return pd.DataFrame(frame, index=responses_df.index)


def _run_weightipy(frame: pd.DataFrame, targets: dict[str, dict[str, float]],
                   max_iterations: int, cap) -> tuple[pd.Series, int, list[str]]:
    percent = {var: {cat: share * 100.0 for cat, share in dist.items()}
               for var, dist in targets.items()}
    rim_params: dict = {"max_iterations": int(max_iterations)}
    if cap is not None:
        rim_params["cap"] = cap
    scheme = weightipy.scheme_from_dict(percent, name="csp_survey", rim_params=rim_params)
    data = frame.reset_index(drop=True).astype(object)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # weightipy reports (non-)convergence by print()
        raw = weightipy.weight(data, scheme)
    if len(raw) != len(frame):
        raise RuntimeError(f"weightipy returned {len(raw)} weights for {len(frame)} respondents")
    weights = pd.Series(raw.sort_index().to_numpy(dtype=float), index=frame.index,
                        name="weight")
    iterations = int(next(iter(scheme.groups.values()))["iterations"] or 0)
    messages = [line.strip() for line in printed.getvalue().splitlines() if line.strip()]
    return weights, iterations, messages


def _achieved(frame: pd.DataFrame, weights: pd.Series,
              targets: dict[str, dict[str, float]]) -> pd.DataFrame:
    rows = []
    total = float(weights.sum())
    for var, dist in targets.items():
        sums = weights.groupby(frame[var].astype(str)).sum()
        for cat, share in dist.items():
            rows.append({"variable": var, "category": cat, "target_share": share,
                         "achieved_share": float(sums.get(cat, 0.0)) / total})
    return pd.DataFrame(rows, columns=["variable", "category", "target_share", "achieved_share"])


def rake(responses_df: pd.DataFrame, targets: Mapping[str, Mapping[str, float]],
         max_iterations: int = 1000, tolerance: float = 1e-6,
         trim: tuple[float | None, float] | None = (0.2, 5.0),
         target_vintage: str | None = None) -> WeightingResult:
    """Rake respondents to ``targets`` with weightipy; see the module docstring.

    ``targets``: ``{variable: {category: share}}`` as returned by :func:`population_targets`
    (variables ``age_sex``, ``age_band``, ``sex``, ``ward``; shares are re-normalised to 1).

    ``tolerance`` is checked on the result (``converged`` = every achieved share within
    ``tolerance`` of its target); weightipy's own stopping rule is "no further improvement".

    ``trim=(lower, upper)`` caps relative (mean-1) weights. The untrimmed raking is run first;
    if any weight falls outside the caps, raking is re-run with weightipy's cap, which clips
    and rescales to mean 1 inside every IPF iteration (so the margins are re-raked around the
    caps; with binding caps the margins may be met only approximately -- see ``converged``).
    ``lower`` may be ``None``/0 for an upper cap only; ``trim=None`` disables trimming.
    """
    norm_targets = _normalise_targets(targets)
    frame = _weighting_frame(responses_df, norm_targets)

    # who cannot be weighted
    dropped_by_reason: dict[str, int] = {}
    missing = pd.Series(False, index=responses_df.index)
    needed = list(dict.fromkeys(
        list(_ALWAYS_REQUIRED) + [c for v in norm_targets for c in _VARIABLE_SOURCES[v]]))
    for col in needed:
        if col not in responses_df.columns:
            raise KeyError(f"responses lack column {col!r}")
        col_missing = _clean_category(responses_df[col]).isna()
        dropped_by_reason[col] = int(col_missing.sum())
        missing |= col_missing
    kept = frame.loc[~missing.to_numpy()]
    if kept.empty:
        raise ValueError("no respondent has all the weighting variables")

    for var, dist in norm_targets.items():
        unknown = set(kept[var].dropna().astype(str)) - set(dist)
        if unknown:
            raise ValueError(f"respondent {var} categories without a target: {sorted(unknown)}")
        empty = [c for c, s in dist.items() if s > 0 and not (kept[var] == c).any()]
        if empty:
            warnings.warn(f"no respondents in target cell(s) {var}={empty}: those targets "
                          "cannot be met (consider collapsing cells)", UserWarning, stacklevel=2)

    weights, iterations, messages = _run_weightipy(kept, norm_targets, max_iterations, cap=None)
    weights = weights / weights.mean()

    lower, upper = (None, None) if trim is None else trim
    trimming = {"lower": lower, "upper": upper, "n_trimmed": 0, "applied": False,
                "n_at_cap": 0, "iterations_untrimmed": iterations}
    if trim is not None:
        if upper is None or not upper > 1:
            raise ValueError(f"upper weight cap must be > 1, got {upper!r}")
        if lower is not None and lower != 0 and not 0 < lower < 1:
            raise ValueError(f"lower weight cap must be in (0, 1), got {lower!r}")
        use_lower = lower is not None and lower > 0
        outside = weights > upper
        if use_lower:
            outside |= weights < lower
        n_outside = int(outside.sum())
        if n_outside:
            cap = _CapRange((float(lower), float(upper))) if use_lower else float(upper)
            weights, iterations, more = _run_weightipy(kept, norm_targets, max_iterations, cap)
            weights = weights / weights.mean()
            messages += more
            at_cap = np.isclose(weights, upper, atol=1e-3)
            if use_lower:
                at_cap |= np.isclose(weights, lower, atol=1e-3)
            trimming.update(n_trimmed=n_outside, applied=True, n_at_cap=int(at_cap.sum()))

    achieved = _achieved(kept, weights, norm_targets)
    max_err = float((achieved["achieved_share"] - achieved["target_share"]).abs().max())
    converged = bool(max_err <= tolerance) and iterations < max_iterations

    if target_vintage is None:
        target_vintage = getattr(targets, "vintage", None) or "unspecified"
    return WeightingResult(
        weights=weights,
        targets=achieved,
        target_vintage=target_vintage,
        trimming=trimming,
        converged=converged,
        iterations=iterations,
        max_abs_margin_error=max_err,
        n_weighted=len(weights),
        n_unweighted_dropped=int(missing.sum()),
        method="rake",
        dropped_by_reason=dropped_by_reason,
        engine_messages=messages,
    )
