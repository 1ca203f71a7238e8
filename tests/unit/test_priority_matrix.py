"""The priority-ranking matrix on small case tables worked by hand: scores, ties, a missing criterion,
and a sensitivity check whose top five flips."""

from __future__ import annotations

import pytest

from transforms.assessment_config import load_matrix
from transforms.priority_matrix import (
    Criterion,
    ThemeEvidence,
    criterion_scores,
    rank_themes,
    sensitivity,
)


def theme(key: str, **raw: float | None) -> ThemeEvidence:
    return ThemeEvidence(id=key, label=key.upper(), raw=raw)


CRITERIA = [Criterion("volume", "Volume", 2.0), Criterion("harm", "Harm", 1.0),
            Criterion("capacity", "Capacity", 1.0, scale=(1.0, 5.0))]
# volume: lowest 0 (E) -> 0, highest 100 (A) -> 100; harm: 0 -> 0, 10 -> 100; capacity fixed 1 -> 0, 5 -> 100.
CASE = [theme("a", volume=100, harm=10, capacity=5),    # (2*100 + 100 + 100) / 4 = 100
        theme("b", volume=50, harm=10, capacity=3),     # (2*50 + 100 + 50) / 4 = 62.5
        theme("c", volume=80, harm=10, capacity=None),  # capacity missing: (2*80 + 100) / 3 = 86.666667
        theme("d", volume=50, harm=10, capacity=3),     # = b: a tie
        theme("e", volume=0, harm=0, capacity=1)]       # 0


def test_hand_worked_ranking_with_a_tie_and_a_missing_criterion():
    ranked = rank_themes(CASE, CRITERIA)
    assert [(r.id, r.total, r.rank_text) for r in ranked] == [
        ("a", 100.0, "1"), ("c", 86.666667, "2"), ("b", 62.5, "3="), ("d", 62.5, "3="), ("e", 0.0, "5")]
    c = next(r for r in ranked if r.id == "c")
    assert c.missing == ["capacity"] and c.scores == {"volume": 80.0, "harm": 100.0, "capacity": None}


def test_missing_criterion_is_left_out_not_scored_zero():
    # as zero, c would score (160 + 100 + 0) / 4 = 65 and fall below... it scores 86.67 and ranks 2nd
    only = rank_themes([theme("x", volume=None, harm=None, capacity=None), theme("y", volume=1, harm=1, capacity=2)],
                       CRITERIA)
    assert only[0].id == "y" and only[1].total is None and only[1].rank_text == "not ranked"
    assert only[1].missing == ["volume", "harm", "capacity"]


def test_criterion_scores_all_equal_and_out_of_scale():
    assert criterion_scores(Criterion("v", "V", 1.0), {"p": 7, "q": 7, "r": None}) == {"p": 50.0, "q": 50.0, "r": None}
    with pytest.raises(ValueError, match="theme q has 6, outside its scale 1-5"):
        criterion_scores(Criterion("capacity", "C", 1.0, scale=(1, 5)), {"p": 3, "q": 6})


SENSITIVE = [theme(f"t{k}", volume=100, harm=100) for k in range(1, 5)] + [
    theme("t5", volume=100, harm=0),    # base (100 + 0) / 2 = 50
    theme("t6", volume=0, harm=90),     # base (0 + 90) / 2 = 45
    theme("t7", volume=0, harm=0)]      # keeps both minimums at 0


def test_sensitivity_flips_the_fifth_place():
    criteria = [Criterion("volume", "Volume", 1.0), Criterion("harm", "Harm", 1.0)]
    rows = {(row.criterion, row.factor): row for row in sensitivity(SENSITIVE, criteria)}
    # volume x0.8: t5 = 80/1.8 = 44.4, t6 = 90/1.8 = 50 -> t6 in, t5 out
    assert rows[("volume", 0.8)].changed and rows[("volume", 0.8)].entered == ["t6"] and rows[("volume", 0.8)].left == ["t5"]
    # volume x1.2: t5 = 120/2.2 = 54.5, t6 = 90/2.2 = 40.9 -> unchanged
    assert not rows[("volume", 1.2)].changed
    # harm x0.8: t5 = 100/1.8 = 55.6, t6 = 72/1.8 = 40 -> unchanged
    assert not rows[("harm", 0.8)].changed
    # harm x1.2: t5 = 100/2.2 = 45.5, t6 = 108/2.2 = 49.1 -> t6 in, t5 out
    assert rows[("harm", 1.2)].changed and rows[("harm", 1.2)].entered == ["t6"]


def test_sensitivity_robust_case():
    robust = SENSITIVE[:5] + [theme("t6", volume=0, harm=50), SENSITIVE[6]]  # t6 base 25: never reaches 5th
    criteria = [Criterion("volume", "Volume", 1.0), Criterion("harm", "Harm", 1.0)]
    assert not any(row.changed for row in sensitivity(robust, criteria))


def test_shipped_matrix_loads_and_labels_harm_as_placeholder():
    matrix = load_matrix()
    assert matrix.harm_is_placeholder
    assert {c.id for c in matrix.criteria_list()} == {"volume", "trend", "harm", "public_concern", "vulnerability", "capacity"}
    assert set(matrix.harm_weights.weights) == {t.id for t in matrix.themes}


def test_theme_missing_a_required_criterion_is_not_ranked():
    criteria = [Criterion("volume", "Volume", 1.0, required=True), Criterion("harm", "Harm", 1.0)]
    # p: volume missing (partner data not received) -> not ranked even though its harm is the highest
    ranked = rank_themes([theme("p", volume=None, harm=10), theme("q", volume=5, harm=0), theme("r", volume=1, harm=5)],
                         criteria)
    # q: (100 + 0) / 2 = 50; r: (0 + 50) / 2 = 25 (harm 0..10 over all three themes)
    assert [(r.id, r.total, r.rank_text) for r in ranked] == [("q", 50.0, "1"), ("r", 25.0, "2"), ("p", None, "not ranked")]
