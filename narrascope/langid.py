"""Language identification: `detect_languages(texts, hints, candidates) -> [(lang, confidence)]`.

The statistics are langdetect's (its 55 character 1-3-gram profiles, shipped with the package);
the inference is ours. langdetect itself samples n-grams at random until one language passes
0.99999, one Python step per character and per sample: about 0.35 ms per text, more than the
linear model's whole scoring. Here every text of a batch is scored at once, deterministically:

1. strip what carries no language (URLs, mentions, digits, emoji) and keep the first 200
   characters, which decide the language as well as the whole text would;
2. normalise characters as langdetect does (punctuation becomes a space, kana, hangul and CJK
   variants fold to one representative; a lookup table built once), drop Latin letters from a
   text that is mostly another script (langdetect's `cleaning_text`), collapse spaces;
3. take the n-grams langdetect would take (1-3 characters within a word, padded with a space;
   none inside a run of capitals) and look their hashes up in the profiles' table;
4. sum log(smoothing + p(n-gram | language)) per language, langdetect's update applied to
   every n-gram once instead of to random draws, and report the posterior.

`und` (confidence 0) when fewer than 3 letters are left; a user-given hint always wins; Han
text without kana or hangul is Chinese (langdetect answers `ko` for short Chinese text).
`candidates` restricts the answer to the languages a model serves: only their profiles take
part, which is far more accurate on short texts than filtering the answer afterwards.
"""

from __future__ import annotations

import functools
import json
import os
import re

import numpy as np
import scipy.sparse as sp
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.utils.ngram import NGram

from narrascope.ngrams import code_points, hash_index, occurrences
from narrascope.schema import UNDETERMINED

