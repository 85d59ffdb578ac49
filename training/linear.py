"""Fit the linear family: TF-IDF char n-grams + one logistic regression per label."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from tqdm.auto import tqdm

from narrascope.families.linear import LinearModel
from narrascope.text import normalise
from training.config import LinearConfig

# A label never seen positive gets this logit: sigmoid(-20) ~ 2e-9, i.e. never predicted.
_ABSENT_LOGIT = -20.0


def fit_linear(texts: list[str], y: np.ndarray, cfg: LinearConfig, seed: int) -> LinearModel:
    vectorizer = TfidfVectorizer(
        max_features=cfg.max_features,
        min_df=cfg.min_df,
        **LinearModel.vectorizer_params(cfg.ngram_range),
    )
    features = vectorizer.fit_transform([normalise(t) for t in texts])
    coef = np.zeros((y.shape[1], features.shape[1]), dtype=np.float32)
    intercept = np.full(y.shape[1], _ABSENT_LOGIT, dtype=np.float32)
    for j in range(y.shape[1]):
        if 0 < y[:, j].sum() < len(y):
            clf = LogisticRegression(
                C=cfg.C,
                class_weight=cfg.class_weight,
                solver="liblinear",
                random_state=seed,
                max_iter=1000,
            )
            clf.fit(features, y[:, j])
            coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return LinearModel(vectorizer, coef, intercept)


def out_of_fold_scores(
    texts: list[str], y: np.ndarray, cfg: LinearConfig, seed: int, folds: int
) -> np.ndarray:
    """Score every document with a model that never saw it (vectoriser refitted per fold)."""
    scores = np.zeros(y.shape, dtype=np.float64)
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, val_idx in tqdm(
        list(splitter.split(texts)), desc="validation folds", unit="fold"
    ):
        model = fit_linear([texts[i] for i in train_idx], y[train_idx], cfg, seed)
        scores[val_idx] = model.scores([texts[i] for i in val_idx])
    return scores
