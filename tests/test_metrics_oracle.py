"""The project's F1 figures against scikit-learn's `f1_score` as the oracle.

narrascope.metrics documents its conventions: zero_division=0 everywhere (a document with no gold
and no predicted label scores 0, as does a label nobody predicts or holds), and macro-F1 averages
only the labels with gold support. Random multi-label matrices with empty rows and columns
exercise every zero-division branch; the bootstrap's weighted figures must agree with the
unweighted ones when every weight is 1 and with scikit-learn's `sample_weight` otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from narrascope.eval.bootstrap import DocCounts, headline
from narrascope.metrics import (
    best_threshold,
    f1_from_counts,
    macro_f1,
    micro_f1,
    per_document_f1,
    per_label,
    samples_f1,
)

SEEDS = range(12)


def _random_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sparse random (docs, labels) matrices with some all-empty rows and columns."""
    rng = np.random.default_rng(seed)
    # At least two columns: scikit-learn reads a one-column matrix as a binary label vector.
    n, labels = rng.integers(1, 40), rng.integers(2, 12)
    density = rng.uniform(0.05, 0.6)
    truth = rng.random((n, labels)) < density
    pred = rng.random((n, labels)) < density
    truth[rng.random(n) < 0.2] = False  # documents with no gold label
    pred[rng.random(n) < 0.2] = False  # ... and with no prediction
    truth[:, rng.random(labels) < 0.2] = False  # labels nobody holds
    pred[:, rng.random(labels) < 0.2] = False  # labels nobody predicts
    return truth, pred


@pytest.mark.parametrize("seed", SEEDS)
def test_micro_and_samples_match_sklearn(seed):
    truth, pred = _random_pair(seed)
    assert micro_f1(truth, pred) == pytest.approx(
        f1_score(truth, pred, average="micro", zero_division=0)
    )
    assert samples_f1(truth, pred) == pytest.approx(
        f1_score(truth, pred, average="samples", zero_division=0)
    )
    expected_rows = [f1_score(t, p, zero_division=0) for t, p in zip(truth, pred)]
    assert per_document_f1(truth, pred) == pytest.approx(expected_rows)


@pytest.mark.parametrize("seed", SEEDS)
def test_per_label_matches_sklearn(seed):
    truth, pred = _random_pair(seed)
    stats = per_label(truth, pred)
    for name, oracle in (
        ("f1", f1_score),
        ("precision", precision_score),
        ("recall", recall_score),
    ):
        expected = oracle(truth, pred, average=None, zero_division=0)
        assert stats[name] == pytest.approx(expected), name
    assert stats["support"].tolist() == truth.sum(axis=0).tolist()


@pytest.mark.parametrize("seed", SEEDS)
def test_macro_averages_the_labels_with_gold_support(seed):
    truth, pred = _random_pair(seed)
    present = np.flatnonzero(truth.sum(axis=0) > 0)
    if len(present) == 0:
        assert macro_f1(truth, pred) == 0.0
        return
    expected = f1_score(truth, pred, labels=present, average="macro", zero_division=0)
    assert macro_f1(truth, pred) == pytest.approx(expected)


def test_macro_differs_from_sklearn_default_only_by_unsupported_labels():
    # A label predicted but never gold: sklearn's plain macro counts its 0, ours leaves it out.
    truth = np.array([[True, False], [True, False]])
    pred = np.array([[True, True], [True, False]])
    assert macro_f1(truth, pred) == pytest.approx(1.0)
    assert f1_score(truth, pred, average="macro", zero_division=0) == pytest.approx(0.5)


def test_all_empty_matrices_score_zero_like_sklearn():
    empty = np.zeros((3, 4), dtype=bool)
    assert micro_f1(empty, empty) == f1_score(empty, empty, average="micro", zero_division=0) == 0
    assert samples_f1(empty, empty) == 0.0
    assert f1_score(empty, empty, average="samples", zero_division=0) == 0.0
    assert samples_f1(np.zeros((0, 2), bool), np.zeros((0, 2), bool)) == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_bootstrap_figures_are_the_same_metrics(seed):
    truth, pred = _random_pair(seed)
    counts = DocCounts.of(truth, pred)
    ones = headline(counts, np.ones((1, len(truth))))
    assert ones["micro_f1"][0] == pytest.approx(micro_f1(truth, pred))
    assert ones["samples_f1"][0] == pytest.approx(samples_f1(truth, pred))
    assert ones["macro_f1"][0] == pytest.approx(macro_f1(truth, pred))
    # A resample is integer document weights: sklearn's sample_weight is the same weighting.
    weights = np.random.default_rng(seed).integers(0, 3, size=len(truth)).astype(float)
    if weights.sum() == 0:
        weights[0] = 1.0
    drawn = headline(counts, weights[None, :])
    for average in ("micro", "samples"):
        expected = f1_score(truth, pred, average=average, sample_weight=weights, zero_division=0)
        assert drawn[f"{average}_f1"][0] == pytest.approx(expected), average


def test_f1_from_counts_keeps_the_input_precision_and_zero_division():
    assert f1_from_counts(np.float32(1), np.float32(1), np.float32(1)).dtype == np.float32
    assert f1_from_counts(3, 4, 2).dtype == np.float64
    assert f1_from_counts([0, 1], [0, 1], [0, 3]).tolist() == [0.0, 0.5]


def test_best_threshold_maximises_f1_and_breaks_ties_upward():
    truth = np.array([True, True, False, False])
    scores = np.array([0.9, 0.6, 0.4, 0.1])
    grid = np.array([0.2, 0.3, 0.5, 0.7])
    # 0.5 catches both positives and nothing else (F1 1.0); so would 0.45, not on the grid.
    assert best_threshold(truth, scores, grid) == 0.5
    # All thresholds tie (nothing is gold: F1 0 everywhere): the highest wins.
    assert best_threshold(np.zeros(4, bool), scores, grid) == 0.7
    expected = max(grid, key=lambda t: (f1_score(truth, scores >= t, zero_division=0), t))
    assert best_threshold(truth, scores, grid) == expected
