"""Peer comparison case table: pooled peer value, ranks with ties, CI judgement, polarity from the aim."""

from __future__ import annotations

import pandas as pd
import pytest

from transforms.peers import compare_group


def group(counts, populations):
    return pd.DataFrame({"area_code": [f"A{i}" for i in range(len(counts))], "count": counts, "population": populations})


def test_peer_value_is_the_pooled_rate_and_ranks_share_ties():
    # rates per 1,000: 10, 10, 20, 5  -> ranks 2, 2, 4, 1 ; pooled = 4,500 / 350,000 * 1,000 = 12.857
    out = compare_group(group([1000, 1000, 2000, 500], [100_000, 100_000, 100_000, 50_000]).assign(count=[1000, 1000, 2000, 250]), "decrease")
    assert out["peer_value"].iloc[0] == pytest.approx(4250 / 350_000 * 1000)
    assert list(out["rank"]) == [2, 2, 4, 1]
    assert out["n_areas"].iloc[0] == 4


@pytest.mark.parametrize("aim, expected", [
    ("decrease", ["better", "worse", "similar"]),   # low is good
    ("increase", ["worse", "better", "similar"]),   # high is good
    (None, ["lower", "higher", "similar"]),         # no polarity
])
def test_judgement_compares_the_ci_with_the_peer_value_and_uses_the_aim(aim, expected):
    # A0: 500/100k = 5.0 (CI ~4.57-5.46) well below; A1: 2,000/100k = 20 well above; A2: 12 near pooled (CI ~9.3-15.3).
    frame = group([500, 2000, 12], [100_000, 100_000, 1_000])
    out = compare_group(frame, aim)
    peer = out["peer_value"].iloc[0]
    assert out["ci_upper"].iloc[0] < peer < out["ci_lower"].iloc[1]
    assert out["ci_lower"].iloc[2] < peer < out["ci_upper"].iloc[2]
    assert list(out["judgement"]) == expected


def test_area_without_population_is_not_ranked_or_judged():
    out = compare_group(group([10, 20], [1000, None]), "decrease")
    assert out["n_areas"].iloc[0] == 1
    assert pd.isna(out["rank"].iloc[1]) and out["judgement"].iloc[1] == "not_compared"


def test_small_count_uses_the_exact_poisson_interval():
    # x = 4: exact 95% CI 1.090-10.242 (chi-square), per 1,000 on a population of 1,000
    out = compare_group(group([4, 400], [1000, 100_000]), "decrease")
    assert out["ci_lower"].iloc[0] == pytest.approx(1.0899, abs=1e-3)
    assert out["ci_upper"].iloc[0] == pytest.approx(10.2416, abs=1e-3)