_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+|[@#]\w+|\d+", re.UNICODE)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z]")  # langdetect's test is 'A' <= ch <= 'z'; [\]^_` are spaces by then
_NON_LATIN = re.compile(r"[\u0300-\u1dff\u1f00-\U0010ffff]")  # >= U+0300, not Latin Ext. Additional
_SPACES = re.compile(r" +")
_MIN_LETTERS = 3
_MAX_CHARS = 200
_SMOOTHING = 0.5 / 10000  # langdetect's ALPHA_DEFAULT / BASE_FREQ
_SEPARATOR = "\x00"  # between texts of a batch: in no profile, so no n-gram spans two texts
# langdetect uses codes like zh-cn / zh-tw; we report ISO 639-1.
_ISO = {"zh-cn": "zh", "zh-tw": "zh"}


def detect_language(
    text: str, hint: str | None = None, candidates: frozenset[str] | None = None
) -> tuple[str, float]:
    """(ISO 639-1 code or 'und', confidence in [0, 1]) for one text; see `detect_languages`."""
    return detect_languages([text], [hint], candidates)[0]


def detect_languages(
    texts: list[str],
    hints: list[str | None] | None = None,
    candidates: frozenset[str] | None = None,
) -> list[tuple[str, float]]:
    """Language and confidence per text. A hint wins (confidence 1.0); `candidates` limits the
    answer to those languages (e.g. the languages seen in training)."""
    hints = hints or [None] * len(texts)
    answers: list[tuple[str, float] | None] = [None] * len(texts)
    pending, prepared = [], []
    for i, (text, hint) in enumerate(zip(texts, hints)):
        if hint:
            answers[i] = (hint, 1.0)
            continue
        kept = _NOISE.sub(" ", text)
        if len(_LETTER.findall(kept, 0, 4 * _MAX_CHARS)) < _MIN_LETTERS:
            answers[i] = (UNDETERMINED, 0.0)
        elif _mostly_chinese(kept[:_MAX_CHARS]) and (not candidates or "zh" in candidates):
            answers[i] = ("zh", 1.0)
        else:
            pending.append(i)
            prepared.append(_prepare(kept))
    if pending:
        for i, answer in zip(pending, _profiles_for(candidates).classify(prepared)):
            answers[i] = answer
    return answers


def _mostly_chinese(text: str) -> bool:
    letters = len(_LETTER.findall(text))
    return len(_HAN.findall(text)) > letters / 2 and not _KANA_HANGUL.search(text)


def _prepare(text: str) -> str:
    """langdetect's text preparation: normalised characters, Latin dropped from a text that is
    mostly another script, one space between words, a leading space (its n-gram start)."""
    text = text[:_MAX_CHARS].translate(_normalisation_table())
    if 2 * len(_LATIN.findall(text)) < len(_NON_LATIN.findall(text)):
        text = _LATIN.sub("", text)
    return " " + _SPACES.sub(" ", text).lstrip(" ")


@functools.cache
def _normalisation_table() -> dict[int, str]:
    """NGram.normalize for every code point it changes in the Basic Multilingual Plane."""
    table = {}
    for point in range(0x10000):
        char = chr(point)
        if 0xD800 <= point <= 0xDFFF:
            continue
        folded = NGram.normalize(char)
        if folded != char:
            table[point] = folded
    return table


@functools.cache
def _upper_table() -> np.ndarray:
    return np.array([chr(point).isupper() for point in range(0x10000)], dtype=bool)


class _Profiles:
    """The chosen languages' n-gram log-probabilities, indexed by n-gram hash."""

    def __init__(self, profiles: list[dict]):
        self.languages = [_ISO.get(p["name"], p["name"]) for p in profiles]
        ngrams = sorted({g for p in profiles for g in p["freq"] if 1 <= len(g) <= 3})
        probability = np.zeros((len(ngrams), len(profiles)))
        row = {g: i for i, g in enumerate(ngrams)}
        for column, profile in enumerate(profiles):
            for gram, count in profile["freq"].items():
                if gram in row:
                    probability[row[gram], column] = count / profile["n_words"][len(gram) - 1]
        self.log_probability = np.log(_SMOOTHING + probability)
        self.index = hash_index(ngrams)

    def classify(self, prepared: list[str]) -> list[tuple[str, float]]:
        counts = self._ngram_counts(prepared)
        log_likelihood = counts @ self.log_probability
        found = np.asarray(counts.sum(axis=1)).ravel() > 0
        posterior = np.exp(log_likelihood - log_likelihood.max(axis=1, keepdims=True))
        posterior /= posterior.sum(axis=1, keepdims=True)
        return [
            self._answer(row) if ok else (UNDETERMINED, 0.0) for row, ok in zip(posterior, found)
        ]

    def _answer(self, posterior: np.ndarray) -> tuple[str, float]:
        merged: dict[str, float] = {}
        for lang, p in zip(self.languages, posterior):  # zh-cn + zh-tw -> zh
            merged[lang] = merged.get(lang, 0.0) + float(p)
        lang = max(merged, key=merged.get)
        return lang, round(merged[lang], 4)

    def _ngram_counts(self, prepared: list[str]) -> sp.csr_matrix:
        """Texts x profile n-grams: how often each n-gram langdetect would extract occurs."""
        points, text_of = code_points(prepared, _SEPARATOR)
        space = points == 32
        upper = _upper_table()[np.minimum(points, 0xFFFF).astype(np.int64)] & (points <= 0xFFFF)
        # langdetect emits nothing at a capital that follows a capital (acronyms, shouting).
        emit = ~(upper & np.concatenate([[False], upper[:-1]]))
        rows, columns = [], []
        for n in (1, 2, 3):
            count = len(points) - n + 1
            if count <= 0:
                break
            keep = emit[n - 1 :].copy()
            if n == 1:
                keep &= ~space
            if n == 3:  # a space may open or close an n-gram, never sit inside one
                keep &= ~space[1 : 1 + count]
            found = occurrences(self.index, points, text_of, n, keep)
            rows.append(found[0])
            columns.append(found[1])
        rows, columns = np.concatenate(rows), np.concatenate(columns)
        return sp.csr_matrix(
            (np.ones(len(rows)), (rows, columns)), shape=(len(prepared), len(self.index))
        )


@functools.lru_cache(maxsize=16)
def _profiles_for(candidates: frozenset[str] | None) -> _Profiles:
    """The candidate languages' profiles (every language when fewer than two are known)."""
    names = sorted(os.listdir(PROFILES_DIRECTORY))
    chosen = [n for n in names if candidates and _ISO.get(n, n) in candidates]
    profiles = []
    for name in chosen if len(chosen) >= 2 else names:
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as handle:
            profiles.append(json.load(handle))
    return _Profiles(profiles)
