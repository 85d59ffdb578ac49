"""Per-label decision thresholds tuned on validation scores, for the metric the user names.

- `label_f1`: each label's own F1 (what macro-F1 rewards);
- `samples_f1`: the mean per-document F1 (SemEval's metric), by coordinate ascent: each label's
  threshold in turn is moved to the grid value that best raises samples-F1 with the others held;
- `precision_floor`: the lowest threshold whose precision reaches the floor (most recall).
Rare labels can be shrunk toward one global threshold, and thresholds can be tuned per language,
shrunk toward the all-language ones (`ThresholdConfig`).
"""

from __future__ import annotations

import numpy as np

from narrascope.metrics import best_on_grid, best_threshold, f1_from_counts
from narrascope.training.config import ThresholdConfig

_SWEEPS = 2  # coordinate-ascent passes for samples_f1; a third changed nothing on UNLP


def tune_thresholds(y: np.ndarray, scores: np.ndarray, cfg: ThresholdConfig) -> np.ndarray:
    """One threshold per label (column), from `cfg`'s grid, for `cfg.objective`."""
    y = np.asarray(y, dtype=bool)
    grid = np.asarray(cfg.grid)
    positives = y.sum(axis=0)
    tuned = np.full(y.shape[1], cfg.default)
    enough = positives >= cfg.min_positives
    for j in np.flatnonzero(enough):
        tuned[j] = _best_for_label(y[:, j], scores[:, j], grid, cfg)
    if cfg.objective == "samples_f1":
        tuned = _samples_f1_ascent(y, scores, tuned, grid, enough)
    if cfg.shrinkage > 0:
        overall = global_threshold(y, scores, grid)
        tuned = np.where(enough, shrink(tuned, overall, positives, cfg.shrinkage), overall)
    return tuned


def tune_language_thresholds(
    y: np.ndarray, scores: np.ndarray, langs, cfg: ThresholdConfig, base: np.ndarray
) -> dict[str, np.ndarray]:
    """{lang: thresholds} for languages with enough validation documents, each label shrunk
    toward `base` (the all-language thresholds) by its positives in that language."""
    langs = np.asarray(langs)
    out = {}
    weight = max(cfg.shrinkage, 1.0)
    for lang in sorted(set(langs)):
        rows = langs == lang
        if rows.sum() < cfg.min_language_documents:
            continue
        own = tune_thresholds(y[rows], scores[rows], _without_shrinkage(cfg))
        positives = np.asarray(y[rows], dtype=bool).sum(axis=0)
        # Below min_positives `own` is the default: keep the all-language value instead.
        own = np.where(positives >= cfg.min_positives, own, base)
        out[str(lang)] = shrink(own, base, positives, weight)
    return out


def shrink(tuned: np.ndarray, target, positives: np.ndarray, weight: float) -> np.ndarray:
    """(n * tuned + k * target) / (n + k): a label with n positives moves toward `target`."""
    return (positives * tuned + weight * np.asarray(target)) / (positives + weight)


def global_threshold(y: np.ndarray, scores: np.ndarray, grid: np.ndarray) -> float:
    """The one grid threshold with the best micro-F1 over every label at once."""
    return best_threshold(y.ravel(), scores.ravel(), grid)


def _best_for_label(truth, scores, grid, cfg: ThresholdConfig) -> float:
    if cfg.objective == "precision_floor":
        for t in grid:  # ascending: the first that reaches the floor keeps the most recall
            predicted = scores >= t
            if (
                predicted.any()
                and (truth & predicted).sum() / predicted.sum() >= cfg.precision_floor
            ):
                return float(t)
        return float(grid[-1])
    return best_threshold(truth, scores, grid)


def _samples_f1_ascent(y, scores, thresholds, grid, tunable) -> np.ndarray:
    thresholds = thresholds.copy()
    gold = y.sum(axis=1)
    for _ in range(_SWEEPS):
        pred = scores >= thresholds
        for j in np.flatnonzero(tunable):
            # Everything but column j is fixed: per-document tp and |pred| without it, then
            # the mean per-document F1 for every candidate threshold of column j at once.
            rest_tp = (y & pred).sum(axis=1) - (y[:, j] & pred[:, j])
            rest_pred = pred.sum(axis=1) - pred[:, j]
            on = scores[:, j][:, None] >= grid[None, :]
            tp = rest_tp[:, None] + (y[:, j][:, None] & on)
            f1 = f1_from_counts(tp, rest_pred[:, None] + on, gold[:, None])
            thresholds[j] = best_on_grid(grid, f1.mean(axis=0))
            pred[:, j] = scores[:, j] >= thresholds[j]
    return thresholds


def fit_narratives_to_decoder(
    y: np.ndarray,
    scores: np.ndarray,
    thresholds: np.ndarray,
    narratives: np.ndarray,
    other: int,
    grid,
) -> np.ndarray:
    """Narrative thresholds moved, by coordinate ascent, to the grid values that best raise
    narrative-level samples-F1 *as the decoder reads them* (narrascope.decode): `Other` at or
    above its threshold, or no narrative at or above its own, means the document is `Other`.

    Per-label F1 tunes each narrative alone; under that rule a high threshold costs a document
    its only narrative, which per-label F1 does not see (bench/decode_rule.py measures it).
    """
    y, grid = np.asarray(y, dtype=bool), np.asarray(grid)
    thresholds = thresholds.copy()
    open_gate = scores[:, other] < thresholds[other]
    gold = y[:, narratives]
    gold_n, gold_other = gold.sum(axis=1), y[:, other]
    pred = (scores[:, narratives] >= thresholds[narratives]) & open_gate[:, None]
    for _ in range(_SWEEPS):
        for k, j in enumerate(narratives):
            rest_tp = (gold & pred).sum(axis=1) - (gold[:, k] & pred[:, k])
            rest_pred = pred.sum(axis=1) - pred[:, k]
            on = (scores[:, j][:, None] >= grid[None, :]) & open_gate[:, None]
            tp = rest_tp[:, None] + (gold[:, k][:, None] & on)
            count = rest_pred[:, None] + on
            f1 = f1_from_counts(tp, count, gold_n[:, None])
            f1 = np.where(count == 0, gold_other[:, None].astype(float), f1)  # decoded: Other
            thresholds[j] = best_on_grid(grid, f1.mean(axis=0))
            pred[:, k] = (scores[:, j] >= thresholds[j]) & open_gate
    return thresholds


def _without_shrinkage(cfg: ThresholdConfig) -> ThresholdConfig:
    from dataclasses import replace

    return replace(cfg, shrinkage=0.0)
