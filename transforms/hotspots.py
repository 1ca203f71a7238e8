"""Hotspots by Getis-Ord Gi* (PySAL esda), with a false-discovery-rate correction.

Gi* compares the sum of a value over an area and its neighbours (queen contiguity: sharing an edge or
a corner; the area itself included, hence the star) with what a random arrangement of the same
values gives. The pseudo p-value comes from a conditional permutation test, seeded so a re-run gives
the same answer. With one test per area, some would pass at 5% by chance alone: the p-values are
corrected by Benjamini-Hochberg (false discovery rate 5%) and only areas that pass the corrected test
are called hot (high values cluster) or cold (low values cluster).

References: Getis A. & Ord J.K. (1992) Geographical Analysis 24(3); Ord J.K. & Getis A. (1995)
Geographical Analysis 27(4); Benjamini Y. & Hochberg Y. (1995) JRSS B 57(1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from esda.getisord import G_Local
from libpysal.weights import W, lat2W
from scipy.stats import false_discovery_control

SEED = 20180305  # every permutation test is seeded: the same data gives the same hotspots
PERMUTATIONS = 999
FDR = 0.05
HOTSPOT_CLASSES = {"hot": "Hotspot (high values cluster)", "cold": "Coldspot (low values cluster)",
                   "none": "Not a significant cluster"}


def grid_weights(rows: int, cols: int) -> W:
    """Queen contiguity on a rows x cols lattice (cells numbered row by row), binary."""
    w = lat2W(rows, cols, rook=False)
    w.transform = "B"
    return w


def gi_star(values: Sequence[float], w: W, permutations: int = PERMUTATIONS, seed: int = SEED,
            fdr: float = FDR) -> pd.DataFrame:
    """Gi* per area, in the order of `w.id_order`: z, permutation p, BH-corrected q and the class."""
    y = np.asarray(values, dtype=float)
    if len(y) != w.n:
        raise ValueError(f"{len(y)} values for {w.n} areas")
    if len(y) < 3 or np.allclose(y, y[0]):
        return pd.DataFrame({"z": np.zeros(len(y)), "p": np.ones(len(y)), "q": np.ones(len(y)),
                             "hotspot": ["none"] * len(y)}, index=list(w.id_order))
    result = G_Local(y, w, transform="B", permutations=permutations, star=True, seed=seed, n_jobs=1,
                     keep_simulations=False)
    z = np.asarray(result.Zs, dtype=float)
    p = np.asarray(result.p_sim, dtype=float)
    q = false_discovery_control(p, method="bh")
    hotspot = np.where(q <= fdr, np.where(z > 0, "hot", "cold"), "none")
    return pd.DataFrame({"z": z, "p": p, "q": q, "hotspot": hotspot}, index=list(w.id_order))
