"""Text preparation: normalisation and sentence segmentation with character offsets."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"\s+")
# Candidate sentence ends: Latin/Cyrillic punctuation followed by space, CJK full stops, Arabic
# question mark, and blank lines (paragraphs). A full stop is then kept inside the sentence when
# it ends an abbreviation (below). Hand-written rather than pysbd: pysbd needs the language of
# every call and has no Ukrainian rules; these lists cover the eight languages tested in
# tests/test_taxonomy_text_langid.py (en, de, fr, es, it, pl, ru, uk) in any mix.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<=[。！？؟])|\n\s*\n")
_LAST_WORD = re.compile(r"(?:^|\s)\(?([^\s(]+)\.$")
# U.S., U.K., e.g., i.e., z.B., т.е., С.Ш.А.: short letter groups joined by full stops.
_INITIALISM = re.compile(r"^(?:[^\W\d_]{1,3}\.)+[^\W\d_]{1,3}$")
# Initialisms that often end a sentence ("... и т.д. Потом"): split before a capital.
_MAY_END_SENTENCE = frozenset({"т.д", "т.п", "т.ін", "і.т.д"})
# Abbreviations that introduce a name, a number or a place, so a capital after them does not
# start a new sentence (lower case: compared with the word lower-cased). A full stop followed
# by a lower-case letter never ends a sentence, whatever the word before it.
ABBREVIATIONS = {
    "en": "mr mrs ms dr prof st gen col lt sgt capt gov sen rep rev vs jr sr mt ft approx",
    "de": "dr prof hr fr nr vgl bzw ca st str abs bd",
    "fr": "m mme mlle mm dr pr me st ste cf p",
    "es": "sr sra srta dr dra d dña ud uds lic prof pág",
    "it": "sig sigg dott dott.ssa prof avv ing on sen pag",
    "pl": "dr prof np tzw ul al św godz wg pt im płk gen",
    "ru": "им ул пр просп проф акад ген см ср тов гр д",
    "uk": "ім вул просп проф акад ген див гр д",
}
_ABBREVIATIONS = frozenset(w for words in ABBREVIATIONS.values() for w in words.split())


def has_letters(text: str) -> bool:
    """Whether the text holds any letter (Unicode category L*, any script); a text of emoji,
    digits and punctuation carries no narrative whatever a model scores it."""
    return any(ch.isalpha() for ch in text)


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
        if _ends_sentence(text, match):
            _append(sentences, text, start, match.start())
            start = match.end()
    _append(sentences, text, start, len(text))
    return sentences


def _ends_sentence(text: str, match: re.Match) -> bool:
    """Whether a candidate boundary is a sentence end, not a full stop inside one."""
    if match.group().count("\n") >= 2 or text[match.start() - 1 : match.start()] != ".":
        return True  # a paragraph break, or ! ? … and the CJK / Arabic marks
    following = text[match.end() : match.end() + 1]
    if following and following.islower():
        return False
    word = _LAST_WORD.search(text, 0, match.start())
    if word is None:
        return True
    word = word.group(1)
    initial = len(word) == 1 and word.isupper()  # "J. Smith" (but "в 2024 г. Затем" ends)
    word = word.lower()
    if word in _MAY_END_SENTENCE:
        return True
    return not (initial or word in _ABBREVIATIONS or _INITIALISM.match(word))


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        offset = start + chunk.index(stripped)
        out.append(Sentence(stripped, offset, offset + len(stripped)))
