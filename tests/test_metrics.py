"""Metrics on tiny cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.metrics import (
    binarise,
    narrative_set,
    per_document_f1,
    per_label,
    subnarrative_set,
    summary,
)


def test_other_is_a_label_and_bare_narratives_count_as_narrative_other():
    assert narrative_set([]) == {"Other"}
    assert subnarrative_set([], []) == {"Other"}
    assert subnarrative_set(["A.x"], ["A.x.1"]) == {"A.x.1"}
    assert subnarrative_set(["A.x", "B.y"], ["A.x.1"]) == {"A.x.1", "B.y.Other"}


def test_hand_computed_case():
    labels = ["A", "B", "Other"]
    gold = [frozenset({"A"}), frozenset({"A", "B"}), frozenset({"Other"}), frozenset({"B"})]
    pred = [frozenset({"A"}), frozenset({"A"}), frozenset({"A"}), frozenset({"Other"})]
    truth, guess = binarise(gold, labels), binarise(pred, labels)
    # per document: 1, 2*1/(2+1)=2/3, 0, 0 -> mean 5/12
    assert per_document_f1(truth, guess) == pytest.approx([1, 2 / 3, 0, 0])
    figures = summary(truth, guess)
    assert figures["samples_f1"] == pytest.approx(5 / 12)
    # pooled: tp=2, gold=5, pred=4 -> 4/9
    assert figures["micro_f1"] == pytest.approx(4 / 9)
    # A: p=2/3 r=1 f=0.8; B: 0; Other: 0 -> macro (0.8+0+0)/3
    assert figures["macro_f1"] == pytest.approx(0.8 / 3)
    stats = per_label(truth, guess)
    assert stats["precision"][0] == pytest.approx(2 / 3) and stats["support"].tolist() == [2, 2, 1]


def test_empty_predictions_score_zero_not_nan():
    truth = binarise([frozenset({"A"})], ["A", "B"])
    guess = binarise([frozenset()], ["A", "B"])
    figures = summary(truth, guess)
    assert figures == {"samples_f1": 0.0, "micro_f1": 0.0, "macro_f1": 0.0, "n": 1}


def test_only_other_document_predicted_other_is_perfect():
    truth = binarise([frozenset({"Other"})], ["A", "Other"])
    figures = summary(truth, truth.copy())
    assert figures["samples_f1"] == figures["micro_f1"] == figures["macro_f1"] == 1.0


def test_group_of_size_one_and_empty_group():
    truth = binarise([frozenset({"A", "B"})], ["A", "B"])
    guess = binarise([frozenset({"B"})], ["A", "B"])
    assert summary(truth, guess)["samples_f1"] == pytest.approx(2 / 3)
    assert summary(truth[:0], guess[:0])["n"] == 0
    assert np.isfinite(list(summary(truth[:0], guess[:0]).values())).all()
