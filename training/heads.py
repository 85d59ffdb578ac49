"""One logistic regression per label, and out-of-fold scoring: shared by every family."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from tqdm.auto import tqdm

# A label with one class in the training data gets a constant head: sigmoid(-20) ~ 2e-9 when it
# was never positive (never predicted), sigmoid(+20) ~ 1 when it was positive in every document
# (always predicted). Logistic regression cannot be fitted to one class.
CONSTANT_LOGIT = 20.0


def fit_heads(
    features, y: np.ndarray, C: float, class_weight: str | None, seed: int, solver: str
) -> tuple[np.ndarray, np.ndarray]:
    """coef [labels, features] and intercept [labels]; constant for labels with one class."""
    coef = np.zeros((y.shape[1], features.shape[1]), dtype=np.float32)
    positives = y.sum(axis=0)
    intercept = np.where(positives == len(y), CONSTANT_LOGIT, -CONSTANT_LOGIT).astype(np.float32)
    for j in range(y.shape[1]):
        if 0 < positives[j] < len(y):
            clf = LogisticRegression(
                C=C, class_weight=class_weight, solver=solver, random_state=seed, max_iter=2000
            )
            clf.fit(features, y[:, j])
            coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept


def out_of_fold(
    n: int,
    y: np.ndarray,
    seed: int,
    folds: int,
    fit_and_score: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Score every document with a model that never saw it.

    `fit_and_score(train_idx, val_idx)` fits on the first indices and scores the second.
    """
    scores = np.zeros(y.shape, dtype=np.float64)
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_idx, val_idx in tqdm(
        list(splitter.split(np.arange(n))), desc="validation folds", unit="fold"
    ):
        scores[val_idx] = fit_and_score(train_idx, val_idx)
    return scores
