"""Fit the linear family: TF-IDF char n-grams + one logistic regression per label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from narrascope.families.linear import LinearModel
from narrascope.text import normalise
from narrascope.training.config import TrainConfig
from narrascope.training.heads import fit_heads, out_of_fold


class LinearTrainer:
    def __init__(self, config: TrainConfig):
        self.config = config

    def fit(self, texts: list[str], y: np.ndarray) -> LinearModel:
        cfg = self.config.linear
        vectorizer = TfidfVectorizer(
            max_features=cfg.max_features,
            min_df=cfg.min_df,
            **LinearModel.vectorizer_params(cfg.ngram_range),
        )
        features = vectorizer.fit_transform([normalise(t) for t in texts])
        coef, intercept = fit_heads(
            features, y, cfg.C, cfg.class_weight, self.config.seed, solver="liblinear"
        )
        return LinearModel.from_vectorizer(vectorizer, coef, intercept)

    validation_kind = "out-of-fold"

    def validate(self, texts: list[str], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Out-of-fold scores; the vectoriser is refitted per fold, so no vocabulary leaks."""

        def fit_and_score(train_idx, val_idx):
            model = self.fit([texts[i] for i in train_idx], y[train_idx])
            return model.scores([texts[i] for i in val_idx])

        return np.arange(len(texts)), out_of_fold(
            len(texts), y, self.config.seed, self.config.thresholds.folds, fit_and_score
        )

    def describe(self, model: LinearModel) -> dict:
        return {"n_features": int(model.coef.shape[1])}


def make_trainer(config: TrainConfig, out_dir: Path, decoder=None):
    """This family's entry in narrascope.families.FAMILIES."""
    return LinearTrainer(config)
