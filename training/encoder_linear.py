"""Fit the encoder + linear heads family: embed once with the frozen encoder, then fit heads."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np

from narrascope.encoders.encoder import best_precision
from narrascope.encoders.sources import resolve_model_dir, source_fingerprint
from narrascope.families.encoder_linear import EncoderLinearModel, build_encoder
from narrascope.training.config import TrainConfig
from narrascope.training.heads import fit_heads, out_of_fold


def encoder_spec(config: TrainConfig) -> dict:
    """The manifest's `encoder` entry: the config's settings, resolved and fingerprinted."""
    spec = asdict(config.encoder)
    if spec["precision"] == "auto":  # recorded resolved, so inference embeds the same way
        spec["precision"] = best_precision()
    directory = resolve_model_dir(spec["base_model"])
    return {**spec, "fingerprint": source_fingerprint(spec["base_model"], directory)}


def fit_encoder_heads(features: np.ndarray, y: np.ndarray, config: TrainConfig):
    """Logistic heads on embeddings with the config's `head` settings: (coef, intercept)."""
    head = config.head
    return fit_heads(features, y, head.C, head.class_weight, config.seed, solver="lbfgs")


class EncoderLinearTrainer:
    def __init__(self, config: TrainConfig):
        self.config = config
        self.spec = encoder_spec(config)
        self.encoder = build_encoder(self.spec)
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings, computed once per distinct text (folds and the final fit share them)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = self.encoder.embed(missing, self.spec["batch_size"], progress=True)
            self._cache.update(zip(missing, vectors))
        return np.stack([self._cache[t] for t in texts])

    def fit(self, texts: list[str], y: np.ndarray) -> EncoderLinearModel:
        coef, intercept = fit_encoder_heads(self.embed(texts), y, self.config)
        return EncoderLinearModel(self.encoder, coef, intercept, self.spec["batch_size"])

    validation_kind = "out-of-fold"

    def validate(self, texts: list[str], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        features = self.embed(texts)

        def fit_and_score(train_idx, val_idx):
            coef, intercept = fit_encoder_heads(features[train_idx], y[train_idx], self.config)
            model = EncoderLinearModel(self.encoder, coef, intercept)
            return model.scores_from_embeddings(features[val_idx])

        return np.arange(len(texts)), out_of_fold(
            len(texts), y, self.config.seed, self.config.thresholds.folds, fit_and_score
        )

    def describe(self, model: EncoderLinearModel) -> dict:
        return {"encoder": self.spec, "n_features": int(model.coef.shape[1])}


def make_trainer(config: TrainConfig, out_dir: Path, decoder=None):
    """This family's entry in narrascope.families.FAMILIES."""
    return EncoderLinearTrainer(config)
