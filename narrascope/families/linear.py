"""Linear family: character n-gram TF-IDF + one logistic regression per label.

Stored as `vocabulary.json` (n-grams in column order) and `weights.npz` (idf, coef, intercept),
read with `allow_pickle=False`. Scores equal scikit-learn's `predict_proba` of the trained model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from narrascope.errors import ArtifactError
from narrascope.families import sigmoid
from narrascope.text import normalise

VOCABULARY = "vocabulary.json"
WEIGHTS = "weights.npz"


class LinearModel:
    def __init__(self, vectorizer: TfidfVectorizer, coef: np.ndarray, intercept: np.ndarray):
        self.vectorizer, self.coef, self.intercept = vectorizer, coef, intercept

    @staticmethod
    def vectorizer_params(ngram_range: tuple[int, int]) -> dict:
        # char_wb n-grams work across scripts with no tokeniser (Chinese has no spaces).
        return {
            "analyzer": "char_wb",
            "ngram_range": tuple(ngram_range),
            "lowercase": True,
            "sublinear_tf": True,
            "dtype": np.float32,
        }

    def scores(self, texts: list[str]) -> np.ndarray:
        features = self.vectorizer.transform([normalise(t) for t in texts])
        return sigmoid(features @ self.coef.T + self.intercept)

    def save(self, directory: Path) -> None:
        vocab = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get)
        payload = {"ngram_range": list(self.vectorizer.ngram_range), "ngrams": vocab}
        (directory / VOCABULARY).write_text(
            json.dumps(payload, ensure_ascii=False), encoding="utf-8"
        )
        np.savez(
            directory / WEIGHTS,
            idf=self.vectorizer.idf_.astype(np.float64),
            coef=self.coef,
            intercept=self.intercept,
        )

    @classmethod
    def load(cls, directory: Path) -> LinearModel:
        try:
            payload = json.loads((directory / VOCABULARY).read_text(encoding="utf-8"))
            with np.load(directory / WEIGHTS, allow_pickle=False) as arrays:
                idf, coef, intercept = arrays["idf"], arrays["coef"], arrays["intercept"]
        except (OSError, KeyError, ValueError) as exc:
            raise ArtifactError(f"{directory}: cannot read linear weights ({exc})") from None
        ngrams = payload["ngrams"]
        if not (len(ngrams) == len(idf) == coef.shape[1]):
            raise ArtifactError(f"{directory}: vocabulary, idf and coef sizes disagree")
        vectorizer = TfidfVectorizer(
            vocabulary={g: i for i, g in enumerate(ngrams)},
            **cls.vectorizer_params(payload["ngram_range"]),
        )
        vectorizer.idf_ = idf
        return cls(vectorizer, coef, intercept)
