"""CharNgramTfidf must produce exactly scikit-learn's char_wb TF-IDF matrix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from narrascope.errors import ArtifactError, DataError
from narrascope.families.linear import LinearModel
from narrascope.ngrams import CharNgramTfidf
from narrascope.text import normalise
from narrascope.training.config import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
# Edge cases: one-letter words, words shorter than n, mixed scripts, no spaces (Chinese), upper
# case that lowercases to two code points (İ), astral-plane emoji, tabs and runs of spaces, an
# empty text, punctuation only, and a text that is one long word.
TRICKY = [
    "a b c",
    "",
    "   \t\n ",
    "!!!",
    "İstanbul İSTANBUL ß ẞ",
    "Захід брехав про біолабораторії, а НАТО — ні?",
    "西方媒体 声称 乌克兰的生物实验室",
    "الغرب يكذب بشأن المختبرات",
    "emoji 🙂🙂 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 text",
    "x" * 40,
    "Ukraine\tNATO\n\nsanctions   failed",
]


def corpus() -> list[str]:
    lines = (ROOT / "data/corpus/test.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines[:60]] + TRICKY


@pytest.mark.parametrize("ngram_range", [(2, 5), (1, 3), (1, 1), (4, 4), (5, 6)])
def test_matches_scikit_learn_tfidf(ngram_range):
    texts = corpus()
    reference = TfidfVectorizer(min_df=1, **LinearModel.vectorizer_params(ngram_range))
    expected = reference.fit_transform([normalise(t) for t in texts])
    ngrams = sorted(reference.vocabulary_, key=reference.vocabulary_.get)
    ours = CharNgramTfidf(ngrams, reference.idf_, ngram_range).transform(texts)
    assert ours.shape == expected.shape
    assert ours.nnz == expected.nnz  # the same n-grams found, none extra
    assert abs(ours - expected).max() < 1e-6
    assert ours.has_sorted_indices


def test_unseen_text_and_empty_batch():
    features = CharNgramTfidf(["ab", "bc"], np.array([1.0, 2.0]), (2, 2))
    assert features.transform([]).shape == (0, 2)
    assert features.transform(["zzz", ""]).nnz == 0
    row = features.transform(["abc"]).toarray()[0]
    np.testing.assert_allclose(row, np.array([1.0, 2.0]) / np.sqrt(5.0), rtol=1e-6)


def test_hash_collision_in_a_vocabulary_is_refused(monkeypatch):
    monkeypatch.setattr("narrascope.ngrams.hash_string", lambda ngram: 7)
    with pytest.raises(ArtifactError, match="share a 64-bit hash"):
        CharNgramTfidf(["ab", "cd"], np.ones(2), (2, 2))


def test_an_empty_range_is_refused_by_the_transform_and_the_config():
    with pytest.raises(ArtifactError, match="needs 1 <= low <= high"):
        CharNgramTfidf(["a"], np.ones(1), (0, 3))
    with pytest.raises(DataError, match="linear.ngram_range"):
        TrainConfig.from_dict({"linear": {"ngram_range": [4, 2]}})
