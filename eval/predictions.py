"""One model's predictions on a list of documents: from a live model or from a SemEval file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from narrascope.errors import DataError
from narrascope.eval.semeval import read_predictions
from narrascope.metrics import level_sets
from narrascope.schema import Document
from narrascope.taxonomy import Taxonomy


@dataclass
class Run:
    model: dict  # version, model_id, family (or the prediction file's name)
    narratives: list[tuple[str, ...]]
    subnarratives: list[tuple[str, ...]]
    scores: np.ndarray | None = None  # raw (n, labels) scores; None for a prediction file
    labels: list[str] = field(default_factory=list)

    def level_sets(self) -> dict[str, list[frozenset]]:
        return level_sets(list(zip(self.narratives, self.subnarratives)))

    @property
    def predicted_other(self) -> np.ndarray:
        return np.array([not n for n in self.narratives], dtype=bool)


def run_model(predictor, docs: list[Document], batch_size: int = 256) -> Run:
    narratives, subnarratives, scores = [], [], []
    for start in range(0, len(docs), batch_size):
        batch = docs[start : start + batch_size]
        texts = [d.text for d in batch]
        # Scored once: the raw scores serve calibration, the labels are decoded from them. The
        # gold language is a hint: evaluation measures narratives, not language ID.
        batch_scores = predictor.scores(texts)
        for out in predictor.decide(texts, batch_scores, [d.lang for d in batch]):
            narratives.append(tuple(s.id for s in out.narratives))
            subnarratives.append(tuple(s.id for s in out.subnarratives))
        scores.append(batch_scores)
    model = {
        "version": predictor.version,
        "model_id": predictor.manifest["model_id"],
        "family": predictor.manifest["family"],
    }
    matrix = np.vstack(scores) if scores else np.zeros((0, len(predictor.labels)))
    return Run(model, narratives, subnarratives, matrix, list(predictor.labels))


def run_from_file(path: str | Path, docs: list[Document], taxonomy: Taxonomy) -> Run:
    """Predictions read from a SemEval-2025 Task 10 file; every document must have a row."""
    found = read_predictions(path, taxonomy)
    missing = [d.id for d in docs if d.id not in found]
    if missing:
        raise DataError(
            f"no prediction for {len(missing)} of {len(docs)} documents "
            f"(first: {', '.join(missing[:5])})",
            file=str(path),
        )
    pairs = [found[d.id] for d in docs]
    model = {"version": Path(path).name, "model_id": str(path), "family": "prediction-file"}
    return Run(model, [p[0] for p in pairs], [p[1] for p in pairs])
