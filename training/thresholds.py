"""Per-label decision thresholds tuned on validation scores."""

from __future__ import annotations

import numpy as np

from narrascope.training.config import ThresholdConfig


def tune_thresholds(y: np.ndarray, scores: np.ndarray, cfg: ThresholdConfig) -> np.ndarray:
    """For each label, the grid threshold with the best F1 (ties -> the higher threshold)."""
    grid = np.asarray(cfg.grid)
    best = np.full(y.shape[1], cfg.default)
    for j in range(y.shape[1]):
        if y[:, j].sum() < cfg.min_positives:
            continue
        f1 = [_f1(y[:, j], scores[:, j] >= t) for t in grid]
        best[j] = grid[len(grid) - 1 - int(np.argmax(f1[::-1]))]
    return best


def _f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    tp = float(np.sum(truth & predicted))
    denominator = float(truth.sum() + predicted.sum())
    return 2 * tp / denominator if denominator else 0.0
