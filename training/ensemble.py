"""Fit an ensemble of registered models: member weights chosen on their validation scores.

Every artifact stores the scores its model gave to documents it never trained on
(`validation.npz`: out-of-fold for the fast families, the held-out part for fine-tuning), keyed
by the sha256 of each text. The ensemble uses the documents that every member validated, tries
every weighting on a simplex grid, tunes thresholds for each, and keeps the weighting with the
best narrative samples-F1. No member is retrained.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from narrascope.artifact import text_digest
from narrascope.decode import Decoder
from narrascope.errors import DataError
from narrascope.families.ensemble import EnsembleModel, files_digest
from narrascope.metrics import aligned, level_sets, summary
from narrascope.model_registry import Registry
from narrascope.training.config import TrainConfig
from narrascope.training.thresholds import tune_thresholds


class EnsembleTrainer:
    validation_kind = "members' validation scores (weights and thresholds tuned on them)"

    def __init__(self, config: TrainConfig, decoder: Decoder):
        self.config, self.decoder = config, decoder
        self.versions: list[str] = []
        self.weights: list[float] = []
        self._validation: tuple[int, np.ndarray, np.ndarray] | None = None

    def fit(self, texts: list[str], y: np.ndarray) -> EnsembleModel:
        """Weights chosen on the members' stored validation scores of these documents."""
        self.registry = Registry()
        self.versions = [self.registry.resolve(ref) for ref in self.config.ensemble.members]
        if len(self.versions) < 2:
            raise DataError("an ensemble needs at least two members", field="ensemble.members")
        member_scores = [self._validation_scores(v, texts) for v in self.versions]
        common = np.flatnonzero(np.all([~np.isnan(s[:, 0]) for s in member_scores], axis=0))
        if len(common) == 0:
            raise DataError("the members validated no document in common with train_data")
        self.weights, combined = self._weigh([s[common] for s in member_scores], y[common])
        self._validation = (len(texts), common, combined)
        return EnsembleModel([self.registry.load(v).model for v in self.versions], self.weights)

    def validate(self, texts: list[str], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._validation is None or self._validation[0] != len(texts):
            raise RuntimeError("validate() reports what fit() weighed: call fit first")
        return self._validation[1], self._validation[2]

    def _weigh(self, stacked: list[np.ndarray], y: np.ndarray) -> tuple[list[float], np.ndarray]:
        weights = best_weights(
            stacked, lambda s: self._narrative_f1(s, y), self.config.ensemble.weight_step
        )
        return weights, sum(w * s for w, s in zip(weights, stacked))

    def describe(self, model: EnsembleModel) -> dict:
        entries = [self.registry.entry(v) for v in self.versions]
        members = [
            {
                "version": e["version"],
                "model_id": e["model_id"],
                "files_sha256": files_digest(e["files"]),
                "weight": w,
            }
            for e, w in zip(entries, self.weights)
        ]
        return {"ensemble": {"members": members}, "n_features": len(members)}

    def _validation_scores(self, version: str, texts: list[str]) -> np.ndarray:
        """The member's validation scores aligned to `texts`; NaN rows where it has none."""
        path = self.registry.verify(version) / "validation.npz"
        with np.load(path, allow_pickle=False) as stored:
            index = {d.decode(): i for i, d in enumerate(stored["text_sha256"])}
            scores = stored["scores"]
        out = np.full((len(texts), scores.shape[1]), np.nan)
        for row, text in enumerate(texts):
            if (i := index.get(text_digest(text))) is not None:
                out[row] = scores[i]
        return out

    def _narrative_f1(self, scores: np.ndarray, y: np.ndarray) -> float:
        thresholds = tune_thresholds(y, scores, self.config.thresholds)
        labels = self.decoder.labels
        gold = level_sets([_labels_of(row, labels, self.decoder) for row in y])["narratives"]
        pred = level_sets([self.decoder.decode_labels(r, thresholds) for r in scores])
        return summary(*aligned(gold, pred["narratives"])[:2])["samples_f1"]


def best_weights(stacked: list[np.ndarray], objective, step: float) -> list[float]:
    """The weighting on a simplex grid (weights sum to 1) whose combined scores score best.

    Single members are on the grid (a weight of 1), so the result is never worse than the
    best member on the same documents.
    """
    grid = np.round(np.arange(0, 1 + step / 2, step), 6)
    best, best_score = None, -np.inf
    for weights in itertools.product(grid, repeat=len(stacked)):
        if not np.isclose(sum(weights), 1.0):
            continue
        score = objective(sum(w * s for w, s in zip(weights, stacked)))
        if score > best_score + 1e-9:
            best, best_score = [float(w) for w in weights], score
    print(f"ensemble weights {best}: validation objective {best_score:.3f}")
    return best


def _labels_of(row: np.ndarray, labels: list[str], decoder: Decoder) -> tuple[set, set]:
    chosen = {lab for lab, on in zip(labels, row) if on}
    narratives = {labels[i] for i in decoder.narratives if labels[i] in chosen}
    return narratives, chosen - narratives - {labels[decoder.other]}


def make_trainer(config: TrainConfig, out_dir: Path, decoder: Decoder):
    """This family's entry in narrascope.families.FAMILIES: members trained from recipes in one
    run (configs/ensemble_full.yaml), or registered versions."""
    if config.ensemble.recipes:
        from narrascope.training.ensemble_recipes import RecipeEnsembleTrainer

        return RecipeEnsembleTrainer(config, decoder, out_dir)
    return EnsembleTrainer(config, decoder)
