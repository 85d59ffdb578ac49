"""Calibration of narrative-level scores: expected calibration error and reliability bins.

Every (document, label) pair at narrative level (the narratives and `Other`) is one forecast:
the model's raw score against whether the label is gold. Ten equal-width bins; ECE is the
support-weighted mean gap between mean score and observed frequency.
"""

from __future__ import annotations

import numpy as np

from narrascope.schema import Document
from narrascope.taxonomy import Taxonomy

BINS = 10


def narrative_columns(labels: list[str], taxonomy: Taxonomy) -> list[int]:
    return [i for i, lab in enumerate(labels) if taxonomy.level_of(lab) != "subnarrative"]


def gold_matrix(docs: list[Document], labels: list[str]) -> np.ndarray:
    return np.array([[lab in (d.narratives or ("Other",)) for lab in labels] for d in docs])


def reliability(scores: np.ndarray, gold: np.ndarray, bins: int = BINS) -> dict:
    scores, gold = np.clip(scores.ravel(), 0.0, 1.0), gold.ravel().astype(float)
    if len(scores) == 0:
        return {"ece": 0.0, "forecasts": 0, "bins": []}
    which = np.minimum((scores * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    mean_score = np.bincount(which, weights=scores, minlength=bins)
    positives = np.bincount(which, weights=gold, minlength=bins)
    filled = count > 0
    mean_score[filled] /= count[filled]
    frequency = np.where(filled, positives / np.maximum(count, 1), 0.0)
    ece = float((count / len(scores) * np.abs(frequency - mean_score)).sum())
    return {
        "ece": round(ece, 6),
        "forecasts": int(len(scores)),
        "bins": [
            {
                "low": b / bins,
                "high": (b + 1) / bins,
                "count": int(count[b]),
                "mean_score": round(float(mean_score[b]), 6),
                "observed": round(float(frequency[b]), 6),
            }
            for b in range(bins)
            if filled[b]
        ],
    }


def calibration(docs: list[Document], scores: np.ndarray, labels: list[str], taxonomy) -> dict:
    columns = narrative_columns(labels, taxonomy)
    names = [labels[c] for c in columns]
    gold, scores = gold_matrix(docs, names), scores[:, columns]
    langs = np.array([d.lang for d in docs])
    return {
        "labels": "narratives and Other",
        "overall": reliability(scores, gold),
        "per_language": {
            lang: reliability(scores[langs == lang], gold[langs == lang])
            for lang in sorted(set(langs))
        },
    }
