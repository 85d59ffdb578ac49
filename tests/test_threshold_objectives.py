"""Threshold tuning for the metric the user names, shrinkage for rare labels, per language."""

from __future__ import annotations

import numpy as np
import pytest

from narrascope.errors import DataError
from narrascope.metrics import samples_f1
from narrascope.training.config import ThresholdConfig, TrainConfig
from narrascope.training.thresholds import (
    global_threshold,
    tune_language_thresholds,
    tune_thresholds,
)


def _data(seed=0, n=400, labels=4):
    rng = np.random.default_rng(seed)
    y = rng.random((n, labels)) < np.array([0.4, 0.2, 0.1, 0.03])[:labels]
    noise = rng.normal(0, 0.25, y.shape)
    scores = np.clip(0.3 + 0.35 * y + noise, 0, 1)
    return y, scores


def test_samples_f1_objective_never_loses_samples_f1_to_label_f1():
    y, scores = _data()
    per_label = tune_thresholds(y, scores, ThresholdConfig())
    samples = tune_thresholds(y, scores, ThresholdConfig(objective="samples_f1"))
    assert samples_f1(y, scores >= samples) >= samples_f1(y, scores >= per_label)
    assert not np.allclose(samples, per_label)  # it does move thresholds here


def test_precision_floor_is_met_with_the_most_recall():
    y, scores = _data(1)
    cfg = ThresholdConfig(objective="precision_floor", precision_floor=0.8)
    tuned = tune_thresholds(y, scores, cfg)
    for j in range(2):  # the frequent labels reach the floor on this data
        predicted = scores[:, j] >= tuned[j]
        assert (y[:, j] & predicted).sum() / predicted.sum() >= 0.8
        lower = scores[:, j] >= tuned[j] - 0.05
        if tuned[j] - 0.05 >= min(cfg.grid):
            assert (y[:, j] & lower).sum() / lower.sum() < 0.8


def test_shrinkage_pulls_rare_labels_toward_the_global_threshold():
    y, scores = _data(2)
    own = tune_thresholds(y, scores, ThresholdConfig())
    shrunk = tune_thresholds(y, scores, ThresholdConfig(shrinkage=20))
    overall = global_threshold(y, scores, np.asarray(ThresholdConfig().grid))
    moved = np.abs(shrunk - own) / np.maximum(np.abs(overall - own), 1e-9)
    positives = y.sum(axis=0)
    rare, common = int(np.argmin(positives)), int(np.argmax(positives))
    assert moved[rare] > moved[common]  # fewer positives: closer to the global threshold
    assert np.all(np.abs(shrunk - overall) <= np.abs(own - overall) + 1e-9)


def test_per_language_thresholds_follow_each_language():
    y, scores = _data(3, n=600, labels=2)
    langs = np.array(["uk"] * 300 + ["ru"] * 290 + ["en"] * 10)
    scores[langs == "ru"] = np.clip(scores[langs == "ru"] + 0.2, 0, 1)  # ru scores run higher
    cfg = ThresholdConfig(per_language=True, shrinkage=2)
    base = tune_thresholds(y, scores, cfg)
    found = tune_language_thresholds(y, scores, langs, cfg, base)
    assert set(found) == {"uk", "ru"}  # en has too few documents: all-language thresholds
    assert found["ru"][0] > found["uk"][0]


def test_unknown_objective_is_refused():
    with pytest.raises(DataError, match="unknown objective 'accuracy'"):
        TrainConfig.from_dict({"thresholds": {"objective": "accuracy"}})


def test_per_language_thresholds_reach_the_predictor(tmp_path, root, fast_config):
    import json

    from narrascope.predictor import Predictor
    from narrascope.training.train import train

    raw = {**fast_config, "thresholds": {"folds": 3, "per_language": True, "shrinkage": 2}}
    raw["thresholds"]["min_language_documents"] = 20
    out = train(TrainConfig.from_dict(raw), tmp_path / "m", root=root)
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["language_thresholds"]) <= set(manifest["languages"])
    assert manifest["language_thresholds"]
    predictor = Predictor(out)
    lang = sorted(predictor.language_thresholds)[0]
    cut = predictor.language_thresholds[lang]
    assert predictor._cut_for(lang, predictor.thresholds, None) is cut
    # A caller's override wins over every tuned threshold, per language or not.
    assert predictor._cut_for(lang, predictor.thresholds, 0.3) is predictor.thresholds
    assert predictor._cut_for("xx", predictor.thresholds, None) is predictor.thresholds


def test_narrative_thresholds_fitted_to_the_strict_decoder():
    """A narrative whose positives all score 0.35 under a 0.6 threshold leaves its documents
    with no narrative (so Other); fitting to the decoder lowers it, and never lowers F1."""
    from narrascope.training.thresholds import fit_narratives_to_decoder

    rng = np.random.default_rng(0)
    n = 200
    y = np.zeros((n, 3), dtype=bool)  # columns: narrative A, narrative B, Other
    y[:80, 0] = True
    y[80:120, 1] = True
    y[120:, 2] = True
    scores = rng.uniform(0.0, 0.2, size=(n, 3))
    scores[:80, 0] = 0.35
    scores[80:120, 1] = 0.8
    scores[120:, 2] = 0.7
    start = np.array([0.6, 0.5, 0.5])
    grid = tuple(round(0.05 * i, 2) for i in range(3, 19))
    fitted = fit_narratives_to_decoder(y, scores, start, np.array([0, 1]), 2, grid)

    def decoded_f1(t):
        gate = scores[:, 2] < t[2]
        pred = (scores[:, :2] >= t[:2]) & gate[:, None]
        empty = ~pred.any(axis=1)
        tp = (pred & y[:, :2]).sum(axis=1)
        f1 = 2 * tp / np.maximum(pred.sum(axis=1) + y[:, :2].sum(axis=1), 1)
        return float(np.where(empty, y[:, 2], f1).mean())

    assert fitted[0] <= 0.35 and fitted[2] == start[2]  # Other's threshold is left alone
    assert decoded_f1(fitted) > decoded_f1(start) + 0.3
