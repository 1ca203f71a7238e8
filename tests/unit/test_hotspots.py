"""Gi* on a synthetic grid: a planted cluster is found, noise gives nothing (after the FDR correction)."""

from __future__ import annotations

import numpy as np

from transforms.hotspots import gi_star, grid_weights

ROWS = COLS = 10


def _noise(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).poisson(10, ROWS * COLS).astype(float)


def test_a_planted_cluster_is_found_and_nothing_else():
    values = _noise(1)
    cluster = {r * COLS + c for r in range(2, 5) for c in range(6, 9)}  # a 3 x 3 block, rows 2-4, columns 6-8
    for cell in cluster:
        values[cell] = 30.0  # Poisson(10) almost never reaches 30 (P < 1e-7)
    result = gi_star(values, grid_weights(ROWS, COLS))
    hot = set(result.index[result["hotspot"] == "hot"])
    assert 3 * COLS + 7 in hot  # the block's centre, row 3 column 7
    assert hot <= {r * COLS + c for r in range(1, 6) for c in range(5, 10)}  # the block and its ring only
    assert len(hot & cluster) >= 5
    assert not (result["hotspot"] == "cold").any()


def test_noise_gives_no_hotspot():
    for seed in (2, 3, 4):
        result = gi_star(_noise(seed), grid_weights(ROWS, COLS))
        assert (result["hotspot"] == "none").all(), seed


def test_the_permutation_test_is_seeded():
    values = _noise(5)
    first, second = gi_star(values, grid_weights(ROWS, COLS)), gi_star(values, grid_weights(ROWS, COLS))
    assert first["p"].tolist() == second["p"].tolist()
