"""Text preparation: normalisation and sentence segmentation with character offsets."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")
# Sentence ends: Latin/Cyrillic punctuation followed by space, CJK full stops, Arabic question mark,
# and blank lines (paragraphs). Kept simple and language-agnostic on purpose.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？؟])|\n\s*\n")


def normalise(text: str) -> str:
    """NFKC-fold (full-width forms, ligatures) and collapse whitespace; case is kept."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """Split into sentences, each with offsets into the *original* text."""
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        _append(sentences, text, start, match.start())
        start = match.end()
    _append(sentences, text, start, len(text))
    return sentences


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + chunk.index(stripped)
        out.append(Sentence(stripped, offset, offset + len(stripped)))
