"""Character n-gram TF-IDF features, computed with numpy instead of Python loops.

The linear family is trained with scikit-learn's `TfidfVectorizer(analyzer="char_wb")`, whose
transform is pure Python: one string slice and one dict look-up per n-gram, about 0.45 ms for
a 400-character text. Inference repeats that on every request, so `CharNgramTfidf` computes the
same matrix in bulk:

1. all texts of a batch become one array of code points (UTF-32), each text padded with a space
   on both sides, as `char_wb` pads each word;
2. every n-gram gets a 64-bit polynomial hash, one vectorised pass per n;
3. `char_wb` only emits n-grams inside a padded word, i.e. those with no space strictly inside
   them (and not the double space between two texts), which a cumulative sum over the space
   mask tests for all positions at once;
4. hashes are looked up in a hash table of the vocabulary (pandas' khash index);
5. (text, column) pairs are counted with one sort, then sublinear tf, idf and l2 norm follow
   scikit-learn's `TfidfTransformer`.

The result equals `TfidfVectorizer.transform` (tests/test_ngrams.py), while the artifact keeps
the n-grams as strings, so nothing about the hash is stored or trusted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from narrascope.errors import ArtifactError
from narrascope.text import normalise

_MULTIPLIER = np.uint64(0x100000001B3)  # the FNV-64 prime: odd, spreads code points over 64 bits
_SPACE = 32


class CharNgramTfidf:
    """`TfidfVectorizer(analyzer="char_wb", lowercase=True, sublinear_tf=True, norm="l2")` for a
    fixed vocabulary and idf; `transform(texts)` takes raw texts and normalises them first."""

    def __init__(self, ngrams: list[str], idf: np.ndarray, ngram_range: tuple[int, int]):
        self.ngrams = list(ngrams)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        if not 1 <= self.ngram_range[0] <= self.ngram_range[1]:
            raise ArtifactError(f"n-gram range {self.ngram_range}: needs 1 <= low <= high")
        self._index = hash_index(self.ngrams)
        if not self._index.is_unique:  # two n-grams sharing a hash would merge their columns
            raise ArtifactError("two vocabulary n-grams share a 64-bit hash; retrain the model")

    @property
    def n_features(self) -> int:
        return len(self.ngrams)

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        points, text_of = code_points([f" {normalise(t).lower()} " for t in texts])
        rows, columns = self._hits(points, text_of)
        return self._tfidf(rows, columns, len(texts))

    def _hits(self, points: np.ndarray, text_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(text, column) of every vocabulary n-gram occurrence, in no particular order."""
        space = points == _SPACE
        spaces_before = np.concatenate([[0], np.cumsum(space)])
        rows, columns = [np.zeros(0, np.int64)], [np.zeros(0, np.intp)]
        lo, hi = self.ngram_range
        # A padded word shorter than `lo` is itself one feature (as in char_wb): n-grams of
        # length 3..lo-1 count only when they are a whole padded word, spaces at both ends.
        if lo == 1:
            found = occurrences(self._index, points, text_of, 1, ~space)
            rows.append(found[0])
            columns.append(found[1])
            rows.append(self._padding_spaces(space, text_of))
            columns.append(np.full(len(rows[-1]), self._index.get_indexer([_SPACE])[0]))
        for n in range(max(min(lo, 3), 2), hi + 1):
            count = len(points) - n + 1
            if count <= 0:
                break
            # Spaces at positions 1..n-2 of the n-gram: it crosses a word boundary.
            inside = spaces_before[n - 1 : n - 1 + count] - spaces_before[1 : 1 + count]
            keep = inside == 0
            if n == 2:  # "  " (between two texts, or an empty text) has no inside to test
                keep &= ~(space[:count] & space[1 : 1 + count])
            if n < lo:
                keep &= space[:count] & space[n - 1 : n - 1 + count]
            found = occurrences(self._index, points, text_of, n, keep)
            rows.append(found[0])
            columns.append(found[1])
        rows, columns = np.concatenate(rows), np.concatenate(columns)
        return rows[columns >= 0], columns[columns >= 0]  # " " may be missing from the vocabulary

    @staticmethod
    def _padding_spaces(space: np.ndarray, text_of: np.ndarray) -> np.ndarray:
        """The text of each " " unigram: char_wb pads every word on both sides, so two per word."""
        word_starts = np.flatnonzero(~space[1:] & space[:-1]) + 1
        return np.repeat(text_of[word_starts], 2)

    def _tfidf(self, rows: np.ndarray, columns: np.ndarray, n_texts: int) -> sp.csr_matrix:
        # One sort groups equal (text, column) pairs and orders them as CSR wants.
        keys = np.sort(rows.astype(np.int64) * self.n_features + columns)
        starts = np.flatnonzero(np.concatenate([[len(keys) > 0], keys[1:] != keys[:-1]]))
        unique = keys[starts]
        counts = np.diff(np.append(starts, len(keys))).astype(np.float32)
        text, column = np.divmod(unique, self.n_features)
        values = (np.log(counts) + 1.0) * self.idf[column]
        squares = np.bincount(text, weights=values.astype(np.float64) ** 2, minlength=n_texts)
        norms = np.sqrt(squares)
        norms[norms == 0] = 1.0
        values /= norms[text].astype(np.float32)
        indptr = np.concatenate([[0], np.cumsum(np.bincount(text, minlength=n_texts))])
        return sp.csr_matrix(
            (values.astype(np.float32), column.astype(np.int32), indptr),
            shape=(n_texts, self.n_features),
        )


def code_points(strings: list[str], separator: str = "") -> tuple[np.ndarray, np.ndarray]:
    """The strings joined by `separator` as uint64 code points, and for each point the index of
    its string (a separator counts with the string before it)."""
    joined = separator.join(strings)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    text_of = np.repeat(np.arange(len(strings)), lengths + len(separator))[: len(points)]
    return points, text_of


def hash_index(strings: list[str]) -> pd.Index:
    """A hash table (pandas' khash) from each string's n-gram hash to its position."""
    return pd.Index(np.array([hash_string(g) for g in strings], dtype=np.uint64))


def occurrences(
    index: pd.Index, points: np.ndarray, text_of: np.ndarray, n: int, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(text, position in `index`) of every n-gram starting where `keep` is true that `index`
    holds; `keep` has one entry per n-gram start."""
    found = index.get_indexer(ngram_hashes(points, n)[keep])
    hit = found >= 0
    return text_of[: len(keep)][keep][hit], found[hit]


def ngram_hashes(points: np.ndarray, n: int) -> np.ndarray:
    """Hash of points[i : i + n] for every start i (uint64 arithmetic wraps, as intended)."""
    count = max(len(points) - n + 1, 0)
    hashes = points[:count].copy()
    for k in range(1, n):
        hashes *= _MULTIPLIER
        hashes += points[k : k + count]
    return hashes


def hash_string(ngram: str) -> int:
    """The hash `ngram_hashes` gives this string's code points."""
    points = np.frombuffer(ngram.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return int(ngram_hashes(points, len(points))[0])
