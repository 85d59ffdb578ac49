"""Linear family: character n-gram TF-IDF + one logistic regression per label.

Stored as `vocabulary.json` (n-grams in column order) and `weights.npz` (idf, coef, intercept),
read with `allow_pickle=False`. Scores equal scikit-learn's `predict_proba` of the trained model;
the features come from `CharNgramTfidf`, the vectorised equivalent of the training vectoriser.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from narrascope.errors import ArtifactError
from narrascope.families import sigmoid
from narrascope.ngrams import CharNgramTfidf

VOCABULARY = "vocabulary.json"
WEIGHTS = "weights.npz"


class LinearModel:
    def __init__(self, features: CharNgramTfidf, coef: np.ndarray, intercept: np.ndarray):
        self.features, self.coef, self.intercept = features, coef, intercept

    @staticmethod
    def vectorizer_params(ngram_range: tuple[int, int]) -> dict:
        """The training vectoriser's settings; `CharNgramTfidf` reproduces exactly these."""
        # char_wb n-grams work across scripts with no tokeniser (Chinese has no spaces).
        return {
            "analyzer": "char_wb",
            "ngram_range": tuple(ngram_range),
            "lowercase": True,
            "sublinear_tf": True,
            "dtype": np.float32,
        }

    @classmethod
    def from_vectorizer(
        cls, vectorizer: TfidfVectorizer, coef: np.ndarray, intercept: np.ndarray
    ) -> LinearModel:
        ngrams = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
        return cls(CharNgramTfidf(ngrams, vectorizer.idf_, vectorizer.ngram_range), coef, intercept)

    def scores(self, texts: list[str]) -> np.ndarray:
        return sigmoid(self.features.transform(texts) @ self.coef.T + self.intercept)

    def save(self, directory: Path) -> None:
        payload = {"ngram_range": list(self.features.ngram_range), "ngrams": self.features.ngrams}
        (directory / VOCABULARY).write_text(
            json.dumps(payload, ensure_ascii=False), encoding="utf-8"
        )
        np.savez(
            directory / WEIGHTS,
            idf=self.features.idf.astype(np.float64),
            coef=self.coef,
            intercept=self.intercept,
        )

    @classmethod
    def from_artifact(cls, directory: Path, manifest: dict, loader=None) -> LinearModel:
        return cls.load(directory)

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
        return cls(CharNgramTfidf(ngrams, idf, payload["ngram_range"]), coef, intercept)
