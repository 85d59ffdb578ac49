"""Matching: every sentence of a batch against every phrasing of a library, best pair per point.

    matcher = TalkingPointMatcher(library, encoder, threshold, reference=bundled)
    matcher.match(["Text one. Text two."])    # -> [[Match(talking_point="TP001", ...), ...]]

Per text:
1. split the text into sentences (narrascope.text.split_sentences, offsets into the original);
2. embed every sentence of the batch at once; phrasings are embedded once per matcher (see
   narrascope.talking_points.cache). Both sides get the same e5 prefix, "query: ", as this is
   symmetric similarity;
3. score every sentence against every phrasing -- cosine similarity, by default "centered" on
   the sentence's mean similarity to a reference library's phrasings in the same language (see
   TalkingPointMatcher); for each talking point, the best (sentence, phrasing) pair; keep those
   scoring >= the threshold, best first.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from narrascope.talking_points.cache import cache_path, cached_vectors
from narrascope.talking_points.library import TalkingPointLibrary
from narrascope.text import Sentence, split_sentences

PREFIX = "query: "  # e5: "query: " on both sides for symmetric similarity
SCORINGS = ("centered", "cosine")
MIN_REFERENCE = 5  # reference phrasings needed to centre on a language's mean


@dataclass(frozen=True)
class Match:
    talking_point: str
    narrative: str
    sentence: str  # text[start:end]
    start: int
    end: int
    score: float  # the matcher's score (see TalkingPointMatcher), compared with its threshold
    cosine: float  # cosine similarity of the sentence with the closest phrasing
    phrasing_lang: str  # the language of that phrasing
    subnarrative: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SentenceSimilarities:
    """Every sentence of a batch against every phrasing: text i owns rows bounds[i]:bounds[i+1]."""

    sentences: list[list[Sentence]]
    similarities: np.ndarray  # [sentences in the batch, phrasings]: the matcher's scores
    embeddings: np.ndarray | None = None  # [sentences in the batch, dim], L2-normalised
    bounds: np.ndarray = field(init=False)

    def __post_init__(self):
        self.bounds = np.cumsum([0, *(len(s) for s in self.sentences)])


@dataclass(frozen=True)
class Best:
    """For each (text, talking point): the best score, its sentence row and its phrasing column
    (-1 and score -inf where the text has no sentence or no allowed phrasing)."""

    scores: np.ndarray  # [texts, points]
    rows: np.ndarray
    columns: np.ndarray


class TalkingPointMatcher:
    """Scores every sentence against every phrasing and keeps, per talking point, the best one.

    scoring="cosine": the cosine similarity of sentence and phrasing.
    scoring="centered" (default): that cosine minus the sentence's mean cosine with the
    `reference` library's phrasings in the phrasing's language (all of them where that language
    has fewer than MIN_REFERENCE phrasings). This removes what a sentence shares with *any*
    claim in that language -- topic and, above all, language: raw e5 cosines are higher for a
    same-language pair, so a fixed cosine threshold both over-matches same-language topical
    sentences and misses cross-lingual echoes. It costs nothing at match time (a dot product with
    p - mean_L). Measured on the bundled corpus (bench/talking_points.py, 5-fold over all 680
    documents): micro F1 0.43 centered vs 0.34 cosine. With a fixed `reference` (the default
    matcher uses the bundled library), adding talking points leaves other points' scores as
    they were.
    """

    def __init__(
        self,
        library: TalkingPointLibrary,
        encoder,
        threshold: float,
        *,
        scoring: str = "centered",
        reference: TalkingPointLibrary | None = None,
        prefix: str = PREFIX,
        languages: Iterable[str] | None = None,
        batch_size: int = 64,
        fingerprint: str | None = None,
        cache_dir: str | Path | None = None,
        shared_memo: dict[str, np.ndarray] | None = None,
    ):
        """`encoder` is a narrascope TextEncoder (its own prefix is replaced by `prefix` for both
        phrasings and sentences, without touching the caller's object). `reference` (default:
        `library`) centres "centered" scores. `languages` restricts matching to phrasings in
        those languages. With a `fingerprint` identifying the encoder's weights and precision,
        and a `cache_dir`, phrasing embeddings are also cached on disk. `shared_memo` (phrasing
        text -> vector, same encoder and prefix) lets matchers share embeddings."""
        if scoring not in SCORINGS:
            raise ValueError(f"scoring must be one of {SCORINGS}, not {scoring!r}")
        self.library, self.threshold, self.batch_size = library, float(threshold), batch_size
        self.scoring, self.reference = scoring, reference
        self.encoder = _with_prefix(encoder, prefix)
        self.prefix, self.fingerprint = prefix, fingerprint
        self.cache_dir = Path(cache_dir) if cache_dir else None
        wanted = set(languages) if languages is not None else None
        self.languages = sorted(wanted) if wanted is not None else None
        self.phrasings = _phrasings(library, wanted)  # (point index, language, text), by point
        self.phrasing_point = np.array([i for i, _, _ in self.phrasings], dtype=np.int64)
        self.phrasing_langs = [lang for _, lang, _ in self.phrasings]
        self._groups = _groups(self.phrasing_point, len(library))
        self._memo = shared_memo if shared_memo is not None else {}
        self.phrasing_vectors = self._vectors([text for _, _, text in self.phrasings])
        self.scoring_vectors = self.phrasing_vectors
        if scoring == "centered":
            self.scoring_vectors = self.phrasing_vectors - self._centres()

    def with_library(self, library: TalkingPointLibrary, **changes) -> TalkingPointMatcher:
        """A matcher over another library (e.g. extended by a new campaign), sharing the encoder,
        the phrasings already embedded (only new ones are embedded) and the reference, so the
        scores of the points already there do not move."""
        options = {
            "threshold": self.threshold,
            "scoring": self.scoring,
            "reference": self.reference if self.reference is not None else self.library,
            "prefix": self.prefix,
            "languages": self.languages,
            "batch_size": self.batch_size,
            "fingerprint": self.fingerprint,
            "cache_dir": self.cache_dir,
            **changes,
        }
        return TalkingPointMatcher(library, self.encoder, shared_memo=self._memo, **options)

    # -- public ------------------------------------------------------------------------------
    def match(self, texts: Sequence[str]) -> list[list[Match]]:
        """For each text, the talking points it echoes (score >= threshold), best first."""
        sims = self.similarities(texts)
        best = self.best(sims)
        out = []
        for t, sentences in enumerate(sims.sentences):
            found = []
            for p in np.flatnonzero(best.scores[t] >= self.threshold):
                point, row, column = self.library.points[p], best.rows[t, p], best.columns[t, p]
                sentence = sentences[row - sims.bounds[t]]
                cosine = float(sims.embeddings[row] @ self.phrasing_vectors[column])
                found.append(
                    Match(
                        talking_point=point.id,
                        narrative=point.narrative,
                        sentence=sentence.text,
                        start=sentence.start,
                        end=sentence.end,
                        score=round(float(best.scores[t, p]), 6),
                        cosine=round(cosine, 6),
                        phrasing_lang=self.phrasing_langs[column],
                        subnarrative=point.subnarrative,
                    )
                )
            out.append(sorted(found, key=lambda m: (-m.score, m.talking_point)))
        return out

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """[texts, talking points]: each point's best sentence score (-inf for a text with no
        sentence); what `calibrate` takes."""
        return self.best(self.similarities(texts)).scores

    def similarities(self, texts: Sequence[str]) -> SentenceSimilarities:
        """Split every text into sentences, embed them all in one go, score every phrasing."""
        sentences = [split_sentences(t) for t in texts]
        flat = [s.text for group in sentences for s in group]
        distinct = list(dict.fromkeys(flat))
        vectors = np.zeros((0, self.encoder.dim), dtype=np.float32)
        if distinct:
            row = {text: k for k, text in enumerate(distinct)}
            vectors = self._embed(distinct)[[row[t] for t in flat]]
        return SentenceSimilarities(sentences, vectors @ self.scoring_vectors.T, vectors)

    def best(self, sims: SentenceSimilarities, allowed: np.ndarray | None = None) -> Best:
        """Best (sentence, phrasing) per text and talking point. `allowed` [texts, phrasings]
        (bool) masks phrasings per text, e.g. to leave out the text's own language."""
        n_texts, n_points = len(sims.sentences), len(self.library)
        scores = np.full((n_texts, n_points), -np.inf, dtype=np.float32)
        rows = np.full((n_texts, n_points), -1, dtype=np.int64)
        columns = np.full((n_texts, n_points), -1, dtype=np.int64)
        for t in range(n_texts):
            lo, hi = sims.bounds[t], sims.bounds[t + 1]
            if lo == hi or not len(self.phrasings):
                continue
            block = sims.similarities[lo:hi]
            if allowed is not None:
                block = np.where(allowed[t][None, :], block, -np.inf)
            best_row = block.argmax(axis=0)  # per phrasing: its best sentence
            per_phrasing = np.append(block[best_row, np.arange(block.shape[1])], -np.inf)
            grouped = per_phrasing[self._groups]  # padding (-1) reads the appended -inf
            pick = self._groups[np.arange(n_points), grouped.argmax(axis=1)]
            found = np.isfinite(per_phrasing[pick])
            scores[t, found] = per_phrasing[pick[found]]
            rows[t, found] = lo + best_row[pick[found]]
            columns[t, found] = pick[found]
        return Best(scores, rows, columns)

    # -- embeddings --------------------------------------------------------------------------
    def _embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(self.encoder.embed(texts, self.batch_size), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        """Phrasing embeddings: from memory, else from the disk cache, else the encoder."""
        if not texts:
            return np.zeros((0, self.encoder.dim), dtype=np.float32)
        return cached_vectors(
            texts,
            self._memo,
            self._embed,
            lambda: cache_path(self.cache_dir, self.fingerprint, self.prefix, self.encoder, texts),
        )

    def _centres(self) -> np.ndarray:
        """Per phrasing, the mean reference phrasing vector of its language."""
        reference = self.reference if self.reference is not None else self.library
        if not self.phrasings:
            return self.phrasing_vectors
        if len(reference) < MIN_REFERENCE:
            raise ValueError(
                f"centered scoring needs a reference library of at least {MIN_REFERENCE} "
                f"talking points (this one has {len(reference)}): pass reference= "
                "(e.g. the bundled library) or scoring='cosine'"
            )
        phrasings = _phrasings(reference, None)
        vectors = self._vectors([text for _, _, text in phrasings])
        langs = np.array([lang for _, lang, _ in phrasings])
        overall = vectors.mean(axis=0)
        means = {
            lang: vectors[langs == lang].mean(axis=0)
            for lang in set(langs)
            if (langs == lang).sum() >= MIN_REFERENCE
        }
        return np.stack([means.get(lang, overall) for lang in self.phrasing_langs])


def _phrasings(library: TalkingPointLibrary, languages: set[str] | None) -> list[tuple]:
    return [
        (i, lang, text)
        for i, point in enumerate(library.points)
        for lang, text in point.phrasings.items()
        if languages is None or lang in languages
    ]


def _groups(phrasing_point: np.ndarray, n_points: int) -> np.ndarray:
    """[points, most phrasings per point]: each point's phrasing columns, -1 as padding."""
    counts = np.bincount(phrasing_point, minlength=n_points)
    groups = np.full((n_points, max(counts.max(initial=0), 1)), -1, np.int64)
    for p in range(n_points):
        cols = np.flatnonzero(phrasing_point == p)
        groups[p, : len(cols)] = cols
    return groups


def _with_prefix(encoder, prefix: str):
    """The encoder with `prefix` as its text prefix: the same object, or a shallow copy sharing
    the model and tokenizer (so an encoder used elsewhere with 'passage: ' is left as it is)."""
    if getattr(encoder, "prefix", prefix) == prefix:
        return encoder
    shared = copy.copy(encoder)
    shared.prefix = prefix
    return shared
