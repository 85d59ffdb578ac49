"""Calibration: the matcher threshold that maximises micro F1 on labelled documents, and the
calibration file that carries it (bench/talking_points.py writes the bundled one,
data/talking_points.calibration.json).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from narrascope.errors import ArtifactError, DataError
from narrascope.talking_points.library import TalkingPointLibrary
from narrascope.talking_points.matcher import SCORINGS


@dataclass(frozen=True)
class Calibration:
    threshold: float
    precision: float
    recall: float
    f1: float
    support: int  # gold (document, talking point) pairs
    predicted: int  # predicted pairs at the threshold

    def to_dict(self) -> dict:
        return asdict(self)


def calibrate(matcher_scores: np.ndarray, gold: np.ndarray) -> Calibration:
    """The threshold maximising micro F1 over (document, talking point) pairs.

    `matcher_scores` and `gold` are [documents, talking points] (`TalkingPointMatcher.scores`
    and `gold_matrix`). A pair is predicted when its score >= threshold. The threshold is the
    midpoint between the lowest accepted score and the highest rejected one, so it does not sit
    on a training score; ties in F1 go to the higher threshold (fewer, surer matches).
    """
    scores = np.asarray(matcher_scores, dtype=np.float64).ravel()
    truth = np.asarray(gold, dtype=bool).ravel()
    if scores.shape != truth.shape:
        raise ValueError(f"scores {np.shape(matcher_scores)} and gold {np.shape(gold)} differ")
    finite = np.isfinite(scores)
    support = int(truth.sum())
    values = np.unique(scores[finite])[::-1]  # candidate cut-offs, highest first
    if not len(values):
        return Calibration(1.0, 0.0, 0.0, 0.0, support, 0)
    order = np.argsort(-scores[finite], kind="stable")
    ranked, hits = scores[finite][order], truth[finite][order]
    # predicted / true positives when accepting every score >= value
    predicted = np.searchsorted(-ranked, -values, side="right")
    tp = np.concatenate([[0], np.cumsum(hits)])[predicted]
    f1 = 2 * tp / np.maximum(predicted + support, 1)
    k = int(np.argmax(f1))  # first maximum: the highest threshold among ties
    lower = values[k + 1] if k + 1 < len(values) else values[k]
    threshold = float((values[k] + lower) / 2)
    return evaluate(matcher_scores, gold, threshold)


def evaluate(matcher_scores: np.ndarray, gold: np.ndarray, threshold: float) -> Calibration:
    """Micro precision, recall and F1 of (document, talking point) pairs at a threshold."""
    predicted = np.asarray(matcher_scores) >= threshold
    truth = np.asarray(gold, dtype=bool)
    tp, n_pred, support = int((predicted & truth).sum()), int(predicted.sum()), int(truth.sum())
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / support if support else 0.0
    f1 = 2 * tp / (n_pred + support) if n_pred + support else 0.0
    return Calibration(float(threshold), precision, recall, f1, support, n_pred)


def gold_matrix(labels: Sequence[Iterable[str]], library: TalkingPointLibrary) -> np.ndarray:
    """[documents, talking points] booleans from each document's `talking_points` ids."""
    gold = np.zeros((len(labels), len(library)), dtype=bool)
    index = {pid: i for i, pid in enumerate(library.ids)}
    for d, ids in enumerate(labels):
        for pid in ids:
            if pid not in index:
                raise DataError(f"document {d}: unknown talking point {pid!r}")
            gold[d, index[pid]] = True
    return gold


def read_calibration(path: str | Path, encoder: str | None = None) -> dict:
    """The calibration file's content; refuses one made for a different encoder or naming an
    unknown scoring."""
    try:
        calibration = json.loads(Path(path).read_text(encoding="utf-8"))
        threshold = float(calibration["threshold"])
    except OSError as exc:
        raise DataError(
            f"cannot read the talking-point calibration ({exc.strerror or exc}); "
            "run bench/talking_points.py to create it",
            file=str(path),
        ) from None
    except (ValueError, KeyError, TypeError):
        raise DataError(
            "not a calibration file: needs a numeric 'threshold'", file=str(path)
        ) from None
    if calibration.get("scoring", SCORINGS[0]) not in SCORINGS:
        raise DataError(f"'scoring' must be one of {SCORINGS}", file=str(path), field="scoring")
    if encoder and calibration.get("encoder") != encoder:
        raise ArtifactError(
            f"{path} was calibrated for encoder {calibration.get('encoder')!r}, not {encoder!r}"
        )
    return {**calibration, "threshold": threshold}
