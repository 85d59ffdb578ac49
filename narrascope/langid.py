"""Language identification behind one function: `detect_language(text, hint) -> (lang, confidence)`.

langdetect is random unless seeded, raises on text without letters and is weak on a few words.
We seed it, strip what carries no language (URLs, mentions, digits, emoji) first, answer `und`
when nothing is left, and optionally restrict the candidates to the languages a model serves.
"""

from __future__ import annotations

import re
import threading

from langdetect import LangDetectException, detector_factory
from langdetect.detector_factory import init_factory

from narrascope.schema import UNDETERMINED

_NOISE = re.compile(r"https?://\S+|www\.\S+|[@#]\w+|\d+", re.UNICODE)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_MIN_LETTERS = 3
_MAX_CHARS = 200
_TRIALS = 3  # langdetect's default is 7 random walks; 3 scored the same here, 1.5x faster
_lock = threading.Lock()  # langdetect's factory and seed are process-global
# langdetect uses codes like zh-cn / zh-tw; we report ISO 639-1.
_ISO = {"zh-cn": "zh", "zh-tw": "zh"}


def detect_language(
    text: str, hint: str | None = None, candidates: frozenset[str] | None = None
) -> tuple[str, float]:
    """Return (ISO 639-1 code or 'und', confidence in [0, 1]).

    A user-given `hint` always wins (confidence 1.0). `candidates` limits the answer to those
    languages (e.g. the languages seen in training); others are dropped before renormalising.
    """
    if hint:
        return hint, 1.0
    letters_only = _NOISE.sub(" ", text)
    letters = _LETTER.findall(letters_only)
    if len(letters) < _MIN_LETTERS:
        return UNDETERMINED, 0.0
    if _mostly_chinese(letters) and (not candidates or "zh" in candidates):
        return "zh", 1.0
    scores = _probabilities(letters_only, candidates)
    total = sum(scores.values())
    if not total:
        return UNDETERMINED, 0.0
    lang, prob = max(scores.items(), key=lambda kv: kv[1])
    return lang, round(prob / total, 4)


def _mostly_chinese(letters: list[str]) -> bool:
    # langdetect answers `ko` for short Chinese text; Han without kana or hangul is Chinese.
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in letters)
    kana_hangul = sum("\u3040" <= ch <= "\u30ff" or "\uac00" <= ch <= "\ud7af" for ch in letters)
    return han > len(letters) / 2 and not kana_hangul


def _probabilities(text: str, candidates: frozenset[str] | None) -> dict[str, float]:
    with _lock:
        init_factory()
        factory = detector_factory._factory
        factory.set_seed(0)
        detector = factory.create()
        # The first few hundred characters decide the language as well as the whole text would;
        # reading all of a long article only costs time.
        detector.set_max_text_length(_MAX_CHARS)
        detector.n_trial = _TRIALS
        if candidates:
            # A zero prior removes a language from the search itself, which is far more accurate
            # on short texts than filtering langdetect's (already thresholded) answer afterwards.
            prior = {
                code: 1.0 for code in factory.get_lang_list() if _ISO.get(code, code) in candidates
            }
            if not prior:
                return {}
            detector.set_prior_map(prior)
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except LangDetectException:
            return {}
    merged: dict[str, float] = {}
    for item in found:
        code = _ISO.get(item.lang, item.lang)
        merged[code] = merged.get(code, 0.0) + item.prob
    return merged
